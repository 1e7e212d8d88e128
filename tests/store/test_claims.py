"""Submitting, checking and reading claims: idempotency, tenancy, look-backs across submissions,
audit, plans of care and ``adjudicate_with_store``."""

from datetime import date

import pytest
import sqlalchemy as sa

from hitbenefit import service
from hitbenefit.store import (SYSTEM_CONTRACTOR, ClaimConflict, Forbidden, NotFound, Principal, Store,
                              adjudicate_with_store)
from tests.store.conftest import claim_json, make_claim, new_mbi, new_npi, unique
from hitbenefit.claims.read_json import claim_from_json


def keys(decision, line=1):
    return [r.key for r in decision.lines[line - 1].reasons]


def test_resubmission_is_idempotent_and_a_changed_body_conflicts(store, tables):
    npi, mbi, cid = new_npi(), new_mbi(), unique("C")
    claim = make_claim(cid, mbi, npi, [("G0089", "2025-04-01")])
    first = store.submit_claim(claim, SYSTEM_CONTRACTOR, tables)
    assert first.created and first.decision.status == "paid"
    # the same claim written differently (key order, 450 vs 450.00) is the same claim
    again_json = claim_json(cid, mbi, npi, [("G0089", "2025-04-01")])
    again_json["lines"][0]["charge"] = 450
    again = store.submit_claim(claim_from_json(dict(reversed(list(again_json.items())))), SYSTEM_CONTRACTOR, tables)
    assert not again.created and again.claim_ref == first.claim_ref
    assert service.decisions_json([again.decision]) == service.decisions_json([first.decision])
    changed = make_claim(cid, mbi, npi, [("G0089", "2025-04-02")])
    with pytest.raises(ClaimConflict):
        store.submit_claim(changed, SYSTEM_CONTRACTOR, tables)
    with store.engine.connect() as conn:
        n = conn.execute(sa.text("SELECT count(*) FROM claims WHERE claim_id = :c"), {"c": cid}).scalar_one()
    assert n == 1
    # the same claim id from another supplier is another claim
    other = store.submit_claim(make_claim(cid, new_mbi(), new_npi(), [("G0089", "2025-04-01")]), SYSTEM_CONTRACTOR,
                               tables)
    assert other.created


def test_initial_visit_30_days_after_a_stored_visit_is_rejected(store, tables):
    mbi = new_mbi()
    first = store.submit_claim(make_claim(unique("C"), mbi, new_npi(), [("G0089", "2025-05-01")]),
                               SYSTEM_CONTRACTOR, tables)
    assert first.decision.status == "paid"
    # another supplier, another submission, 30 days later: the stored history is used
    second = store.submit_claim(make_claim(unique("C"), mbi, new_npi(), [("G0089", "2025-05-31")]),
                                SYSTEM_CONTRACTOR, tables)
    assert second.decision.lines[0].status == "rejected"
    assert "INITIAL_WITHIN_60_DAYS" in keys(second.decision)
    # 61 days after the last visit, an initial visit is allowed again (rejected lines never join history)
    third = store.submit_claim(make_claim(unique("C"), mbi, new_npi(), [("G0089", "2025-07-01")]),
                               SYSTEM_CONTRACTOR, tables)
    assert third.decision.status == "paid"
    # a second line of category 2 on a stored day is denied
    dup = store.submit_claim(make_claim(unique("C"), mbi, new_npi(), [("G0069", "2025-07-01")]),
                             SYSTEM_CONTRACTOR, tables)
    assert "DUPLICATE_CATEGORY_DAY" in keys(dup.decision)


def test_check_claim_uses_history_and_stores_nothing(store, tables):
    mbi, npi = new_mbi(), new_npi()
    store.submit_claim(make_claim(unique("C"), mbi, npi, [("G0089", "2025-05-01")]), SYSTEM_CONTRACTOR, tables)
    probe = make_claim(unique("C"), mbi, npi, [("G0089", "2025-05-20")])
    counts = store.info()["counts"]
    decision = store.check_claim(probe, SYSTEM_CONTRACTOR, tables)
    assert "INITIAL_WITHIN_60_DAYS" in keys(decision)
    after = store.info()["counts"]
    assert {k: v for k, v in after.items() if k != "audit_log"} == {k: v for k, v in counts.items() if k != "audit_log"}
    assert after["audit_log"] == counts["audit_log"] + 1
    assert store.get_claim(probe.claim_id, SYSTEM_CONTRACTOR) is None


def test_tenancy_suppliers_see_only_their_own_claims(store, tables):
    mbi, npi_a, npi_b = new_mbi(), new_npi(), new_npi()
    key_a, _ = store.create_api_key("supplier", supplier_npi=npi_a)
    key_b, _ = store.create_api_key("supplier", supplier_npi=npi_b)
    a, b = store.authenticate(key_a), store.authenticate(key_b)
    claim_a = make_claim(unique("A"), mbi, npi_a, [("G0089", "2025-06-01")])
    claim_b = make_claim(unique("B"), mbi, npi_b, [("G0069", "2025-06-08")])
    store.submit_claim(claim_a, a, tables)
    result_b = store.submit_claim(claim_b, b, tables)
    assert result_b.decision.status == "paid"
    with pytest.raises(Forbidden):
        store.submit_claim(make_claim(unique("X"), mbi, npi_b, [("G0069", "2025-06-09")]), a, tables)
    with pytest.raises(Forbidden):
        store.check_claim(claim_b, a, tables)
    # by id
    assert store.get_claim(claim_b.claim_id, a) is None
    assert store.get_claim(claim_b.claim_id, a, supplier_npi=npi_b) is None
    assert store.get_claim(claim_a.claim_id, a).supplier_npi == npi_a
    # by history: A sees its own lines only, though the engine used B's too
    history_a = store.beneficiary_history(mbi, a)
    assert {h.claim_id for h in history_a} == {claim_a.claim_id}
    assert {h.claim_id for h in store.beneficiary_history(mbi, SYSTEM_CONTRACTOR)} == {claim_a.claim_id,
                                                                                        claim_b.claim_id}
    # a new initial visit from A within 60 days of B's visit is rejected on B's history
    late = store.submit_claim(make_claim(unique("A"), mbi, npi_a, [("G0089", "2025-07-01")]), a, tables)
    assert "INITIAL_WITHIN_60_DAYS" in keys(late.decision)


def test_analyst_reads_without_direct_identifiers_and_cannot_write(store, tables):
    mbi, npi = new_mbi(), new_npi()
    body = claim_json(unique("C"), mbi, npi, [("G0089", "2025-06-01")],
                      extra={"x12": {"subscriber": {"last_name": "DOE", "first_name": "JANE"}}})
    claim = claim_from_json(body)
    store.submit_claim(claim, SYSTEM_CONTRACTOR, tables)
    analyst = store.authenticate(store.create_api_key("analyst")[0])
    stored = store.get_claim(claim.claim_id, analyst)
    text = repr(stored)
    assert mbi not in text and "DOE" not in text and "JANE" not in text
    assert stored.claim["beneficiary"]["beneficiary_id"] == stored.beneficiary_id
    assert stored.decision["status"] == "paid"
    with pytest.raises(Forbidden):
        store.submit_claim(make_claim(unique("C"), mbi, npi, [("G0069", "2025-06-02")]), analyst, tables)
    full = store.get_claim(claim.claim_id, SYSTEM_CONTRACTOR)
    assert full.claim["beneficiary"]["mbi"] == mbi and full.claim["extra"]["x12"]["subscriber"]["last_name"] == "DOE"


def test_audit_rows_for_reads_and_writes_carry_no_mbi(store, tables):
    mbi, npi = new_mbi(), new_npi()
    key, key_id = store.create_api_key("supplier", supplier_npi=npi)
    who = store.authenticate(key)
    claim = make_claim(unique("C"), mbi, npi, [("G0089", "2025-06-01")])
    result = store.submit_claim(claim, who, tables, remote="10.0.0.7")
    store.submit_claim(claim, who, tables, remote="10.0.0.7")
    store.get_claim(claim.claim_id, who, remote="10.0.0.7")
    store.beneficiary_history(mbi, who, remote="10.0.0.7")
    store.check_claim(claim, who, tables, remote="10.0.0.7")
    with pytest.raises(Forbidden):
        store.submit_claim(make_claim(unique("C"), mbi, new_npi(), [("G0089", "2025-06-01")]), who, tables)
    rows = [r for r in store.audit_entries(50) if r["api_key_id"] == key_id]
    seen = {(r["action"], r["outcome"]) for r in rows}
    assert {("claim.submit", "created"), ("claim.submit", "replayed"), ("claim.read", "ok"), ("history.read", "ok"),
            ("claim.check", "ok"), ("claim.submit", "forbidden")} <= seen
    ok = [r for r in rows if r["outcome"] in ("created", "replayed", "ok")]
    assert all(r["remote"] == "10.0.0.7" and r["principal"] == f"supplier:{npi}" for r in ok)
    assert {r["claim_ref"] for r in ok if r["action"].startswith("claim.submit")} == {result.claim_ref}
    beneficiary_ids = {r["beneficiary_id"] for r in ok}
    assert len(beneficiary_ids) == 1 and None not in beneficiary_ids
    with store.engine.connect() as conn:
        dump = " ".join(str(v) for r in conn.execute(sa.text("SELECT * FROM audit_log")).all() for v in r)
    assert mbi not in dump


def test_plans_of_care_keep_every_version(store):
    mbi, npi = new_mbi(), new_npi()
    supplier = store.authenticate(store.create_api_key("supplier", supplier_npi=npi)[0])
    other = store.authenticate(store.create_api_key("supplier", supplier_npi=new_npi())[0])
    content = claim_json("P", mbi, npi, [("G0089", "2025-06-01")])["plan_of_care"]
    v1 = store.create_plan_of_care(mbi, content, supplier)
    assert v1.version == 1 and v1.signed_date is None and v1.established_by_role == "physician"
    signed = store.sign_plan_version(v1.plan_id, 1, "Dr. A. Smith", date(2025, 2, 27), supplier)
    assert signed.signer == "Dr. A. Smith" and signed.signed_date == date(2025, 2, 27)
    with pytest.raises(ClaimConflict):
        store.sign_plan_version(v1.plan_id, 1, "Dr. B", date(2025, 3, 1), supplier)
    v2 = store.add_plan_version(v1.plan_id, {**content, "dosage": "20 g", "last_changed": "2025-04-01"}, supplier)
    assert v2.version == 2 and v2.signed_date is None and v2.last_changed == date(2025, 4, 1)
    reviewed = store.review_plan_version(v1.plan_id, 2, date(2025, 5, 1), supplier)
    assert reviewed.reviewed_dates == [date(2025, 5, 1)]
    plans = store.list_plans_of_care(mbi, supplier)
    assert [v.version for v in plans[0].versions] == [1, 2]
    assert plans[0].versions[0].content["dosage"] == content["dosage"] and plans[0].versions[1].content["dosage"] == "20 g"
    assert store.list_plans_of_care(mbi, other) == []
    with pytest.raises(NotFound):
        store.add_plan_version(v1.plan_id, content, other)


def test_adjudicate_with_store_reruns_give_identical_decisions(db_url, tables):
    mbi, npi = new_mbi(), new_npi()
    claims = [make_claim(unique("F"), mbi, npi, [("G0089", "2025-08-20")]),  # out of order in the file
              make_claim(unique("F"), mbi, npi, [("G0089", "2025-08-01")]),
              make_claim(unique("F"), new_mbi(), npi, [("G0089", "2025-08-05")])]
    first = adjudicate_with_store(claims, tables, db_url)
    # contract order: 08-01 first, so the 08-20 initial visit is the one rejected
    assert [d.status for d in first] == ["rejected", "paid", "paid"]
    assert [d.claim_id for d in first] == [c.claim_id for c in claims]
    with Store.open(db_url) as store:
        before = store.info()["counts"]
    again = adjudicate_with_store(claims, tables, db_url)
    assert service.decisions_json(again) == service.decisions_json(first)
    assert service.decisions_json(again) == service.decisions_json(service.adjudicate(claims, tables))
    with Store.open(db_url) as store:
        after = store.info()["counts"]
    assert {k: v for k, v in after.items() if k != "audit_log"} == {k: v for k, v in before.items() if k != "audit_log"}
