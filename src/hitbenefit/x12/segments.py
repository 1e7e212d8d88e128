"""X12 segments: read them from a stream with the delimiters the ISA declares, and write them back.

Streaming: the reader holds one chunk of input and the segment being cut, never the file, so any
file size reads in bounded memory. Positions count segments from 1 across the whole file, the
way X12 acknowledgements and people name a place in a file ("segment 12 (CLM)").
ISA is fixed-width (106 characters): the element separator is its 4th character, the repetition
separator ISA11, the component separator ISA16 and the segment terminator the character after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import IO, Iterable, Iterator

ISA_LENGTH = 106
ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)
CHUNK = 1 << 20


class X12Error(ValueError):
    """Unreadable X12; ``str()`` names the file, the segment number and id, and what is wrong."""

    def __init__(self, problem: str, source: str = "<input>", position: int | None = None,
                 segment_id: str | None = None) -> None:
        self.problem, self.source, self.position, self.segment_id = problem, source, position, segment_id
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.source
        if self.position is not None:
            where += f", segment {self.position}"
            if self.segment_id:
                where += f" ({self.segment_id})"
        return f"{where}: {self.problem}"


@dataclass(frozen=True, slots=True)
class Delimiters:
    element: str = "*"
    component: str = ":"
    repetition: str = "^"
    segment: str = "~"

    @classmethod
    def from_isa(cls, text: str, source: str = "<input>") -> "Delimiters":
        """Read the delimiters from the start of an interchange, and check the ISA's fixed widths."""
        if not text.startswith("ISA") or len(text) < 4:
            raise X12Error("the file does not start with an ISA segment", source, 1, _leading_id(text))
        element = text[3]
        if element.isalnum() or element.isspace():
            raise X12Error(f"ISA declares an unusable element separator {element!r}", source, 1, "ISA")
        fields, at = [], 4
        for width in ISA_WIDTHS:
            end = text.find(element, at) if len(fields) < 15 else at + 1
            if end < 0 or end > len(text):
                raise X12Error(f"the ISA segment is cut short after ISA{len(fields):02d}", source, 1, "ISA")
            fields.append(text[at:end])
            at = end + 1
        for number, (found, width) in enumerate(zip(fields, ISA_WIDTHS), start=1):
            if len(found) != width:
                raise X12Error(f"ISA{number:02d} is {len(found)} characters, the fixed width is {width} "
                               f"(ISA is always {ISA_LENGTH} characters)", source, 1, "ISA")
        component, repetition = fields[15], fields[10]
        segment = text[ISA_LENGTH - 1] if len(text) >= ISA_LENGTH else ""
        if not segment or len({element, component, segment}) < 3 or segment.isalnum():
            raise X12Error(f"ISA declares unusable delimiters: element {element!r}, component {component!r}, "
                           f"segment {segment!r}", source, 1, "ISA")
        if repetition in (element, component, segment, " ") or repetition.isalnum():
            repetition = ""  # 004010 files carry the standards identifier 'U' here
        return cls(element, component, repetition, segment)

    @classmethod
    def guess(cls, text: str, source: str = "<input>") -> "Delimiters":
        """Delimiters of a transaction sent without its ISA/GS envelope (it starts with ST)."""
        element = text[2] if len(text) > 2 else ""
        if not text.startswith("ST") or not element or element.isalnum() or element.isspace():
            raise X12Error("the file starts neither with an ISA segment nor with ST", source, 1, _leading_id(text))
        for char in text[3:]:
            if not (char.isalnum() or char in (element, " ")):
                return cls(element, ":" if char != ":" else ">", "", char)
        raise X12Error("no segment terminator found", source, 1, "ST")


@dataclass(frozen=True, slots=True)
class Segment:
    """One segment: its id, its elements (``elements[0]`` is the first after the id) and its place."""

    id: str
    elements: tuple[str, ...]
    position: int = 0

    def get(self, n: int, default: str = "") -> str:
        """Element ``n`` counted as X12 does (``CLM01`` is ``get(1)``), or ``default`` when absent."""
        return self.elements[n - 1] if 0 < n <= len(self.elements) else default

    def components(self, n: int, delimiters: Delimiters) -> list[str]:
        """The components of element ``n`` (``SV101-1``, ``SV101-2`` ... are ``components(1)[0]``, ``[1]``)."""
        return self.get(n).split(delimiters.component)

    def render(self, delimiters: Delimiters) -> str:
        """The segment as text, trailing empty elements dropped, with its terminator."""
        elements = list(self.elements)
        while elements and elements[-1] == "":
            elements.pop()
        return delimiters.element.join((self.id, *elements)) + delimiters.segment


def _leading_id(text: str) -> str | None:
    found = re.match(r"[A-Z0-9]{2,3}", text)
    return found.group(0) if found else None


def _read_text(stream: IO) -> Iterator[str]:
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            return
        yield chunk.decode("latin-1") if isinstance(chunk, bytes) else chunk


def iter_segments(stream: IO, source: str = "<input>",
                  envelope: bool = True) -> Iterator[tuple[Segment, Delimiters]]:
    """Every segment of an X12 stream (text or bytes) with the delimiters in force, in order.

    With ``envelope=False`` a transaction sent without ISA/GS (starting with ST) is read too.
    """
    chunks = _read_text(stream)
    buffer = ""
    for chunk in chunks:
        buffer += chunk
        if len(buffer.lstrip()) >= ISA_LENGTH:
            break
    buffer = buffer.lstrip("\ufeff \t\r\n")
    if not buffer:
        raise X12Error("the file is empty", source)
    if buffer.startswith("ISA") or envelope:
        delimiters = Delimiters.from_isa(buffer[:ISA_LENGTH + 2 * CHUNK], source)
    else:
        delimiters = Delimiters.guess(buffer[:CHUNK], source)
    terminator, element = delimiters.segment, delimiters.element
    position = 0
    known_ids: set[str] = set()
    carry = buffer
    while True:
        chunk = next(chunks, None)
        if chunk is not None:
            carry += chunk
        pieces = carry.split(terminator)
        carry = pieces.pop()  # the unfinished segment, if any, waits for the next chunk
        for piece in pieces:
            text = piece.strip()
            if not text:
                continue
            position += 1
            parts = text.split(element)
            segment_id = parts[0]
            if segment_id not in known_ids:
                if not (2 <= len(segment_id) <= 3 and (segment_id.isalnum() and segment_id.isupper()
                                                       or segment_id.isdigit())):
                    raise X12Error(f"{segment_id[:20]!r} is not a segment id", source, position, segment_id[:3] or None)
                known_ids.add(segment_id)
            if segment_id == "ISA" and position > 1:
                found = Delimiters.from_isa(text + terminator, source) if len(text) == ISA_LENGTH - 1 else None
                if found != delimiters:
                    raise X12Error("a later interchange declares other delimiters than the first", source, position,
                                   "ISA")
            yield Segment(segment_id, tuple(parts[1:]), position), delimiters
        if chunk is None:
            break
    rest = carry.strip()
    if rest:
        raise X12Error(f"the file ends inside a segment without its terminator {terminator!r}: {rest[:40]!r}",
                       source, position + 1, rest.split(element, 1)[0][:3])


def render(segments: Iterable[Segment], delimiters: Delimiters, line_breaks: bool = True) -> str:
    """Segments as X12 text, one a line when ``line_breaks`` (readers ignore the breaks)."""
    separator = "\n" if line_breaks else ""
    return separator.join(segment.render(delimiters) for segment in segments) + separator
