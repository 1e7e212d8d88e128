"""The web workbench's reads and writes over the store: sessions, claim lists with filters, the
patients a principal may see, dashboard sums, and stored reconciliations. Same tenancy as the
store (a supplier sees only its own claims, plans and patients; an analyst no direct identifier)
and the same audit log (every read of a beneficiary's data appends a row, never the MBI)."""

from __future__ import annotations

import hashlib
import secrets
import threading
import weakref
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Iterable

import sqlalchemy as sa

from hitbenefit.parameters.model import Parameters
from hitbenefit.store.canonical import cents, dumps, loads
from hitbenefit.store.database import as_utc, read_transaction, utc_now, write_transaction
from hitbenefit.store.records import Principal
from hitbenefit.store.schema import (api_keys, beneficiaries, claim_lines, claims, decisions, history_entries,
                                     plans_of_care, users, reconciliations, web_sessions)

SESSION_HOURS = 12
PAGE = 50
HUNDRED = Decimal(100)




def _dollars(amount_cents: int | None) -> Decimal | None:
    return None if amount_cents is None else (Decimal(amount_cents) / HUNDRED).quantize(Decimal("0.01"))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# ---- sessions -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class WebSession:
    principal: Principal
    csrf: str


def create_session(store, principal: Principal, remote: str | None = None) -> tuple[str, str]:
    """A new session for a verified key: (the cookie's session id, its CSRF token). Only the
    session id's SHA-256 is stored."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = utc_now()
    with write_transaction(store.engine) as conn:
        conn.execute(web_sessions.insert().values(id=_digest(token), api_key_id=principal.key_id, csrf=csrf,
                                                  created_at=now, expires_at=now + timedelta(hours=SESSION_HOURS)))
        store._audit(conn, principal, "web.sign_in", "ok", remote=remote)
    return token, csrf


_SESSION = (sa.select(web_sessions.c.csrf, web_sessions.c.expires_at, web_sessions.c.ended_at, api_keys.c.id,
                      api_keys.c.role, api_keys.c.supplier_npi, api_keys.c.revoked_at,
                      users.c.disabled_at.label("user_disabled_at"))
            .join(api_keys, api_keys.c.id == web_sessions.c.api_key_id)
            .outerjoin(users, users.c.id == api_keys.c.user_id)
            .where(web_sessions.c.id == sa.bindparam("id")))


def session(store, token: str | None) -> WebSession | None:
    """The session of a cookie, or None when unknown, ended, expired, its key revoked or its user disabled."""
    if not token or len(token) > 100:
        return None
    with read_transaction(store.engine) as conn:
        row = conn.execute(_SESSION, {"id": _digest(token)}).first()
    if (row is None or row.ended_at is not None or row.revoked_at is not None or row.user_disabled_at is not None
            or as_utc(row.expires_at) <= utc_now()):
        return None
    return WebSession(Principal(row.id, row.role, row.supplier_npi), row.csrf)


def end_session(store, token: str, principal: Principal, remote: str | None = None) -> None:
    with write_transaction(store.engine) as conn:
        conn.execute(web_sessions.update().where(web_sessions.c.id == _digest(token)).values(ended_at=utc_now()))
        store._audit(conn, principal, "web.sign_out", "ok", remote=remote)


# ---- claims ---------------------------------------------------------------------------------------
@dataclass(slots=True)
class ClaimFilters:
    status: str | None = None
    reason: str | None = None
    supplier_npi: str | None = None
    date_from: date | None = None
    date_to: date | None = None


@dataclass(slots=True)
class ClaimRow:
    claim_id: str
    supplier_npi: str
    beneficiary: str  # the MBI, or for an analyst the internal beneficiary id
    service_date: date
    received_at: datetime
    status: str
    charge: Decimal
    paid: Decimal


def _visible_claims(query, principal: Principal):
    if principal.role == "supplier":
        query = query.where(claims.c.supplier_npi == principal.supplier_npi)
    return query


def list_claims(store, principal: Principal, filters: ClaimFilters, params: Parameters, offset: int = 0,
                limit: int = PAGE, remote: str | None = None) -> tuple[list[ClaimRow], int]:
    """Stored claims, newest first (in the order received), with the filters; (a page of rows, how
    many match in all). A reason key is looked up in the decisions index (each stored decision
    parsed once), the rest in SQL."""
    columns = (sa.select(claims.c.id, claims.c.claim_id, claims.c.supplier_npi, claims.c.beneficiary_id,
                         beneficiaries.c.mbi, claims.c.earliest_service_date, claims.c.received_at, decisions.c.status,
                         decisions.c.charge_cents, decisions.c.paid_cents)
               .join(decisions, decisions.c.claim_ref == claims.c.id)
               .join(beneficiaries, beneficiaries.c.id == claims.c.beneficiary_id))
    if filters.reason:
        refs = _decision_index(store, params).matching(principal, filters)
        total = len(refs)
        with read_transaction(store.engine) as conn:
            rows = conn.execute(columns.where(claims.c.id.in_(refs[offset:offset + limit]))
                                .order_by(claims.c.id.desc())).all()
    else:
        where = []
        if filters.status:
            where.append(decisions.c.status == filters.status)
        if filters.supplier_npi:
            where.append(claims.c.supplier_npi == filters.supplier_npi)
        if filters.date_from:
            where.append(claims.c.earliest_service_date >= filters.date_from)
        if filters.date_to:
            where.append(claims.c.earliest_service_date <= filters.date_to)
        counted = sa.select(sa.func.count()).select_from(claims)
        if filters.status:
            counted = counted.join(decisions, decisions.c.claim_ref == claims.c.id)
        with read_transaction(store.engine) as conn:
            total = conn.execute(_visible_claims(counted, principal).where(*where)).scalar_one()
            rows = conn.execute(_visible_claims(columns, principal).where(*where).order_by(claims.c.id.desc())
                                .offset(offset).limit(limit)).all()
    store._audit_alone(principal, "claim.list", "ok", remote=remote)
    analyst = principal.role == "analyst"
    return [ClaimRow(r.claim_id, r.supplier_npi, f"#{r.beneficiary_id}" if analyst else r.mbi,
                     r.earliest_service_date, as_utc(r.received_at), r.status, _dollars(r.charge_cents),
                     _dollars(r.paid_cents)) for r in rows], total


def claim_suppliers(store, principal: Principal) -> list[str]:
    """The supplier NPIs whose claims the principal may see (for a filter's choices)."""
    if principal.role == "supplier":
        return [principal.supplier_npi]
    with read_transaction(store.engine) as conn:
        return list(conn.execute(sa.select(claims.c.supplier_npi).distinct().order_by(claims.c.supplier_npi))
                    .scalars())


def mbi_of(store, beneficiary_id: int) -> str | None:
    """The MBI behind an internal beneficiary id (for the store's own audited reads; never shown to
    an analyst)."""
    with read_transaction(store.engine) as conn:
        return conn.execute(sa.select(beneficiaries.c.mbi).where(beneficiaries.c.id == beneficiary_id)).scalar()


def stored_decisions(store, principal: Principal, claim_ids: Iterable[str], payee_npis: Iterable[str] = (),
                     remote: str | None = None) -> list[tuple[dict, dict]]:
    """The stored (claim JSON, decision JSON) of these claim ids that the principal may see, for a
    reconciliation; a contractor's are narrowed to the 835's payees when it names them."""
    ids = sorted(set(claim_ids))
    if not ids:
        return []
    query = _visible_claims(sa.select(claims.c.body, decisions.c.decision, claims.c.beneficiary_id)
                            .join(decisions, decisions.c.claim_ref == claims.c.id)
                            .where(claims.c.claim_id.in_(ids)), principal)
    payees = [n for n in payee_npis if n]
    if payees and principal.role != "supplier":
        query = query.where(claims.c.supplier_npi.in_(payees))
    with read_transaction(store.engine) as conn:
        rows = conn.execute(query.order_by(claims.c.earliest_service_date, claims.c.claim_id)).all()
    store._audit_alone(principal, "claim.read_many", "ok", remote=remote)
    return [(loads(r.body), loads(r.decision)) for r in rows]


# ---- patients -------------------------------------------------------------------------------------
@dataclass(slots=True)
class PatientRow:
    beneficiary_id: int
    mbi: str | None  # None for an analyst
    claims: int
    last_service: date | None
    plans: list[int] = field(default_factory=list)  # plan ids


def _visible_beneficiaries(principal: Principal):
    if principal.role != "supplier":
        return sa.select(beneficiaries.c.id)
    npi = principal.supplier_npi
    return sa.union(sa.select(claims.c.beneficiary_id).where(claims.c.supplier_npi == npi),
                    sa.select(plans_of_care.c.beneficiary_id).where(plans_of_care.c.supplier_npi == npi))


def may_see_beneficiary(store, principal: Principal, beneficiary_id: int) -> bool:
    """Whether the beneficiary exists and, for a supplier, has one of its claims or plans."""
    if principal.role != "supplier":
        queries = [sa.select(beneficiaries.c.id).where(beneficiaries.c.id == beneficiary_id)]
    else:
        npi = principal.supplier_npi
        queries = [sa.select(claims.c.id).where(claims.c.supplier_npi == npi, claims.c.beneficiary_id == beneficiary_id),
                   sa.select(plans_of_care.c.id).where(plans_of_care.c.supplier_npi == npi,
                                                       plans_of_care.c.beneficiary_id == beneficiary_id)]
    with read_transaction(store.engine) as conn:
        return any(conn.execute(q.limit(1)).first() is not None for q in queries)


def plan_ids(conn, beneficiary_ids: list[int], principal: Principal) -> dict[int, list[int]]:
    """Per beneficiary, its plans of care (a supplier: only its own), oldest first."""
    if not beneficiary_ids:
        return {}
    query = (sa.select(plans_of_care.c.beneficiary_id, plans_of_care.c.id)
             .where(plans_of_care.c.beneficiary_id.in_(beneficiary_ids)).order_by(plans_of_care.c.id))
    if principal.role == "supplier":
        query = query.where(plans_of_care.c.supplier_npi == principal.supplier_npi)
    out: dict[int, list[int]] = defaultdict(list)
    for beneficiary_id, plan_id in conn.execute(query):
        out[beneficiary_id].append(plan_id)
    return out


def list_patients(store, principal: Principal, offset: int = 0, limit: int = PAGE,
                  remote: str | None = None) -> tuple[list[PatientRow], int]:
    """The beneficiaries the principal may see (a supplier: those of its claims or plans), with how
    many claims, the last service date and their plans' ids."""
    visible = _visible_beneficiaries(principal).subquery()
    vid = list(visible.c)[0]
    stats = _visible_claims(sa.select(claims.c.beneficiary_id, sa.func.count().label("n"),
                                      sa.func.max(claims.c.earliest_service_date).label("last"))
                            .group_by(claims.c.beneficiary_id), principal).subquery()
    query = (sa.select(beneficiaries.c.id, beneficiaries.c.mbi, stats.c.n, stats.c.last)
             .join(visible, vid == beneficiaries.c.id)
             .outerjoin(stats, stats.c.beneficiary_id == beneficiaries.c.id)
             .order_by(beneficiaries.c.id).offset(offset).limit(limit))
    with read_transaction(store.engine) as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(visible)).scalar_one()
        rows = conn.execute(query).all()
        plans = plan_ids(conn, [r.id for r in rows], principal)
    store._audit_alone(principal, "beneficiary.list", "ok", remote=remote)
    analyst = principal.role == "analyst"
    return [PatientRow(r.id, None if analyst else r.mbi, r.n or 0, r.last, plans.get(r.id, [])) for r in rows], total


def plan_statuses(store, plan_ids: list[int], on: date, principal: Principal, params: Parameters,
                  remote: str | None = None) -> dict[int, Any]:
    """Each plan's status on ``on`` (care/plan.py ``plan_status`` over the versions store/care.py
    reads: incomplete, unsigned, awaiting re-signature, review overdue or complete, with why and
    its citations), read in one transaction; then one ``plan.read`` audit row per beneficiary."""
    from hitbenefit.care.plan import plan_status, review_interval
    from hitbenefit.store.care import read_care_plan
    interval = review_interval(params, on)
    out, seen = {}, set()
    with read_transaction(store.engine) as conn:
        for plan_id in plan_ids:
            record = read_care_plan(conn, store, plan_id, principal)
            out[plan_id] = plan_status(record.states, on, interval)
            seen.add(record.plan.beneficiary_id)
    if seen:
        with write_transaction(store.engine) as conn:
            for beneficiary_id in sorted(seen):
                store._audit(conn, principal, "plan.read", "ok", beneficiary_id=beneficiary_id, remote=remote)
    return out


def last_accepted_visit(store, beneficiary_id: int) -> date | None:
    """The latest HIT visit in the beneficiary's history from every supplier (what the engine's
    60-day look-back reads; FAQ 24)."""
    with read_transaction(store.engine) as conn:
        return conn.execute(sa.select(sa.func.max(history_entries.c.service_date))
                            .where(history_entries.c.beneficiary_id == beneficiary_id,
                                   history_entries.c.kind == "visit")).scalar()


# ---- dashboard ------------------------------------------------------------------------------------
def payments_by_month(store, principal: Principal, months: int = 12) -> tuple[list[str], dict[int, list[Decimal]]]:
    """Paid dollars by service month and payment category, the last ``months`` months with data."""
    query = _visible_claims(sa.select(claim_lines.c.service_date, claim_lines.c.category,
                                      sa.func.sum(claim_lines.c.paid_cents))
                            .join(claims, claims.c.id == claim_lines.c.claim_ref)
                            .where(claim_lines.c.paid_cents > 0)
                            .group_by(claim_lines.c.service_date, claim_lines.c.category), principal)
    sums: dict[tuple[str, int], int] = defaultdict(int)
    with read_transaction(store.engine) as conn:
        for day, category, paid in conn.execute(query):
            sums[(day.strftime("%Y-%m"), category or 0)] += int(paid or 0)
    labels = sorted({m for m, _ in sums})[-months:]
    categories = sorted({c for _, c in sums})
    return labels, {c: [_dollars(sums.get((m, c), 0)) for m in labels] for c in categories}


@dataclass(frozen=True, slots=True)
class _Entry:
    supplier_npi: str
    status: str
    service_date: date
    keys: frozenset[str]
    denials: tuple[tuple[str, str], ...]  # (reason key, line status) of denied and rejected lines


class _DecisionIndex:
    """Each stored decision's reason keys, parsed once: stored decisions never change, so a request
    reads only the decisions stored since the last one (and re-reads a window of recent ids, in
    case a transaction committed a lower id later)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: dict[int, _Entry] = {}
        self.by_supplier: dict[str, list[int]] = defaultdict(list)
        self.denials: dict[str, Counter] = defaultdict(Counter)  # supplier -> (key, line status) -> lines
        self.high = 0

    def refresh(self, store, params: Parameters) -> None:
        recent = sa.select(decisions.c.claim_ref).where(decisions.c.claim_ref > self.high - 1000)
        full = (sa.select(decisions.c.claim_ref, claims.c.supplier_npi, claims.c.earliest_service_date,
                          decisions.c.status, decisions.c.decision)
                .join(claims, claims.c.id == decisions.c.claim_ref))
        with read_transaction(store.engine) as conn:
            missing = [ref for ref in conn.execute(recent).scalars() if ref not in self.entries]
            for start in range(0, len(missing), 500):
                for ref, npi, day, status, text in conn.execute(
                        full.where(decisions.c.claim_ref.in_(missing[start:start + 500]))):
                    self._add(ref, npi, day, status, loads(text), params)

    def _add(self, ref: int, npi: str, day: date, status: str, decision: dict, params: Parameters) -> None:
        keys, denials = set(), []
        for line in decision["lines"]:
            for reason in line.get("reasons", ()):
                keys.add(reason["key"])
                spec = params.reasons.get(reason["key"])
                if line["status"] in ("denied", "rejected") and spec is not None \
                        and spec.outcome in ("denied", "rejected"):
                    denials.append((reason["key"], line["status"]))
        self.entries[ref] = _Entry(npi, status, day, frozenset(keys), tuple(denials))
        self.by_supplier[npi].append(ref)
        self.denials[npi].update(denials)
        self.high = max(self.high, ref)

    def visible(self, principal: Principal) -> list[tuple[int, _Entry]]:
        with self.lock:
            if principal.role == "supplier":
                return [(ref, self.entries[ref]) for ref in self.by_supplier.get(principal.supplier_npi, ())]
            return list(self.entries.items())

    def denial_counts(self, principal: Principal) -> Counter:
        with self.lock:
            if principal.role == "supplier":
                return Counter(self.denials.get(principal.supplier_npi, {}))
            return sum(self.denials.values(), Counter())

    def matching(self, principal: Principal, f: ClaimFilters) -> list[int]:
        """Claim refs matching the filters, newest first."""
        return sorted((ref for ref, e in self.visible(principal)
                       if (not f.reason or f.reason in e.keys) and (not f.status or e.status == f.status)
                       and (not f.supplier_npi or e.supplier_npi == f.supplier_npi)
                       and (not f.date_from or e.service_date >= f.date_from)
                       and (not f.date_to or e.service_date <= f.date_to)), reverse=True)


_INDEXES: "weakref.WeakKeyDictionary[Any, _DecisionIndex]" = weakref.WeakKeyDictionary()
_INDEXES_LOCK = threading.Lock()


def _decision_index(store, params: Parameters) -> _DecisionIndex:
    with _INDEXES_LOCK:
        index = _INDEXES.get(store)
        if index is None:
            index = _INDEXES[store] = _DecisionIndex()
    with index.lock:
        index.refresh(store, params)
    return index


def denials_by_reason(store, principal: Principal, params: Parameters) -> list[tuple[str, int, int]]:
    """(reason key, denied lines, rejected lines), most lines first."""
    counts = _decision_index(store, params).denial_counts(principal)
    keys = {k for k, _ in counts}
    out = [(k, counts[(k, "denied")], counts[(k, "rejected")]) for k in keys]
    return sorted(out, key=lambda r: (-(r[1] + r[2]), r[0]))


# ---- reconciliations ------------------------------------------------------------------------------
@dataclass(slots=True)
class StoredReconciliation:
    id: int
    created_at: datetime
    supplier_npi: str | None
    source: str
    payer: str | None
    claims: int
    expected: Decimal
    remitted: Decimal
    report: dict[str, Any] | None = None


def _visible_reconciliations(query, principal: Principal):
    if principal.role == "supplier":
        query = query.where(reconciliations.c.supplier_npi == principal.supplier_npi)
    return query


def save_reconciliation(store, principal: Principal, source: str, report, remote: str | None = None) -> int:
    """Store a reconciliation report (``reconcile.ReconciliationReport``) with its totals."""
    totals = report.totals()
    payer = next((r.get("payer") for r in report.remittances if r.get("payer")), None)
    with write_transaction(store.engine) as conn:
        ref = conn.execute(reconciliations.insert().values(
            created_at=utc_now(), api_key_id=principal.key_id, supplier_npi=principal.supplier_npi,
            source=source[:200], payer=(payer or None) and payer[:200], claims=len(report.claims),
            expected_cents=cents(totals["expected_on_remitted_claims"]),
            remitted_cents=cents(totals["remitted"]), report=dumps(report.to_json()))
            .returning(reconciliations.c.id)).scalar_one()
        store._audit(conn, principal, "reconciliation.create", "ok", remote=remote)
    return ref


def list_reconciliations(store, principal: Principal, limit: int = 24) -> list[StoredReconciliation]:
    query = _visible_reconciliations(
        sa.select(reconciliations.c.id, reconciliations.c.created_at, reconciliations.c.supplier_npi,
                  reconciliations.c.source, reconciliations.c.payer, reconciliations.c.claims,
                  reconciliations.c.expected_cents, reconciliations.c.remitted_cents), principal)
    with read_transaction(store.engine) as conn:
        rows = conn.execute(query.order_by(reconciliations.c.id.desc()).limit(limit)).all()
    return [StoredReconciliation(r.id, as_utc(r.created_at), r.supplier_npi, r.source, r.payer, r.claims,
                                 _dollars(r.expected_cents), _dollars(r.remitted_cents)) for r in rows]


def get_reconciliation(store, principal: Principal, ref: int, remote: str | None = None) -> StoredReconciliation | None:
    query = _visible_reconciliations(sa.select(reconciliations).where(reconciliations.c.id == ref), principal)
    with read_transaction(store.engine) as conn:
        r = conn.execute(query).first()
    store._audit_alone(principal, "reconciliation.read", "ok" if r else "not_found", remote=remote)
    if r is None:
        return None
    return StoredReconciliation(r.id, as_utc(r.created_at), r.supplier_npi, r.source, r.payer, r.claims,
                                _dollars(r.expected_cents), _dollars(r.remitted_cents), loads(r.report))
