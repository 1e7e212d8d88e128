"""Structural validation of X12 837P (005010X222A1) and 835 (005010X221A1) files against the
implementation-guide maps in ``maps/`` (loaded by ``ig.py``).

One pass over ``iter_segments``; memory is the loop stack plus the findings kept (at most
``max_findings``; the counts stay exact). Checks:

* envelope: ISA/IEA control numbers and group count, GS/GE control numbers and transaction count,
  ST/SE control numbers and segment count, unique control numbers, trailers present;
* the map for each transaction, chosen by ST01 and ST03/GS08 (837 -> 005010X222A1, also used
  for 005010X222A2 with a warning; 835 -> 005010X221A1; anything else: a "no map" error);
* segments and loops in the order and nesting of the map (a loop is entered by its first segment,
  told apart by the map's code values, e.g. NM101 = 85, HL03 = 20), segment max use, loop
  repeats, required (usage R) segments and loops, not-used (N) segments and elements;
* elements: required present, type (AN ID N0 N2 R DT TM) and min/max length from
  ``dataele.xml``, codes listed in the map or in ``codes.xml`` (external lists that are not in
  ``codes.xml``, like HCPCS, CPT, ICD-10, NPI, are NOT checked), composites and their components,
  the segment syntax rules (paired, required, exclusive, conditional, list conditional);
* HL01 numbering and HL02 parents.

A broken envelope the tokenizer cannot read (``X12Error``) becomes one fatal finding.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import IO

from hitbenefit.x12.ig import CompositeDef, ElementDef, LoopDef, SegmentDef, TransactionMap, load_map
from hitbenefit.x12.segments import Delimiters, Segment, X12Error, iter_segments

ERROR, WARNING = "error", "warning"
CLEAN_CACHE = 20000   # segments remembered as valid (bounded memory; repeats in bulk files skip re-checking)
#: versions validated with a map made for another version: (transaction set, version) -> map version
NEAR_VERSIONS = {("837", "005010X222A2"): "005010X222A1"}
CLAIM_SEGMENT = {"837": "CLM", "835": "CLP"}
ENVELOPE = frozenset({"ISA", "IEA", "GS", "GE", "ST", "SE"})
# X12 basic + extended character set (5010), as in the implementation guides' appendix A
_BAD_CHAR = re.compile(r"""[^A-Za-z0-9!"&'()*+,\-./:;?= %~@\[\]_{}\\|<>^`#$]""")
_INTEGER = re.compile(r"-?[0-9]+\Z")
_DECIMAL = re.compile(r"-?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)\Z")
_DIGITS = re.compile(r"[0-9]+\Z")
TYPE_WORDS = {"AN": "text", "ID": "a code", "N0": "a whole number", "N2": "a number with 2 implied decimals",
              "R": "a decimal number", "DT": "a date", "TM": "a time"}


@dataclass(slots=True)
class Finding:
    """One problem: where (segment number counted from 1 across the file, segment id, loop,
    element), what is wrong in words, and what the implementation guide expects."""

    severity: str
    segment: int | None
    segment_id: str | None
    loop: str | None
    element: str | None
    message: str
    expected: str | None = None
    code: str = ""
    fatal: bool = False

    def __str__(self) -> str:
        where = []
        if self.segment is not None:
            where.append(f"segment {self.segment}")
        if self.segment_id:
            where.append(self.segment_id)
        if self.loop:
            where.append(f"({self.loop})")
        head = " ".join(where)
        if self.element:
            head = f"{head} {self.element}" if head else self.element
        return f"{head}: {self.message}" if head else self.message


@dataclass
class ValidationReport:
    source: str
    findings: list[Finding] = field(default_factory=list)
    transactions: int = 0
    claims: int = 0
    segments: int = 0
    maps: list[str] = field(default_factory=list)
    error_count: int = 0
    warning_count: int = 0
    max_findings: int = 1000

    @property
    def valid(self) -> bool:
        return self.error_count == 0

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]

    @property
    def fatal(self) -> bool:
        return any(f.fatal for f in self.findings)

    @property
    def omitted(self) -> int:
        return self.error_count + self.warning_count - len(self.findings)

    def add(self, finding: Finding) -> None:
        if finding.severity == ERROR:
            self.error_count += 1
        else:
            self.warning_count += 1
        if len(self.findings) < self.max_findings:
            self.findings.append(finding)

    def to_dict(self) -> dict:
        return {"source": self.source, "valid": self.valid, "errors": self.error_count,
                "warnings": self.warning_count, "transactions": self.transactions, "claims": self.claims,
                "segments": self.segments, "maps": self.maps, "findings_omitted": self.omitted,
                "findings": [asdict(f) for f in self.findings]}


def _codes_text(codes, limit: int = 12) -> str:
    ordered = sorted(codes)
    shown = ", ".join(ordered[:limit])
    return shown if len(ordered) <= limit else f"{shown} ... ({len(ordered)} codes)"


def _is_date(value: str) -> bool:
    if len(value) not in (6, 8) or not _DIGITS.match(value):
        return False
    if len(value) == 6:
        value = ("20" if int(value[:2]) < 50 else "19") + value
    year, month, day = int(value[:4]), int(value[4:6]), int(value[6:8])
    if year < 1800 or not 1 <= month <= 12:
        return False
    if month == 2:
        days = 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    else:
        days = 30 if month in (4, 6, 9, 11) else 31
    return 1 <= day <= days


def _is_time(value: str) -> bool:
    if len(value) not in (4, 6, 7, 8) or not _DIGITS.match(value):
        return False
    return value[:2] <= "23" and value[2:4] <= "59" and (len(value) == 4 or value[4:6] <= "59")


class _Frame:
    __slots__ = ("loop", "at", "counts", "parent_index", "flagged")

    def __init__(self, loop: LoopDef, at: int, parent_index: int) -> None:
        self.loop, self.at, self.parent_index = loop, at, parent_index
        self.counts = [0] * len(loop.children)
        self.counts[at] = 1
        self.flagged: set[int] = set()


def _label(loop: LoopDef) -> str | None:
    return None if loop.wrapper or loop.id == "ST_LOOP" else loop.label


class _Validator:
    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        self.default_map = load_map("837")
        self.isa: Segment | None = None
        self.isa_ids: set[str] = set()
        self.groups = 0
        self.gs: Segment | None = None
        self.gs_ids: set[str] = set()
        self.gs_map: TransactionMap | None = None
        self.sets = 0
        self.st: Segment | None = None
        self.st_ids: set[str] = set()
        self.st_map: TransactionMap | None = None
        self.st_segments = 0
        self.stack: list[_Frame] = []
        self.claim_id = ""
        self.hl_count = 0
        self.hl_stack: list[int] = []
        self.delimiters = Delimiters()
        self.clean: set[tuple] = set()

    # -- findings -------------------------------------------------------------------------------
    def error(self, seg: Segment | None, message: str, *, loop: str | None = None, element: str | None = None,
              expected: str | None = None, code: str = "", severity: str = ERROR, position: int | None = None,
              segment_id: str | None = None) -> None:
        self.report.add(Finding(severity, seg.position if seg else position, seg.id if seg else segment_id,
                                loop, element, message, expected, code))

    def current_loop(self) -> str | None:
        for frame in reversed(self.stack):
            label = _label(frame.loop)
            if label:
                return label
        return None

    # -- per segment ----------------------------------------------------------------------------
    def segment(self, seg: Segment, delimiters: Delimiters) -> None:
        self.delimiters = delimiters
        self.report.segments += 1
        if seg.elements and seg.elements[-1] == "" and seg.id != "ISA":
            self.error(seg, "the segment ends with empty elements (trailing element separators); "
                            "drop them", code="trailing-separator", loop=self.current_loop())
        handler = getattr(self, "_" + seg.id.lower(), None) if seg.id in ENVELOPE else None
        if handler:
            handler(seg)
        else:
            self.body(seg)

    def _isa(self, seg: Segment) -> None:
        if self.isa is not None:
            self.error(seg, f"interchange {self.isa.get(13)} has no IEA trailer before this ISA", code="missing-trailer",
                       expected="IEA")
            self._close_group(seg)
        self.isa, self.groups, self.gs_ids = seg, 0, set()
        control = seg.get(13)
        if control in self.isa_ids:
            self.error(seg, f"interchange control number {control} is used twice in the file", element="ISA13",
                       code="duplicate-control-number")
        self.isa_ids.add(control)
        self.check_elements(seg, self.default_map.envelope["ISA"], None, skip_codes={"ISA11"})
        # in 005010 ISA11 is the repetition separator (the map still lists 004010's 'U')
        if seg.get(12) == "00501" and not self.delimiters.repetition:
            self.error(seg, f"ISA11 {seg.get(11)!r} is not a usable repetition separator", element="ISA11",
                       code="repetition-separator", expected="one special character, e.g. '^'", severity=WARNING)

    def _iea(self, seg: Segment) -> None:
        if self.isa is None:
            self.error(seg, "IEA without an ISA", code="envelope")
            return
        self._close_group(seg)
        self.check_elements(seg, self.default_map.envelope["IEA"], None)
        if seg.get(1) != str(self.groups) and seg.get(1).lstrip("0") != str(self.groups):
            self.error(seg, f"IEA01 says {seg.get(1) or 'nothing'} functional groups; the interchange has {self.groups}",
                       element="IEA01", expected=str(self.groups), code="count")
        if seg.get(2) != self.isa.get(13):
            self.error(seg, f"IEA02 {seg.get(2)!r} does not match ISA13 {self.isa.get(13)!r}", element="IEA02",
                       expected=self.isa.get(13), code="control-number")
        self.isa = None

    def _close_group(self, seg: Segment) -> None:
        if self.gs is not None:
            self.error(seg, f"functional group {self.gs.get(6)} has no GE trailer", code="missing-trailer",
                       expected="GE")
            self._close_set(seg)
            self.gs = None

    def _close_set(self, seg: Segment) -> None:
        if self.st is not None:
            self.error(seg, f"transaction {self.st.get(2)} has no SE trailer", code="missing-trailer", expected="SE")
            self.st, self.stack = None, []

    def _gs(self, seg: Segment) -> None:
        if self.isa is None:
            self.error(seg, "GS outside an interchange (no ISA before it)", code="envelope")
        self._close_group(seg)
        self.gs, self.sets, self.st_ids = seg, 0, set()
        self.groups += 1
        control = seg.get(6)
        if control in self.gs_ids:
            self.error(seg, f"group control number {control} is used twice in the interchange", element="GS06",
                       code="duplicate-control-number")
        self.gs_ids.add(control)
        version = seg.get(8)
        self.gs_map = (load_map("837") if version.startswith("005010X222") else
                       load_map("835") if version.startswith("005010X221") else
                       load_map("835") if seg.get(1) == "HP" else self.default_map)
        known = version.startswith(("005010X222", "005010X221"))
        self.check_elements(seg, self.gs_map.envelope["GS"], None,
                            skip_codes={"GS08"} if known else {"GS01", "GS08"})

    def _ge(self, seg: Segment) -> None:
        if self.gs is None:
            self.error(seg, "GE without a GS", code="envelope")
            return
        self._close_set(seg)
        self.check_elements(seg, self.gs_map.envelope["GE"], None)
        if seg.get(1) != str(self.sets):
            self.error(seg, f"GE01 says {seg.get(1) or 'nothing'} transactions; the group has {self.sets}",
                       element="GE01", expected=str(self.sets), code="count")
        if seg.get(2) != self.gs.get(6):
            self.error(seg, f"GE02 {seg.get(2)!r} does not match GS06 {self.gs.get(6)!r}", element="GE02",
                       expected=self.gs.get(6), code="control-number")
        self.gs = None

    def _st(self, seg: Segment) -> None:
        if self.gs is None:
            self.error(seg, "ST outside a functional group (no GS before it)", code="envelope")
        self._close_set(seg)
        self.st, self.st_segments, self.hl_count, self.hl_stack = seg, 1, 0, []
        self.sets += 1
        self.report.transactions += 1
        control = seg.get(2)
        if control in self.st_ids:
            self.error(seg, f"transaction control number {control} is used twice in the group", element="ST02",
                       code="duplicate-control-number")
        self.st_ids.add(control)
        kind = seg.get(1)
        version = seg.get(3) or (self.gs.get(8) if self.gs else "")
        tmap = load_map(kind)
        if tmap is not None and version != tmap.version:
            if NEAR_VERSIONS.get((kind, version)) == tmap.version:
                self.error(seg, f"implementation guide {version} is validated against the {tmap.version} map "
                                f"(the differences are not checked)", element="ST03" if seg.get(3) else None,
                           code="near-version", severity=WARNING)
            else:
                tmap = None
        self.st_map = tmap
        self.stack = []
        if tmap is None:
            self.error(seg, f"no map for transaction {kind or '?'} version {version or '?'}: only "
                            f"837P 005010X222A1 and 835 005010X221A1 are validated; its content was not checked",
                       code="no-map", expected="837 005010X222A1 or 835 005010X221A1")
            return
        if tmap.title not in self.report.maps:
            self.report.maps.append(tmap.title)
        if self.gs is not None and self.gs_map is not tmap:
            self.error(seg, f"the functional group (GS01 {self.gs.get(1)}, GS08 {self.gs.get(8)}) does not "
                            f"match transaction {kind}", code="envelope")
        self.stack = [_Frame(tmap.transaction, 0, -1)]
        self.check_elements(seg, tmap.envelope["ST"], None, skip_codes={"ST03"})

    def _se(self, seg: Segment) -> None:
        if self.st is None:
            self.error(seg, "SE without an ST", code="envelope")
            return
        self.st_segments += 1
        if self.stack:
            self.walk(seg)
        elif self.st_map is None and load_map("837"):
            self.check_elements(seg, self.default_map.envelope["SE"], None)
        if seg.get(1) != str(self.st_segments):
            self.error(seg, f"SE01 says {seg.get(1) or 'nothing'} segments; the transaction has {self.st_segments} "
                            f"(ST to SE)", element="SE01", expected=str(self.st_segments), code="count")
        if seg.get(2) != self.st.get(2):
            self.error(seg, f"SE02 {seg.get(2)!r} does not match ST02 {self.st.get(2)!r}", element="SE02",
                       expected=self.st.get(2), code="control-number")
        self.st, self.stack = None, []

    def body(self, seg: Segment) -> None:
        if self.st is None:
            self.error(seg, "segment outside a transaction (not between ST and SE)", code="envelope")
            return
        self.st_segments += 1
        if self.stack:
            self.walk(seg)
        if seg.id == "HL":
            self.check_hl(seg)
        elif seg.id == "CLM" or seg.id == "CLP":
            if CLAIM_SEGMENT.get(self.st.get(1)) == seg.id:
                self.report.claims += 1

    def check_hl(self, seg: Segment) -> None:
        self.hl_count += 1
        if seg.get(1) != str(self.hl_count):
            self.error(seg, f"HL01 is {seg.get(1) or 'empty'}; hierarchical levels are numbered 1, 2, 3 ... "
                            f"in order, this one should be {self.hl_count}", element="HL01",
                       expected=str(self.hl_count), loop=self.current_loop(), code="hl-number")
        parent = seg.get(2)
        if parent:
            if not parent.isdigit() or int(parent) not in self.hl_stack:
                self.error(seg, f"HL02 parent {parent} is not an open hierarchical level above this one",
                           element="HL02", loop=self.current_loop(), code="hl-parent")
            else:
                while self.hl_stack and self.hl_stack[-1] != int(parent):
                    self.hl_stack.pop()
        self.hl_stack.append(self.hl_count)

    # -- loops and order ------------------------------------------------------------------------
    def walk(self, seg: Segment) -> None:
        """Find the map node for ``seg`` from the current place: later in this loop, a child loop it
        starts, or (leaving loops) later in an enclosing loop; report what was skipped."""
        stack = self.stack
        depth = len(stack) - 1
        frame = stack[depth]
        start = frame.loop.pos_start[frame.at]
        pending: list[tuple[LoopDef | SegmentDef, LoopDef, int]] = []
        component = self.delimiters.component
        seg_id, elements = seg.id, seg.elements
        while True:
            loop, counts = frame.loop, frame.counts
            for index in loop.starts.get(seg_id, ()):
                if index < start:
                    continue
                child = loop.children[index]
                if type(child) is SegmentDef:
                    if not child.matches(elements, component):
                        continue
                    if index == 0 and depth > 0:
                        # the loop's first segment again: a new repeat of this loop
                        self._missing(seg, pending, loop, counts, 1, len(counts), frame)
                        self._report_pending(seg, pending, None)
                        parent = stack[depth - 1]
                        del stack[depth:]
                        self._enter(seg, parent, frame.parent_index, [loop])
                        self.check_elements(seg, child, _label(loop))
                        return
                    self._missing(seg, pending, loop, counts, start, index, frame)
                    self._report_pending(seg, pending, child.pos)
                    counts[index] += 1
                    del stack[depth + 1:]
                    frame.at = index
                    label = _label(loop) or self.current_loop()
                    if child.usage == "N":
                        self.error(seg, f"{seg_id} ({child.name}) is not used in this loop", loop=label,
                                   code="not-used-segment")
                    elif counts[index] > child.max_use:
                        self.error(seg, f"{seg_id} ({child.name}) appears {counts[index]} times; at most "
                                        f"{child.max_use} allowed here", loop=label, code="segment-repeat",
                                   expected=f"at most {child.max_use}")
                    self.check_elements(seg, child, label)
                    return
                chain = self._entry_chain(child, seg_id, elements, component)
                if chain is None:
                    continue
                self._missing(seg, pending, loop, counts, start, index, frame)
                self._report_pending(seg, pending, None)
                del stack[depth + 1:]
                self._enter(seg, frame, index, chain)
                inner = chain[-1]
                self.check_elements(seg, inner.children[0], _label(inner))
                return
            self._missing(seg, pending, loop, counts, start, len(counts), frame)
            if depth == 0:
                if self._bad_qualifier(seg):
                    return
                where = self.current_loop()
                last = self.stack[-1].loop.children[self.stack[-1].at]
                self.error(seg, f"{seg_id} is not expected here (after {last.id} {last.name}): it is out of order, "
                                f"repeated too often, or not part of this loop", loop=where, code="unexpected-segment",
                           expected="the segment order of the implementation guide")
                return
            start = stack[depth - 1].loop.pos_start[frame.parent_index]
            depth -= 1
            frame = stack[depth]

    def _bad_qualifier(self, seg: Segment) -> bool:
        """A segment the map has here but with a qualifier it does not list: name the element."""
        for frame in reversed(self.stack):
            for index in frame.loop.starts.get(seg.id, ()):
                if index < frame.loop.pos_start[frame.at]:
                    continue
                child = frame.loop.children[index]
                while type(child) is LoopDef:
                    child = child.children[0]
                if child.id != seg.id or child.key is None:
                    continue
                number, comp, _ = child.key
                codes: set[str] = set()
                for other in frame.loop.starts[seg.id]:
                    node = frame.loop.children[other]
                    while type(node) is LoopDef:
                        node = node.children[0]
                    if node.id == seg.id and node.key and node.key[:2] == (number, comp):
                        codes |= node.key[2]
                value = seg.get(number)
                if comp >= 0:
                    value = value.split(self.delimiters.component)[comp]
                ref = f"{seg.id}{number:02d}" + (f"-{comp + 1:02d}" if comp >= 0 else "")
                self.error(seg, f"{value!r} is not one of {_codes_text(codes)} (the codes the guide allows for "
                                f"{seg.id} at this place), so the segment cannot be placed",
                           loop=self.current_loop(), element=ref, code="invalid-qualifier",
                           expected=_codes_text(codes, 40))
                return True
        return False

    @staticmethod
    def _entry_chain(loop: LoopDef, seg_id: str, elements, component) -> list[LoopDef] | None:
        first = loop.children[0]
        if type(first) is SegmentDef:
            return [loop] if first.id == seg_id and first.matches(elements, component) else None
        for child in loop.children:
            if type(child) is LoopDef and seg_id in child.entry:
                chain = _Validator._entry_chain(child, seg_id, elements, component)
                if chain is not None:
                    return [loop, *chain]
        return None

    def _enter(self, seg: Segment, frame: _Frame, index: int, chain: list[LoopDef]) -> None:
        frame.counts[index] += 1
        frame.at = index
        outer = chain[0]
        if outer.usage == "N":
            self.error(seg, f"loop {outer.label} is not used in this transaction", loop=outer.label,
                       code="not-used-loop")
        elif frame.counts[index] > outer.max_repeat:
            self.error(seg, f"loop {outer.label} repeats {frame.counts[index]} times; at most {outer.max_repeat} "
                            f"allowed here", loop=outer.label, code="loop-repeat",
                       expected=f"at most {outer.max_repeat}")
        parent_index = index
        for i, loop in enumerate(chain):
            at = 0
            if i + 1 < len(chain):
                at = loop.children.index(chain[i + 1])
            new = _Frame(loop, at, parent_index)
            self.stack.append(new)
            parent_index = at

    @staticmethod
    def _missing(seg, pending, loop: LoopDef, counts, start: int, end: int, frame) -> None:
        for index in loop.required:
            if start <= index < end and counts[index] == 0 and index not in frame.flagged:
                child = loop.children[index]
                if type(child) is LoopDef and child.wrapper:
                    continue
                pending.append((child, loop, index, frame))

    def _report_pending(self, seg: Segment, pending, keep_pos: int | None) -> None:
        for child, loop, index, frame in pending:
            if keep_pos is not None and child.pos == keep_pos:
                continue
            frame.flagged.add(index)
            where = _label(loop) or self.current_loop()
            if type(child) is SegmentDef:
                self.error(seg, f"required segment {child.id} ({child.name}) is missing"
                                + (f" from loop {where}" if where else ""), loop=where, code="missing-segment",
                           expected=child.id)
            else:
                self.error(seg, f"required loop {child.label} is missing"
                                + (f" from loop {where}" if where else ""), loop=where, code="missing-loop",
                           expected=f"{child.id} starting with {child.children[0].id}")
        pending.clear()

    # -- elements -------------------------------------------------------------------------------
    def check_elements(self, seg: Segment, sdef: SegmentDef, loop: str | None, skip_codes=frozenset()) -> None:
        values = seg.elements
        key = (sdef, values)
        if key in self.clean:      # the same segment text at the same map node passed before
            return
        before = self.report.error_count + self.report.warning_count
        self._check_elements(seg, sdef, loop, skip_codes)
        if self.report.error_count + self.report.warning_count == before and len(self.clean) < CLEAN_CACHE \
                and not skip_codes:
            self.clean.add(key)

    def _check_elements(self, seg: Segment, sdef: SegmentDef, loop: str | None, skip_codes) -> None:
        values = seg.elements
        count = len(values)
        defined = len(sdef.elements)
        if count > defined and any(values[defined:]):
            self.error(seg, f"{seg.id} has {count} elements; the guide defines {defined}", loop=loop,
                       code="too-many-elements", expected=f"at most {defined} elements")
        component = self.delimiters.component
        repetition = self.delimiters.repetition
        bad_chars = _BAD_CHAR.search("".join(values)) is not None
        check_value = self.check_value
        for i, d in sdef.items:
            value = values[i] if i < count else ""
            if not value:
                if d.usage == "R":
                    self.error(seg, f"{d.name} is required but empty", loop=loop, element=d.ref,
                               code="missing-element", expected="a value")
                continue
            if d.usage == "N":
                self.error(seg, f"{d.name} is not used in this segment; found {value!r}", loop=loop, element=d.ref,
                           code="not-used-element", expected="empty")
                continue
            if d.repeat > 1 and repetition and repetition in value:
                repeats = value.split(repetition)
                if len(repeats) > d.repeat:
                    self.error(seg, f"{d.name} repeats {len(repeats)} times; at most {d.repeat} allowed", loop=loop,
                               element=d.ref, code="element-repeat")
            else:
                repeats = (value,)
            simple = type(d) is ElementDef
            for one in repeats:
                if not simple:
                    self.check_composite(seg, d, one, loop, bad_chars)
                elif component in one and seg.id != "ISA":
                    self.error(seg, f"{one!r} has components ({component!r}) but {d.name} is a simple element",
                               loop=loop, element=d.ref, code="not-composite")
                elif (d.text and d.codes is None and d.external_codes is None and d.regex is None and not bad_chars
                      and d.min_len <= len(one) <= d.max_len and one[-1] != " "):
                    continue   # plain text of the right length: nothing more to check
                else:
                    check_value(seg, d, one, loop, bad_chars, d.ref in skip_codes)
        if sdef.syntax:
            present = {i for i, value in enumerate(values, start=1) if value}
            for rule in sdef.syntax:
                if rule.broken(present):
                    self.error(seg, rule.describe(seg.id), loop=loop, element=f"{seg.id}{rule.positions[0]:02d}",
                               code="syntax", expected=rule.describe(seg.id))

    def check_composite(self, seg: Segment, d: CompositeDef, value: str, loop, bad_chars) -> None:
        parts = value.split(self.delimiters.component)
        if len(parts) > len(d.components) and any(parts[len(d.components):]):
            self.error(seg, f"{d.name} has {len(parts)} components; the guide defines {len(d.components)}",
                       loop=loop, element=d.ref, code="too-many-components")
        for k, cd in enumerate(d.components):
            part = parts[k] if k < len(parts) else ""
            if not part:
                if cd.usage == "R" and (k > 0 or d.usage == "R"):
                    self.error(seg, f"{cd.name} is required but empty", loop=loop, element=cd.ref,
                               code="missing-element", expected="a value")
                continue
            if cd.usage == "N":
                self.error(seg, f"{cd.name} is not used; found {part!r}", loop=loop, element=cd.ref,
                           code="not-used-element", expected="empty")
                continue
            self.check_value(seg, cd, part, loop, bad_chars, False)

    def check_value(self, seg: Segment, d: ElementDef, value: str, loop, bad_chars: bool, skip_codes: bool) -> None:
        kind = d.data_type
        size = len(value.replace("-", "").replace(".", "")) if d.numeric else len(value)
        if size < d.min_len or size > d.max_len:
            span = f"{d.min_len}" if d.min_len == d.max_len else f"{d.min_len} to {d.max_len}"
            self.error(seg, f"{value!r} is {size} character{'s' if size != 1 else ''} long; {d.name} takes {span}",
                       loop=loop, element=d.ref, code="too-short" if size < d.min_len else "too-long",
                       expected=f"{span} characters")
        if bad_chars:
            found = _BAD_CHAR.search(value)
            if found:
                self.error(seg, f"{value!r} contains {found.group(0)!r}, a character X12 does not allow",
                           loop=loop, element=d.ref, code="bad-character")
                return
        if d.text and value[-1] == " " and seg.id != "ISA" \
                and len(value.rstrip()) >= d.min_len:
            self.error(seg, f"{value!r} has trailing spaces", loop=loop, element=d.ref, code="trailing-spaces",
                       expected=repr(value.rstrip()))
        if not skip_codes and (d.codes is not None or d.external_codes is not None):
            if not ((d.codes is not None and value in d.codes)
                    or (d.external_codes is not None and value in d.external_codes)):
                codes = (d.codes or frozenset()) | (d.external_codes or frozenset())
                listed = _codes_text(codes)
                source = f" (code list {d.external!r})" if d.external_codes is not None and not d.codes else ""
                self.error(seg, f"{value!r} is not one of {listed}{source}", loop=loop, element=d.ref,
                           code="invalid-code", expected=listed)
        if d.text or not kind:
            pass
        elif kind[0] == "N":
            if not _INTEGER.match(value):
                self.error(seg, f"{value!r} is not {TYPE_WORDS.get(kind, 'a whole number')} ({d.name})", loop=loop,
                           element=d.ref, code="bad-number", expected="digits, optionally a leading minus")
        elif kind == "R":
            if not _DECIMAL.match(value):
                self.error(seg, f"{value!r} is not a decimal number ({d.name})", loop=loop, element=d.ref,
                           code="bad-number", expected="digits with an optional decimal point, e.g. 125.50")
        elif kind == "DT":
            if not _is_date(value):
                shape = "YYMMDD" if d.max_len == 6 else "CCYYMMDD"
                self.error(seg, f"{value!r} is not a valid date ({d.name})", loop=loop, element=d.ref,
                           code="bad-date", expected=shape)
        elif kind == "TM":
            if not _is_time(value):
                self.error(seg, f"{value!r} is not a valid time ({d.name})", loop=loop, element=d.ref,
                           code="bad-time", expected="HHMM, HHMMSS or HHMMSSDD")
        if d.regex is not None and not d.regex.search(value):
            self.error(seg, f"{value!r} does not have the form the guide requires for {d.name}", loop=loop,
                       element=d.ref, code="bad-format", expected=d.regex.pattern)

    # -- end of file ----------------------------------------------------------------------------
    def finish(self) -> None:
        last = self.report.segments + 1
        if self.st is not None:
            self.error(None, f"the file ends inside transaction {self.st.get(2)}: SE is missing", position=last,
                       code="missing-trailer", expected="SE")
        if self.gs is not None:
            self.error(None, f"the file ends inside functional group {self.gs.get(6)}: GE is missing",
                       position=last, code="missing-trailer", expected="GE")
        if self.isa is not None:
            self.error(None, f"the file ends inside interchange {self.isa.get(13)}: IEA is missing",
                       position=last, code="missing-trailer", expected="IEA")


def validate(stream: IO, source: str = "<input>", max_findings: int = 1000) -> ValidationReport:
    """Validate an X12 837P or 835 stream (text or bytes) against its implementation guide.

    Never raises for bad X12: a file the tokenizer cannot read gives one fatal finding.
    At most ``max_findings`` findings are kept; ``error_count``/``warning_count`` count them all.
    """
    report = ValidationReport(source, max_findings=max_findings)
    validator = _Validator(report)
    try:
        for seg, delimiters in iter_segments(stream, source):
            validator.segment(seg, delimiters)
    except X12Error as exc:
        report.add(Finding(ERROR, exc.position, exc.segment_id, validator.current_loop(), None, exc.problem,
                           None, "unreadable", fatal=True))
        return report
    validator.finish()
    return report
