"""The 837P reader never fails with anything but X12Error: random bytes and mutated real files."""

from __future__ import annotations

import io
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hitbenefit.claims.model import Claim
from hitbenefit.x12.read_837 import X12Error, read_837
from hitbenefit.x12.segments import Delimiters, Segment, iter_segments, render

DATA = Path(__file__).resolve().parents[1] / "data/x12"
SAMPLES = [DATA / "linuxforhealth-x12/837_005010X222A2" / name for name in
           ("demo.drug.example10.3.837", "demo.cob.example3.C.837", "demo.example7.837", "drug-in-office.837")]
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def read(data: bytes | str) -> list[Claim] | X12Error:
    """Claims, or the X12Error; any other exception fails the test."""
    stream = io.BytesIO(data) if isinstance(data, bytes) else io.StringIO(data)
    try:
        claims = list(read_837(stream, "fuzz.837"))
    except X12Error as exc:
        assert str(exc).startswith("fuzz.837")
        return exc
    for claim in claims:
        assert isinstance(claim, Claim) and claim.lines
        assert len({line.line for line in claim.lines}) == len(claim.lines)
        for line in claim.lines:
            assert line.charge >= 0 and line.charge.as_tuple().exponent == -2
            assert 1966 <= line.service_date.year <= 2199
    return claims


def _segments(path: Path) -> tuple[list[Segment], Delimiters]:
    with path.open("rb") as handle:
        found = list(iter_segments(handle, path.name))
    return [s for s, _ in found], found[0][1]


PARSED = [_segments(path) for path in SAMPLES]
VALID_ISA = SAMPLES[0].read_bytes()[:106]


@FUZZ
@given(st.binary(max_size=2000))
def test_any_bytes(data):
    read(data)


@FUZZ
@given(st.binary(max_size=1500))
def test_any_bytes_after_a_valid_isa(data):
    read(VALID_ISA + data)


@FUZZ
@given(st.text(alphabet="ISAGSTEHLNMCXV0123456789*:~^ \n", max_size=1500))
def test_x12_looking_text(text):
    read(text)


mutation = st.one_of(
    st.tuples(st.just("drop"), st.integers(0, 200)),
    st.tuples(st.just("duplicate"), st.integers(0, 200)),
    st.tuples(st.just("swap"), st.integers(0, 200)),
    st.tuples(st.just("element"), st.integers(0, 200), st.integers(0, 12),
              st.sampled_from(["", "0", "X", "1.234", "-5", "99999999999999999999", "20250231", "HC", "RD8",
                               "20250101-20241231", "ZZ", "*", ":"])),
)


def _mutate(found: list[Segment], change: tuple) -> list[Segment]:
    found = list(found)
    at = change[1] % len(found)
    if change[0] == "drop":
        del found[at]
    elif change[0] == "duplicate":
        found.insert(at, found[at])
    elif change[0] == "swap":
        other = (at + 1) % len(found)
        found[at], found[other] = found[other], found[at]
    else:
        _, _, n, value = change
        s = found[at]
        if s.id != "ISA":
            elements = list(s.elements) + [""] * max(0, n + 1 - len(s.elements))
            elements[n] = value
            found[at] = Segment(s.id, tuple(elements))
    return found


@FUZZ
@given(st.integers(0, len(SAMPLES) - 1), st.lists(mutation, min_size=1, max_size=4), st.booleans())
def test_mutated_real_files(sample, changes, line_breaks):
    found, delimiters = PARSED[sample]
    for change in changes:
        found = _mutate(found, change)
    read(render(found, delimiters, line_breaks=line_breaks))


@FUZZ
@given(st.integers(0, len(SAMPLES) - 1), st.integers(0, 3000))
def test_truncated_real_files(sample, cut):
    data = SAMPLES[sample].read_bytes()
    result = read(data[:cut % len(data)])
    assert isinstance(result, X12Error) or result == []


@FUZZ
@given(st.integers(0, len(SAMPLES) - 1),
       st.sampled_from(["|", "!", "*", "^", "~", ":", "\n", "A", " ", "{", "1"]),
       st.sampled_from(["|", "!", "*", "^", "~", ":", "\n", "A", " ", "}", ">"]),
       st.sampled_from(["|", "!", "*", "^", "~", ":", "\n", "A", " ", "'", "\r"]))
def test_other_delimiters(sample, element, component, segment):
    data = SAMPLES[sample].read_text()
    swapped = data.replace("*", "\x00").replace(":", "\x01").replace("~", "\x02")
    swapped = swapped.replace("\x00", element).replace("\x01", component).replace("\x02", segment)
    read(swapped)
    read(swapped.encode("latin-1"))
