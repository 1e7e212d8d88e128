"""Read X12 837P (005010X222A1 / A2) into contract claims (CONTRACT §1, §7), streaming.

One pass over the segments of ``segments.iter_segments``; the reader holds the envelope it is in,
the open HL levels (at most three: 20 -> 22 -> 23) and the claim being built, never the file, so
memory is bounded by one claim (at most 50 service lines) whatever the file size. A claim is
yielded when the next CLM, HL or SE closes it; the last claim of a transaction only after its SE
has been checked. An error raises ``X12Error`` naming the file, the segment number and id, and what
is wrong; claims yielded before it stand (callers wanting all-or-nothing collect first).

What the reader checks is what it needs to trust the claims it hands over: the envelopes
(ISA/IEA, GS/GE, ST/SE counts and control numbers), that the file is an 837P, the HL tree
(ids 1, 2, 3... in order, parents open, levels 20/22/23, HL04), the loops it maps and their order
(billing provider 2010AA, subscriber 2010BA, patient 2010CA, claim 2300, service facility 2310C,
service line 2400 with SV1 directly after LX and one DTP*472), entity codes of every NM1, and the
required elements of the segments it maps. The full implementation-guide validation (code lists,
element lengths, claim balancing) is the validator's, not the reader's.

Mapping (docs/x12.md, "Reading 837P"): claim_id CLM01; supplier.npi 2010AA NM109 (NM108 XX);
beneficiary.mbi 2010BA NM109 (NM108 MI); received_date BHT04 (the transaction's creation date:
X12 carries no receipt date); each line LX01, SV101 (HC:code:modifiers...:description), SV102
charge, SV104 units (SV103 MJ minutes -> ceil(minutes / 15) units and visit.minutes), SV105 or
CLM05-1 place of service, DTP*472 date (RD8: first day, range in ``extra``); service_locality only
when the patient's state has a single Medicare payment locality, or as the caller gives it.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import replace
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any, Iterator

from hitbenefit.claims.model import Beneficiary, Claim, ClaimLine, Supplier, Visit
from hitbenefit.claims.read_json import FIRST_YEAR, LAST_YEAR, MAX_MONEY, MINUTES_IN_DAY
from hitbenefit.money import CENT
from hitbenefit.rates.files import normalize_locality
from hitbenefit.x12.segments import Delimiters, Segment, X12Error, iter_segments

__all__ = ["read_837", "read_837_path", "X12Error", "VERSIONS", "MAX_LINES", "READ_SIZE"]

VERSIONS = ("005010X222A1", "005010X222A2")
MAX_LINES = 50     # 2400 repeats at most 50 times in a claim
MAX_CLAIMS = 100   # 2300 repeats at most 100 times under one subscriber or patient HL
READ_SIZE = 1024   # the tokenizer cuts segments from what one read returns: small reads keep that cheap
_MINUTES_PER_UNIT = 15

_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)")
_DIGITS = re.compile(r"\d+")
_POS = re.compile(r"\d\d")
_STATE = re.compile(r"[A-Z]{2}")

# -- the loops: which NM1 entity codes open which name loop, and what a name loop may hold ----------

#: NM101 -> name loop, per context the NM1 appears in
_NAME_LOOPS = {
    "HEADER": {"41": "1000A", "40": "1000B"},
    "2000A": {"85": "2010AA", "87": "2010AB", "PE": "2010AC"},
    "2000B": {"IL": "2010BA", "PR": "2010BB"},
    "2000C": {"QC": "2010CA"},
    "2300": {"DN": "2310A", "P3": "2310A", "82": "2310B", "77": "2310C", "DQ": "2310D", "PW": "2310E",
             "45": "2310F"},
    "2320": {"IL": "2330A", "PR": "2330B", "DN": "2330C", "P3": "2330C", "82": "2330D", "77": "2330E",
             "DQ": "2330F", "85": "2330G"},
    "2400": {"82": "2420A", "QB": "2420B", "77": "2420C", "DQ": "2420D", "DK": "2420E", "DN": "2420F",
             "P3": "2420F", "PW": "2420G", "45": "2420H"},
}
_LOOP_NAMES = {
    "1000A": "submitter", "1000B": "receiver", "2010AA": "billing provider", "2010AB": "pay-to address",
    "2010AC": "pay-to plan", "2010BA": "subscriber", "2010BB": "payer", "2010CA": "patient",
    "2310A": "referring provider", "2310B": "rendering provider", "2310C": "service facility",
    "2310D": "supervising provider", "2310E": "ambulance pick-up", "2310F": "ambulance drop-off",
    "2330A": "other subscriber", "2330B": "other payer", "2330C": "other payer referring provider",
    "2330D": "other payer rendering provider", "2330E": "other payer service facility",
    "2330F": "other payer supervising provider", "2330G": "other payer billing provider",
    "2420A": "line rendering provider", "2420B": "purchased service provider", "2420C": "line service facility",
    "2420D": "line supervising provider", "2420E": "ordering provider", "2420F": "line referring provider",
    "2420G": "line ambulance pick-up", "2420H": "line ambulance drop-off",
}
_HL_CONTEXT = {"20": "2000A", "22": "2000B", "23": "2000C"}
_LEVEL_NAMES = {"20": "billing provider", "22": "subscriber", "23": "patient"}
#: the name loop every HL level must carry
_REQUIRED_NAME = {"20": ("85", "2010AA"), "22": ("IL", "2010BA"), "23": ("QC", "2010CA")}

_A = frozenset({"N3", "N4"})
_LOOP_SEGMENTS = {
    "1000A": frozenset({"PER"}), "1000B": frozenset(),
    "2010AA": _A | {"REF", "PER"}, "2010AB": _A, "2010AC": _A | {"REF"},
    "2010BA": _A | {"DMG", "REF", "PER"}, "2010BB": _A | {"REF"}, "2010CA": _A | {"DMG", "REF", "PER"},
    "2310A": frozenset({"REF"}), "2310B": frozenset({"PRV", "REF"}), "2310C": _A | {"REF", "PER"},
    "2310D": frozenset({"REF"}), "2310E": _A, "2310F": _A,
    "2330A": _A | {"REF"}, "2330B": _A | {"DTP", "REF"}, "2330C": frozenset({"REF"}),
    "2330D": frozenset({"REF"}), "2330E": frozenset({"REF"}), "2330F": frozenset({"REF"}),
    "2330G": frozenset({"REF"}),
    "2420A": frozenset({"PRV", "REF"}), "2420B": frozenset({"REF"}), "2420C": _A | {"REF"},
    "2420D": frozenset({"REF"}), "2420E": _A | {"REF", "PER"}, "2420F": frozenset({"REF"}),
    "2420G": _A, "2420H": _A,
}
#: the order of segments inside a name loop (a lower rank never follows a higher one)
_RANK = {"NM1": 0, "PRV": 1, "N3": 2, "N4": 3, "DMG": 4, "DTP": 5, "REF": 6, "PER": 7}
_ONCE = frozenset({"PRV", "N3", "N4", "DMG"})
_MAY_REPEAT = frozenset({"2310A", "2330C", "2420F"})  # these name loops repeat twice
_NEEDS_ADDRESS = frozenset({"2010AA", "2010AB", "2310C"})

#: segments of a context itself (outside its name loops), and of the small non-name sub-loops
_OWN = {
    "HEADER": frozenset(),
    "2000A": frozenset({"PRV", "CUR"}),
    "2000B": frozenset({"SBR", "PAT"}),
    "2000C": frozenset({"PAT"}),
    "2300": frozenset({"DTP", "PWK", "CN1", "AMT", "REF", "K3", "NTE", "CR1", "CR2", "CRC", "HI", "HCP"}),
    "2320": frozenset({"CAS", "AMT", "OI", "MOA"}),
    "2400": frozenset({"SV5", "PWK", "CR1", "CR3", "CRC", "DTP", "QTY", "MEA", "CN1", "REF", "AMT", "K3",
                       "NTE", "PS1", "HCP"}),
    "2410": frozenset({"CTP", "REF"}),
    "2430": frozenset({"CAS", "DTP", "AMT"}),
    "2440": frozenset({"FRM"}),
}
_CONTEXT_NAMES = {
    "HEADER": "the transaction header", "2000A": "the billing provider level 2000A",
    "2000B": "the subscriber level 2000B", "2000C": "the patient level 2000C", "2300": "the claim loop 2300",
    "2320": "the other subscriber loop 2320", "2400": "the service line loop 2400",
    "2410": "the drug identification loop 2410", "2430": "the line adjudication loop 2430",
    "2440": "the form identification loop 2440",
}
#: 2400 sub-loops that start with their own segment, in the order they come
_LINE_SUBLOOPS = {"LIN": "2410", "SVD": "2430", "LQ": "2440"}
_SUBLOOP_ORDER = {"2410": 1, "2420": 2, "2430": 3, "2440": 4}
#: the 2300 segments that may not follow a 2310/2320 loop (every claim-level segment)
_LOOP_ORDER_2300 = {"2310A": 1, "2310B": 2, "2310C": 3, "2310D": 4, "2310E": 5, "2310F": 6}


def read_837_path(path: str | Path, locality: str | None = None) -> Iterator[Claim]:
    """Every claim in the 837P file at ``path`` (the file is named by its base name in errors)."""
    path = Path(path)
    reader = _Reader(path.name, _locality_arg(locality))

    def claims() -> Iterator[Claim]:
        with path.open("rb") as handle:
            yield from reader.read(handle)

    return claims()


def read_837(stream: IO, source: str = "<input>", locality: str | None = None) -> Iterator[Claim]:
    """Every claim in an X12 837P stream (binary or text), in file order, as contract claims.

    ``locality`` (``MAC-locality``) sets ``service_locality`` on every claim; without it a claim
    gets one only when the patient's state has a single Medicare payment locality. Raises
    ``X12Error`` (file, segment number and id, what is wrong) for anything it cannot trust, and
    ``ValueError`` at once for a malformed ``locality``.
    """
    return _Reader(source, _locality_arg(locality)).read(stream)


def _locality_arg(locality: str | None) -> str | None:
    if locality is None:
        return None
    return normalize_locality(locality, allow_national=False)


@functools.lru_cache(maxsize=1)
def _statewide_localities() -> tuple[dict[str, str], dict[str, int]]:
    """State -> its only locality (states with one), and state -> number of localities."""
    from hitbenefit.rates.localities import load_localities

    found = load_localities()
    counts = Counter(loc.state for loc in found.values())
    single = {loc.state: code for code, loc in found.items() if counts[loc.state] == 1}
    return single, dict(counts)


class _SmallReads:
    """A view of a stream whose reads return at most ``size`` characters (see READ_SIZE)."""

    __slots__ = ("_read", "_size")

    def __init__(self, stream: IO, size: int) -> None:
        self._read, self._size = stream.read, size

    def read(self, n: int = -1) -> Any:
        return self._read(self._size if n is None or n < 0 or n > self._size else n)


def _numbered_by_control(lines: list[ClaimLine], controls: list[str | None]) -> tuple[ClaimLine, ...]:
    """Lines numbered by their REF*6R line item control numbers when every line carries a distinct
    whole number there (as hitbenefit's 837P writer sends the contract line number), else by LX01."""
    if all(c is not None and _DIGITS.fullmatch(c) and 0 < int(c) <= 10 ** 6 for c in controls) \
            and len({int(c) for c in controls}) == len(controls):
        return tuple(replace(line, line=int(c)) for line, c in zip(lines, controls))
    return tuple(lines)


class _Line:
    __slots__ = ("number", "position", "hcpcs", "modifiers", "drug_name", "charge", "units", "minutes",
                 "pos", "service_date", "period", "unit_basis", "ndc", "sub", "has_sv1", "control")

    def __init__(self, number: int, position: int) -> None:
        self.number, self.position = number, position
        self.hcpcs = self.drug_name = self.pos = self.service_date = self.period = None
        self.modifiers: tuple[str, ...] = ()
        self.charge = self.units = None
        self.minutes: int | None = None
        self.unit_basis = self.ndc = None
        self.sub: str | None = None  # the 2400 sub-loop the reader is in (2410, 2420x, 2430, 2440)
        self.has_sv1 = False
        self.control: str | None = None  # REF*6R line item control number


class _Claim:
    __slots__ = ("claim_id", "position", "pos", "total", "lines", "numbers", "has_hi", "loops", "facility",
                 "loop_rank", "in_2320", "notes", "controls")

    def __init__(self, claim_id: str, position: int) -> None:
        self.claim_id, self.position = claim_id, position
        self.pos = self.total = None
        self.lines: list[ClaimLine] = []
        self.controls: list[str | None] = []  # each line's REF*6R, in line order
        self.numbers: set[int] = set()
        self.has_hi = False
        self.loops: Counter = Counter()  # the 2310x/2320/2330x loops seen
        self.loop_rank = 0
        self.in_2320 = False
        self.facility: dict | None = None
        self.notes: list[dict] = []  # what extra says about single lines


class _Reader:
    def __init__(self, source: str, locality: str | None) -> None:
        self.source, self.locality = source, locality
        self.delimiters = Delimiters()
        self.seg: Segment | None = None
        # envelopes
        self.isa: Segment | None = None
        self.groups = 0
        self.gs: Segment | None = None
        self.transactions = 0
        self.version = ""
        self.st: Segment | None = None
        # inside a transaction
        self.context = "HEADER"
        self.bht_date: date | None = None
        self.header_loops: set[str] = set()
        self.next_hl = 1
        self.levels: list[list] = []  # [id, level, hl04, has_child, named, claims]
        self.level_loops: Counter = Counter()
        self.level_loop_rank = 0
        self.name_loop: str | None = None   # the open name loop of a level or the header
        self.name_rank = 0
        self.name_seen: set[str] = set()
        self.provider: dict | None = None    # the open 2000A
        self.subscriber: dict | None = None  # the open 2000B
        self.patient: dict | None = None     # the open 2000C
        self.claim: _Claim | None = None
        self.line: _Line | None = None
        self._address: dict | None = None    # where N3/N4 of the open name loop go

    # -- errors --------------------------------------------------------------------------------------

    def error(self, problem: str, segment: Segment | None = None) -> X12Error:
        segment = segment or self.seg
        if segment is None:
            return X12Error(problem, self.source)
        return X12Error(problem, self.source, segment.position, segment.id)

    def claim_error(self, problem: str, segment: Segment | None = None) -> X12Error:
        where = ""
        if self.claim is not None:
            where = f"claim {self.claim.claim_id}"
            if self.line is not None:
                where += f" line {self.line.number}"
            where += ": "
        return self.error(where + problem, segment)

    def need(self, segment: Segment, n: int, what: str) -> str:
        value = segment.get(n).strip()
        if not value:
            raise self.claim_error(f"{segment.id}{n:02d} ({what}) is required")
        return value

    # -- the pass ------------------------------------------------------------------------------------

    def read(self, stream: IO) -> Iterator[Claim]:
        handlers = {
            "ISA": self.on_isa, "IEA": self.on_iea, "GS": self.on_gs, "GE": self.on_ge, "ST": self.on_st,
            "SE": self.on_se, "BHT": self.on_bht, "HL": self.on_hl, "NM1": self.on_nm1, "N3": self.on_n3,
            "N4": self.on_n4, "CLM": self.on_clm, "LX": self.on_lx, "SV1": self.on_sv1, "DTP": self.on_dtp,
            "SBR": self.on_sbr, "HI": self.on_hi, "TA1": self.on_ta1,
        }
        other = self.on_other
        last = None
        for segment, delimiters in iter_segments(_SmallReads(stream, READ_SIZE), self.source):
            self.seg = last = segment
            self.delimiters = delimiters
            done = handlers.get(segment.id, other)(segment)
            if done is not None:
                yield done
        if self.isa is not None:
            at = last.position + 1 if last is not None else None
            raise X12Error(f"the file ends inside interchange {self.isa.get(13)}: "
                           f"{'SE, GE and IEA are' if self.st else 'GE and IEA are' if self.gs else 'IEA is'} "
                           f"missing (the file is cut short?)", self.source, at)

    # -- envelopes -----------------------------------------------------------------------------------

    def on_isa(self, s: Segment) -> None:
        if self.isa is not None:
            raise self.error(f"a new interchange starts while interchange {self.isa.get(13)} is open "
                             f"(its IEA is missing)")
        control = s.get(13)
        if not (len(control) == 9 and control.isdigit()):
            raise self.error(f"ISA13 (interchange control number) must be 9 digits, found {control!r}")
        self.isa, self.groups = s, 0

    def on_ta1(self, s: Segment) -> None:
        if self.isa is None or self.gs is not None:
            raise self.error("TA1 is only allowed between ISA and the first GS")

    def on_iea(self, s: Segment) -> None:
        if self.isa is None:
            raise self.error("IEA without an open interchange (no ISA before it)")
        if self.gs is not None:
            raise self.error(f"IEA while functional group {self.gs.get(6)} is open (its GE is missing)")
        if s.get(2) != self.isa.get(13):
            raise self.error(f"IEA02 {s.get(2)!r} does not match ISA13 {self.isa.get(13)!r} "
                             f"(segment {self.isa.position})")
        if s.get(1) != str(self.groups):
            raise self.error(f"IEA01 says {s.get(1) or 'nothing'} functional groups, the interchange has "
                             f"{self.groups}")
        self.isa = None

    def on_gs(self, s: Segment) -> None:
        if self.isa is None:
            raise self.error("GS outside an interchange (no ISA before it)")
        if self.gs is not None:
            raise self.error(f"a new functional group starts while group {self.gs.get(6)} is open "
                             f"(its GE is missing)")
        control = s.get(6)
        if not _DIGITS.fullmatch(control):
            raise self.error(f"GS06 (group control number) must be digits, found {control!r}")
        version = s.get(8)
        if version.startswith("005010X223"):
            raise self.error(f"not an 837P: GS08 {version} is an institutional claim (837I)")
        if version.startswith("005010X224"):
            raise self.error(f"not an 837P: GS08 {version} is a dental claim (837D)")
        self.gs, self.transactions, self.version = s, 0, version
        self.groups += 1

    def on_ge(self, s: Segment) -> None:
        if self.gs is None:
            raise self.error("GE without an open functional group (no GS before it)")
        if self.st is not None:
            raise self.error(f"GE while transaction {self.st.get(2)} is open (its SE is missing)")
        if s.get(2) != self.gs.get(6):
            raise self.error(f"GE02 {s.get(2)!r} does not match GS06 {self.gs.get(6)!r} "
                             f"(segment {self.gs.position})")
        if s.get(1) != str(self.transactions):
            raise self.error(f"GE01 says {s.get(1) or 'nothing'} transactions, the group has {self.transactions}")
        self.gs = None

    def on_st(self, s: Segment) -> None:
        if self.gs is None:
            raise self.error("ST outside a functional group (no GS before it)")
        if self.st is not None:
            raise self.error(f"a new transaction starts while transaction {self.st.get(2)} is open "
                             f"(its SE is missing)")
        if s.get(1) != "837":
            raise self.error(f"not an 837P: ST01 is {s.get(1) or 'empty'} (GS08 {self.version or 'empty'})")
        if self.version not in VERSIONS:
            raise self.error(f"not an 837P: GS08 is {self.version or 'empty'}, expected "
                             f"{' or '.join(VERSIONS)}")
        if s.get(3) and s.get(3) != self.version:
            raise self.error(f"ST03 {s.get(3)} differs from GS08 {self.version}")
        if not s.get(2):
            raise self.error("ST02 (transaction control number) is required")
        self.st = s
        self.transactions += 1
        self.context, self.bht_date, self.header_loops = "HEADER", None, set()
        self.next_hl, self.levels = 1, []
        self.provider = self.subscriber = self.patient = None
        self._open_name(None)

    def on_se(self, s: Segment) -> Claim | None:
        if self.st is None:
            raise self.error("SE without an open transaction (no ST before it)")
        done = self.close_claim()
        self._close_name()
        self._close_levels(0)
        if self.context == "HEADER":
            self._check_header()
        count = s.position - self.st.position + 1
        if s.get(2) != self.st.get(2):
            raise self.error(f"SE02 {s.get(2)!r} does not match ST02 {self.st.get(2)!r} (segment {self.st.position})")
        if s.get(1) != str(count):
            raise self.error(f"SE01 says {s.get(1) or 'nothing'} segments, transaction {self.st.get(2)} has {count} "
                             f"(ST to SE; a segment lost or added?)")
        self.st = None
        self.context = "ENVELOPE"
        return done

    def _in_transaction(self, s: Segment) -> None:
        if self.st is None:
            raise self.error(f"{s.id} outside a transaction (between envelopes, before ST or after SE)")

    # -- header and HL levels --------------------------------------------------------------------------

    def on_bht(self, s: Segment) -> None:
        self._in_transaction(s)
        if self.context != "HEADER" or self.bht_date is not None or s.position != self.st.position + 1:
            raise self.error("BHT comes once, directly after ST")
        self.need(s, 1, "hierarchical structure code")
        if s.get(1) != "0019":
            raise self.error(f"BHT01 is {s.get(1)!r}: an 837 claim transaction has the structure 0019")
        self.bht_date = self.parse_date(s, 4, "transaction creation date", self.need(s, 4, "creation date"))

    def _check_header(self) -> None:
        if self.bht_date is None:
            raise self.error("the transaction has no BHT (required, with the creation date BHT04)")
        for loop, code in (("1000A", "41"), ("1000B", "40")):
            if loop not in self.header_loops:
                raise self.error(f"the {_LOOP_NAMES[loop]} name NM1*{code} (loop {loop}, required) is missing "
                                 f"from the header")

    def on_hl(self, s: Segment) -> Claim | None:
        self._in_transaction(s)
        done = self.close_claim()
        self._close_name()
        if self.context == "HEADER":
            self._check_header()
        number, parent, level, child = s.get(1), s.get(2), s.get(3), s.get(4)
        if not _DIGITS.fullmatch(number) or int(number) != self.next_hl:
            raise self.error(f"HL01 is {number or 'empty'!s}, expected {self.next_hl}: HL ids count 1, 2, 3... "
                             f"in order through the transaction (this one repeats, skips or is missing)")
        if level not in _HL_CONTEXT:
            raise self.error(f"HL03 {level or 'empty'!s} is not an 837P level (20 billing provider, 22 subscriber, "
                             f"23 patient)")
        if child not in ("0", "1") or (level == "20" and child != "1") or (level == "23" and child != "0"):
            raise self.error(f"HL04 {child or 'empty'!s} is not valid for level {level} "
                             f"({'1' if level == '20' else '0' if level == '23' else '0 or 1'} expected)")
        depth = {"20": 0, "22": 1, "23": 2}[level]
        if depth == 0:
            if parent:
                raise self.error(f"HL02 is {parent!r}: the billing provider level 20 has no parent")
        else:
            want = "20" if level == "22" else "22"
            if len(self.levels) < depth or self.levels[depth - 1][1] != want:
                raise self.error(f"a level {level} ({_LEVEL_NAMES[level]}) needs an open level {want} "
                                 f"({_LEVEL_NAMES[want]}) before it")
            open_parent = self.levels[depth - 1]
            if parent != str(open_parent[0]):
                raise self.error(f"HL02 is {parent or 'empty'!s}: the parent of this level {level} must be the open "
                                 f"{_LEVEL_NAMES[want]} level HL {open_parent[0]}")
            if open_parent[2] != "1":
                raise self.error(f"HL {open_parent[0]} has HL04 0 (no subordinate levels), yet HL {number} names "
                                 f"it as parent")
        if depth and len(self.levels) == depth:  # the parent's first child: the parent's names are all read
            self._need_level_names(self.levels[-1], f"HL {number} ({_LEVEL_NAMES[level]})")
        self._close_levels(depth)
        if depth:
            self.levels[depth - 1][3] = True
        self.levels.append([int(number), level, child, False, False, 0])
        self.next_hl += 1
        self.context = _HL_CONTEXT[level]
        self.level_loops, self.level_loop_rank = Counter(), 0
        info: dict[str, Any] = {"hl": int(number), "state": None}
        if level == "20":
            self.provider, self.subscriber, self.patient = info, None, None
        elif level == "22":
            self.subscriber, self.patient = info, None
            info.update(sbr=None, sbr09=None)
        else:
            self.patient = info
        return done

    def _need_level_names(self, level: list, what: str) -> None:
        """Raise unless the open ``level`` (the last one opened) has its required names: its own (2010AA, 2010BA or
        2010CA) and, for a subscriber, the payer (2010BB); ``what`` (a CLM or a child HL) needs them."""
        if not level[4]:
            code, loop = _REQUIRED_NAME[level[1]]
            raise self.error(f"{what} before the {_LOOP_NAMES[loop]} name NM1*{code} of HL {level[0]} "
                             f"(loop {loop}, required)")
        if level[1] == "22" and "2010BB" not in self.level_loops:
            raise self.error(f"{what} before the payer name NM1*PR of HL {level[0]} (loop 2010BB, required)")

    def _close_levels(self, depth: int) -> None:
        """Close the open HL levels from ``depth`` down, checking what each needed."""
        while len(self.levels) > depth:
            number, level, child, has_child, named, claims = self.levels.pop()
            if not named:
                code, loop = _REQUIRED_NAME[level]
                raise self.error(f"HL {number} ({_LEVEL_NAMES[level]}) has no {_LOOP_NAMES[loop]} name NM1*{code} "
                                 f"(loop {loop}, required)")
            if child == "1" and not has_child:
                raise self.error(f"HL {number} ({_LEVEL_NAMES[level]}) says in HL04 that subordinate levels follow, "
                                 f"and none does")
            if level != "20" and child == "0" and not claims:
                raise self.error(f"HL {number} ({_LEVEL_NAMES[level]}) has no claim: a level without subordinate "
                                 f"levels carries at least one CLM")

    # -- name loops ----------------------------------------------------------------------------------

    def _open_name(self, loop: str | None) -> None:
        self.name_loop, self.name_rank, self.name_seen = loop, 0, set()

    def _close_name(self) -> None:
        loop = self.name_loop
        if loop in _NEEDS_ADDRESS and not {"N3", "N4"} <= self.name_seen:
            missing = "N3" if "N3" not in self.name_seen else "N4"
            raise self.error(f"the {_LOOP_NAMES[loop]} loop {loop} has no {missing} (its address is required)")
        self.name_loop = None
        self._address = None

    def on_nm1(self, s: Segment) -> None:
        self._in_transaction(s)
        code = s.get(1)
        context = self.context
        if context in ("2300", "2320"):
            context = "2320" if self.claim.in_2320 else "2300"
        elif context in ("2400", "2410", "2430", "2440"):
            context = "2400"
        loops = _NAME_LOOPS.get(context)
        if loops is None:
            raise self.error(f"NM1 is not expected in {_CONTEXT_NAMES.get(self.context, 'this place')}")
        loop = loops.get(code)
        if loop is None:
            allowed = ", ".join(f"{c} {_LOOP_NAMES[l]}" for c, l in loops.items())
            raise self.claim_error(f"NM101 {code or 'empty'!s} is not an entity code of "
                                   f"{_CONTEXT_NAMES[context]} ({allowed})")
        if not s.get(2) or s.get(2) not in ("1", "2"):
            raise self.claim_error(f"NM102 (entity type qualifier, 1 person or 2 non-person) is required, "
                                   f"found {s.get(2) or 'nothing'!s}")
        self._close_name()
        if context == "HEADER":
            if loop in self.header_loops or (loop == "1000B" and "1000A" not in self.header_loops):
                raise self.error(f"the {_LOOP_NAMES[loop]} NM1*{code} (loop {loop}) is out of place: the header "
                                 f"has one submitter NM1*41 and then one receiver NM1*40")
            self.header_loops.add(loop)
        elif context in ("2000A", "2000B", "2000C"):
            self._level_loop(s, loop, code)
        elif context in ("2300", "2320"):
            self._claim_loop(s, loop, context)
        else:
            self._line_loop(s, loop, "2420")
        self._open_name(loop)
        self.name_seen.add("NM1")
        if loop == "2010AA":
            if s.get(8) != "XX":
                raise self.error(f"NM108 is {s.get(8) or 'empty'!s}: the billing provider is identified by its NPI "
                                 f"(NM108 XX, NM109)")
            npi = s.get(9)
            if not (len(npi) == 10 and npi.isdigit()):
                raise self.error(f"NM109 {npi or 'empty'!s} is not an NPI (10 digits)")
            self.provider["npi"] = npi
        elif loop == "2010BA":
            if s.get(8) != "MI":
                raise self.error(f"NM108 is {s.get(8) or 'empty'!s}: the subscriber is identified by the member id "
                                 f"(NM108 MI, NM109)")
            self.subscriber["mbi"] = self.need(s, 9, "subscriber member id")
            self._address = self.subscriber
        elif loop == "2010CA":
            self._address = self.patient
        elif loop == "2310C":
            facility: dict[str, Any] = {"name": self.need(s, 3, "service facility name")}
            if s.get(9):
                facility["id"], facility["id_qualifier"] = s.get(9), s.get(8)
            self.claim.facility = facility
            self._address = facility

    def _level_loop(self, s: Segment, loop: str, code: str) -> None:
        level = self.levels[-1]
        required_code, required_loop = _REQUIRED_NAME[level[1]]
        if self.level_loops[loop]:
            raise self.error(f"loop {loop} ({_LOOP_NAMES[loop]}) repeats: it comes once in HL {level[0]}")
        if loop != required_loop and not level[4]:
            raise self.error(f"the {_LOOP_NAMES[loop]} NM1*{code} (loop {loop}) comes before the "
                             f"{_LOOP_NAMES[required_loop]} name NM1*{required_code} (loop {required_loop}), "
                             f"which is required first")
        rank = int(loop[-1], 36)
        if rank < self.level_loop_rank:
            raise self.error(f"loop {loop} ({_LOOP_NAMES[loop]}) is out of order in HL {level[0]}")
        if level[1] == "22" and self.subscriber.get("sbr") is None:
            raise self.error("the subscriber level 2000B starts with SBR (required) before its names")
        self.level_loop_rank = rank
        self.level_loops[loop] += 1
        if loop == required_loop:
            level[4] = True

    def _claim_loop(self, s: Segment, loop: str, context: str) -> None:
        claim = self.claim
        if claim.loops[loop] >= (2 if loop in _MAY_REPEAT else 1):
            raise self.claim_error(f"loop {loop} ({_LOOP_NAMES[loop]}) repeats more often than it may")
        if context == "2300":
            rank = _LOOP_ORDER_2300[loop]
            if rank < claim.loop_rank:
                raise self.claim_error(f"loop {loop} ({_LOOP_NAMES[loop]}) is out of order in the claim")
            claim.loop_rank = rank
        claim.loops[loop] += 1
        self.context = context

    def _line_loop(self, s: Segment, loop: str, family: str) -> None:
        line = self.line
        if line is None or not line.has_sv1:
            raise self.claim_error("the service line has no SV1 (required directly after LX)")
        previous = line.sub
        rank = _SUBLOOP_ORDER[family]
        if previous is not None:
            previous_rank = _SUBLOOP_ORDER[previous[:4]]
            if previous_rank > rank or (family != "2420" and previous_rank == rank and family in ("2410",)):
                raise self.claim_error(f"loop {loop} is out of order or repeats in the service line")
            if family == "2420" and previous[:4] == "2420" and loop <= previous and not (
                    loop == previous and loop in _MAY_REPEAT):
                raise self.claim_error(f"loop {loop} ({_LOOP_NAMES[loop]}) is out of order or repeats in the "
                                       f"service line")
        line.sub = loop
        self.context = "2400" if family == "2420" else loop

    def _name_segment(self, s: Segment) -> bool:
        """Take ``s`` as part of the open name loop when it belongs there; False when it does not."""
        loop = self.name_loop
        if loop is None or s.id not in _LOOP_SEGMENTS[loop]:
            return False
        rank = _RANK[s.id]
        if rank < self.name_rank or (rank == self.name_rank and s.id in _ONCE):
            raise self.claim_error(f"{s.id} is out of order in the {_LOOP_NAMES[loop]} loop {loop} "
                                   f"(its segments come NM1, {', '.join(sorted(_LOOP_SEGMENTS[loop], key=_RANK.get))})")
        if s.id == "N4" and "N3" not in self.name_seen:
            raise self.claim_error(f"N4 without N3 in the {_LOOP_NAMES[loop]} loop {loop}: the address line N3 "
                                   f"is required before the city/state N4")
        self.name_rank = rank
        self.name_seen.add(s.id)
        return True

    def on_n3(self, s: Segment) -> None:
        if not self._name_segment(s):
            self.on_other(s)
            return
        self.need(s, 1, "address line")
        if self._address is not None and self._address is self.claim_facility():
            self._address["address"] = [part for part in (s.get(1), s.get(2)) if part]

    def on_n4(self, s: Segment) -> None:
        if not self._name_segment(s):
            self.on_other(s)
            return
        self.need(s, 1, "city")
        state = s.get(2)
        if state and not _STATE.fullmatch(state):
            raise self.claim_error(f"N402 {state!r} is not a two-letter state code")
        if not state and not s.get(4):
            raise self.claim_error("N402 (state) is required for a US address (N404 country absent)")
        target = self._address
        if target is None:
            return
        if target is self.claim_facility():
            target.update(city=s.get(1), state=state or None, zip=s.get(3) or None)
        else:
            target["state"] = state or None

    def _component_hint(self, value: str) -> str:
        """When a value holds punctuation, say which component separator the ISA declared."""
        if any(not (c.isalnum() or c.isspace()) for c in value):
            return (f" (ISA16 declares {self.delimiters.component!r} as the component separator; "
                    f"is another one used in the file?)")
        return ""

    def claim_facility(self) -> dict | None:
        return self.claim.facility if self.claim is not None else None

    # -- other segments: where they may be -----------------------------------------------------------

    def on_other(self, s: Segment) -> None:
        self._in_transaction(s)
        if self._name_segment(s):
            return
        context = self.context
        if context == "HEADER":
            raise self.error(f"{s.id} is not expected in the transaction header (BHT, NM1*41, PER, NM1*40)")
        if context in ("2000A", "2000B", "2000C"):
            if s.id in _OWN[context] and self.name_loop is None and not self.level_loops:
                if s.id == "PAT" and context == "2000B" and self.subscriber.get("sbr") is None:
                    raise self.error("the subscriber level 2000B starts with SBR (required)")
                return
            raise self.error(self._misplaced(s, context))
        # claim and line contexts
        line = self.line
        if line is not None:
            sub = line.sub
            if s.id in _LINE_SUBLOOPS:
                family = _LINE_SUBLOOPS[s.id]
                self._close_name()
                self._line_loop(s, family, family)
                return
            if sub in ("2410", "2430", "2440") and s.id in _OWN[sub] and self.name_loop is None:
                return
            if sub is None and s.id in _OWN["2400"]:
                if not line.has_sv1:
                    raise self.claim_error(f"{s.id} before SV1: SV1 is required directly after LX")
                if s.id == "REF" and s.get(1) == "6R":
                    line.control = s.get(2)
                return
            raise self.claim_error(self._misplaced(s, sub or "2400"))
        claim = self.claim
        if claim is not None:
            if claim.in_2320:
                if s.id in _OWN["2320"] and self.name_loop is None:
                    return
            elif s.id in _OWN["2300"] and self.name_loop is None and not claim.loops:
                if s.id == "HI":
                    claim.has_hi = True
                return
            raise self.claim_error(self._misplaced(s, "2320" if claim.in_2320 else "2300"))
        raise self.error(self._misplaced(s, context))

    def _misplaced(self, s: Segment, context: str) -> str:
        where = _CONTEXT_NAMES.get(context, f"loop {context}")
        if self.name_loop is not None:
            where = f"the {_LOOP_NAMES[self.name_loop]} loop {self.name_loop} of {where}"
        known = set().union(*_OWN.values(), *_LOOP_SEGMENTS.values(), {"BHT", "HL", "NM1", "CLM", "LX", "SV1",
                                                                          "SBR", "LIN", "SVD", "LQ"})
        if s.id not in known:
            return f"{s.id} is not a segment of the 837P"
        return f"{s.id} is not expected here, in {where} (out of order, or in the wrong loop)"

    def on_sbr(self, s: Segment) -> None:
        self._in_transaction(s)
        if self.context == "2000B" and self.claim is None:
            if self.subscriber["sbr"] is not None or self.level_loops:
                raise self.error("SBR comes once, first in the subscriber level 2000B")
            self.subscriber["sbr"] = s.position
            self.need(s, 1, "payer responsibility sequence")
            self.subscriber["sbr09"] = s.get(9) or None
            return
        claim = self.claim
        if claim is None or self.line is not None:
            raise self.claim_error(self._misplaced(s, self.context))
        self._close_name()
        if claim.loops["2320"] >= 10:
            raise self.claim_error("loop 2320 (other subscriber) repeats more than 10 times")
        claim.loops["2320"] += 1
        claim.in_2320 = True
        self.context = "2320"

    def on_hi(self, s: Segment) -> None:
        self.on_other(s)

    # -- the claim -----------------------------------------------------------------------------------

    def on_clm(self, s: Segment) -> Claim | None:
        self._in_transaction(s)
        if not self.levels or self.levels[-1][1] == "20":
            where = "before any HL" if not self.levels else f"in the billing provider level HL {self.levels[-1][0]}"
            raise self.error(f"CLM {where}: a claim belongs to a subscriber (22) or patient (23) level")
        done = self.close_claim()
        self._close_name()
        level = self.levels[-1]
        self._need_level_names(level, "CLM")
        if level[5] >= MAX_CLAIMS:
            raise self.error(f"more than {MAX_CLAIMS} claims in HL {level[0]} (loop 2300 repeats at most "
                             f"{MAX_CLAIMS} times)")
        level[5] += 1
        claim_id = s.get(1).strip()
        if not claim_id:
            raise self.error("CLM01 (claim id, the patient control number) is required")
        self.claim = claim = _Claim(claim_id, s.position)
        claim.total = self.parse_money(s, 2, "total claim charge")
        facility = s.components(5, self.delimiters)
        pos = facility[0].strip() if facility else ""
        if not pos:
            raise self.claim_error("CLM05-1 (place of service) is required")
        if not _POS.fullmatch(pos):
            raise self.claim_error(f"CLM05-1 {pos!r} is not a two-digit place-of-service code"
                                   f"{self._component_hint(pos)}")
        if len(facility) < 3 or not facility[2].strip():
            raise self.claim_error("CLM05-3 (claim frequency code) is required")
        for n, what in ((6, "provider signature indicator"), (7, "assignment or plan participation code"),
                        (8, "benefits assignment certification indicator"), (9, "release of information code")):
            self.need(s, n, what)
        claim.pos = pos
        self.context = "2300"
        return done

    def on_lx(self, s: Segment) -> None:
        self._in_transaction(s)
        claim = self.claim
        if claim is None:
            raise self.error("LX outside a claim: a service line follows its CLM")
        self.close_line()
        self._close_name()
        if not claim.has_hi:
            raise self.claim_error("the claim has no HI (diagnosis codes, required in loop 2300 before the lines)")
        number = s.get(1)
        if not _DIGITS.fullmatch(number) or not 0 < int(number) <= 10 ** 6:
            raise self.claim_error(f"LX01 {number or 'empty'!s} is not a line number (a whole number from 1)")
        if int(number) in claim.numbers:
            raise self.claim_error(f"LX01 {number}: line number {int(number)} appears twice on the claim")
        if len(claim.numbers) >= MAX_LINES:
            raise self.claim_error(f"more than {MAX_LINES} service lines (loop 2400 repeats at most {MAX_LINES} "
                                   f"times in a claim)")
        claim.numbers.add(int(number))
        claim.in_2320 = False
        self.line = _Line(int(number), s.position)
        self.context = "2400"

    def on_sv1(self, s: Segment) -> None:
        self._in_transaction(s)
        line = self.line
        if line is None:
            raise self.claim_error("SV1 outside a service line: LX comes first")
        if line.has_sv1 or s.position != line.position + 1:
            raise self.claim_error("SV1 comes once, directly after LX")
        line.has_sv1 = True
        parts = s.components(1, self.delimiters)
        if not parts[0]:
            raise self.claim_error("SV101 (the procedure code composite) is required")
        if parts[0] != "HC":
            raise self.claim_error(f"SV101-1 is {parts[0]!r}: only HCPCS/CPT procedure codes (HC) can be adjudicated"
                                   f"{self._component_hint(parts[0])}")
        if len(parts) < 2 or not parts[1].strip():
            raise self.claim_error("SV101-2 (the procedure code) is required")
        line.hcpcs = parts[1].strip().upper()
        line.modifiers = tuple(m.strip().upper() for m in parts[2:6] if m.strip())
        line.drug_name = parts[6].strip() or None if len(parts) > 6 else None
        line.charge = self.parse_money(s, 2, "line charge")
        basis = s.get(3)
        quantity = self.parse_number(s, 4, "service unit count")
        if basis == "UN":
            line.units = Decimal(int(quantity)) if quantity == quantity.to_integral_value() else quantity
        elif basis == "MJ":
            if quantity != quantity.to_integral_value() or not 0 <= quantity <= MINUTES_IN_DAY:
                raise self.claim_error(f"SV104 {s.get(4)!r} minutes (SV103 MJ) is not a whole number of minutes from "
                                       f"0 to {MINUTES_IN_DAY}")
            line.minutes = int(quantity)
            line.units = Decimal(-(-line.minutes // _MINUTES_PER_UNIT))
            line.unit_basis = (f"SV103 MJ: {line.minutes} minutes billed, read as {line.units} units of "
                               f"{_MINUTES_PER_UNIT} minutes (rounded up) and as the visit's minutes")
        else:
            raise self.claim_error(f"SV103 (unit basis) is {basis or 'empty'!s}: UN (units) or MJ (minutes) expected")
        pos = s.get(5).strip()
        if pos and not _POS.fullmatch(pos):
            raise self.claim_error(f"SV105 {pos!r} is not a two-digit place-of-service code{self._component_hint(pos)}")
        line.pos = pos or None
        if not s.components(7, self.delimiters)[0]:
            raise self.claim_error("SV107-1 (diagnosis code pointer) is required")

    def on_dtp(self, s: Segment) -> None:
        line = self.line
        if line is None or line.sub is not None or self.name_loop is not None or s.get(1) != "472":
            self.on_other(s)
            return
        if not line.has_sv1:
            raise self.claim_error("DTP before SV1: SV1 is required directly after LX")
        if line.service_date is not None:
            raise self.claim_error("DTP*472 (service date) comes once in a service line")
        qualifier, value = s.get(2), s.get(3)
        if qualifier == "D8":
            line.service_date = self.parse_date(s, 3, "service date", value)
        elif qualifier == "RD8":
            first, sep, last = value.partition("-")
            if not sep:
                raise self.claim_error(f"DTP03 {value!r} is not a date range CCYYMMDD-CCYYMMDD (DTP02 RD8)")
            start = self.parse_date(s, 3, "service period start", first)
            end = self.parse_date(s, 3, "service period end", last)
            if end < start:
                raise self.claim_error(f"DTP03 {value!r}: the service period ends before it starts")
            line.service_date, line.period = start, (start, end)
        else:
            raise self.claim_error(f"DTP02 is {qualifier or 'empty'!s}: D8 (a date) or RD8 (a range) expected")

    def close_line(self) -> None:
        line, claim = self.line, self.claim
        if line is None:
            return
        if not line.has_sv1:
            raise self.claim_error("the service line has no SV1 (required directly after LX)")
        if line.service_date is None:
            raise self.claim_error("the service line has no service date DTP*472 (required)")
        visit = Visit(minutes=line.minutes) if line.minutes is not None else None
        values = dict(line=line.number, hcpcs=line.hcpcs, units=line.units, service_date=line.service_date,
                      charge=line.charge, modifiers=line.modifiers, place_of_service=line.pos or claim.pos,
                      drug_name=line.drug_name)
        if visit is not None:
            values["visit"] = visit
        claim.lines.append(ClaimLine(**values))
        claim.controls.append(line.control)
        notes: dict[str, Any] = {}
        if line.period is not None:
            start, end = line.period
            days = (end - start).days + 1
            notes["service_period"] = {"from": start.isoformat(), "to": end.isoformat(), "days": days}
            if days > 1:
                notes["note"] = (f"DTP*472 RD8 spans {days} days; HIT pays per infusion day (FAQ 19, 25): "
                                 f"the line is adjudicated once, dated {start.isoformat()}")
        if line.unit_basis is not None:
            notes["units"] = line.unit_basis
        if notes:
            claim.notes.append({"line": line.number, **notes})
        self.line = None

    def close_claim(self) -> Claim | None:
        claim = self.claim
        if claim is None:
            return None
        self.close_line()
        self._close_name()
        if not claim.lines:
            raise self.claim_error("the claim has no service line (loop 2400 LX/SV1, required)")
        lines = _numbered_by_control(claim.lines, claim.controls)
        subscriber = self.subscriber
        x12 = {"source": self.source, "isa13": self.isa.get(13), "gs06": self.gs.get(6), "st02": self.st.get(2),
               "clm_segment": claim.position, "version": self.version, "total_charge": str(claim.total)}
        if subscriber.get("sbr09"):
            x12["claim_filing_indicator"] = subscriber["sbr09"]
        extra: dict[str, Any] = {"x12": x12}
        if self.locality is not None:
            locality = self.locality
            extra["locality_basis"] = "given by the caller"
        else:
            locality = None
            patient = self.patient
            state = (patient or {}).get("state") or subscriber.get("state")
            whose = "patient (2010CA N4)" if patient and patient.get("state") else "subscriber (2010BA N4)"
            single, counts = _statewide_localities()
            if state is None:
                extra["locality_missing"] = ("X12 carries no payment locality and the claim gives no patient or "
                                             "subscriber state: not priced (NO_RATE)")
            elif state in single:
                locality = single[state]
                extra["locality_basis"] = f"statewide locality of {state}"
            elif state in counts:
                extra["locality_missing"] = (f"the {whose} state {state} has {counts[state]} Medicare payment "
                                             f"localities and X12 does not say which: not priced (NO_RATE)")
            else:
                extra["locality_missing"] = (f"the {whose} state {state} has no Medicare payment locality: "
                                             f"not priced (NO_RATE)")
        if claim.facility is not None:
            extra["service_facility"] = claim.facility
        if claim.notes:
            extra["lines"] = claim.notes
        self.claim = None
        self.context = _HL_CONTEXT[self.levels[-1][1]]
        self.level_loop_rank = 99  # nothing of the level's own may follow its claims
        return Claim(
            claim_id=claim.claim_id,
            supplier=Supplier(npi=self.provider["npi"]),
            beneficiary=Beneficiary(mbi=subscriber["mbi"]),
            lines=lines,
            received_date=self.bht_date,
            payer="medicare-advantage" if subscriber.get("sbr09") == "16" else "medicare-ffs",
            service_locality=locality,
            extra=extra,
        )

    # -- values --------------------------------------------------------------------------------------

    def parse_date(self, s: Segment, n: int, what: str, value: str) -> date:
        if len(value) == 8 and value.isdigit():
            try:
                day = date(int(value[:4]), int(value[4:6]), int(value[6:]))
            except ValueError:
                pass
            else:
                if FIRST_YEAR <= day.year <= LAST_YEAR:
                    return day
                raise self.claim_error(f"{s.id}{n:02d} {what} {value}: a date from {FIRST_YEAR} to {LAST_YEAR} "
                                       f"is expected")
        raise self.claim_error(f"{s.id}{n:02d} {what} {value!r} is not a date CCYYMMDD")

    def parse_number(self, s: Segment, n: int, what: str) -> Decimal:
        text = s.get(n).strip()
        if not text:
            raise self.claim_error(f"{s.id}{n:02d} ({what}) is required")
        if len(text) > 18 or not _NUMBER.fullmatch(text):
            raise self.claim_error(f"{s.id}{n:02d} {what} {text[:20]!r} is not a number")
        try:
            return Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            raise self.claim_error(f"{s.id}{n:02d} {what} {text[:20]!r} is not a number") from None

    def parse_money(self, s: Segment, n: int, what: str) -> Decimal:
        amount = self.parse_number(s, n, what)
        if amount < 0 or amount >= MAX_MONEY:
            raise self.claim_error(f"{s.id}{n:02d} {what} {s.get(n)} must be a non-negative amount below "
                                   f"{MAX_MONEY:,}")
        if amount.as_tuple().exponent < -2:  # type: ignore[operator]
            raise self.claim_error(f"{s.id}{n:02d} {what} {s.get(n)} has more than two decimals")
        return amount.quantize(CENT)
