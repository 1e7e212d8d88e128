"""What the store hands back: principals, results, stored claims, history lines, keys, plans."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from hitbenefit.claims.model import OTHER, VISIT, Decision, LineDecision, Reason
from hitbenefit.parameters.model import Parameters

ROLES = ("supplier", "contractor", "analyst")


class StoreError(Exception):
    """Anything the store refuses; ``str()`` says what, naming no beneficiary."""


class InvalidRequest(StoreError, ValueError):
    """A malformed request (unknown role, a supplier key without an NPI, ...)."""


class Forbidden(StoreError):
    """The principal may not do this (wrong supplier, read-only role)."""


class ClaimConflict(StoreError):
    """The supplier already submitted a different claim under this claim id."""


class NotFound(StoreError, LookupError):
    """No such key, plan or version (or not one this principal may see)."""


class AmbiguousClaim(StoreError, LookupError):
    """Several suppliers used this claim id: name the supplier."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is acting: an API key's id, its role and, for a supplier, its NPI."""

    key_id: int | None
    role: str
    supplier_npi: str | None = None

    @property
    def name(self) -> str:
        """How the audit log names the principal: ``supplier:NPI`` or the role."""
        return f"supplier:{self.supplier_npi}" if self.role == "supplier" else self.role


SYSTEM_CONTRACTOR = Principal(None, "contractor")
"""The principal of local tools (``hitbenefit adjudicate --db``): a contractor without a key."""


@dataclass(slots=True)
class SubmitResult:
    decision: Decision
    created: bool  # False: the same claim was submitted before and this is its stored decision
    claim_ref: int  # the store's internal claim id


@dataclass(slots=True)
class StoredClaim:
    claim_id: str
    supplier_npi: str
    beneficiary_id: int  # the store's internal id, never the MBI
    received_at: datetime
    submitted_by: int | None
    body_sha256: str
    status: str
    claim: dict[str, Any]  # contract JSON; for an analyst without MBI and without ``extra``
    decision: dict[str, Any]  # contract decision JSON
    claim_ref: int


@dataclass(slots=True)
class HistoryLine:
    claim_id: str
    supplier_npi: str
    line: int
    hcpcs: str
    service_date: date
    status: str
    category: int | None
    received_at: datetime


@dataclass(slots=True)
class ApiKeyInfo:
    id: int
    prefix: str
    role: str
    supplier_npi: str | None
    label: str
    created_at: datetime
    revoked_at: datetime | None
    user_email: str | None = None


@dataclass(slots=True)
class UserInfo:
    """A person behind keys; a disabled user's keys fail authentication."""

    id: int
    name: str
    email: str
    role: str
    supplier_npi: str | None
    created_at: datetime
    disabled_at: datetime | None


@dataclass(slots=True)
class PlanVersion:
    plan_id: int
    version: int
    content: dict[str, Any]
    established_by_npi: str | None
    established_by_role: str | None
    signed_date: date | None
    signer: str | None
    last_changed: date | None
    reviewed_dates: list[date]
    created_at: datetime


@dataclass(slots=True)
class PlanOfCareRecord:
    plan_id: int
    beneficiary_id: int
    supplier_npi: str | None
    created_at: datetime
    versions: list[PlanVersion] = field(default_factory=list)


class StoredLineDecision(LineDecision):
    """A line decision read back from the store: its trace is the one written when it was decided."""

    @property
    def trace(self) -> list[str]:  # type: ignore[override]
        return list(self.__dict__.get("stored_trace", ()))


def _money(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def decision_from_json(data: dict[str, Any], params: Parameters) -> Decision:
    """Rebuild a ``Decision`` from its stored contract JSON; ``to_json()`` gives that JSON back."""
    lines = []
    for raw in data["lines"]:
        reasons = []
        for r in raw.get("reasons", ()):
            spec = params.reasons.get(r["key"])
            reasons.append(Reason(r["key"], spec.outcome if spec else "warning", r.get("group"), r.get("carc"),
                                  r.get("rarc"), r.get("message", ""), tuple(r.get("citations", ()))))
        line = StoredLineDecision(
            line=raw["line"], hcpcs=raw["hcpcs"], status=raw["status"], category=raw.get("category"),
            visit_type=raw.get("visit_type"), allowed=_money(raw.get("allowed")),
            deductible=_money(raw.get("deductible")), coinsurance=_money(raw.get("coinsurance")),
            sequestration=_money(raw.get("sequestration")), paid=_money(raw.get("paid")), reasons=reasons,
            kind=VISIT if raw.get("visit_type") else OTHER)
        line.stored_trace = list(raw.get("trace", ()))
        lines.append(line)
    totals = {k: _money(v) for k, v in data["totals"].items()}
    return Decision(data["claim_id"], data["status"], lines, totals, data.get("rates"))
