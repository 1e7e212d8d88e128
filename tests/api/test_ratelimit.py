"""Token buckets: in one process, and shared by several through a file (``serve --workers N``)."""

from __future__ import annotations

import subprocess
import sys

from hitbenefit.api.ratelimit import SharedTokenBuckets, TokenBuckets


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_gives_its_burst_then_refills_at_its_rate(tmp_path):
    for make in (lambda clock: TokenBuckets(2.0, 3, clock),
                 lambda clock: SharedTokenBuckets(str(tmp_path / "rate"), 2.0, 3, clock)):
        clock = Clock()
        buckets = make(clock)
        assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
        assert buckets.take("a") == 0.5  # one token comes in half a second at 2 a second
        assert buckets.take("b") == 0.0  # another key has its own bucket
        clock.now += 0.5
        assert buckets.take("a") == 0.0 and buckets.take("a") > 0
        assert buckets.retry_after(0.5) == "1"


TAKE = """
import sys
from hitbenefit.api.ratelimit import SharedTokenBuckets
buckets = SharedTokenBuckets(sys.argv[1], 0.000001, 5)
print(sum(buckets.take(("key", 7)) == 0.0 for _ in range(5)))
"""


def test_processes_sharing_the_file_share_each_keys_burst(tmp_path):
    path = str(tmp_path / "rate")
    taken = [int(subprocess.run([sys.executable, "-c", TAKE, path], capture_output=True, text=True, check=True)
                 .stdout) for _ in range(3)]
    assert taken == [5, 0, 0]  # separate processes, one bucket (a hash() key would differ between them)


def test_a_full_table_reuses_refilled_slots_and_then_the_oldest(tmp_path):
    class Small(SharedTokenBuckets):
        SLOTS = 4
        PROBE = 4

    clock = Clock()
    buckets = Small(str(tmp_path / "rate"), 1.0, 2, clock)
    for key in "abcd":
        assert buckets.take(key) == 0.0  # four slots, each bucket one token short of full
    clock.now += 0.25
    assert buckets.take("e") == 0.0  # no free slot: the one counted longest ago goes
    clock.now += 10  # every bucket has refilled: their slots are free again
    assert [buckets.take(key) for key in "fghi"] == [0.0] * 4
    assert buckets.take("f") == 0.0 and buckets.take("f") > 0  # "f" kept its slot: its burst of 2 is spent
