"""The store: API keys, claims with their decisions, the per-beneficiary history the engine's
look-backs need, plans of care, and the append-only audit log. See docs/store.md."""

from __future__ import annotations

import threading
import time
from datetime import date, timedelta
from typing import Any, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from hitbenefit.claims.history import BeneficiaryHistory
from hitbenefit.claims.model import Claim, Decision
from hitbenefit.engine.adjudicate import adjudicate_claim, contract_order, longest_lookback_days, record
from hitbenefit.engine.tables import Tables
from hitbenefit.store import keys as keymod
from hitbenefit.store.canonical import cents, claim_to_json, dumps, loads, sha256
from hitbenefit.store.database import (as_utc, autocommit, create_engine, is_sqlite, lock, read_transaction,
                                       resolve_url, safe_url, utc_now, write_transaction)
from hitbenefit.store.migrate import current_revision, table_counts, upgrade_engine
from hitbenefit.store.records import (ROLES, SYSTEM_CONTRACTOR, AmbiguousClaim, ApiKeyInfo, ClaimConflict,
                                      Forbidden, HistoryLine, InvalidRequest, NotFound, PlanOfCareRecord,
                                      PlanVersion, Principal, StoredClaim, SubmitResult, UserInfo,
                                      decision_from_json)
from hitbenefit.store.schema import (api_keys, audit_log, beneficiaries, claim_lines, claims, decisions,
                                     history_entries, plan_versions, plans_of_care, suppliers, users)

TABLES = ("suppliers", "users", "api_keys", "beneficiaries", "plans_of_care", "plan_versions", "claims",
          "claim_lines", "decisions", "history_entries", "audit_log", "directory_imports", "directory_suppliers",
          "directory_service_areas", "plan_care_details", "care_visits", "care_readings", "care_alerts",
          "dispensing_records", "api_batch_jobs", "api_batch_items", "web_sessions", "reconciliations")
_DUMMY_HASH = keymod.hash_secret("not-a-key")  # verified against when no key has the prefix (same timing)
KEY_CACHE_SECONDS = 1.0  # how long a process trusts a verified key without reading it again (revocation bound)


_AUDIT_INSERT = audit_log.insert()
_BENEFICIARY_ID = sa.select(beneficiaries.c.id).where(beneficiaries.c.mbi == sa.bindparam("mbi"))
_HISTORY = (sa.select(history_entries.c.service_date, history_entries.c.kind, history_entries.c.category)
            .where(history_entries.c.beneficiary_id == sa.bindparam("beneficiary_id"),
                   history_entries.c.service_date >= sa.bindparam("first"),
                   history_entries.c.service_date <= sa.bindparam("last")))
# a check's one round trip: the beneficiary's id (a row even without history) and its history in the window
_HISTORY_BY_MBI = (sa.select(beneficiaries.c.id, history_entries.c.service_date, history_entries.c.kind,
                             history_entries.c.category)
                   .select_from(beneficiaries.outerjoin(history_entries, sa.and_(
                       history_entries.c.beneficiary_id == beneficiaries.c.id,
                       history_entries.c.service_date >= sa.bindparam("first"),
                       history_entries.c.service_date <= sa.bindparam("last"))))
                   .where(beneficiaries.c.mbi == sa.bindparam("mbi")))
_KEY_BY_PREFIX = (sa.select(api_keys.c.id, api_keys.c.secret_hash, api_keys.c.role, api_keys.c.supplier_npi,
                            api_keys.c.revoked_at, users.c.disabled_at.label("user_disabled_at"))
                  .select_from(api_keys.outerjoin(users, users.c.id == api_keys.c.user_id))
                  .where(api_keys.c.prefix == sa.bindparam("prefix")))




def _window(claim: Claim, tables: Tables) -> tuple[date, date]:
    """The look-back window a claim needs: the longest look-back before its earliest date, to its latest."""
    first = claim.earliest_service_date - timedelta(days=longest_lookback_days(tables.params))
    return first, max(line.service_date for line in claim.lines)


def _user_info(row) -> UserInfo:
    return UserInfo(row.id, row.name, row.email, row.role, row.supplier_npi, as_utc(row.created_at),
                    as_utc(row.disabled_at))


def _insert_ignoring_conflict(conn: Connection, table: sa.Table, values: dict[str, Any]) -> None:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    conn.execute(insert(table).values(**values).on_conflict_do_nothing())


class _Recorder:
    """Collects what ``engine.adjudicate.record`` adds to a history, to store it as history entries."""

    def __init__(self) -> None:
        self.entries: list[tuple[date, str, int]] = []

    def add_visit(self, day: date, category: int) -> None:
        self.entries.append((day, "visit", category))

    def add_drug(self, day: date, category: int) -> None:
        self.entries.append((day, "drug", category))


class Store:
    """A database of claims and decisions around the pure engine. Thread-safe; open one per process.

    Every method runs in its own transaction. Reads and writes of a beneficiary's data are audited
    (principal, action, internal beneficiary id, claim, remote address, outcome; never the MBI).
    """

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine, self.url = engine, url
        # key fingerprint -> (key id, principal, trusted until): after one scrypt check, read again
        # from the database (revocation, a disabled user) at most every ``key_cache_seconds``
        self._verified: dict[bytes, tuple[int, Principal, float]] = {}
        self._verified_lock = threading.Lock()
        self.key_cache_seconds = KEY_CACHE_SECONDS

    # ---- opening ------------------------------------------------------------------------------
    @classmethod
    def open(cls, url: str | None = None) -> "Store":
        """Open (and create or upgrade the schema of) the database at ``url``; default
        ``$HITBENEFIT_DATABASE_URL``, else ``$HITBENEFIT_HOME/hitbenefit.db`` (SQLite)."""
        url = resolve_url(url)
        engine = create_engine(url)
        try:
            upgrade_engine(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, url)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def info(self) -> dict[str, Any]:
        """What database this is, its schema revision and how many rows each table holds."""
        return {"url": safe_url(self.url), "dialect": self.engine.dialect.name,
                "schema_version": current_revision(self.engine), "counts": table_counts(self.engine, list(TABLES))}

    # ---- audit --------------------------------------------------------------------------------
    @staticmethod
    def _audit(conn: Connection, principal: Principal | None, action: str, outcome: str, *,
               beneficiary_id: int | None = None, claim_ref: int | None = None, remote: str | None = None) -> None:
        conn.execute(_AUDIT_INSERT, {
            "at": utc_now(), "api_key_id": principal.key_id if principal else None,
            "principal": principal.name if principal else "system", "action": action,
            "beneficiary_id": beneficiary_id, "claim_ref": claim_ref,
            "remote": (remote or None) and str(remote)[:64], "outcome": outcome})

    def _audit_alone(self, principal: Principal | None, action: str, outcome: str, **where: Any) -> None:
        with write_transaction(self.engine) as conn:
            self._audit(conn, principal, action, outcome, **where)

    def audit_entries(self, limit: int = 1000) -> list[dict[str, Any]]:
        """The newest audit rows (read-only: the store has no way to change or delete them)."""
        with read_transaction(self.engine) as conn:
            rows = conn.execute(sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)).mappings()
            return [dict(row) for row in rows]

    # ---- users and API keys -------------------------------------------------------------------
    def create_user(self, name: str, email: str, role: str, supplier_npi: str | None = None) -> UserInfo:
        """A person behind keys: name, unique e-mail, role (``supplier`` users name their NPI)."""
        name, email = (name or "").strip(), (email or "").strip().lower()
        if not name or len(name) > 200:
            raise InvalidRequest("a user needs a name (up to 200 characters)")
        if "@" not in email or len(email) > 320 or any(c.isspace() for c in email):
            raise InvalidRequest(f"a user needs an e-mail address, not {email!r}")
        self._check_role(role, supplier_npi)
        with write_transaction(self.engine) as conn:
            if conn.execute(sa.select(users.c.id).where(users.c.email == email)).first() is not None:
                raise InvalidRequest(f"a user with e-mail {email} already exists")
            if supplier_npi:
                _insert_ignoring_conflict(conn, suppliers, {"npi": supplier_npi, "created_at": utc_now()})
            row = conn.execute(users.insert().values(name=name, email=email, role=role, supplier_npi=supplier_npi,
                                                     created_at=utc_now()).returning(*users.c)).one()
            self._audit(conn, None, "user.create", "ok")
        return _user_info(row)

    def list_users(self) -> list[UserInfo]:
        with read_transaction(self.engine) as conn:
            return [_user_info(r) for r in conn.execute(sa.select(users).order_by(users.c.id)).all()]

    def disable_user(self, email: str) -> bool:
        """Disable a user: every key of theirs then fails authentication (at once in this process,
        within ``key_cache_seconds`` in others). True if the user was active; NotFound if unknown."""
        email = (email or "").strip().lower()
        with write_transaction(self.engine) as conn:
            row = conn.execute(sa.select(users.c.id, users.c.disabled_at).where(users.c.email == email)).first()
            if row is None:
                raise NotFound(f"no user with e-mail {email}")
            if row.disabled_at is not None:
                return False
            conn.execute(users.update().where(users.c.id == row.id).values(disabled_at=utc_now()))
            key_ids = set(conn.execute(sa.select(api_keys.c.id).where(api_keys.c.user_id == row.id)).scalars())
            self._audit(conn, None, "user.disable", "ok")
        self._forget_keys(key_ids)
        return True

    @staticmethod
    def _check_role(role: str, supplier_npi: str | None) -> None:
        if role not in ROLES:
            raise InvalidRequest(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        if role == "supplier":
            if not supplier_npi or not (supplier_npi.isdigit() and len(supplier_npi) == 10):
                raise InvalidRequest("a supplier key needs the supplier's 10-digit NPI")
        elif supplier_npi:
            raise InvalidRequest(f"a {role} key is not bound to a supplier: leave out the NPI")

    def create_api_key(self, role: str, supplier_npi: str | None = None, label: str = "",
                       user_email: str | None = None) -> tuple[str, int]:
        """A new key for ``role`` (``supplier`` keys name their supplier's NPI): (the key, its id).
        With ``user_email`` the key belongs to that (enabled) user, whose role it must have (and
        whose supplier, taken as the NPI when none is given). The key itself is returned only here;
        the store keeps a salted scrypt hash of its secret."""
        key, prefix, secret = keymod.new_key()
        hashed = keymod.hash_secret(secret)
        with write_transaction(self.engine) as conn:
            user_id = None
            if user_email is not None:
                email = user_email.strip().lower()
                user = conn.execute(sa.select(users).where(users.c.email == email)).first()
                if user is None:
                    raise NotFound(f"no user with e-mail {email}")
                if user.disabled_at is not None:
                    raise InvalidRequest(f"user {email} is disabled")
                supplier_npi = supplier_npi or user.supplier_npi
                if role != user.role or supplier_npi != user.supplier_npi:
                    raise InvalidRequest(f"user {email} has role {user.role}"
                                         f"{f' for supplier {user.supplier_npi}' if user.supplier_npi else ''}: "
                                         "their keys must have the same")
                user_id = user.id
            self._check_role(role, supplier_npi)
            if supplier_npi:
                _insert_ignoring_conflict(conn, suppliers, {"npi": supplier_npi, "created_at": utc_now()})
            key_id = conn.execute(api_keys.insert().values(
                prefix=prefix, secret_hash=hashed, role=role, supplier_npi=supplier_npi, user_id=user_id,
                label=label or "", created_at=utc_now()).returning(api_keys.c.id)).scalar_one()
            self._audit(conn, None, "key.create", "ok")
        return key, key_id

    def authenticate(self, key: str | None) -> Principal | None:
        """The principal of a valid, unrevoked key of an enabled (or no) user, else None.

        The secret is checked against its scrypt hash with a constant-time comparison once per
        process; the verified key is then trusted from memory (by its SHA-256 fingerprint) for
        ``key_cache_seconds`` (1 s) before its row is read again. So a revoked key or a disabled
        user's key fails at once in the process that revoked it, and within that bound in others."""
        parts = keymod.split_key(key) if key else None
        if parts is None:
            return None
        fingerprint = keymod.fingerprint(key)
        now = time.monotonic()
        with self._verified_lock:
            known = self._verified.get(fingerprint)
        if known is not None and known[2] > now:
            return known[1]
        prefix, secret = parts
        with read_transaction(self.engine) as conn:
            row = conn.execute(_KEY_BY_PREFIX, {"prefix": prefix}).first()
        if row is None:
            keymod.verify_secret(secret, _DUMMY_HASH)
            return None
        if (known is None or known[0] != row.id) and not keymod.verify_secret(secret, row.secret_hash):
            return None
        if row.revoked_at is not None or row.user_disabled_at is not None:
            self._forget_keys({row.id})
            return None
        principal = Principal(row.id, row.role, row.supplier_npi)
        with self._verified_lock:
            if len(self._verified) > 10_000:
                self._verified.clear()
            self._verified[fingerprint] = (row.id, principal, now + self.key_cache_seconds)
        return principal

    def _forget_keys(self, key_ids: set[int]) -> None:
        with self._verified_lock:
            for fp in [fp for fp, known in self._verified.items() if known[0] in key_ids]:
                del self._verified[fp]

    def revoke_api_key(self, key_id: int) -> bool:
        """Revoke a key; True if it was active, False if already revoked; NotFound if no such key.
        It fails at once in this process and within ``key_cache_seconds`` in others."""
        with write_transaction(self.engine) as conn:
            found = conn.execute(sa.select(api_keys.c.revoked_at).where(api_keys.c.id == key_id)).first()
            if found is None:
                raise NotFound(f"no API key with id {key_id}")
            if found.revoked_at is not None:
                return False
            conn.execute(api_keys.update().where(api_keys.c.id == key_id).values(revoked_at=utc_now()))
            self._audit(conn, None, "key.revoke", "ok")
        self._forget_keys({key_id})
        return True

    def list_api_keys(self) -> list[ApiKeyInfo]:
        with read_transaction(self.engine) as conn:
            rows = conn.execute(sa.select(api_keys, users.c.email).select_from(
                api_keys.outerjoin(users, users.c.id == api_keys.c.user_id)).order_by(api_keys.c.id)).all()
        return [ApiKeyInfo(r.id, r.prefix, r.role, r.supplier_npi, r.label, as_utc(r.created_at), as_utc(r.revoked_at),
                           r.email) for r in rows]

    # ---- beneficiaries and history ----------------------------------------------------------
    @staticmethod
    def _beneficiary_id(conn: Connection, mbi: str, create: bool = False) -> int | None:
        found = conn.execute(_BENEFICIARY_ID, {"mbi": mbi}).scalar()
        if found is None and create:  # callers hold the beneficiary's lock
            found = conn.execute(beneficiaries.insert().values(mbi=mbi, created_at=utc_now())
                                 .returning(beneficiaries.c.id)).scalar_one()
        return found

    @staticmethod
    def _history(conn: Connection, beneficiary_id: int | None, claim: Claim, tables: Tables) -> BeneficiaryHistory:
        """The beneficiary's accepted lines from the longest look-back before the claim's earliest
        date to its latest, from every supplier (CONTRACT §5)."""
        history = BeneficiaryHistory()
        if beneficiary_id is None:
            return history
        first, last = _window(claim, tables)
        rows = conn.execute(_HISTORY, {"beneficiary_id": beneficiary_id, "first": first, "last": last})
        for day, kind, category in rows:
            (history.add_visit if kind == "visit" else history.add_drug)(day, category)
        return history

    @staticmethod
    def _history_by_mbi(conn: Connection, claim: Claim, tables: Tables) -> tuple[int | None, BeneficiaryHistory]:
        """The beneficiary's internal id (None when unknown) and ``_history``, in one query."""
        first, last = _window(claim, tables)
        history, beneficiary_id = BeneficiaryHistory(), None
        for beneficiary_id, day, kind, category in conn.execute(
                _HISTORY_BY_MBI, {"mbi": claim.beneficiary.mbi, "first": first, "last": last}):
            if day is not None:
                (history.add_visit if kind == "visit" else history.add_drug)(day, category)
        return beneficiary_id, history

    # ---- claims -------------------------------------------------------------------------------
    @staticmethod
    def _may_submit(claim: Claim, principal: Principal) -> str | None:
        if principal.role == "analyst":
            return "an analyst key is read-only"
        if principal.role == "supplier" and claim.supplier.npi != principal.supplier_npi:
            return f"a supplier key may only send claims of its own supplier ({principal.supplier_npi})"
        if principal.role not in ROLES:
            return f"unknown role {principal.role!r}"
        return None

    def submit_claim(self, claim: Claim, principal: Principal, tables: Tables, remote: str | None = None) -> SubmitResult:
        """Adjudicate and store ``claim`` in one transaction under the beneficiary's lock.

        The same supplier and claim id with the same canonical body returns the stored decision
        (``created`` False); a different body raises ``ClaimConflict``. History from every supplier
        feeds the look-backs; the accepted lines join it."""
        refused = self._may_submit(claim, principal)
        if refused:
            self._audit_alone(principal, "claim.submit", "forbidden", remote=remote)
            raise Forbidden(refused)
        body = dumps(claim_to_json(claim))
        digest = sha256(body)
        npi, mbi = claim.supplier.npi, claim.beneficiary.mbi
        conflict: tuple[int, int] | None = None
        with write_transaction(self.engine) as conn:
            lock(conn, f"claim:{npi}:{claim.claim_id}")
            lock(conn, f"beneficiary:{mbi}")
            existing = conn.execute(
                sa.select(claims.c.id, claims.c.body_sha256, claims.c.beneficiary_id, decisions.c.decision)
                .join(decisions, decisions.c.claim_ref == claims.c.id)
                .where(claims.c.supplier_npi == npi, claims.c.claim_id == claim.claim_id)).first()
            if existing is not None:
                if existing.body_sha256 == digest:
                    self._audit(conn, principal, "claim.submit", "replayed", beneficiary_id=existing.beneficiary_id,
                                claim_ref=existing.id, remote=remote)
                    return SubmitResult(decision_from_json(loads(existing.decision), tables.params), False, existing.id)
                conflict = (existing.id, existing.beneficiary_id)
            else:
                beneficiary_id = self._beneficiary_id(conn, mbi, create=True)
                s = claim.supplier
                _insert_ignoring_conflict(conn, suppliers, {
                    "npi": npi, "specialty": s.specialty, "accreditation_expires": s.accreditation_expires,
                    "licensed_states": dumps(list(s.licensed_states)) if s.licensed_states is not None else None,
                    "created_at": utc_now()})
                decision = adjudicate_claim(claim, self._history(conn, beneficiary_id, claim, tables), tables)
                recorder = _Recorder()
                record(claim, decision, recorder, tables.params)  # type: ignore[arg-type]
                ref = self._insert_claim(conn, claim, decision, body, digest, beneficiary_id, principal, recorder)
                self._audit(conn, principal, "claim.submit", "created", beneficiary_id=beneficiary_id, claim_ref=ref,
                            remote=remote)
                return SubmitResult(decision, True, ref)
        self._audit_alone(principal, "claim.submit", "conflict", claim_ref=conflict[0], beneficiary_id=conflict[1],
                          remote=remote)
        raise ClaimConflict(f"supplier {npi} already submitted a different claim {claim.claim_id}; "
                            f"send a new claim id to change it")

    @staticmethod
    def _insert_claim(conn: Connection, claim: Claim, decision: Decision, body: str, digest: str, beneficiary_id: int,
                      principal: Principal, recorder: _Recorder) -> int:
        now = utc_now()
        ref = conn.execute(claims.insert().values(
            supplier_npi=claim.supplier.npi, claim_id=claim.claim_id, beneficiary_id=beneficiary_id, body=body,
            body_sha256=digest, earliest_service_date=claim.earliest_service_date, received_at=now,
            submitted_by=principal.key_id).returning(claims.c.id)).scalar_one()
        conn.execute(claim_lines.insert(), [
            {"claim_ref": ref, "line": line.line, "hcpcs": line.hcpcs, "service_date": line.service_date,
             "units": str(line.units), "charge_cents": cents(line.charge), "status": ld.status,
             "category": ld.category, "paid_cents": cents(ld.paid)}
            for line, ld in zip(claim.lines, decision.lines)])
        totals = decision.totals
        conn.execute(decisions.insert().values(
            claim_ref=ref, status=decision.status, decision=dumps(decision.to_json(), sort_keys=False),
            charge_cents=cents(totals["charge"]), allowed_cents=cents(totals["allowed"]),
            paid_cents=cents(totals["paid"]), patient_cents=cents(totals["patient"]), decided_at=now))
        if recorder.entries:
            conn.execute(history_entries.insert(), [
                {"beneficiary_id": beneficiary_id, "service_date": day, "kind": kind, "category": category,
                 "claim_ref": ref} for day, kind, category in recorder.entries])
        return ref

    def check_claim(self, claim: Claim, principal: Principal, tables: Tables, remote: str | None = None) -> Decision:
        """The decision ``claim`` would get now, against the same stored history; nothing is
        stored but an audit row, committed before the decision is returned.

        A check stores no claim, so it takes no beneficiary lock, and it reads the beneficiary and
        its history in one statement. PostgreSQL: an autocommit connection, so the read and the
        audit insert are two round trips (no BEGIN, no COMMIT); the insert is committed when it
        returns. SQLite: the history is read in a deferred (lock-free, WAL snapshot) transaction and
        the audit row is appended in its own short writing transaction; a deferred SQLite transaction
        that reads and then writes fails with SQLITE_BUSY (snapshot) whenever another writer
        committed in between, which the busy timeout cannot wait out. Either way a check whose audit
        row cannot be committed raises and returns no decision."""
        if principal.role == "supplier" and claim.supplier.npi != principal.supplier_npi:
            self._audit_alone(principal, "claim.check", "forbidden", remote=remote)
            raise Forbidden(f"a supplier key may only check claims of its own supplier ({principal.supplier_npi})")
        if not is_sqlite(self.engine):
            with autocommit(self.engine) as conn:
                beneficiary_id, history = self._history_by_mbi(conn, claim, tables)
                decision = adjudicate_claim(claim, history, tables)
                self._audit(conn, principal, "claim.check", "ok", beneficiary_id=beneficiary_id, remote=remote)
            return decision
        with read_transaction(self.engine) as conn:
            beneficiary_id, history = self._history_by_mbi(conn, claim, tables)
        decision = adjudicate_claim(claim, history, tables)
        self._audit_alone(principal, "claim.check", "ok", beneficiary_id=beneficiary_id, remote=remote)
        return decision

    def get_claim(self, claim_id: str, principal: Principal, supplier_npi: str | None = None,
                  remote: str | None = None) -> StoredClaim | None:
        """A stored claim and its decision, or None. A supplier sees only its own claims (another
        supplier's is "not found"); an analyst gets the claim without MBI and ``extra``. When several
        suppliers used ``claim_id``, a contractor or analyst must name ``supplier_npi``."""
        if principal.role == "supplier":
            if supplier_npi is not None and supplier_npi != principal.supplier_npi:
                self._audit_alone(principal, "claim.read", "not_found", remote=remote)
                return None
            supplier_npi = principal.supplier_npi
        query = (sa.select(claims, decisions.c.decision, decisions.c.status)
                 .join(decisions, decisions.c.claim_ref == claims.c.id).where(claims.c.claim_id == claim_id))
        if supplier_npi is not None:
            query = query.where(claims.c.supplier_npi == supplier_npi)
        with write_transaction(self.engine) as conn:
            rows = conn.execute(query.limit(2)).all()
            if len(rows) != 1:
                self._audit(conn, principal, "claim.read", "not_found" if not rows else "ambiguous", remote=remote)
            else:
                self._audit(conn, principal, "claim.read", "ok", beneficiary_id=rows[0].beneficiary_id,
                            claim_ref=rows[0].id, remote=remote)
        if not rows:
            return None
        if len(rows) > 1:
            raise AmbiguousClaim(f"several suppliers sent claim {claim_id}: name the supplier's NPI")
        row = rows[0]
        body = loads(row.body)
        if principal.role == "analyst":
            body = redact_claim(body, row.beneficiary_id)
        return StoredClaim(row.claim_id, row.supplier_npi, row.beneficiary_id, as_utc(row.received_at), row.submitted_by,
                           row.body_sha256, row.status, body, loads(row.decision), row.id)

    def beneficiary_history(self, mbi: str, principal: Principal, remote: str | None = None) -> list[HistoryLine]:
        """Every stored line of the beneficiary's claims, oldest first; a supplier sees only the
        lines of its own claims (the engine still uses everyone's for the look-backs)."""
        with write_transaction(self.engine) as conn:
            beneficiary_id = self._beneficiary_id(conn, mbi)
            rows = []
            if beneficiary_id is not None:
                query = (sa.select(claims.c.claim_id, claims.c.supplier_npi, claims.c.received_at, claim_lines.c.line,
                                   claim_lines.c.hcpcs, claim_lines.c.service_date, claim_lines.c.status,
                                   claim_lines.c.category)
                         .join(claims, claims.c.id == claim_lines.c.claim_ref)
                         .where(claims.c.beneficiary_id == beneficiary_id)
                         .order_by(claim_lines.c.service_date, claims.c.claim_id, claim_lines.c.line))
                if principal.role == "supplier":
                    query = query.where(claims.c.supplier_npi == principal.supplier_npi)
                rows = conn.execute(query).all()
            self._audit(conn, principal, "history.read", "ok" if beneficiary_id is not None else "not_found",
                        beneficiary_id=beneficiary_id, remote=remote)
        return [HistoryLine(r.claim_id, r.supplier_npi, r.line, r.hcpcs, r.service_date, r.status, r.category,
                            as_utc(r.received_at)) for r in rows]

    # ---- plans of care ------------------------------------------------------------------------
    def _plan_row(self, conn: Connection, plan_id: int, principal: Principal):
        row = conn.execute(sa.select(plans_of_care).where(plans_of_care.c.id == plan_id)).first()
        if row is None or (principal.role == "supplier" and row.supplier_npi != principal.supplier_npi):
            raise NotFound(f"no plan of care {plan_id}")
        return row

    @staticmethod
    def _may_write_plans(principal: Principal) -> None:
        if principal.role == "analyst":
            raise Forbidden("an analyst key is read-only")

    @staticmethod
    def _version_values(content: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(content, dict) or not isinstance(content.get("established_by"), dict):
            raise InvalidRequest("a plan of care is the contract's plan_of_care object, with established_by")
        by = content["established_by"]
        changed = content.get("last_changed")
        try:
            last_changed = date.fromisoformat(changed) if isinstance(changed, str) else None
        except ValueError:
            raise InvalidRequest("plan_of_care.last_changed: expected YYYY-MM-DD") from None
        return {"content": dumps(content), "established_by_npi": by.get("npi"),
                "established_by_role": by.get("role"), "last_changed": last_changed}

    def create_plan_of_care(self, mbi: str, content: dict[str, Any], principal: Principal,
                            remote: str | None = None) -> PlanVersion:
        """A new plan of care for the beneficiary, as version 1 (unsigned)."""
        self._may_write_plans(principal)
        values = self._version_values(content)
        with write_transaction(self.engine) as conn:
            lock(conn, f"beneficiary:{mbi}")
            beneficiary_id = self._beneficiary_id(conn, mbi, create=True)
            if principal.supplier_npi:
                _insert_ignoring_conflict(conn, suppliers, {"npi": principal.supplier_npi, "created_at": utc_now()})
            plan_id = conn.execute(plans_of_care.insert().values(
                beneficiary_id=beneficiary_id, supplier_npi=principal.supplier_npi, created_at=utc_now(),
                created_by=principal.key_id).returning(plans_of_care.c.id)).scalar_one()
            conn.execute(plan_versions.insert().values(plan_id=plan_id, version=1, created_at=utc_now(),
                                                       created_by=principal.key_id, **values))
            self._audit(conn, principal, "plan.create", "ok", beneficiary_id=beneficiary_id, remote=remote)
            return self._versions(conn, plan_id)[-1]

    def add_plan_version(self, plan_id: int, content: dict[str, Any], principal: Principal,
                         remote: str | None = None) -> PlanVersion:
        """A changed plan: a new version (unsigned); every earlier version is kept as it was."""
        self._may_write_plans(principal)
        values = self._version_values(content)
        with write_transaction(self.engine) as conn:
            lock(conn, f"plan:{plan_id}")
            plan = self._plan_row(conn, plan_id, principal)
            last = conn.execute(sa.select(sa.func.max(plan_versions.c.version))
                                .where(plan_versions.c.plan_id == plan_id)).scalar_one()
            conn.execute(plan_versions.insert().values(plan_id=plan_id, version=last + 1, created_at=utc_now(),
                                                       created_by=principal.key_id, **values))
            self._audit(conn, principal, "plan.version", "ok", beneficiary_id=plan.beneficiary_id, remote=remote)
            return self._versions(conn, plan_id)[-1]

    def sign_plan_version(self, plan_id: int, version: int, signer: str, signed_date: date, principal: Principal,
                          remote: str | None = None) -> PlanVersion:
        """Record the signature of one version (a version is signed once; a change is a new version)."""
        return self._mark_version(plan_id, version, principal, remote, "plan.sign",
                                  signed=(signer, signed_date))

    def review_plan_version(self, plan_id: int, version: int, reviewed_date: date, principal: Principal,
                            remote: str | None = None) -> PlanVersion:
        """Add a review date to one version."""
        return self._mark_version(plan_id, version, principal, remote, "plan.review", reviewed=reviewed_date)

    def _mark_version(self, plan_id: int, version: int, principal: Principal, remote: str | None, action: str,
                      signed: tuple[str, date] | None = None, reviewed: date | None = None) -> PlanVersion:
        self._may_write_plans(principal)
        with write_transaction(self.engine) as conn:
            lock(conn, f"plan:{plan_id}")
            plan = self._plan_row(conn, plan_id, principal)
            row = conn.execute(sa.select(plan_versions).where(plan_versions.c.plan_id == plan_id,
                                                              plan_versions.c.version == version)).first()
            if row is None:
                raise NotFound(f"plan of care {plan_id} has no version {version}")
            where = (plan_versions.c.id == row.id)
            if signed is not None:
                if row.signed_date is not None:
                    raise ClaimConflict(f"version {version} of plan {plan_id} is already signed: "
                                        "a change is a new version")
                conn.execute(plan_versions.update().where(where).values(signer=signed[0], signed_date=signed[1]))
            if reviewed is not None:
                dates = sorted(set(loads(row.reviewed_dates)) | {reviewed.isoformat()})
                conn.execute(plan_versions.update().where(where).values(reviewed_dates=dumps(dates)))
            self._audit(conn, principal, action, "ok", beneficiary_id=plan.beneficiary_id, remote=remote)
            return next(v for v in self._versions(conn, plan_id) if v.version == version)

    @staticmethod
    def _versions(conn: Connection, plan_id: int) -> list[PlanVersion]:
        rows = conn.execute(sa.select(plan_versions).where(plan_versions.c.plan_id == plan_id)
                            .order_by(plan_versions.c.version)).all()
        return [PlanVersion(r.plan_id, r.version, loads(r.content), r.established_by_npi, r.established_by_role,
                            r.signed_date, r.signer, r.last_changed,
                            [date.fromisoformat(d) for d in loads(r.reviewed_dates)], as_utc(r.created_at))
                for r in rows]

    def list_plans_of_care(self, mbi: str, principal: Principal, remote: str | None = None) -> list[PlanOfCareRecord]:
        """The beneficiary's plans with every version, oldest first (a supplier: only its own)."""
        with write_transaction(self.engine) as conn:
            beneficiary_id = self._beneficiary_id(conn, mbi)
            plans: list[PlanOfCareRecord] = []
            if beneficiary_id is not None:
                query = sa.select(plans_of_care).where(plans_of_care.c.beneficiary_id == beneficiary_id)
                if principal.role == "supplier":
                    query = query.where(plans_of_care.c.supplier_npi == principal.supplier_npi)
                for row in conn.execute(query.order_by(plans_of_care.c.id)).all():
                    plans.append(PlanOfCareRecord(row.id, row.beneficiary_id, row.supplier_npi, as_utc(row.created_at),
                                                  self._versions(conn, row.id)))
            self._audit(conn, principal, "plan.list", "ok" if beneficiary_id is not None else "not_found",
                        beneficiary_id=beneficiary_id, remote=remote)
        return plans


def redact_claim(body: dict[str, Any], beneficiary_id: int) -> dict[str, Any]:
    """The claim without direct identifiers: the MBI becomes the internal beneficiary id and
    ``extra`` (where X12 names, addresses and birth dates travel) is dropped."""
    out = dict(body)
    beneficiary = dict(out.get("beneficiary") or {})
    beneficiary.pop("mbi", None)
    beneficiary["beneficiary_id"] = beneficiary_id
    out["beneficiary"] = beneficiary
    out.pop("extra", None)
    return out


def adjudicate_with_store(claims_in: Sequence[Claim], tables: Tables, url: str | None = None,
                          principal: Principal | None = None) -> list[Decision]:
    """Submit ``claims_in`` to the store at ``url`` in contract order (CONTRACT §5), as a contractor
    unless told otherwise; decisions come back in input order. Idempotent: rerunning the same
    claims returns their stored decisions and stores nothing twice (a changed claim under a used
    claim id raises ``ClaimConflict``)."""
    principal = principal or SYSTEM_CONTRACTOR
    out: list[Decision | None] = [None] * len(claims_in)
    with Store.open(url) as store:
        for i in contract_order(claims_in):
            out[i] = store.submit_claim(claims_in[i], principal, tables).decision
    return out  # type: ignore[return-value]
