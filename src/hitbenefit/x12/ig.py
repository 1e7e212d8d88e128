"""Implementation-guide maps (pyx12's map XML, read as data) loaded into a compact, cached structure.

A map is a tree of loops and segments; each segment lists its elements (simple or composite) by
position, with usage (R required, S situational, N not used), the data element's type and
lengths from ``dataele.xml`` and the valid codes (listed in the map, or an ``external`` code set
from ``codes.xml``). Loops know, for each segment id, which of their children can start with it,
so the validator finds the next map node without scanning.

Files: ``maps/837.5010.X222.A1.xml`` (837P), ``maps/835.5010.X221.A1.xml`` (835); see
``maps/README.md`` for their origin and licence. Nothing here is pyx12 code.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

MAPS = Path(__file__).resolve().parent / "maps"
UNBOUNDED = 1 << 30

#: transaction set (ST01) -> (map file, implementation guide versions it validates, display name)
MAP_FILES = {
    "837": ("837.5010.X222.A1.xml", "005010X222A1", "837P Health Care Claim: Professional (005010X222A1)"),
    "835": ("835.5010.X221.A1.xml", "005010X221A1", "835 Health Care Claim Payment/Advice (005010X221A1)"),
}


@dataclass(slots=True)
class ElementDef:
    ref: str            # "NM108", or "CLM05-01" for a component
    name: str
    usage: str          # R / S / N
    seq: int
    data_ele: str
    data_type: str      # AN ID N0 N2 R DT TM ('' when unknown)
    min_len: int
    max_len: int
    codes: frozenset[str] | None = None    # the map's own list (None: no list)
    external: str | None = None            # codes.xml code set id
    external_codes: frozenset[str] | None = None  # None: external list not available (not checked)
    regex: re.Pattern | None = None
    repeat: int = 1
    numeric: bool = False       # R / N*: length counts digits only
    text: bool = False          # AN / ID

    def __post_init__(self) -> None:
        self.numeric = self.data_type == "R" or self.data_type.startswith("N")
        self.text = self.data_type in ("AN", "ID")


@dataclass(slots=True)
class CompositeDef:
    ref: str
    name: str
    usage: str
    seq: int
    data_ele: str
    components: list[ElementDef]
    repeat: int = 1


@dataclass(slots=True)
class SyntaxRule:
    kind: str               # P R C E L
    positions: tuple[int, ...]

    def describe(self, segment_id: str) -> str:
        refs = [f"{segment_id}{p:02d}" for p in self.positions]
        if self.kind == "P":
            return f"{', '.join(refs)} must be sent together (all or none)"
        if self.kind == "R":
            return f"at least one of {', '.join(refs)} is required"
        if self.kind == "E":
            return f"only one of {', '.join(refs)} may be sent"
        if self.kind == "C":
            return f"when {refs[0]} is sent, {', '.join(refs[1:])} must be sent too"
        return f"when {refs[0]} is sent, at least one of {', '.join(refs[1:])} must be sent too"

    def broken(self, present: set[int]) -> bool:
        found = [p in present for p in self.positions]
        if self.kind == "P":
            return any(found) and not all(found)
        if self.kind == "R":
            return not any(found)
        if self.kind == "E":
            return sum(found) > 1
        if self.kind == "C":
            return found[0] and not all(found[1:])
        if self.kind == "L":
            return found[0] and not any(found[1:])
        return False


@dataclass(slots=True, eq=False)
class SegmentDef:
    id: str
    name: str
    usage: str
    pos: int
    max_use: int
    elements: list[ElementDef | CompositeDef | None]   # index 0 is element 01
    syntax: list[SyntaxRule]
    # how to tell this segment from others with the same id at the same place: (element, codes)
    key: tuple[int, int, frozenset[str]] | None = None   # (element number, component index or -1, codes)
    items: tuple = ()       # (index, definition) of the defined elements, in order

    def matches(self, elements: tuple[str, ...], component: str) -> bool:
        if self.key is None:
            return True
        number, comp, codes = self.key
        value = elements[number - 1] if number <= len(elements) else ""
        if comp >= 0:
            value = value.split(component)[comp] if value else ""
        return value in codes


@dataclass(slots=True, eq=False)
class LoopDef:
    id: str
    name: str
    usage: str
    pos: int
    max_repeat: int
    wrapper: bool
    children: list["LoopDef | SegmentDef"] = field(default_factory=list)
    #: segment id -> indexes of children that can start with it (segments, or loops entered by it)
    starts: dict[str, tuple[int, ...]] = field(default_factory=dict)
    #: index of the first child sharing a child's position (scanning starts there, as repeats may share a pos)
    pos_start: list[int] = field(default_factory=list)
    required: tuple[int, ...] = ()
    entry: frozenset[str] = frozenset()   # segment ids that can start this loop

    @property
    def label(self) -> str:
        return f"{self.id} {self.name}"

    def first_segment(self) -> SegmentDef | None:
        first = self.children[0] if self.children else None
        return first if isinstance(first, SegmentDef) else None

    def entry_ids(self) -> set[str]:
        first = self.children[0] if self.children else None
        if isinstance(first, SegmentDef):
            return {first.id}
        ids: set[str] = set()
        for child in self.children:
            if isinstance(child, LoopDef):
                ids |= child.entry_ids()
        return ids


@dataclass(slots=True)
class TransactionMap:
    file: str
    version: str            # GS08 / ST03 the map is for
    title: str
    transaction: LoopDef    # ST_LOOP: ST ... SE
    envelope: dict[str, SegmentDef]   # ISA GS GE IEA (and ST SE)


def _repeat(text: str | None) -> int:
    if not text:
        return 1
    text = text.strip()
    return UNBOUNDED if text.startswith(">") or text.startswith("&gt;") else int(text)


@lru_cache(maxsize=None)
def data_elements() -> dict[str, tuple[str, int, int, str]]:
    """``dataele.xml``: data element number -> (type, min length, max length, name)."""
    root = ET.parse(MAPS / "dataele.xml").getroot()
    return {e.get("ele_num"): (e.get("data_type") or "", int(e.get("min_len") or 0),
                               int(e.get("max_len") or 0), e.get("name") or "")
            for e in root.iter("data_ele")}


@lru_cache(maxsize=None)
def code_sets() -> dict[str, frozenset[str]]:
    """``codes.xml``: code set id (``states``, ``pos`` ...) -> its codes."""
    root = ET.parse(MAPS / "codes.xml").getroot()
    return {cs.findtext("id"): frozenset(c.text.strip() for c in cs.iter("code") if c.text)
            for cs in root.iter("codeset")}


def _element(node: ET.Element, ref: str) -> ElementDef:
    number = (node.findtext("data_ele") or "").strip()
    data_type, min_len, max_len, _ = data_elements().get(number, ("", 0, 1 << 20, ""))
    codes = external = external_codes = None
    valid = node.find("valid_codes")
    if valid is not None:
        listed = frozenset(c.text.strip() for c in valid.iter("code") if c.text)
        codes = listed or None
        external = valid.get("external")
        if external:
            external_codes = code_sets().get(external)
    regex = node.findtext("regex")
    return ElementDef(ref, (node.findtext("name") or "").strip(), (node.findtext("usage") or "S").strip(),
                      int(node.findtext("seq") or 0), number, data_type, min_len, max_len, codes, external,
                      external_codes, re.compile(regex) if regex else None, _repeat(node.findtext("repeat")))


def _segment(node: ET.Element) -> SegmentDef:
    seg_id = node.get("xid")
    elements: list[ElementDef | CompositeDef | None] = []
    for child in node:
        if child.tag not in ("element", "composite"):
            continue
        seq = int(child.findtext("seq") or len(elements) + 1)
        ref = f"{seg_id}{seq:02d}"
        if child.tag == "element":
            item: ElementDef | CompositeDef = _element(child, ref)
        else:
            components = [_element(sub, f"{ref}-{i:02d}")
                          for i, sub in enumerate((s for s in child if s.tag == "element"), start=1)]
            item = CompositeDef(ref, (child.findtext("name") or "").strip(), (child.findtext("usage") or "S").strip(),
                                seq, (child.findtext("data_ele") or "").strip(), components,
                                _repeat(child.findtext("repeat")))
        while len(elements) < seq - 1:
            elements.append(None)
        elements.append(item)
    syntax = []
    for rule in node.findall("syntax"):
        text = (rule.text or "").strip()
        digits = text[1:]
        syntax.append(SyntaxRule(text[0], tuple(int(digits[i:i + 2]) for i in range(0, len(digits), 2))))
    segment = SegmentDef(seg_id, (node.findtext("name") or "").strip(), (node.findtext("usage") or "S").strip(),
                         int(node.findtext("pos") or 0), _repeat(node.findtext("max_use")), elements, syntax)
    segment.key = _key(segment)
    segment.items = tuple((i, d) for i, d in enumerate(elements) if d is not None)
    return segment


def _key(segment: SegmentDef) -> tuple[int, int, frozenset[str]] | None:
    """What tells this segment apart: a required ID first element with listed codes (NM101 = 85),
    the first component of a required first composite, or HL03 (the hierarchical level code)."""
    first = segment.elements[0] if segment.elements else None
    if isinstance(first, ElementDef) and first.usage == "R" and first.data_type == "ID" and first.codes:
        return (1, -1, first.codes)
    if isinstance(first, CompositeDef) and first.usage == "R" and first.components:
        sub = first.components[0]
        if sub.data_type == "ID" and sub.codes:
            return (1, 0, sub.codes)
    if segment.id == "HL" and len(segment.elements) >= 3:
        third = segment.elements[2]
        if isinstance(third, ElementDef) and third.codes:
            return (3, -1, third.codes)
    return None


def _loop(node: ET.Element) -> LoopDef:
    loop = LoopDef(node.get("xid"), (node.findtext("name") or "").strip(), (node.findtext("usage") or "S").strip(),
                   int(node.findtext("pos") or 0), _repeat(node.findtext("repeat")), node.get("type") == "wrapper")
    for child in node:
        if child.tag == "segment":
            loop.children.append(_segment(child))
        elif child.tag == "loop":
            loop.children.append(_loop(child))
    starts: dict[str, list[int]] = {}
    for index, child in enumerate(loop.children):
        for seg_id in ({child.id} if isinstance(child, SegmentDef) else child.entry_ids()):
            starts.setdefault(seg_id, []).append(index)
        same = index
        while same > 0 and loop.children[same - 1].pos == child.pos:
            same -= 1
        loop.pos_start.append(same)
    loop.starts = {k: tuple(v) for k, v in starts.items()}
    loop.entry = frozenset(loop.entry_ids())
    loop.required = tuple(i for i, c in enumerate(loop.children) if c.usage == "R")
    return loop


@lru_cache(maxsize=None)
def load_map(transaction_set: str) -> TransactionMap | None:
    """The map for a transaction set id (``"837"``, ``"835"``), parsed once per process; None if none."""
    if transaction_set not in MAP_FILES:
        return None
    file, version, title = MAP_FILES[transaction_set]
    root = ET.parse(MAPS / file).getroot()
    isa_loop = root.find("loop[@xid='ISA_LOOP']")
    gs_loop = isa_loop.find("loop[@xid='GS_LOOP']")
    st_loop = gs_loop.find("loop[@xid='ST_LOOP']")
    envelope = {s.get("xid"): _segment(s) for s in (*isa_loop.findall("segment"), *gs_loop.findall("segment"))}
    transaction = _loop(st_loop)
    for child in transaction.children:
        if isinstance(child, SegmentDef):
            envelope[child.id] = child
    return TransactionMap(file, version, title, transaction, envelope)
