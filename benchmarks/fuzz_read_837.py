"""Coverage-guided fuzzing of the 837P reader with atheris (not part of the test suite).

    .venv/bin/pip install atheris==3.0.0     # not in requirements.lock
    .venv/bin/python benchmarks/fuzz_read_837.py -atheris_runs=200000 -max_len=65536 [corpus_dir]

Seeds are the real 837P samples (every file of tests/data/x12 with an ST*837), also when a corpus
directory is given; -max_len=65536 lets the fuzzer grow inputs to their size. Any exception other than X12Error is a finding.
"""

from __future__ import annotations

import io
import sys
import tempfile
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

with atheris.instrument_imports():
    from hitbenefit.x12.read_837 import X12Error, read_837


def test_one_input(data: bytes) -> None:
    try:
        for _ in read_837(io.BytesIO(data), "fuzz.837"):
            pass
    except X12Error:
        pass


def main() -> None:
    args = list(sys.argv)
    seeds = Path(tempfile.mkdtemp(prefix="fuzz_837_"))
    for sample in (ROOT / "tests/data/x12").rglob("*"):
        if sample.is_file() and b"ST*837*" in sample.read_bytes():
            (seeds / f"{sample.parent.name}-{sample.name}").write_bytes(sample.read_bytes())
    args.append(str(seeds))  # after a corpus directory given: libFuzzer adds new inputs to the first one
    atheris.Setup(args, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
