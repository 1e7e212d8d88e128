"""The X12 tokenizer on the real samples: delimiters from the ISA, positions, and broken envelopes."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from hitbenefit.x12.segments import Delimiters, Segment, X12Error, iter_segments, render

DATA = Path(__file__).resolve().parents[1] / "data/x12"


def segments(text: str | bytes, **kw) -> list[Segment]:
    stream = io.BytesIO(text) if isinstance(text, bytes) else io.StringIO(text)
    return [segment for segment, _ in iter_segments(stream, "t.837", **kw)]


def test_reads_the_declared_delimiters_and_counts_segments():
    path = DATA / "imsweb-x12-parser/837_5010/x12_valid_different_separators.txt"
    with path.open("rb") as handle:
        found = list(iter_segments(handle, path.name))
    assert found[0][1] == Delimiters(element="~", component="^", repetition="", segment="_")
    assert [s.id for s, _ in found[:3]] == ["ISA", "GS", "ST"]
    assert found[-1][0].id == "IEA" and found[-1][0].position == len(found)


def test_same_segments_with_or_without_line_breaks_and_across_chunk_edges(monkeypatch):
    path = DATA / "linuxforhealth-x12/837_005010X222A2/demo.drug.example10.3.837"
    text = path.read_text()
    flat = segments(text.replace("\n", "").replace("\r", ""))
    monkeypatch.setattr("hitbenefit.x12.segments.CHUNK", 7)
    assert segments(text.replace("~", "~\r\n")) == flat
    clm = next(s for s in flat if s.id == "CLM")
    assert clm.get(1) and clm.components(5, Delimiters())[0] == "12"


def test_render_round_trips():
    path = DATA / "linuxforhealth-x12/837_005010X222A2/demo.example1.837"
    original = segments(path.read_text())
    again = segments(render(original, Delimiters(component=":", repetition="^")))

    def trimmed(found):
        out = []
        for s in found:
            elements = list(s.elements)
            while elements and elements[-1] == "":
                elements.pop()
            out.append((s.id, tuple(elements), s.position))
        return out

    assert trimmed(again) == trimmed(original)


@pytest.mark.parametrize("name, says", [
    ("x12_bad_first_line.txt", "segment 1 (ISA): ISA02 is 9 characters, the fixed width is 10"),
    ("x12_no_isa_line.txt", "segment 1 (GS): the file does not start with an ISA segment"),
    ("x12_bad_segment_identifier.txt", "segment 6: '' is not a segment id"),
])
def test_broken_envelopes_name_the_segment(name, says):
    path = DATA / "imsweb-x12-parser/837_5010" / name
    with pytest.raises(X12Error) as caught, path.open("rb") as handle:
        list(iter_segments(handle, name))
    assert str(caught.value).startswith(f"{name}, {says}")


def test_a_transaction_without_envelope_reads_when_allowed():
    path = DATA / "edi-835-parser/blue_cross_nc_sample.835.txt"
    with pytest.raises(X12Error):
        segments(path.read_bytes())
    found = segments(path.read_bytes(), envelope=False)
    assert found[0].id == "ST" and found[-1].id == "SE"


def test_a_file_cut_inside_a_segment_is_an_error():
    path = DATA / "imsweb-x12-parser/837_5010/x12_valid.txt"
    text = path.read_text().rstrip().rstrip("~")[:-3]
    with pytest.raises(X12Error, match="ends inside a segment"):
        segments(text)
