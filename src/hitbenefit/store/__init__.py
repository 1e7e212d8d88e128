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

from hitbenefit.store.core import Store, adjudicate_with_store, redact_claim
from hitbenefit.store.database import ENV_URL, resolve_url, safe_url
from hitbenefit.store.migrate import head_revision, upgrade
from hitbenefit.store.records import (ROLES, SYSTEM_CONTRACTOR, AmbiguousClaim, ApiKeyInfo, ClaimConflict, Forbidden,
                                      HistoryLine, InvalidRequest, NotFound, PlanOfCareRecord, PlanVersion, Principal,
                                      StoredClaim, StoreError, SubmitResult)

__all__ = [
    "ENV_URL", "ROLES", "SYSTEM_CONTRACTOR", "AmbiguousClaim", "ApiKeyInfo", "ClaimConflict", "Forbidden",
    "HistoryLine", "InvalidRequest", "NotFound", "PlanOfCareRecord", "PlanVersion", "Principal", "Store",
    "StoreError", "StoredClaim", "SubmitResult", "adjudicate_with_store", "head_revision", "redact_claim",
    "resolve_url", "safe_url", "upgrade",
]
