"""The plan of care as the supplier keeps it, and its status on any date (FAQ 10-11; BPM 15 §320.5;
RULES POC-1 to POC-9).

A ``CarePlan`` is the contract's ``plan_of_care`` object (CONTRACT §1: who established it, the
therapy, medication, dosage, frequency, duration, professional services, visit frequency and
discipline) plus what a supplier must also keep:

- ``orders``: the physician's orders, each with what is ordered (a drug or a service), the
  frequency as a range ``frequency_min``-``frequency_max`` per ``period`` and the discipline that
  furnishes it (FAQ 10 B; POC-3);
- the establishing physician's name (``established_by`` carries NPI and role; POC-1);
- ``options_notice_date``: when the physician documented telling the patient the options for
  infusion (home, physician's office, hospital outpatient department) (SSA §1834(u)(6); POC-8);
- ``dme_contacts``: the DME supplier contacts the physician coordinates the plan with (FAQ 11);
- ``thresholds``: remote-monitoring alert thresholds per vital sign (FAQ 14; POC-9).

Signature and reviews belong to a stored version (``PlanVersionState``), never to the content: a
version is signed once and a change is a new version.

Which changes need a new signature (FAQ 10 C, 11: "sign and date the plan of care upon any changes
to the plan of care"): every change to what the plan prescribes or orders (``CLINICAL_FIELDS``).
A change only to the DME coordination contacts, or to the date the options notice was documented,
is a record of coordination, not a change to the care prescribed (FAQ 10 A-B lists what the plan
prescribes; FAQ 11 asks the physician to coordinate with the DME supplier), so the earlier
signature carries over. This is the project's reading (RULES POC-4, confidence I).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Mapping, Sequence

from hitbenefit.care import fields as f
from hitbenefit.care.fields import CareInputError
from hitbenefit.care.monitoring import Threshold, thresholds_from_json, thresholds_to_json
from hitbenefit.care.visits import DISCIPLINES
from hitbenefit.claims.model import PlanOfCare
from hitbenefit.claims.read_json import ClaimInputError, plan_of_care_from_json
from hitbenefit.rules.plan_of_care import APPLICABLE_PROVIDERS, REQUIRED_ELEMENTS

PERIODS = ("day", "week", "month")
ORDER_KINDS = ("drug", "service")
CONTRACT_FIELDS = ("established_by", "care_provider_role", "therapy_type", "medication", "dosage", "frequency",
                   "duration", "professional_services", "visit_frequency", "discipline", "signed_date",
                   "last_changed", "last_reviewed")
DETAIL_FIELDS = ("physician_name", "orders", "options_notice_date", "dme_contacts", "thresholds")
CLINICAL_FIELDS = ("established_by", "care_provider_role", "therapy_type", "medication", "dosage", "frequency",
                   "duration", "professional_services", "visit_frequency", "discipline", "physician_name", "orders",
                   "thresholds")
"""Fields whose change needs the physician's new signature (see the module docstring)."""

COMPLETE, INCOMPLETE, UNSIGNED, AWAITING_RESIGNATURE, REVIEW_OVERDUE, NOT_IN_EFFECT = (
    "complete", "incomplete", "unsigned", "awaiting_resignature", "review_overdue", "not_in_effect")
STATUSES = (COMPLETE, INCOMPLETE, UNSIGNED, AWAITING_RESIGNATURE, REVIEW_OVERDUE, NOT_IN_EFFECT)


@dataclass(frozen=True, slots=True)
class Order:
    """A physician's order: a drug or service, how often (a range per period) and by which discipline."""

    kind: str  # drug | service
    what: str
    frequency_min: int
    frequency_max: int
    period: str  # day | week | month
    discipline: str
    hcpcs: str | None = None
    dose: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "what": self.what, "hcpcs": self.hcpcs, "dose": self.dose,
                "frequency_min": self.frequency_min, "frequency_max": self.frequency_max, "period": self.period,
                "discipline": self.discipline}

    @property
    def frequency(self) -> str:
        low, high = self.frequency_min, self.frequency_max
        return f"{low} per {self.period}" if low == high else f"{low}-{high} per {self.period}"


@dataclass(frozen=True, slots=True)
class Contact:
    """A DME supplier contact the plan is coordinated with (FAQ 11)."""

    organization: str
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    npi: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"organization": self.organization, "name": self.name, "phone": self.phone, "email": self.email,
                "npi": self.npi}


@dataclass(frozen=True, slots=True)
class CarePlan:
    """One version's content: the contract's plan_of_care (``poc``, read by the contract's own
    reader) and the supplier's details."""

    poc: PlanOfCare
    physician_name: str | None = None
    orders: tuple[Order, ...] = ()
    options_notice_date: date | None = None
    dme_contacts: tuple[Contact, ...] = ()
    thresholds: Mapping[str, Threshold] = field(default_factory=dict)

    def contract_json(self) -> dict[str, Any]:
        """The contract's plan_of_care object (without signature; see ``claim_plan_of_care``)."""
        p = self.poc
        out: dict[str, Any] = {"established_by": {"npi": p.established_by_npi, "role": p.established_by_role}}
        for name in CONTRACT_FIELDS[1:10]:
            value = getattr(p, name)
            if value:
                out[name] = list(value) if isinstance(value, tuple) else value
        for name in ("last_changed", "last_reviewed"):
            value = getattr(p, name)
            if value is not None:
                out[name] = value.isoformat()
        return out

    def details_json(self) -> dict[str, Any]:
        """What the supplier keeps beyond the contract: orders, physician, notice, contacts, thresholds."""
        return {"physician_name": self.physician_name, "orders": [o.to_json() for o in self.orders],
                "options_notice_date": self.options_notice_date.isoformat() if self.options_notice_date else None,
                "dme_contacts": [c.to_json() for c in self.dme_contacts],
                "thresholds": thresholds_to_json(self.thresholds)}

    def to_json(self) -> dict[str, Any]:
        return {**self.contract_json(), **self.details_json()}


def _order(where: str, raw: Any) -> Order:
    raw = f.obj(where, raw, ("kind", "what", "hcpcs", "dose", "frequency_min", "frequency_max", "period",
                             "discipline"), ("kind", "what", "frequency_min", "frequency_max", "period", "discipline"))
    low = f.whole(f"{where}.frequency_min", raw["frequency_min"], 0, 1000)
    high = f.whole(f"{where}.frequency_max", raw["frequency_max"], 1, 1000)
    if low > high:  # type: ignore[operator]
        raise CareInputError(f"{where}.frequency_max", f"below frequency_min ({low})")
    hcpcs = f.text(f"{where}.hcpcs", raw.get("hcpcs"), optional=True, limit=5)
    kind = f.one_of(f"{where}.kind", raw["kind"], ORDER_KINDS)
    if kind == "drug" and not (raw.get("dose") or raw.get("hcpcs")):
        raise CareInputError(f"{where}.dose", "a drug order names its dose or its HCPCS code (FAQ 10 A)")
    return Order(kind, f.text(f"{where}.what", raw["what"]), low, high,  # type: ignore[arg-type]
                 f.one_of(f"{where}.period", raw["period"], PERIODS),  # type: ignore[arg-type]
                 f.one_of(f"{where}.discipline", raw["discipline"], DISCIPLINES),  # type: ignore[arg-type]
                 hcpcs, f.text(f"{where}.dose", raw.get("dose"), optional=True))


def _contact(where: str, raw: Any) -> Contact:
    raw = f.obj(where, raw, ("organization", "name", "phone", "email", "npi"), ("organization",))
    if not (raw.get("phone") or raw.get("email")):
        raise CareInputError(f"{where}.phone", "a contact needs a phone number or an email address")
    return Contact(f.text(f"{where}.organization", raw["organization"]),  # type: ignore[arg-type]
                   f.text(f"{where}.name", raw.get("name"), optional=True),
                   f.text(f"{where}.phone", raw.get("phone"), optional=True, limit=40),
                   f.text(f"{where}.email", raw.get("email"), optional=True, limit=320),
                   f.npi(f"{where}.npi", raw.get("npi"), optional=True))


def _list(field_name: str, value: Any) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise CareInputError(field_name, f"expected a list, found {f.kind(value)}")
    return value


def plan_from_json(data: Any) -> CarePlan:
    """A ``CarePlan`` from one object holding the contract's plan_of_care fields and the details
    (``DETAIL_FIELDS``); ``signed_date`` is refused: a signature is recorded on a version."""
    data = f.obj("plan_of_care", data, CONTRACT_FIELDS + DETAIL_FIELDS, ("established_by",))
    if data.get("signed_date") is not None:
        raise CareInputError("plan_of_care.signed_date", "record the signature on the version (plans sign)")
    return _plan(data, "plan_of_care")


def plan_from_stored(content: Mapping[str, Any], details: Mapping[str, Any] | None) -> CarePlan:
    """A version's ``CarePlan`` from its stored contract content and details (both as written)."""
    data = {k: v for k, v in content.items() if k != "signed_date"}
    data.update({k: v for k, v in (details or {}).items() if v is not None})
    return _plan(data, "plan_of_care")


def details_from_json(data: Any) -> dict[str, Any]:
    """The details object alone (``DETAIL_FIELDS``), checked; returned in canonical form."""
    data = f.obj("details", data, DETAIL_FIELDS)
    return _plan({"established_by": {"role": "physician"}, **data}, "details").details_json()


def _contract_plan(value: dict[str, Any], where: str) -> PlanOfCare:
    """The contract part, read by the contract's own reader (CONTRACT §1)."""
    try:
        return plan_of_care_from_json(value, where, "<plan>")
    except ClaimInputError as exc:
        raise CareInputError(exc.field or where, exc.problem) from None


def _plan(data: Mapping[str, Any], where: str) -> CarePlan:
    data = f.obj(where, data, CONTRACT_FIELDS + DETAIL_FIELDS, ("established_by",))
    d = lambda name: f.day(f"{where}.{name}", data.get(name), optional=True)  # noqa: E731
    return CarePlan(
        poc=_contract_plan({k: v for k, v in data.items() if k in CONTRACT_FIELDS}, where),
        physician_name=f.text(f"{where}.physician_name", data.get("physician_name"), optional=True),
        orders=tuple(_order(f"{where}.orders[{i}]", o)
                     for i, o in enumerate(_list(f"{where}.orders", data.get("orders")))),
        options_notice_date=d("options_notice_date"),
        dme_contacts=tuple(_contact(f"{where}.dme_contacts[{i}]", c)
                           for i, c in enumerate(_list(f"{where}.dme_contacts", data.get("dme_contacts")))),
        thresholds=thresholds_from_json(data.get("thresholds"), f"{where}.thresholds"))


def changes_requiring_signature(signed: CarePlan, changed: CarePlan) -> list[str]:
    """The fields of ``changed`` that differ from the signed plan and need a new signature
    (``CLINICAL_FIELDS``; FAQ 10 C, 11). Empty: the signature carries over."""
    out = []
    for name in CLINICAL_FIELDS:
        if name == "established_by":
            before, after = signed.poc, changed.poc
            if (before.established_by_npi, before.established_by_role) != \
                    (after.established_by_npi, after.established_by_role):
                out.append(name)
        elif hasattr(signed.poc, name):
            if getattr(signed.poc, name) != getattr(changed.poc, name):
                out.append(name)
        elif getattr(signed, name) != getattr(changed, name):
            out.append(name)
    return out


def missing_elements(plan: CarePlan) -> list[str]:
    """What the plan lacks: FAQ 10 A-B content (POC-2), orders with frequency and discipline
    (POC-3), a physician (POC-1), the options notice (POC-8) and a DME contact (FAQ 11)."""
    missing = [name for name in REQUIRED_ELEMENTS if not getattr(plan.poc, name)]
    if not plan.physician_name:
        missing.append("physician_name")
    if not plan.poc.established_by_npi:
        missing.append("established_by.npi")
    if not plan.orders:
        missing.append("orders")
    if plan.options_notice_date is None:
        missing.append("options_notice_date")
    if not plan.dme_contacts:
        missing.append("dme_contacts")
    return missing


@dataclass(frozen=True, slots=True)
class PlanVersionState:
    """A stored version as the status needs it: content, the date it took effect, signature, reviews."""

    version: int
    plan: CarePlan
    effective: date  # the content's last_changed, else its signature or recording date, whichever is first
    signed_date: date | None = None
    signer: str | None = None
    reviewed_dates: tuple[date, ...] = ()


@dataclass(frozen=True, slots=True)
class PlanStatus:
    """A plan's status on a date, why, and what it rests on."""

    status: str
    reason: str
    citations: tuple[str, ...]
    on: date
    version: int | None = None  # the version in effect
    signed_version: int | None = None  # the version whose signature covers it
    last_reviewed: date | None = None
    review_due: date | None = None
    missing: tuple[str, ...] = ()
    changes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        iso = lambda d: d.isoformat() if d else None  # noqa: E731
        return {"status": self.status, "reason": self.reason, "citations": list(self.citations),
                "on": self.on.isoformat(), "version": self.version, "signed_version": self.signed_version,
                "last_reviewed": iso(self.last_reviewed), "review_due": iso(self.review_due),
                "missing": list(self.missing), "changes": list(self.changes)}


def plan_status(plan_versions: Sequence[PlanVersionState], on: date, review_interval_days: int) -> PlanStatus:
    """The plan's status on ``on``: the latest version in effect by then, its required elements,
    whether a signature dated on or before ``on`` covers it, and whether the last review (or
    signature) is at most ``review_interval_days`` before ``on`` (exactly the interval is still on
    time). The first failing of incomplete, unsigned, awaiting re-signature, review overdue wins."""
    versions = sorted((v for v in plan_versions if v.effective <= on), key=lambda v: v.version)
    if not versions:
        return PlanStatus(NOT_IN_EFFECT, f"No version of the plan is dated on or before {on}.",
                          ("FAQ 10", "BPM 15 §320.5"), on)
    current = versions[-1]
    plan = current.plan
    poc = plan.poc
    missing = missing_elements(plan)
    if poc.established_by_role != "physician":
        who = poc.established_by_role.replace("_", " ")
        extra = "" if poc.established_by_role in APPLICABLE_PROVIDERS else " (not an applicable provider)"
        return PlanStatus(INCOMPLETE, f"Established by a {who}{extra}: only a physician establishes the plan.",
                          ("FAQ 6 B", "FAQ 10", "SSA §1861(iii)(1)(B)", "RULES POC-1"), on, current.version,
                          missing=("established_by.role", *missing))
    if missing:
        return PlanStatus(INCOMPLETE, f"Version {current.version} lacks: {', '.join(missing)}.",
                          ("FAQ 10 A-B", "FAQ 11", "BPM 15 §320.5 A-B", "RULES POC-2, POC-3, POC-8"), on,
                          current.version, missing=tuple(missing))
    signed = [v for v in versions if v.signed_date is not None and v.signed_date <= on]
    sign_cites = ("FAQ 10 C", "FAQ 11", "BPM 15 §320.5 C", "RULES POC-4")
    if not signed:
        later = current.signed_date
        why = f" (signed {later}, after {on})" if later else ""
        return PlanStatus(UNSIGNED, f"Version {current.version} is not signed and dated by the physician{why}.",
                          sign_cites, on, current.version)
    basis = signed[-1]
    changes: list[str] = []
    if basis is not current:
        changes = changes_requiring_signature(basis.plan, plan)
        if changes:
            return PlanStatus(AWAITING_RESIGNATURE,
                              f"Version {current.version} changed {', '.join(changes)} after version {basis.version} "
                              f"was signed on {basis.signed_date}; the physician signs and dates it again.",
                              sign_cites, on, current.version, basis.version, changes=tuple(changes))
    elif poc.last_changed is not None and poc.last_changed > basis.signed_date:  # type: ignore[operator]
        return PlanStatus(AWAITING_RESIGNATURE,
                          f"Changed {poc.last_changed}, after its signature of {basis.signed_date}.",
                          sign_cites, on, current.version, basis.version, changes=("last_changed",))
    if plan.options_notice_date > basis.signed_date:  # type: ignore[operator]
        return PlanStatus(INCOMPLETE, f"The notice of infusion options was documented {plan.options_notice_date}, "
                          f"after the plan was signed on {basis.signed_date}; it comes before the plan.",
                          ("SSA §1834(u)(6)", "BPM 15 §320.5", "RULES POC-8"), on, current.version, basis.version,
                          missing=("options_notice_date",))
    reviews = [v.signed_date for v in signed] + [d for v in versions for d in v.reviewed_dates if d <= on]
    if poc.last_reviewed is not None and poc.last_reviewed <= on:
        reviews.append(poc.last_reviewed)
    last = max(reviews)  # type: ignore[type-var]
    due = last + timedelta(days=review_interval_days)
    if on > due:
        return PlanStatus(REVIEW_OVERDUE, f"Last reviewed {last}, {(on - last).days} days before {on}; the review "
                          f"was due by {due} (interval {review_interval_days} days).",
                          ("FAQ 10 D", "FAQ 11", "BPM 15 §320.5 D", "RULES POC-5"), on, current.version,
                          basis.version, last, due)
    carried = "" if basis is current else f" (version {current.version} changed only coordination records)"
    return PlanStatus(COMPLETE, f"Complete, signed {basis.signed_date} (version {basis.version}){carried}, last "
                      f"reviewed {last}; next review due by {due}.",
                      ("FAQ 10", "FAQ 11", "BPM 15 §320.5"), on, current.version, basis.version, last, due)


def claim_plan_of_care(plan_versions: Sequence[PlanVersionState], on: date) -> dict[str, Any] | None:
    """The contract's ``plan_of_care`` object for a claim with services on ``on``: the content of
    the version in effect, the date of the signature that covers it, when the care it prescribes
    last changed (a change of coordination contacts only is not one) and when it was last
    reviewed (CONTRACT §1; FAQ 10). None when no version is in effect."""
    versions = sorted((v for v in plan_versions if v.effective <= on), key=lambda v: v.version)
    if not versions:
        return None
    current = versions[-1]
    out = current.plan.contract_json()
    signed = [v for v in versions if v.signed_date is not None]
    basis = current if current.signed_date else None
    if basis is None and signed and not changes_requiring_signature(signed[-1].plan, current.plan):
        basis = signed[-1]
    if basis is not None:
        out["signed_date"] = basis.signed_date.isoformat()  # type: ignore[union-attr]
    shown = basis if basis is not None else current  # a coordination-only change is no change to the care
    out["last_changed"] = (shown.plan.poc.last_changed or shown.effective).isoformat()
    reviews = [d for v in versions for d in v.reviewed_dates if d <= on]
    reviews += [v.signed_date for v in signed if v.signed_date <= on]  # type: ignore[operator, misc]
    if current.plan.poc.last_reviewed:
        reviews.append(current.plan.poc.last_reviewed)
    if reviews:
        out["last_reviewed"] = max(reviews).isoformat()
    return out


def review_interval(params: Any, on: date, override: int | None = None) -> int:
    """Days between physician reviews: ``override`` (a supplier's or a caller's), else the dated
    parameter ``plan_review_interval_days`` (project default, confidence U; FAQ 10 D; RULES POC-5)."""
    if override is not None:
        if isinstance(override, bool) or not isinstance(override, int) or not 1 <= override <= 3660:
            raise CareInputError("review_interval_days", "expected a whole number of days from 1 to 3660")
        return override
    found = params.entry("plan_review_interval_days", on)
    if found is None:
        raise CareInputError("on", f"no plan review interval is in force on {on} (the benefit began 2021-01-01)")
    return int(found.value)


