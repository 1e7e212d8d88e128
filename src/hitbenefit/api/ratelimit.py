"""A per-key token bucket: ``rate`` tokens a second up to ``burst``; a request takes one.

``TokenBuckets`` keeps the buckets in this process's memory. ``SharedTokenBuckets`` keeps them in a
file that every server process of ``hitbenefit serve --workers N`` maps, so a key's limit holds across
the processes (``HITBENEFIT_RATE_FILE``, set by ``serve``)."""

from __future__ import annotations

import fcntl
import hashlib
import math
import mmap
import os
import struct
import threading
import time


def _refill(tokens: float, last: float, now: float, rate: float, burst: int) -> float:
    return min(float(burst), tokens + (now - last) * rate)


class TokenBuckets:
    def __init__(self, rate: float, burst: int, clock=time.monotonic) -> None:
        self.rate, self.burst, self.clock = float(rate), int(burst), clock
        self._buckets: dict[object, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: object) -> float:
        """0.0 when a token was taken, else the seconds to wait before one is available."""
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = _refill(tokens, last, now, self.rate, self.burst)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.rate

    @staticmethod
    def retry_after(wait: float) -> str:
        """The ``Retry-After`` header for a wait in seconds: whole seconds, at least 1."""
        return str(max(1, math.ceil(wait)))


class SharedTokenBuckets(TokenBuckets):
    """The same buckets in a file mapped by every server process; each ``take`` holds the file's lock
    (``lockf``) for a few microseconds. A key finds its slot by a stable hash (not ``hash()``, which
    differs between processes) and up to ``PROBE`` slots on; a slot whose bucket has refilled is free
    again, since a full bucket is what a new key gets. The time is ``time.monotonic``, one clock for
    every process of the machine."""

    SLOTS = 4096
    PROBE = 32
    SLOT = struct.Struct("<Qdd")  # the key's hash (0: empty), tokens, when they were counted

    def __init__(self, path: str, rate: float, burst: int, clock=time.monotonic) -> None:
        super().__init__(rate, burst, clock)
        size = self.SLOTS * self.SLOT.size
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        if os.fstat(self._fd).st_size < size:
            os.ftruncate(self._fd, size)
        self._map = mmap.mmap(self._fd, size)

    def take(self, key: object) -> float:
        """0.0 when a token was taken, else the seconds to wait before one is available."""
        wanted = int.from_bytes(hashlib.blake2b(repr(key).encode(), digest_size=8).digest(), "little") or 1
        with self._lock:
            fcntl.lockf(self._fd, fcntl.LOCK_EX)
            try:
                now = self.clock()
                at = self._slot(wanted, now) * self.SLOT.size
                found, tokens, last = self.SLOT.unpack_from(self._map, at)
                if found != wanted:
                    tokens, last = float(self.burst), now
                tokens = _refill(tokens, last, now, self.rate, self.burst)
                taken = tokens >= 1.0
                self.SLOT.pack_into(self._map, at, wanted, tokens - 1.0 if taken else tokens, now)
            finally:
                fcntl.lockf(self._fd, fcntl.LOCK_UN)
        return 0.0 if taken else (1.0 - tokens) / self.rate

    def _slot(self, wanted: int, now: float) -> int:
        """The key's slot, else the first free one probed, else the one counted longest ago."""
        free, oldest, oldest_at = None, wanted % self.SLOTS, math.inf
        for i in range(self.PROBE):
            slot = (wanted + i) % self.SLOTS
            found, tokens, last = self.SLOT.unpack_from(self._map, slot * self.SLOT.size)
            if found == wanted:
                return slot
            if free is None and (found == 0 or _refill(tokens, last, now, self.rate, self.burst) >= self.burst):
                free = slot
            if last < oldest_at:
                oldest, oldest_at = slot, last
        return free if free is not None else oldest

    def close(self) -> None:
        self._map.close()
        os.close(self._fd)
