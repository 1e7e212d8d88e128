"""One settings class for the service, read from the environment, refusing unsafe values.

| variable | default | meaning |
|---|---|---|
| ``HITBENEFIT_DATABASE_URL`` | SQLite file under ``$HITBENEFIT_HOME`` | the store (see ``hitbenefit.store``) |
| ``HITBENEFIT_MAX_CLAIM_BYTES`` | 1 MB | largest body of any request but a batch |
| ``HITBENEFIT_MAX_BATCH_BYTES`` | 50 MB | largest batch upload |
| ``HITBENEFIT_RATE_PER_SECOND`` | 50 | per-key token-bucket refill rate |
| ``HITBENEFIT_RATE_BURST`` | 100 | per-key bucket size |
| ``HITBENEFIT_RATE_FILE`` | none: buckets in memory | a file holding the buckets for every server process (``serve --workers N`` sets it) |
| ``HITBENEFIT_BATCH_WORKER`` | ``1`` | run the batch worker thread in this process (``0``: not) |
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from typing import Mapping

MB = 1024 * 1024
LOOPBACK = ("127.0.0.1", "::1", "localhost")


class SettingsError(ValueError):
    """A setting refused as unsafe or nonsensical; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    database_url: str | None = None
    max_claim_bytes: int = 1 * MB
    max_batch_bytes: int = 50 * MB
    rate_per_second: float = 50.0
    rate_burst: int = 100
    rate_file: str | None = None
    batch_worker: bool = True
    host: str = "127.0.0.1"
    allow_public_bind: bool = False

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        if not 1024 <= self.max_claim_bytes <= 16 * MB:
            raise SettingsError(f"HITBENEFIT_MAX_CLAIM_BYTES must be from 1024 to {16 * MB}, not {self.max_claim_bytes}")
        if not self.max_claim_bytes <= self.max_batch_bytes <= 512 * MB:
            raise SettingsError("HITBENEFIT_MAX_BATCH_BYTES must be at least the claim limit and at most "
                                f"{512 * MB}, not {self.max_batch_bytes}")
        if not 0 < self.rate_per_second <= 1_000_000:
            raise SettingsError(f"HITBENEFIT_RATE_PER_SECOND must be above 0 (a rate limit cannot be switched off), "
                                f"not {self.rate_per_second}")
        if not 1 <= self.rate_burst <= 10_000_000:
            raise SettingsError(f"HITBENEFIT_RATE_BURST must be at least 1, not {self.rate_burst}")
        if self.host not in LOOPBACK and not self.allow_public_bind:
            raise SettingsError(f"host {self.host!r} is not a loopback address: the API would be reachable from "
                                "other machines; set HITBENEFIT_ALLOW_PUBLIC_BIND=1 behind a TLS proxy to allow it")
        url = self.database_url or ""
        if url.startswith(("postgresql", "postgres")) and "sslmode=disable" in url and self.host not in LOOPBACK:
            raise SettingsError("HITBENEFIT_DATABASE_URL: sslmode=disable is refused when serving beyond loopback")

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides) -> "Settings":
        env = os.environ if env is None else env
        values: dict = {}
        names = {f.name for f in fields(cls)}
        read = {
            "database_url": ("HITBENEFIT_DATABASE_URL", str),
            "max_claim_bytes": ("HITBENEFIT_MAX_CLAIM_BYTES", int),
            "max_batch_bytes": ("HITBENEFIT_MAX_BATCH_BYTES", int),
            "rate_per_second": ("HITBENEFIT_RATE_PER_SECOND", float),
            "rate_burst": ("HITBENEFIT_RATE_BURST", int),
            "rate_file": ("HITBENEFIT_RATE_FILE", str),
            "batch_worker": ("HITBENEFIT_BATCH_WORKER", _flag),
            "allow_public_bind": ("HITBENEFIT_ALLOW_PUBLIC_BIND", _flag),
        }
        for name, (variable, parse) in read.items():
            raw = env.get(variable)
            if raw is None or raw == "":
                continue
            try:
                values[name] = parse(raw)
            except ValueError:
                raise SettingsError(f"{variable}: cannot read {raw!r} as {parse.__name__}") from None
        values.update({k: v for k, v in overrides.items() if k in names and v is not None})
        return cls(**values)


def _flag(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(text)
