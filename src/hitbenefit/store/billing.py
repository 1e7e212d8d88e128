"""The claim builder over the store: dispensing records (migration 0005), each beneficiary's history
before the month, and the month's visits and plans, put through ``care.claim_builder.build_month``.

Same tenancy as the store: a supplier records and reads only its own dispensing records and builds
only its own claims; a contractor names the supplier; an analyst key is read-only and sees no MBI
(it cannot build claims, which carry MBIs). Every read or write of a beneficiary's data appends an
audit row (the internal beneficiary id, never the MBI).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Iterable, Mapping, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hitbenefit.care.claim_builder import MonthBuild, Patient, SupplierProfile, build_month, month_days
from hitbenefit.care.dispensing import DispensingRecord
from hitbenefit.claims.history import BeneficiaryHistory
from hitbenefit.engine.adjudicate import longest_lookback_days
from hitbenefit.engine.tables import Tables
from hitbenefit.store.canonical import cents, dumps, sha256
from hitbenefit.store.core import Store, _insert_ignoring_conflict
from hitbenefit.store.database import read_transaction, utc_now, write_transaction
from hitbenefit.store.records import Forbidden, InvalidRequest, Principal
from hitbenefit.store.schema import beneficiaries, dispensing_records, history_entries, suppliers

HUNDRED = Decimal(100)



def acting_supplier(principal: Principal, supplier_npi: str | None, writing: bool = True) -> str:
    """The supplier a request acts for: a supplier key's own NPI; a contractor names one."""
    if principal.role == "analyst" and writing:
        raise Forbidden("an analyst key is read-only")
    if principal.role == "supplier":
        if supplier_npi is not None and supplier_npi != principal.supplier_npi:
            raise Forbidden(f"a supplier key acts only for its own supplier ({principal.supplier_npi})")
        return principal.supplier_npi  # type: ignore[return-value]
    if principal.role == "analyst":
        raise Forbidden("an analyst key sees no direct identifiers: claims and dispensing records carry MBIs")
    if not supplier_npi:
        raise InvalidRequest("name the supplier (its NPI)")
    if not (supplier_npi.isdigit() and len(supplier_npi) == 10):
        raise InvalidRequest(f"expected a 10-digit supplier NPI, found {supplier_npi!r}")
    return supplier_npi


def record_dispensing(store: Store, records: Sequence[DispensingRecord], principal: Principal,
                      supplier_npi: str | None = None, remote: str | None = None) -> list[tuple[int, bool]]:
    """Store ``records`` for the supplier in one transaction: (id, created) for each; a record sent
    again (same fields) is not stored twice."""
    npi = acting_supplier(principal, supplier_npi)
    out = []
    with write_transaction(store.engine) as conn:
        _insert_ignoring_conflict(conn, suppliers, {"npi": npi, "created_at": utc_now()})
        for record in records:
            beneficiary_id = Store._beneficiary_id(conn, record.mbi, create=True)
            digest = sha256(dumps({**record.to_json(), "units": record.units.normalize(), "charge": cents(record.charge)}))
            found = conn.execute(sa.select(dispensing_records.c.id).where(
                dispensing_records.c.supplier_npi == npi, dispensing_records.c.record_sha256 == digest)).scalar()
            created = found is None
            if created:
                found = conn.execute(dispensing_records.insert().values(
                    supplier_npi=npi, beneficiary_id=beneficiary_id, dispensed_date=record.dispensed_date,
                    hcpcs=record.hcpcs, units=str(record.units), charge_cents=cents(record.charge),
                    drug_name=record.drug_name, ndc=record.ndc, category=record.category, record_sha256=digest,
                    created_at=utc_now(), created_by=principal.key_id).returning(dispensing_records.c.id)).scalar_one()
            Store._audit(conn, principal, "dispensing.record", "created" if created else "replayed",
                         beneficiary_id=beneficiary_id, remote=remote)
            out.append((found, created))
    return out


def list_dispensing(store: Store, principal: Principal, first: date, last: date, supplier_npi: str | None = None,
                    remote: str | None = None) -> list[DispensingRecord]:
    """The supplier's dispensing records dated ``first`` to ``last``, oldest first (audited per beneficiary)."""
    npi = acting_supplier(principal, supplier_npi, writing=False)
    query = (sa.select(dispensing_records, beneficiaries.c.mbi)
             .join(beneficiaries, beneficiaries.c.id == dispensing_records.c.beneficiary_id)
             .where(dispensing_records.c.supplier_npi == npi, dispensing_records.c.dispensed_date >= first,
                    dispensing_records.c.dispensed_date <= last)
             .order_by(dispensing_records.c.dispensed_date, dispensing_records.c.id))
    with write_transaction(store.engine) as conn:
        rows = conn.execute(query).all()
        for beneficiary_id in sorted({r.beneficiary_id for r in rows}):
            Store._audit(conn, principal, "dispensing.read", "ok", beneficiary_id=beneficiary_id, remote=remote)
    return [DispensingRecord(r.mbi, r.dispensed_date, r.hcpcs, Decimal(r.units), Decimal(r.charge_cents) / HUNDRED,
                             r.drug_name, r.ndc, r.category) for r in rows]


def history_before(conn: Connection, mbis: Iterable[str], day: date, tables: Tables) -> dict[str, BeneficiaryHistory]:
    """Each beneficiary's accepted HIT lines (every supplier's) in the longest look-back before ``day``."""
    first = day - timedelta(days=longest_lookback_days(tables.params))
    out: dict[str, BeneficiaryHistory] = {}
    for mbi in mbis:
        beneficiary_id = Store._beneficiary_id(conn, mbi)
        history = out[mbi] = BeneficiaryHistory()
        if beneficiary_id is None:
            continue
        rows = conn.execute(sa.select(history_entries.c.service_date, history_entries.c.kind,
                                      history_entries.c.category)
                            .where(history_entries.c.beneficiary_id == beneficiary_id,
                                   history_entries.c.service_date >= first, history_entries.c.service_date < day))
        for when, kind, category in rows:
            (history.add_visit if kind == "visit" else history.add_drug)(when, category)
    return out


def build_month_from_store(store: Store, principal: Principal, profile: SupplierProfile, month: date,
                           tables: Tables, patients: Mapping[str, Patient] | None = None,
                           remote: str | None = None) -> MonthBuild:
    """The supplier's claims for ``month`` from its stored visits, plans of care and dispensing
    records, against every supplier's stored history before the month; nothing is stored but audit rows."""
    from hitbenefit.store import care as care_store

    npi = acting_supplier(principal, profile.supplier.npi, writing=False)
    first, last = month_days(month)
    visits = [r.visit for r in care_store.list_visits(store, principal, supplier_npi=npi, start=first, end=last,
                                                      remote=remote, limit=1_000_000)]
    plans = {plan_id: care_store.get_care_plan(store, plan_id, principal, remote).states
             for plan_id in sorted({v.plan_id for v in visits if v.plan_id})}
    drug_first = first - timedelta(days=longest_lookback_days(tables.params))
    dispensed = list_dispensing(store, principal, drug_first, last, npi, remote=remote)
    mbis = sorted({v.mbi for v in visits})
    with write_transaction(store.engine) as conn:
        history = history_before(conn, mbis, first, tables)
        for mbi in mbis:
            Store._audit(conn, principal, "claims.build", "ok", beneficiary_id=Store._beneficiary_id(conn, mbi),
                         remote=remote)
    return build_month(visits, dispensed, history, plans, profile, month, tables, patients)


def supplier_specialty(store: Store, npi: str) -> str | None:
    """The supplier's enrollment specialty as the store knows it (D6 for a HIT supplier), if known."""
    with read_transaction(store.engine) as conn:
        return conn.execute(sa.select(suppliers.c.specialty).where(suppliers.c.npi == npi)).scalar()
