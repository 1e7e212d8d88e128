"""Read X12 835 remittance advice (005010X221A1) into plain dataclasses, streaming.

``read_835(stream, source)`` yields one :class:`Remittance` per transaction set (ST..SE), across
any number of interchanges and functional groups in the file, and also reads a transaction sent
without its ISA/GS envelope (it starts with ``ST*835``). Money is ``Decimal``, never float.

What it reads, by loop (names as in the implementation guide):

- header: BPR (BPR02 amount, BPR16 payment date), TRN (TRN02 check/EFT number), DTM*405
  (production date), 1000A payer N1*PR (+ REF*2U), 1000B payee N1*PE (XX = NPI, else REF*TJ/FI);
- 2100 claim: CLP01-07, claim-level CAS, NM1*QC patient, DTM*232/233 statement period,
  DTM*050 received, MOA/MIA remark codes, AMT*AU;
- 2110 service line: SVC01 (qualifier, code, modifiers), SVC02 charge, SVC03 paid, SVC05 units
  (absent means 1, as the guide says), SVC06 original (submitted) code, SVC07 original units,
  DTM*472 (or DTM*150/151; else the claim's DTM*232/233), CAS, REF*6R, AMT*B6, LQ*HE;
- PLB provider-level adjustments.

Segments the reader does not use (N3, N4, PER, TS3, TS2, QTY, ...) are skipped. Anything wrong in
what it does use raises :class:`X12Error` naming the file, the segment number and id, and the
problem; no other exception escapes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import IO, Iterator

from hitbenefit.x12.segments import Delimiters, Segment, X12Error, iter_segments

ZERO = Decimal("0")
CAS_GROUPS = frozenset({"CO", "CR", "OA", "PI", "PR"})
_AMOUNT = re.compile(r"-?(\d{1,15}(\.\d{0,6})?|\.\d{1,6})")
_DATE = re.compile(r"\d{8}")


# --------------------------------------------------------------------------------------- model


@dataclass(frozen=True, slots=True)
class Adjustment:
    """One CAS triplet: group (CO, PR, OA, PI, CR), CARC, amount and optional quantity."""

    group: str
    reason: str
    amount: Decimal
    quantity: Decimal | None = None

    @property
    def code(self) -> str:
        """``CO-45`` style."""
        return f"{self.group}-{self.reason}"


@dataclass(frozen=True, slots=True)
class ProviderAdjustment:
    """One PLB adjustment: reason code (PLB03-1), reference (PLB03-2) and amount (positive reduces payment)."""

    provider_id: str
    fiscal_period: date | None
    reason: str
    reference: str
    amount: Decimal


@dataclass(slots=True)
class ServicePayment:
    """A 2110 service line. ``charge``/``paid`` are None only when the payer left SVC02/SVC03 empty."""

    qualifier: str
    procedure_code: str
    modifiers: tuple[str, ...]
    charge: Decimal | None
    paid: Decimal | None
    units: Decimal = Decimal(1)
    original_qualifier: str | None = None
    original_code: str | None = None
    original_modifiers: tuple[str, ...] = ()
    original_units: Decimal | None = None
    service_date: date | None = None
    service_end_date: date | None = None
    line_control_number: str | None = None
    allowed: Decimal | None = None
    adjustments: list[Adjustment] = field(default_factory=list)
    remark_codes: list[str] = field(default_factory=list)
    position: int = 0  # segment number of the SVC, for messages

    @property
    def submitted_code(self) -> str:
        """The code as billed: SVC06 when the payer adjudicated another code, else SVC01."""
        return self.original_code or self.procedure_code

    @property
    def submitted_modifiers(self) -> tuple[str, ...]:
        return self.original_modifiers if self.original_code else self.modifiers


@dataclass(slots=True)
class ClaimPayment:
    """A 2100 claim payment (CLP loop)."""

    claim_id: str
    status: str  # CLP02: 1 primary, 2 secondary, 3 tertiary, 4 denied, 19-23 ..., 22 reversal, 25
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal
    filing_indicator: str
    payer_claim_control_number: str
    facility_code: str = ""
    frequency_code: str = ""
    patient_last_name: str = ""
    patient_first_name: str = ""
    patient_id: str = ""
    statement_from: date | None = None
    statement_to: date | None = None
    received_date: date | None = None
    adjustments: list[Adjustment] = field(default_factory=list)
    remark_codes: list[str] = field(default_factory=list)  # MOA/MIA claim-level RARCs
    services: list[ServicePayment] = field(default_factory=list)
    position: int = 0

    @property
    def patient_name(self) -> str:
        return " ".join(part for part in (self.patient_first_name, self.patient_last_name) if part)

    @property
    def denied(self) -> bool:
        return self.status == "4"

    @property
    def reversal(self) -> bool:
        return self.status == "22"


@dataclass(slots=True)
class Remittance:
    """One 835 transaction set: a payment (or a notice of no payment) and the claims it pays."""

    source: str
    control_number: str  # ST02
    payer_name: str
    payer_id: str
    payee_name: str
    payee_npi: str | None
    payee_tax_id: str | None
    amount: Decimal  # BPR02
    payment_method: str  # BPR04: ACH, CHK, NON, ...
    trace_number: str  # TRN02: check or EFT number
    payment_date: date | None  # BPR16
    production_date: date | None  # DTM*405
    version: str | None = None  # GS08 when the file has one
    claims: list[ClaimPayment] = field(default_factory=list)
    provider_adjustments: list[ProviderAdjustment] = field(default_factory=list)
    position: int = 0  # segment number of the ST
    warnings: list[str] = field(default_factory=list)  # tolerated faults of real files, each naming its segment

    @property
    def balance(self) -> Decimal:
        """Claims paid minus provider-level adjustments: what BPR02 should be."""
        return sum((c.paid for c in self.claims), ZERO) - sum((p.amount for p in self.provider_adjustments), ZERO)


# --------------------------------------------------------------------------------------- reader


class _Reader:
    """Holds the transaction being read; one method per segment id it uses."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.delimiters = Delimiters()
        self.version: str | None = None
        self.header: dict | None = None  # fields of the transaction being read, before it becomes a Remittance
        self.remittance: Remittance | None = None
        self.claim: ClaimPayment | None = None
        self.service: ServicePayment | None = None
        self.n1: str | None = None  # the 1000A/1000B loop we are in (PR, PE)
        self.count = 0  # segments in the transaction, ST and SE included
        self.warnings: list[str] = []

    # ---- helpers

    def error(self, segment: Segment, problem: str) -> X12Error:
        return X12Error(problem, self.source, segment.position, segment.id)

    def warn(self, segment: Segment, problem: str) -> None:
        self.warnings.append(str(X12Error(problem, self.source, segment.position, segment.id)))

    def required(self, segment: Segment, n: int, name: str) -> str:
        value = segment.get(n).strip()
        if not value:
            raise self.error(segment, f"{segment.id}{n:02d} ({name}) is missing")
        return value

    def amount(self, segment: Segment, n: int, name: str, required: bool = True) -> Decimal | None:
        text = segment.get(n).strip()
        if not text:
            if required:
                raise self.error(segment, f"{segment.id}{n:02d} ({name}) is missing")
            return None
        if not _AMOUNT.fullmatch(text):
            raise self.error(segment, f"{segment.id}{n:02d} ({name}) {text[:20]!r} is not a decimal number")
        return Decimal(text)

    def day(self, segment: Segment, n: int, name: str, required: bool = True) -> date | None:
        text = segment.get(n).strip()
        if not text:
            if required:
                raise self.error(segment, f"{segment.id}{n:02d} ({name}) is missing")
            return None
        try:
            if not _DATE.fullmatch(text):
                raise ValueError
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            raise self.error(segment, f"{segment.id}{n:02d} ({name}) {text[:20]!r} is not a date CCYYMMDD") from None

    def in_transaction(self, segment: Segment) -> None:
        if self.header is None:
            raise self.error(segment, f"{segment.id} outside a transaction set (no ST*835 before it)")

    def in_claim(self, segment: Segment) -> ClaimPayment:
        self.in_transaction(segment)
        if self.claim is None:
            raise self.error(segment, f"{segment.id} outside a claim payment (no CLP before it)")
        return self.claim

    def cas(self, segment: Segment) -> list[Adjustment]:
        group = self.required(segment, 1, "claim adjustment group code")
        if group not in CAS_GROUPS:
            raise self.error(segment, f"CAS01 {group[:10]!r} is not an adjustment group (CO, CR, OA, PI, PR)")
        if len(segment.elements) > 19:
            raise self.error(segment, "CAS has more than 6 adjustment triplets (19 elements)")
        found = []
        for first in range(2, 20, 3):
            reason = segment.get(first).strip()
            if not reason:
                if any(segment.get(n).strip() for n in (first + 1, first + 2)):
                    raise self.error(segment, f"CAS{first + 1:02d} has an amount without a reason code in CAS{first:02d}")
                continue
            amount = self.amount(segment, first + 1, "adjustment amount")
            quantity = self.amount(segment, first + 2, "adjustment quantity", required=False)
            found.append(Adjustment(group, reason, amount, quantity))
        if not found:
            raise self.error(segment, "CAS02 (adjustment reason code) is missing")
        return found

    def procedure(self, segment: Segment, n: int) -> tuple[str, str, tuple[str, ...]]:
        parts = [p.strip() for p in segment.components(n, self.delimiters)]
        if len(parts) == 1:
            # Real files (the LinuxForHealth samples) write SVC01 with '>' while ISA16 declares ':'
            # (or the reverse): accept a composite that only parses with the other usual separator.
            for other in (">", ":", "^"):
                if other != self.delimiters.component and re.fullmatch(rf"[A-Z]{{2}}{re.escape(other)}\S.*", parts[0]):
                    self.warn(segment, f"{segment.id}{n:02d} {segment.get(n)[:30]!r} uses {other!r} as the component "
                                       f"separator, the envelope declares {self.delimiters.component!r}")
                    parts = [p.strip() for p in parts[0].split(other)]
                    break
        qualifier = parts[0]
        code = parts[1] if len(parts) > 1 else ""
        if not qualifier or not code:
            raise self.error(segment, f"{segment.id}{n:02d} {segment.get(n)[:30]!r} has no procedure code "
                                      f"(qualifier{self.delimiters.component}code expected)")
        modifiers = tuple(m for m in parts[2:6] if m)
        return qualifier, code, modifiers

    # ---- the transaction

    def start(self, segment: Segment) -> None:
        if self.header is not None:
            raise self.error(segment, "ST before the previous transaction set ended with SE")
        kind = segment.get(1).strip()
        if kind != "835":
            raise self.error(segment, f"transaction set {kind[:10]!r} is not an 835 remittance advice")
        self.header = {"control_number": segment.get(2).strip(), "position": segment.position}
        self.remittance = self.claim = self.service = self.n1 = None
        self.count = 1
        self.warnings = []

    def finish(self, segment: Segment) -> Remittance:
        self.in_transaction(segment)
        remittance = self.build(segment)
        stated = segment.get(1).strip()
        if stated != str(self.count) and not (stated.isdigit() and int(stated) == self.count):
            self.warn(segment, f"SE01 says {stated[:10]!r} segments, the transaction set has {self.count}")
        remittance.warnings.extend(self.warnings)
        control = segment.get(2).strip()
        if control and control != remittance.control_number:
            raise self.error(segment, f"SE02 {control[:12]!r} does not match ST02 {remittance.control_number[:12]!r}")
        self.close_claim()
        self.header = self.remittance = self.claim = self.service = None
        return remittance

    def build(self, segment: Segment) -> Remittance:
        """The Remittance, made once the header is complete (at the first LX/CLP/PLB or SE)."""
        if self.remittance is not None:
            return self.remittance
        h = self.header
        for key, what in (("amount", "BPR (financial information)"), ("trace_number", "TRN (reassociation trace number)"),
                          ("payer_name", "N1*PR (payer)"), ("payee_name", "N1*PE (payee)")):
            if key not in h:
                raise self.error(segment, f"the transaction set has no {what} before {segment.id}")
        self.remittance = Remittance(
            source=self.source, control_number=h["control_number"], payer_name=h["payer_name"],
            payer_id=h.get("payer_id") or h.get("payer_ref") or h.get("trn_payer", ""), payee_name=h["payee_name"],
            payee_npi=h.get("payee_npi"), payee_tax_id=h.get("payee_tax_id"), amount=h["amount"],
            payment_method=h.get("payment_method", ""), trace_number=h["trace_number"],
            payment_date=h.get("payment_date"), production_date=h.get("production_date"), version=self.version,
            position=h["position"])
        return self.remittance

    def close_claim(self) -> None:
        claim = self.claim
        if claim is None:
            return
        for service in claim.services:
            if service.service_date is None and claim.statement_from is not None:
                service.service_date = claim.statement_from
                service.service_end_date = claim.statement_to or claim.statement_from
        self.claim = self.service = None

    # ---- segments

    def segment(self, segment: Segment) -> Remittance | None:
        sid = segment.id
        if sid == "ISA":
            if self.header is not None:
                raise self.error(segment, "ISA inside a transaction set (no SE before it)")
            return None
        if sid == "GS":
            if self.header is not None:
                raise self.error(segment, "GS inside a transaction set (no SE before it)")
            self.version = segment.get(8).strip() or None
            return None
        if sid in ("GE", "IEA"):
            if self.header is not None:
                raise self.error(segment, f"{sid} inside a transaction set (no SE before it)")
            return None
        if sid == "ST":
            self.start(segment)
            return None
        if self.header is None:
            raise self.error(segment, f"{sid} outside a transaction set (no ST*835 before it)")
        self.count += 1
        if sid == "SE":
            return self.finish(segment)
        handler = getattr(self, "seg_" + sid, None)
        if handler is not None:
            handler(segment)
        return None

    def seg_BPR(self, s: Segment) -> None:
        self.header["amount"] = self.amount(s, 2, "total payment amount")
        self.header["payment_method"] = s.get(4).strip()
        try:
            self.header["payment_date"] = self.day(s, 16, "payment date", required=False)
        except X12Error as exc:  # not needed to reconcile: keep the remittance, say so
            self.warn(s, exc.problem + "; payment date left empty")

    def seg_TRN(self, s: Segment) -> None:
        self.header["trace_number"] = self.required(s, 2, "check or EFT trace number")
        self.header["trn_payer"] = s.get(3).strip()

    def seg_DTM(self, s: Segment) -> None:
        qualifier = s.get(1).strip()
        if self.claim is None:
            if qualifier == "405":
                self.header["production_date"] = self.day(s, 2, "production date")
            return
        when = self.day(s, 2, f"date {qualifier}")
        service = self.service
        if service is not None:
            if qualifier == "472":
                service.service_date = service.service_end_date = when
            elif qualifier == "150":
                service.service_date = when
                service.service_end_date = service.service_end_date or when
            elif qualifier == "151":
                service.service_end_date = when
                service.service_date = service.service_date or when
            return
        if qualifier == "232":
            self.claim.statement_from = when
        elif qualifier == "233":
            self.claim.statement_to = when
        elif qualifier == "050":
            self.claim.received_date = when

    def seg_N1(self, s: Segment) -> None:
        if self.remittance is not None:
            return  # N1 only occurs in the header
        entity = s.get(1).strip()
        self.n1 = entity
        if entity == "PR":
            self.header["payer_name"] = self.required(s, 2, "payer name")
            if s.get(4).strip():
                self.header["payer_id"] = s.get(4).strip()
        elif entity == "PE":
            self.header["payee_name"] = self.required(s, 2, "payee name")
            qualifier, ident = s.get(3).strip(), s.get(4).strip()
            if qualifier == "XX":
                self.header["payee_npi"] = ident or None
            elif qualifier == "FI" and ident:
                self.header["payee_tax_id"] = ident

    def seg_REF(self, s: Segment) -> None:
        qualifier, value = s.get(1).strip(), s.get(2).strip()
        if self.service is not None:
            if qualifier == "6R":
                self.service.line_control_number = self.required(s, 2, "line item control number")
            return
        if self.claim is None and self.remittance is None:
            if qualifier == "2U" and self.n1 == "PR" and value:
                self.header["payer_ref"] = value
            elif qualifier == "TJ" and self.n1 == "PE" and value:
                self.header.setdefault("payee_tax_id", value)

    def seg_LX(self, s: Segment) -> None:
        self.build(s)
        self.close_claim()

    def seg_CLP(self, s: Segment) -> None:
        remittance = self.build(s)
        self.close_claim()
        self.claim = ClaimPayment(
            claim_id=self.required(s, 1, "claim submitter's identifier"),
            status=self.required(s, 2, "claim status code"),
            charge=self.amount(s, 3, "total claim charge"),
            paid=self.amount(s, 4, "claim payment amount"),
            patient_responsibility=self.amount(s, 5, "patient responsibility", required=False) or ZERO,
            filing_indicator=s.get(6).strip(),
            payer_claim_control_number=s.get(7).strip(),
            facility_code=s.get(8).strip(),
            frequency_code=s.get(9).strip(),
            position=s.position)
        remittance.claims.append(self.claim)

    def seg_CAS(self, s: Segment) -> None:
        claim = self.in_claim(s)
        target = self.service if self.service is not None else claim
        target.adjustments.extend(self.cas(s))

    def seg_NM1(self, s: Segment) -> None:
        if self.claim is None or self.service is not None:
            return
        if s.get(1).strip() == "QC":
            self.claim.patient_last_name = s.get(3).strip()
            self.claim.patient_first_name = s.get(4).strip()
            self.claim.patient_id = s.get(9).strip()

    def seg_MOA(self, s: Segment) -> None:
        claim = self.in_claim(s)
        claim.remark_codes.extend(code for n in range(3, 8) if (code := s.get(n).strip()))

    def seg_MIA(self, s: Segment) -> None:
        claim = self.in_claim(s)
        claim.remark_codes.extend(code for n in (5, 20, 21, 22, 23) if (code := s.get(n).strip()))

    def seg_SVC(self, s: Segment) -> None:
        claim = self.in_claim(s)
        qualifier, code, modifiers = self.procedure(s, 1)
        units = self.amount(s, 5, "units of service paid", required=False)
        service = ServicePayment(
            qualifier=qualifier, procedure_code=code, modifiers=modifiers,
            charge=self.amount(s, 2, "line item charge", required=False),
            paid=self.amount(s, 3, "line item provider payment", required=False),
            units=Decimal(1) if units is None else units,
            original_units=self.amount(s, 7, "original units of service", required=False),
            position=s.position)
        if s.get(6).strip():
            service.original_qualifier, service.original_code, service.original_modifiers = self.procedure(s, 6)
        claim.services.append(service)
        self.service = service

    def seg_AMT(self, s: Segment) -> None:
        if self.service is not None and s.get(1).strip() == "B6":
            self.service.allowed = self.amount(s, 2, "allowed amount")

    def seg_LQ(self, s: Segment) -> None:
        if self.service is None:
            return
        if s.get(1).strip() == "HE":
            self.service.remark_codes.append(self.required(s, 2, "remark code"))

    def seg_PLB(self, s: Segment) -> None:
        remittance = self.build(s)
        self.close_claim()
        provider = self.required(s, 1, "provider identifier")
        period = self.day(s, 2, "fiscal period date", required=False)
        found = 0
        for n in range(3, 15, 2):
            if not s.get(n).strip():
                continue
            parts = s.components(n, self.delimiters)
            reason = parts[0].strip()
            if not reason:
                raise self.error(s, f"PLB{n:02d} has no adjustment reason code")
            remittance.provider_adjustments.append(ProviderAdjustment(
                provider, period, reason, parts[1].strip() if len(parts) > 1 else "",
                self.amount(s, n + 1, "provider adjustment amount")))
            found += 1
        if not found:
            raise self.error(s, "PLB03 (provider adjustment identifier) is missing")


def read_835(stream: IO, source: str = "<input>") -> Iterator[Remittance]:
    """Every remittance (835 transaction set) in ``stream`` (text or bytes), in file order."""
    reader = _Reader(source)
    last = 0
    try:
        for segment, delimiters in iter_segments(stream, source, envelope=False):
            reader.delimiters = delimiters
            last = segment.position
            remittance = reader.segment(segment)
            if remittance is not None:
                yield remittance
    except X12Error:
        raise
    except (ValueError, IndexError, TypeError, ArithmeticError) as exc:  # a safety net: never a traceback
        raise X12Error(f"unreadable X12 ({exc.__class__.__name__}: {exc})", source, last + 1) from None
    if reader.header is not None:
        raise X12Error("the file ends inside a transaction set (no SE)", source, last + 1)


def read_835_file(path, source: str | None = None) -> list[Remittance]:
    """All remittances of one file; OSError becomes an X12Error naming the file."""
    name = source or str(path)
    try:
        with open(path, "rb") as handle:
            return list(read_835(handle, name))
    except OSError as exc:
        raise X12Error(f"cannot be read ({exc.strerror or exc})", name) from None
