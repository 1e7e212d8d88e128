"""837P reader throughput and memory against pyx12: ``.venv/bin/python benchmarks/x12_reader.py [--mb 50]``.

Builds (in a temporary directory) a file of at least ``--mb`` MB by repeating the real 837P samples
of tests/data/x12 (the readable LinuxForHealth ones, and imsweb's x12_many_claims.txt with its HL
ids and SE counts repaired) with fresh ISA/GS/ST control numbers, GS08 005010X222A1 (the version
pyx12 has a map for). Then reads it with:

- ``read_837`` (ours: envelopes, HL tree, loops, mapped elements checked; contract claims built);
- pyx12 ``X12Reader`` (tokenizer with envelope checks, no map, builds no claims);
- pyx12 ``X12ContextReader`` (walks the implementation-guide map: the loop context a claim reader
  needs; claims still not built) on a slice, scaled;
- pyx12 ``x12n_document`` (full validation, the 999 path) on a slice, scaled.

and prints MB/s, the ratio to ours, and tracemalloc peaks at 1x and 2x the slice for ours and
pyx12's non-validating reader. pyx12's map-based readers are timed on a slice (``--slice-mb``) as
they run at a fraction of a MB/s; the MB/s of a slice is the same rate scaled to any size.
"""

from __future__ import annotations

import argparse
import io
import logging
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))  # the tests' repair of the imsweb samples' HL numbering

from hitbenefit.x12.read_837 import read_837_path  # noqa: E402
from hitbenefit.x12.segments import Delimiters, Segment, iter_segments, render  # noqa: E402
from tests.x12.test_read_837 import repaired  # noqa: E402

DATA = ROOT / "tests/data/x12"
SAMPLES = ["demo.ambulance.example5.837", "demo.autoaccident.837", "demo.cob.example3.A.837", "demo.cob.example3.B.837",
           "demo.cob.example3.C.837", "demo.cob.example4.837", "demo.drug.example10.1.837",
           "demo.drug.example10.2.837", "demo.drug.example10.3.837", "demo.example1.837", "demo.example2.837",
           "demo.example7.837", "demo.example8.837", "drug-in-office.837"]
VERSION = "005010X222A1"


def _segments(path: Path) -> list[Segment]:
    with path.open("rb") as handle:
        return [s for s, _ in iter_segments(handle, path.name)]


def _transaction(found: list[Segment]) -> list[Segment]:
    start = next(i for i, s in enumerate(found) if s.id == "ST")
    end = next(i for i, s in enumerate(found) if s.id == "SE")
    return found[start:end + 1]


def build(path: Path, megabytes: float) -> tuple[int, int]:
    """Write the benchmark file; returns (bytes, claims)."""
    lfh = DATA / "linuxforhealth-x12/837_005010X222A2"
    isa = _segments(lfh / SAMPLES[0])[0]
    bodies = [_transaction(_segments(lfh / name)) for name in SAMPLES]
    bodies.append(_transaction(_segments(DATA / "imsweb-x12-parser/837_5010/x12_many_claims.txt")))
    claims_per_round = sum(1 for body in bodies for s in body if s.id == "CLM")
    delimiters = Delimiters()
    size, rounds = 0, 0
    with path.open("w", encoding="latin-1") as out:
        while size < megabytes * 1_000_000:
            rounds += 1
            control = f"{rounds:09d}"
            segments = [Segment("ISA", (*isa.elements[:12], control, *isa.elements[13:])),
                        Segment("GS", ("HC", "SENDER", "RECEIVER", "20250101", "1200", str(rounds), "X", VERSION))]
            for n, body in enumerate(bodies, start=1):
                segments.extend(repaired(body, f"{n:04d}", VERSION))
            segments += [Segment("GE", (str(len(bodies)), str(rounds))), Segment("IEA", ("1", control))]
            text = render(segments, delimiters, line_breaks=True)
            out.write(text)
            size += len(text)
    return size, rounds * claims_per_round


def slice_of(path: Path, target: Path, megabytes: float) -> int:
    """The first whole interchanges of ``path`` adding up to about ``megabytes``."""
    size = 0
    with path.open("r", encoding="latin-1") as src, target.open("w", encoding="latin-1") as out:
        block: list[str] = []
        for line in src:
            block.append(line)
            if line.startswith("IEA"):
                text = "".join(block)
                out.write(text)
                size += len(text)
                block = []
                if size >= megabytes * 1_000_000:
                    break
    return size


# -- the readers -----------------------------------------------------------------------------------------

def ours(path: Path) -> int:
    return sum(len(claim.lines) > 0 for claim in read_837_path(path))


def pyx12_reader(path: Path) -> int:
    import pyx12.x12file

    with path.open("r", encoding="latin-1") as handle:
        reader = pyx12.x12file.X12Reader(handle)
        count = sum(1 for seg in reader if seg.get_seg_id() == "CLM")
        errors = list(reader.pop_errors())
    if errors:
        raise SystemExit(f"pyx12 X12Reader found errors in the benchmark file: {errors[:3]}")
    return count


def pyx12_context(path: Path) -> int:
    import pyx12.error_handler
    import pyx12.params
    import pyx12.x12context

    param = pyx12.params.params()
    errh = pyx12.error_handler.errh_null()
    with path.open("r", encoding="latin-1") as handle:
        reader = pyx12.x12context.X12ContextReader(param, errh, handle)
        return sum(1 for node in reader.iter_segments("2300"))


def pyx12_validate(path: Path) -> int:
    import pyx12.params
    import pyx12.x12n_document

    param = pyx12.params.params()
    with path.open("r", encoding="latin-1") as handle:
        ok = pyx12.x12n_document.x12n_document(param, handle, io.StringIO(), None)
    return int(bool(ok))  # 0: pyx12 reports IG errors (e.g. imsweb's unbalanced CLM02); it validated it all


def timed(reader, path: Path) -> tuple[float, int]:
    start = time.perf_counter()
    count = reader(path)
    return time.perf_counter() - start, count


def peak(reader, path: Path) -> int:
    tracemalloc.start()
    try:
        reader(path)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=50, help="size of the benchmark file in MB (default 50)")
    parser.add_argument("--slice-mb", type=float, default=1.0, help="slice for pyx12's map-based readers (default 1)")
    parser.add_argument("--memory-mb", type=float, default=4.0, help="1x size for the memory comparison (default 4)")
    args = parser.parse_args()
    logging.getLogger("pyx12").setLevel(logging.CRITICAL)

    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "bench.837"
        size, claims = build(big, args.mb)
        mb = size / 1e6
        print(f"benchmark file: {mb:.1f} MB, {claims:,} claims (real 837P samples repeated, fresh control numbers)")

        seconds, count = timed(ours, big)
        assert count == claims, (count, claims)
        rate_ours = mb / seconds
        print(f"read_837 (ours)                 {rate_ours:7.2f} MB/s  ({seconds:.1f} s, {count / seconds:,.0f} claims/s)")

        seconds, count = timed(pyx12_reader, big)
        assert count == claims, (count, claims)
        rate_reader = mb / seconds
        print(f"pyx12 X12Reader (no map)        {rate_reader:7.2f} MB/s  ({seconds:.1f} s)   ours is "
              f"{rate_ours / rate_reader:.1f}x")

        part = Path(tmp) / "slice.837"
        slice_mb = slice_of(big, part, args.slice_mb) / 1e6
        seconds, count = timed(pyx12_context, part)
        rate_context = slice_mb / seconds
        print(f"pyx12 X12ContextReader (map)    {rate_context:7.2f} MB/s  ({seconds:.1f} s on a {slice_mb:.2f} MB slice, "
              f"scaled)   ours is {rate_ours / rate_context:.1f}x")
        try:
            seconds, clean = timed(pyx12_validate, part)
        except Exception as exc:  # noqa: BLE001 - report and go on: the comparison above stands
            print(f"pyx12 x12n_document: not measured ({type(exc).__name__}: {exc})")
        else:
            rate_validate = slice_mb / seconds
            print(f"pyx12 x12n_document (validate)  {rate_validate:7.2f} MB/s  ({seconds:.1f} s on a {slice_mb:.2f} MB "
                  f"slice, scaled)   ours is {rate_ours / rate_validate:.1f}x"
                  f"{'' if clean else '  (it reports IG errors in the samples)'}")

        one, two = Path(tmp) / "1x.837", Path(tmp) / "2x.837"
        one_mb = slice_of(big, one, args.memory_mb) / 1e6
        two_mb = slice_of(big, two, 2 * args.memory_mb) / 1e6
        print(f"tracemalloc peak at {one_mb:.1f} MB / {two_mb:.1f} MB:")
        for name, reader in (("read_837 (ours)", ours), ("pyx12 X12Reader", pyx12_reader)):
            first, second = peak(reader, one), peak(reader, two)
            print(f"  {name:22} {first / 1e6:7.2f} MB / {second / 1e6:7.2f} MB")
        small = Path(tmp) / "small.837"
        small_mb = slice_of(big, small, args.slice_mb / 2) / 1e6
        first, second = peak(pyx12_context, small), peak(pyx12_context, part)
        print(f"  {'pyx12 X12ContextReader':22} {first / 1e6:7.2f} MB / {second / 1e6:7.2f} MB "
              f"(at {small_mb:.1f} MB / {slice_mb:.1f} MB)")


if __name__ == "__main__":
    main()
