"""A claim and its decision as the contract defines them (CONTRACT §1-2); pure data.

Fields a claim does not carry are ``None`` here, never a guessed value: the rules decide what an
absent fact means (usually a warning that the contractor checks it against its own files).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Callable


@dataclass(frozen=True, slots=True)
class Period:
    """A span of dates, both ends inclusive; ``end`` None means still open."""

    start: date
    end: date | None

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True, slots=True)
class InstitutionalStay:
    """An inpatient stay in a hospital, CAH or SNF (not a home: FAQ 1, 20)."""

    period: Period
    kind: str  # hospital | cah | snf


@dataclass(frozen=True, slots=True)
class Supplier:
    npi: str
    specialty: str | None = None
    accreditation_expires: date | None = None
    licensed_states: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Beneficiary:
    mbi: str
    part_b: tuple[Period, ...] | None = None
    medicare_advantage: tuple[Period, ...] = ()
    institutional_stays: tuple[InstitutionalStay, ...] = ()
    deductible_remaining: Decimal | None = None


@dataclass(frozen=True, slots=True)
class PlanOfCare:
    """The physician-established plan of care (FAQ 10-11)."""

    established_by_npi: str | None
    established_by_role: str
    care_provider_role: str | None = None
    therapy_type: str | None = None
    medication: str | None = None
    dosage: str | None = None
    frequency: str | None = None
    duration: str | None = None
    professional_services: tuple[str, ...] = ()
    visit_frequency: str | None = None
    discipline: str | None = None
    signed_date: date | None = None
    last_changed: date | None = None
    last_reviewed: date | None = None


@dataclass(frozen=True, slots=True)
class Visit:
    """What happened in the home on the line's date (FAQ 7, 14, 20, 25)."""

    in_person: bool = True
    drug_administered: bool = True
    minutes: int | None = None
    hh_minutes: int = 0


DEFAULT_VISIT = Visit()


@dataclass(frozen=True, slots=True)
class ClaimLine:
    line: int
    hcpcs: str
    units: Decimal
    service_date: date
    charge: Decimal
    modifiers: tuple[str, ...] = ()
    place_of_service: str = "12"
    visit: Visit = DEFAULT_VISIT
    drug_name: str | None = None


@dataclass(frozen=True, slots=True)
class Claim:
    claim_id: str
    supplier: Supplier
    beneficiary: Beneficiary
    lines: tuple[ClaimLine, ...]
    received_date: date | None = None
    payer: str = "medicare-ffs"
    plan_of_care: PlanOfCare | None = None
    service_locality: str | None = None
    extra: Any = None
    earliest_service_date: date = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "earliest_service_date", min(line.service_date for line in self.lines))

    @property
    def received(self) -> date:
        """The day the claim was submitted: ``received_date`` or the latest service date."""
        return self.received_date or max(line.service_date for line in self.lines)


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason on a line: a contract key with its X12 mapping, message and citations."""

    key: str
    outcome: str
    group: str | None
    carc: str | None
    rarc: str | None
    message: str
    citations: tuple[str, ...]

    def to_json(self) -> dict:
        return {"key": self.key, "group": self.group, "carc": self.carc, "rarc": self.rarc,
                "message": self.message, "citations": list(self.citations)}


VISIT, HIT_DRUG, NOC_DRUG, EXCLUDED_DRUG, OTHER_DRUG, OTHER = "visit", "hit", "noc", "excluded", "other-drug", "other"
"""What a line is: a HIT G-code visit, a drug (home infusion, NOC, excluded, other) or anything else."""


@dataclass(slots=True)
class LineDecision:
    line: int
    hcpcs: str
    status: str  # paid | denied | rejected | informational
    category: int | None = None
    visit_type: str | None = None
    allowed: Decimal | None = None
    deductible: Decimal | None = None
    coinsurance: Decimal | None = None
    sequestration: Decimal | None = None
    paid: Decimal | None = None
    reasons: list[Reason] = field(default_factory=list)
    kind: str = OTHER
    drug_name: str | None = None
    payment: Any = None  # the priced amounts, with an ``explain()`` giving their steps in words

    @property
    def trace(self) -> list[str]:
        """How the line's outcome and amounts were reached, step by step, in words (made when asked)."""
        steps = []
        if self.kind == VISIT:
            steps.append(f"{self.hcpcs} is the {self.visit_type} visit code of payment category {self.category} "
                         f"(FAQ 22, 23).")
        elif self.kind in (HIT_DRUG, NOC_DRUG, EXCLUDED_DRUG, OTHER_DRUG):
            if self.category is not None:
                named = f" ({self.drug_name})" if self.drug_name else ""
                steps.append(f"{self.hcpcs} identifies a payment category {self.category} home infusion drug{named} "
                             f"(FAQ 17, 22).")
            steps.append("The drug is paid under the DME benefit, not on this claim (FAQ 1, 4)."
                         if self.kind in (HIT_DRUG, NOC_DRUG) and "NOT_HOME_INFUSION_DRUG" not in self.keys()
                         else "Not a home infusion drug (FAQ 15, 18).")
        for reason in self.reasons:
            if reason.outcome in ("rejected", "denied"):
                steps.append(f"{reason.outcome.capitalize()}: {reason.key} ({', '.join(reason.citations)}).")
        if self.payment is not None:
            steps.extend(self.payment.explain())
        elif self.kind == VISIT and self.status == "paid":
            steps.append("Not priced: no rate for this year and locality (allowed and paid are null).")
        return steps

    def keys(self) -> list[str]:
        return [r.key for r in self.reasons]

    def to_json(self) -> dict:
        out: dict[str, Any] = {"line": self.line, "hcpcs": self.hcpcs, "status": self.status,
                               "category": self.category}
        if self.visit_type is not None:
            out["visit_type"] = self.visit_type
        out.update(allowed=self.allowed, deductible=self.deductible, coinsurance=self.coinsurance,
                   sequestration=self.sequestration, paid=self.paid,
                   reasons=[r.to_json() for r in self.reasons], trace=self.trace)
        return out


@dataclass(slots=True)
class Decision:
    claim_id: str
    status: str  # paid | partial | denied | rejected
    lines: list[LineDecision]
    totals: dict[str, Decimal]
    rates: dict[str, Any] | None

    def to_json(self, line_json: Callable[[LineDecision], Any] = LineDecision.to_json) -> dict:
        """The contract decision (CONTRACT §2); ``line_json`` writes each line (a serializer may pass its own)."""
        return {"claim_id": self.claim_id, "status": self.status, "lines": [line_json(line) for line in self.lines],
                "totals": dict(self.totals), "rates": self.rates}
