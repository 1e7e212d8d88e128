"""The persistent store around the pure engine (issue 4, part 1): SQLite by default, PostgreSQL
(psycopg 3) when ``HITBENEFIT_DATABASE_URL`` names one. See docs/store.md.

    store = Store.open(url)                      # creates or upgrades the schema (Alembic)
    key, key_id = store.create_api_key("supplier", supplier_npi="1234567893")
    principal = store.authenticate(key)          # Principal or None
    result = store.submit_claim(claim, principal, tables)   # SubmitResult(decision, created, claim_ref)
    store.check_claim(claim, principal, tables)  # a Decision; stores nothing but an audit row
    store.get_claim("HIT-1", principal)          # StoredClaim or None
    store.beneficiary_history(mbi, principal)    # [HistoryLine]
    adjudicate_with_store(claims, tables, url)   # a file's claims, in contract order, idempotent
"""

from hitbenefit.store.records import (ROLES, SYSTEM_CONTRACTOR, AmbiguousClaim, ApiKeyInfo, ClaimConflict, Forbidden,
                                      HistoryLine, InvalidRequest, NotFound, PlanOfCareRecord, PlanVersion, Principal,
                                      StoredClaim, StoreError, SubmitResult, UserInfo)

_HEAVY = {  # loaded on first use: SQLAlchemy and Alembic cost a command line ~0.5 s to import
    "Store": "core", "adjudicate_with_store": "core", "redact_claim": "core",
    "ENV_URL": "database", "resolve_url": "database", "safe_url": "database",
    "head_revision": "migrate", "upgrade": "migrate",
}


def __getattr__(name: str):
    module = _HEAVY.get(name)
    if module is None:
        raise AttributeError(f"module 'hitbenefit.store' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"hitbenefit.store.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "ENV_URL", "ROLES", "SYSTEM_CONTRACTOR", "AmbiguousClaim", "ApiKeyInfo", "ClaimConflict", "Forbidden",
    "HistoryLine", "InvalidRequest", "NotFound", "PlanOfCareRecord", "PlanVersion", "Principal", "Store",
    "StoreError", "StoredClaim", "SubmitResult", "UserInfo", "adjudicate_with_store", "head_revision", "redact_claim",
    "resolve_url", "safe_url", "upgrade",
]
