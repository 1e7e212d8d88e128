"""The supplier's day in the store: plans of care with their details and status, visits, and
remote-monitoring readings and alerts (care/; FAQ 7, 10-14). See docs/care.md.

Functions take the ``Store`` and act like its own methods: one transaction each, the
beneficiary's lock around writes, an audit row for every read or write of a beneficiary's data
(never the MBI), and tenancy: a supplier sees and writes only its own patients' records (another
supplier's is "not found"); an analyst reads, de-identified, and never writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hitbenefit.care.fields import CareInputError
from hitbenefit.care.monitoring import (Alert, VitalSignReading, acknowledge, default_thresholds, effective_thresholds,
                                        evaluate, resolve)
from hitbenefit.care.plan import (CarePlan, PlanStatus, PlanVersionState, claim_plan_of_care, details_from_json,
                                  plan_from_stored, plan_status, review_interval)
from hitbenefit.care.visits import DrugGiven, Visit
from hitbenefit.parameters.model import Parameters
from hitbenefit.store.canonical import dumps, loads
from hitbenefit.store.core import Store, _insert_ignoring_conflict
from hitbenefit.store.database import as_utc, lock, utc_now, write_transaction
from hitbenefit.store.records import ClaimConflict, Forbidden, NotFound, PlanOfCareRecord, Principal
from hitbenefit.store.schema import (beneficiaries, care_alerts, care_readings, care_visits, plan_care_details,
                                     plan_versions, plans_of_care, suppliers)


# ---- records ---------------------------------------------------------------------------------------
@dataclass(slots=True)
class CarePlanRecord:
    """A stored plan: its versions (signature, reviews) with each version's ``CarePlan``."""

    plan: PlanOfCareRecord
    states: list[PlanVersionState]

    def to_json(self, redact: bool = False) -> dict[str, Any]:
        p = self.plan
        versions = []
        for stored, state in zip(p.versions, self.states):
            versions.append({
                "version": stored.version, "plan_of_care": state.plan.to_json(), "effective": state.effective.isoformat(),
                "signed_date": stored.signed_date.isoformat() if stored.signed_date else None, "signer": stored.signer,
                "reviewed_dates": [d.isoformat() for d in stored.reviewed_dates],
                "created_at": stored.created_at.isoformat()})
        out = {"plan_id": p.plan_id, "supplier_npi": p.supplier_npi, "created_at": p.created_at.isoformat(),
               "versions": versions}
        if redact:
            out["beneficiary_id"] = p.beneficiary_id
        return out


@dataclass(slots=True)
class VisitRecord:
    id: int
    beneficiary_id: int
    visit: Visit
    recorded_at: datetime

    def to_json(self, redact: bool = False) -> dict[str, Any]:
        body = self.visit.to_json()
        if redact:
            body.pop("mbi")
            body["beneficiary_id"] = self.beneficiary_id
        return {"visit_id": self.id, **body, "recorded_at": self.recorded_at.isoformat()}


@dataclass(slots=True)
class ReadingRecord:
    id: int
    beneficiary_id: int
    mbi: str
    supplier_npi: str
    plan_id: int | None
    reading: VitalSignReading
    canonical_value: Decimal
    recorded_at: datetime

    def to_json(self, redact: bool = False) -> dict[str, Any]:
        who = {"beneficiary_id": self.beneficiary_id} if redact else {"mbi": self.mbi}
        return {"reading_id": self.id, **who, "supplier_npi": self.supplier_npi, "plan_id": self.plan_id,
                **self.reading.to_json(), "canonical_value": str(self.canonical_value),
                "recorded_at": self.recorded_at.isoformat()}


@dataclass(slots=True)
class AlertRecord:
    id: int
    reading_id: int
    beneficiary_id: int
    mbi: str
    supplier_npi: str
    alert: Alert
    raised_at: datetime

    def to_json(self, redact: bool = False) -> dict[str, Any]:
        a = self.alert
        iso = lambda t: t.isoformat() if t else None  # noqa: E731
        who = {"beneficiary_id": self.beneficiary_id} if redact else {"mbi": self.mbi}
        return {"alert_id": self.id, "reading_id": self.reading_id, **who, "supplier_npi": self.supplier_npi,
                "kind": a.kind, "value": str(a.value), "bound": a.bound, "limit": str(a.limit), "reason": a.reason,
                "status": a.status, "raised_at": iso(self.raised_at), "acknowledged_by": a.acknowledged_by,
                "acknowledged_at": iso(a.acknowledged_at), "resolved_by": a.resolved_by,
                "resolved_at": iso(a.resolved_at), "action": a.action, "citations": list(a.citations)}


# ---- shared ----------------------------------------------------------------------------------------
def _may_write(principal: Principal, supplier_npi: str | None = None) -> None:
    if principal.role == "analyst":
        raise Forbidden("an analyst key is read-only")
    if principal.role == "supplier" and supplier_npi is not None and supplier_npi != principal.supplier_npi:
        raise Forbidden(f"a supplier key records only its own patients' care ({principal.supplier_npi})")


def _own(principal: Principal, supplier_npi: str | None) -> bool:
    return principal.role != "supplier" or supplier_npi == principal.supplier_npi


def _mbi(conn: Connection, beneficiary_id: int) -> str:
    return conn.execute(sa.select(beneficiaries.c.mbi).where(beneficiaries.c.id == beneficiary_id)).scalar_one()


def _ensure_supplier(conn: Connection, npi: str | None) -> None:
    if npi:
        _insert_ignoring_conflict(conn, suppliers, {"npi": npi, "created_at": utc_now()})


# ---- plans of care ---------------------------------------------------------------------------------
def _insert_version(conn: Connection, plan_id: int, version: int, plan: CarePlan, principal: Principal) -> None:
    values = Store._version_values(plan.contract_json())
    version_id = conn.execute(plan_versions.insert().values(
        plan_id=plan_id, version=version, created_at=utc_now(), created_by=principal.key_id, **values)
        .returning(plan_versions.c.id)).scalar_one()
    conn.execute(plan_care_details.insert().values(plan_version_id=version_id, details=dumps(plan.details_json()),
                                                   updated_at=utc_now(), updated_by=principal.key_id))


def create_care_plan(store: Store, mbi: str, plan: CarePlan, principal: Principal,
                     remote: str | None = None) -> CarePlanRecord:
    """A new plan of care with its details, as version 1 (unsigned) (FAQ 10-11)."""
    _may_write(principal)
    with write_transaction(store.engine) as conn:
        lock(conn, f"beneficiary:{mbi}")
        beneficiary_id = Store._beneficiary_id(conn, mbi, create=True)
        _ensure_supplier(conn, principal.supplier_npi)
        plan_id = conn.execute(plans_of_care.insert().values(
            beneficiary_id=beneficiary_id, supplier_npi=principal.supplier_npi, created_at=utc_now(),
            created_by=principal.key_id).returning(plans_of_care.c.id)).scalar_one()
        _insert_version(conn, plan_id, 1, plan, principal)
        Store._audit(conn, principal, "plan.create", "ok", beneficiary_id=beneficiary_id, remote=remote)
        return read_care_plan(conn, store, plan_id, principal)


def add_care_version(store: Store, plan_id: int, plan: CarePlan, principal: Principal,
                     remote: str | None = None) -> CarePlanRecord:
    """A changed plan with its details: a new unsigned version; earlier versions stay as they were."""
    _may_write(principal)
    with write_transaction(store.engine) as conn:
        lock(conn, f"plan:{plan_id}")
        row = store._plan_row(conn, plan_id, principal)
        last = conn.execute(sa.select(sa.func.max(plan_versions.c.version))
                            .where(plan_versions.c.plan_id == plan_id)).scalar_one()
        _insert_version(conn, plan_id, last + 1, plan, principal)
        Store._audit(conn, principal, "plan.version", "ok", beneficiary_id=row.beneficiary_id, remote=remote)
        return read_care_plan(conn, store, plan_id, principal)


def set_plan_details(store: Store, plan_id: int, version: int, details: dict[str, Any], principal: Principal,
                     remote: str | None = None) -> CarePlanRecord:
    """Give an unsigned version its details (orders, physician, options notice, DME contacts,
    thresholds); a signed version is never changed: a change is a new version (FAQ 10 C)."""
    _may_write(principal)
    canonical = dumps(details_from_json(details))
    with write_transaction(store.engine) as conn:
        lock(conn, f"plan:{plan_id}")
        row = store._plan_row(conn, plan_id, principal)
        found = conn.execute(sa.select(plan_versions.c.id, plan_versions.c.signed_date).where(
            plan_versions.c.plan_id == plan_id, plan_versions.c.version == version)).first()
        if found is None:
            raise NotFound(f"plan of care {plan_id} has no version {version}")
        if found.signed_date is not None:
            raise ClaimConflict(f"version {version} of plan {plan_id} is signed: a change is a new version")
        conn.execute(plan_care_details.delete().where(plan_care_details.c.plan_version_id == found.id))
        conn.execute(plan_care_details.insert().values(plan_version_id=found.id, details=canonical,
                                                       updated_at=utc_now(), updated_by=principal.key_id))
        Store._audit(conn, principal, "plan.details", "ok", beneficiary_id=row.beneficiary_id, remote=remote)
        return read_care_plan(conn, store, plan_id, principal)


def read_care_plan(conn: Connection, store: Store, plan_id: int, principal: Principal) -> CarePlanRecord:
    """A plan of care with every version and its details, inside the caller's transaction (no audit row)."""
    row = store._plan_row(conn, plan_id, principal)
    versions = Store._versions(conn, plan_id)
    details = dict(conn.execute(
        sa.select(plan_versions.c.version, plan_care_details.c.details)
        .join(plan_care_details, plan_care_details.c.plan_version_id == plan_versions.c.id)
        .where(plan_versions.c.plan_id == plan_id)).all())
    states = []
    for v in versions:
        try:
            plan = plan_from_stored(v.content, loads(details[v.version]) if v.version in details else None)
        except CareInputError:  # a plan stored through the contract API that the care model cannot read
            plan = plan_from_stored({"established_by": v.content.get("established_by") or {"role": "unknown"}}, None)
        effective = plan.poc.last_changed or min(d for d in (v.signed_date, v.created_at.date()) if d is not None)
        states.append(PlanVersionState(v.version, plan, effective, v.signed_date, v.signer, tuple(v.reviewed_dates)))
    record = PlanOfCareRecord(row.id, row.beneficiary_id, row.supplier_npi, as_utc(row.created_at), versions)
    return CarePlanRecord(record, states)


def get_care_plan(store: Store, plan_id: int, principal: Principal, remote: str | None = None) -> CarePlanRecord:
    """One plan with every version and its details (a supplier: only its own; else NotFound)."""
    with write_transaction(store.engine) as conn:
        try:
            record = read_care_plan(conn, store, plan_id, principal)
        except NotFound:
            Store._audit(conn, principal, "plan.read", "not_found", remote=remote)
            raise
        Store._audit(conn, principal, "plan.read", "ok", beneficiary_id=record.plan.beneficiary_id, remote=remote)
    return record


def care_plan_status(store: Store, plan_id: int, on: date, principal: Principal, params: Parameters,
                     review_interval_days: int | None = None, remote: str | None = None) -> PlanStatus:
    """The plan's status on ``on`` (care/plan.py ``plan_status``); the review interval is the
    caller's, else the dated parameter (FAQ 10 D)."""
    interval = review_interval(params, on, review_interval_days)
    record = get_care_plan(store, plan_id, principal, remote)
    return plan_status(record.states, on, interval)


def claim_plan(store: Store, plan_id: int, on: date, principal: Principal,
               remote: str | None = None) -> dict[str, Any] | None:
    """The contract's plan_of_care object for a claim with services on ``on`` (CONTRACT §1)."""
    return claim_plan_of_care(get_care_plan(store, plan_id, principal, remote).states, on)


# ---- visits ----------------------------------------------------------------------------------------
def _plan_owners(principal: Principal, supplier_npi: str) -> tuple[str | None, ...]:
    """Whose plans a record of ``supplier_npi`` may follow: that supplier's, and for a contractor
    also the plans it keeps itself (no supplier)."""
    return (supplier_npi,) if principal.role == "supplier" else (supplier_npi, None)


def _check_plan(conn: Connection, plan_id: int | None, beneficiary_id: int, supplier_npi: str,
                principal: Principal) -> None:
    if plan_id is None:
        return
    row = conn.execute(sa.select(plans_of_care.c.beneficiary_id, plans_of_care.c.supplier_npi)
                       .where(plans_of_care.c.id == plan_id)).first()
    if row is None or row.beneficiary_id != beneficiary_id or row.supplier_npi not in _plan_owners(principal,
                                                                                                  supplier_npi):
        raise CareInputError("plan_id", f"no plan of care {plan_id} of this patient and supplier")


def record_visit(store: Store, visit: Visit, principal: Principal, remote: str | None = None) -> VisitRecord:
    """Store a visit (FAQ 7, 12-13) under the patient's lock. A supplier records its own visits."""
    _may_write(principal, visit.supplier_npi)
    with write_transaction(store.engine) as conn:
        lock(conn, f"beneficiary:{visit.mbi}")
        beneficiary_id = Store._beneficiary_id(conn, visit.mbi, create=True)
        _check_plan(conn, visit.plan_id, beneficiary_id, visit.supplier_npi, principal)
        _ensure_supplier(conn, visit.supplier_npi)
        now = utc_now()
        visit_id = conn.execute(care_visits.insert().values(
            beneficiary_id=beneficiary_id, supplier_npi=visit.supplier_npi, plan_id=visit.plan_id,
            visit_date=visit.visit_date, clinician_name=visit.clinician_name, clinician_npi=visit.clinician_npi,
            discipline=visit.discipline, mode=visit.mode, hit_minutes=visit.hit_minutes,
            home_health_minutes=visit.home_health_minutes, drugs=dumps([d.to_json() for d in visit.drugs]),
            services=dumps(list(visit.services)), training_topics=dumps(list(visit.training_topics)),
            note=visit.note, recorded_at=now, recorded_by=principal.key_id).returning(care_visits.c.id)).scalar_one()
        Store._audit(conn, principal, "visit.record", "ok", beneficiary_id=beneficiary_id, remote=remote)
    return VisitRecord(visit_id, beneficiary_id, visit, now)


def _visit(row: Any, mbi: str) -> VisitRecord:
    drugs = tuple(DrugGiven(d["hcpcs"], d.get("name"), d.get("category")) for d in loads(row.drugs))
    visit = Visit(visit_date=row.visit_date, supplier_npi=row.supplier_npi, mbi=mbi,
                  clinician_name=row.clinician_name, discipline=row.discipline, mode=row.mode,
                  hit_minutes=row.hit_minutes, home_health_minutes=row.home_health_minutes,
                  clinician_npi=row.clinician_npi, plan_id=row.plan_id, drugs=drugs,
                  services=tuple(loads(row.services)), training_topics=tuple(loads(row.training_topics)), note=row.note)
    return VisitRecord(row.id, row.beneficiary_id, visit, as_utc(row.recorded_at))


def _audit_each(conn: Connection, principal: Principal, action: str, beneficiary_ids: Iterable[int],
                remote: str | None) -> None:
    found = sorted(set(beneficiary_ids))
    for beneficiary_id in found:
        Store._audit(conn, principal, action, "ok", beneficiary_id=beneficiary_id, remote=remote)
    if not found:
        Store._audit(conn, principal, action, "not_found", remote=remote)


def list_visits(store: Store, principal: Principal, mbi: str | None = None, supplier_npi: str | None = None,
                start: date | None = None, end: date | None = None, remote: str | None = None,
                limit: int = 1000) -> list[VisitRecord]:
    """Visits, oldest first, of one patient and/or one supplier between two dates (inclusive).
    A supplier sees only its own; every patient whose visits are read gets an audit row."""
    if principal.role == "supplier":
        if supplier_npi not in (None, principal.supplier_npi):
            supplier_npi = "-"  # another supplier's: nothing
        else:
            supplier_npi = principal.supplier_npi
    query = (sa.select(care_visits, beneficiaries.c.mbi)
             .join(beneficiaries, beneficiaries.c.id == care_visits.c.beneficiary_id)
             .order_by(care_visits.c.visit_date, care_visits.c.id).limit(limit))
    if mbi is not None:
        query = query.where(beneficiaries.c.mbi == mbi)
    if supplier_npi is not None:
        query = query.where(care_visits.c.supplier_npi == supplier_npi)
    if start is not None:
        query = query.where(care_visits.c.visit_date >= start)
    if end is not None:
        query = query.where(care_visits.c.visit_date <= end)
    with write_transaction(store.engine) as conn:
        rows = conn.execute(query).all()
        _audit_each(conn, principal, "visit.list", (r.beneficiary_id for r in rows), remote)
    return [_visit(r, r.mbi) for r in rows]


def get_visit(store: Store, visit_id: int, principal: Principal, remote: str | None = None) -> VisitRecord:
    with write_transaction(store.engine) as conn:
        row = conn.execute(sa.select(care_visits, beneficiaries.c.mbi)
                           .join(beneficiaries, beneficiaries.c.id == care_visits.c.beneficiary_id)
                           .where(care_visits.c.id == visit_id)).first()
        if row is None or not _own(principal, row.supplier_npi):
            Store._audit(conn, principal, "visit.read", "not_found", remote=remote)
            raise NotFound(f"no visit {visit_id}")
        Store._audit(conn, principal, "visit.read", "ok", beneficiary_id=row.beneficiary_id, remote=remote)
    return _visit(row, row.mbi)


# ---- remote monitoring -----------------------------------------------------------------------------
def _monitoring_plan(conn: Connection, beneficiary_id: int, supplier_npi: str, plan_id: int | None,
                     principal: Principal) -> int | None:
    """The plan whose thresholds apply: the one named, else the patient's newest plan with this supplier."""
    if plan_id is not None:
        _check_plan(conn, plan_id, beneficiary_id, supplier_npi, principal)
        return plan_id
    owners = _plan_owners(principal, supplier_npi)
    return conn.execute(sa.select(sa.func.max(plans_of_care.c.id)).where(
        plans_of_care.c.beneficiary_id == beneficiary_id,
        sa.or_(plans_of_care.c.supplier_npi.in_([o for o in owners if o]),
               plans_of_care.c.supplier_npi.is_(None) if None in owners else sa.false()))).scalar()


def _reading(row: Any) -> VitalSignReading:
    return VitalSignReading(row.kind, Decimal(row.value), row.unit, as_utc(row.taken_at), row.channel)  # type: ignore[arg-type]


def record_reading(store: Store, mbi: str, supplier_npi: str, reading: VitalSignReading, principal: Principal,
                   params: Parameters, plan_id: int | None = None,
                   remote: str | None = None) -> tuple[ReadingRecord, AlertRecord | None]:
    """Store a self-reported vital sign and, when it is outside the plan's thresholds (or the
    defaults), an open alert for the clinician (FAQ 14). Nothing billable is made (``billable_lines``)."""
    _may_write(principal, supplier_npi)
    with write_transaction(store.engine) as conn:
        lock(conn, f"beneficiary:{mbi}")
        beneficiary_id = Store._beneficiary_id(conn, mbi, create=True)
        plan_id = _monitoring_plan(conn, beneficiary_id, supplier_npi, plan_id, principal)  # type: ignore[arg-type]
        day = reading.taken_at.date()
        limits = default_thresholds(params, day)
        if plan_id is not None:
            states = read_care_plan(conn, store, plan_id, principal).states
            in_effect = [s for s in states if s.effective <= day]
            if in_effect:
                limits = effective_thresholds(in_effect[-1].plan.thresholds, limits)
        previous_row = conn.execute(
            sa.select(care_readings).where(care_readings.c.beneficiary_id == beneficiary_id,
                                           care_readings.c.kind == reading.kind,
                                           care_readings.c.taken_at < reading.taken_at)
            .order_by(care_readings.c.taken_at.desc()).limit(1)).first()
        alert = evaluate(reading, limits, _reading(previous_row) if previous_row is not None else None)
        _ensure_supplier(conn, supplier_npi)
        now = utc_now()
        reading_id = conn.execute(care_readings.insert().values(
            beneficiary_id=beneficiary_id, supplier_npi=supplier_npi, plan_id=plan_id, kind=reading.kind,
            value=str(reading.value), unit=reading.unit, canonical_value=str(reading.canonical),
            taken_at=reading.taken_at, channel=reading.channel, recorded_at=now,
            recorded_by=principal.key_id).returning(care_readings.c.id)).scalar_one()
        alert_record = None
        if alert is not None:
            alert_id = conn.execute(care_alerts.insert().values(
                reading_id=reading_id, beneficiary_id=beneficiary_id, supplier_npi=supplier_npi, kind=alert.kind,
                value=str(alert.value), bound=alert.bound, limit_value=str(alert.limit), reason=alert.reason,
                status=alert.status, raised_at=now).returning(care_alerts.c.id)).scalar_one()
            alert_record = AlertRecord(alert_id, reading_id, beneficiary_id, mbi, supplier_npi, alert, now)
        Store._audit(conn, principal, "reading.record", "alert" if alert else "ok", beneficiary_id=beneficiary_id,
                     remote=remote)
    return (ReadingRecord(reading_id, beneficiary_id, mbi, supplier_npi, plan_id, reading, reading.canonical, now),
            alert_record)


def list_readings(store: Store, principal: Principal, mbi: str, kind: str | None = None,
                  remote: str | None = None, limit: int = 1000) -> list[ReadingRecord]:
    """A patient's readings, oldest first (a supplier: those it received)."""
    query = (sa.select(care_readings, beneficiaries.c.mbi)
             .join(beneficiaries, beneficiaries.c.id == care_readings.c.beneficiary_id)
             .where(beneficiaries.c.mbi == mbi).order_by(care_readings.c.taken_at, care_readings.c.id).limit(limit))
    if principal.role == "supplier":
        query = query.where(care_readings.c.supplier_npi == principal.supplier_npi)
    if kind is not None:
        query = query.where(care_readings.c.kind == kind)
    with write_transaction(store.engine) as conn:
        rows = conn.execute(query).all()
        _audit_each(conn, principal, "reading.list", (r.beneficiary_id for r in rows), remote)
    return [ReadingRecord(r.id, r.beneficiary_id, r.mbi, r.supplier_npi, r.plan_id, _reading(r),
                          Decimal(r.canonical_value), as_utc(r.recorded_at)) for r in rows]


def _alert(row: Any) -> AlertRecord:
    alert = Alert(row.kind, Decimal(row.value), row.reason, row.bound, Decimal(row.limit_value), row.status,
                  row.acknowledged_by, as_utc(row.acknowledged_at), row.resolved_by, as_utc(row.resolved_at), row.action)
    return AlertRecord(row.id, row.reading_id, row.beneficiary_id, row.mbi, row.supplier_npi, alert,
                       as_utc(row.raised_at))


_ALERTS = sa.select(care_alerts, beneficiaries.c.mbi).join(beneficiaries,
                                                           beneficiaries.c.id == care_alerts.c.beneficiary_id)


def list_alerts(store: Store, principal: Principal, status: str | None = None, mbi: str | None = None,
                remote: str | None = None, limit: int = 1000) -> list[AlertRecord]:
    """Alerts, oldest first, by status and/or patient (a supplier: only its own)."""
    query = _ALERTS.order_by(care_alerts.c.id).limit(limit)
    if principal.role == "supplier":
        query = query.where(care_alerts.c.supplier_npi == principal.supplier_npi)
    if status is not None:
        query = query.where(care_alerts.c.status == status)
    if mbi is not None:
        query = query.where(beneficiaries.c.mbi == mbi)
    with write_transaction(store.engine) as conn:
        rows = conn.execute(query).all()
        _audit_each(conn, principal, "alert.list", (r.beneficiary_id for r in rows), remote)
    return [_alert(r) for r in rows]


def _act_on_alert(store: Store, alert_id: int, principal: Principal, action: str, change, remote: str | None):
    _may_write(principal)
    with write_transaction(store.engine) as conn:
        row = conn.execute(_ALERTS.where(care_alerts.c.id == alert_id)).first()
        if row is None or not _own(principal, row.supplier_npi):
            Store._audit(conn, principal, action, "not_found", remote=remote)
            raise NotFound(f"no alert {alert_id}")
        lock(conn, f"beneficiary:{row.mbi}")
        record = _alert(row)
        try:
            changed = change(record.alert)
        except CareInputError as exc:
            if exc.field != "status":
                raise
            raise ClaimConflict(f"alert {alert_id}: {exc.problem}") from None
        conn.execute(care_alerts.update().where(care_alerts.c.id == alert_id).values(
            status=changed.status, acknowledged_by=changed.acknowledged_by, acknowledged_at=changed.acknowledged_at,
            resolved_by=changed.resolved_by, resolved_at=changed.resolved_at, action=changed.action))
        Store._audit(conn, principal, action, "ok", beneficiary_id=row.beneficiary_id, remote=remote)
    record.alert = changed
    return record


def acknowledge_alert(store: Store, alert_id: int, clinician: str, principal: Principal, note: str | None = None,
                      remote: str | None = None) -> AlertRecord:
    """The clinician has seen an open alert (FAQ 14: abnormal results go to the clinician)."""
    return _act_on_alert(store, alert_id, principal, "alert.acknowledge",
                         lambda a: acknowledge(a, clinician, utc_now(), note), remote)


def resolve_alert(store: Store, alert_id: int, clinician: str, action: str, principal: Principal,
                  remote: str | None = None) -> AlertRecord:
    """The clinician records what was done (e.g. the plan adjusted, the physician told) (FAQ 14)."""
    return _act_on_alert(store, alert_id, principal, "alert.resolve",
                         lambda a: resolve(a, clinician, utc_now(), action), remote)

