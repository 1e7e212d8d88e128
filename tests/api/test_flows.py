"""The API's flows end to end (TestClient, in process): check, submit, idempotency, conflict, read,
tenancy, roles, errors as problem details, limits, plans, rates, rules, batches, logs."""

from __future__ import annotations

import logging
import time

import pytest

from tests.api.conftest import JSON, auth, claim_json, dumps, make_client, new_mbi, new_npi, unique


def _claim(npi, mbi=None, day="2025-03-03", code="G0089", claim_id=None):
    return claim_json(claim_id or unique("API-"), mbi or new_mbi(), npi, [(code, day)])


def post(client, path, key, body, **headers):
    return client.post(path, content=body if isinstance(body, (str, bytes)) else dumps(body),
                       headers=auth(key, **JSON, **headers))


def test_check_stores_nothing_and_submit_is_idempotent(client, keys):
    key, npi = keys.supplier()
    body = _claim(npi)
    checked = post(client, "/v1/claims:check", key, body)
    assert checked.status_code == 200, checked.text
    assert checked.json()["status"] == "paid"
    assert '"allowed": 234.77' in checked.text or '.' in checked.text  # money written with decimals
    assert client.get(f"/v1/claims/{body['claim_id']}", headers=auth(key)).status_code == 404
    first = post(client, "/v1/claims", key, body)
    assert first.status_code == 201 and first.json()["status"] == "paid"
    assert first.headers["location"] == f"/v1/claims/{body['claim_id']}"
    again = post(client, "/v1/claims", key, body)
    assert again.status_code == 200 and again.json() == first.json()
    changed = dict(body, lines=[dict(body["lines"][0], charge=500), body["lines"][1]])
    conflict = post(client, "/v1/claims", key, changed)
    assert conflict.status_code == 409
    assert conflict.headers["content-type"] == "application/problem+json"
    assert conflict.json()["errors"][0]["field"] == "claim_id"
    read = client.get(f"/v1/claims/{body['claim_id']}", headers=auth(key))
    assert read.status_code == 200
    assert read.json()["decision"] == first.json()
    assert read.json()["claim"]["beneficiary"]["mbi"] == body["beneficiary"]["mbi"]


def test_money_has_two_decimals(client, keys):
    key, npi = keys.supplier()
    text = post(client, "/v1/claims:check", key, _claim(npi)).text
    assert '"deductible": 0.00' in text and '"charge": 450.00' in text


def test_second_initial_visit_within_60_days_is_rejected_from_history(client, keys):
    key, npi = keys.supplier()
    mbi = new_mbi()
    assert post(client, "/v1/claims", key, _claim(npi, mbi, "2025-03-03")).json()["status"] == "paid"
    later = post(client, "/v1/claims:check", key, _claim(npi, mbi, "2025-03-20"))
    keys_found = [r["key"] for r in later.json()["lines"][0]["reasons"]]
    assert "INITIAL_WITHIN_60_DAYS" in keys_found


def test_tenancy_by_id_history_and_batch(client, keys):
    key_a, npi_a = keys.supplier()
    key_b, npi_b = keys.supplier()
    mbi = new_mbi()
    body = _claim(npi_a, mbi)
    assert post(client, "/v1/claims", key_a, body).status_code == 201
    other = client.get(f"/v1/claims/{body['claim_id']}", headers=auth(key_b))
    assert other.status_code == 404 and "forbidden" not in other.text.lower()
    assert client.get(f"/v1/claims/{body['claim_id']}?supplier_npi={npi_a}", headers=auth(key_b)).status_code == 404
    assert client.get(f"/v1/beneficiaries/{mbi}/history", headers=auth(key_b)).json()["lines"] == []
    assert len(client.get(f"/v1/beneficiaries/{mbi}/history", headers=auth(key_a)).json()["lines"]) == 2
    # B may not submit or check A's claims
    assert post(client, "/v1/claims", key_b, _claim(npi_a)).status_code == 403
    assert post(client, "/v1/claims:check", key_b, _claim(npi_a)).status_code == 403
    # batch jobs: B cannot see A's job
    jsonl = dumps(_claim(npi_a)) + "\n" + dumps(_claim(npi_a)) + "\n"
    job = client.post("/v1/batches", content=jsonl, headers=auth(key_a, **{"Content-Type": "application/x-ndjson"}))
    assert job.status_code == 202, job.text
    job_id = job.json()["job_id"]
    assert client.get(f"/v1/batches/{job_id}", headers=auth(key_b)).status_code == 404
    assert client.get(f"/v1/batches/{job_id}/decisions", headers=auth(key_b)).status_code == 404
    assert client.get(f"/v1/batches/{job_id}", headers=auth(key_a)).status_code == 200
    # a supplier's batch naming another supplier is refused whole
    bad = client.post("/v1/batches", content=dumps(_claim(npi_a)) + "\n" + dumps(_claim(npi_a)) + "\n",
                      headers=auth(key_b, **{"Content-Type": "application/x-ndjson"}))
    assert bad.status_code == 403


def test_contractor_reads_all_and_analyst_is_read_only_without_identifiers(client, keys):
    key, npi = keys.supplier()
    mbi = new_mbi()
    body = _claim(npi, mbi)
    assert post(client, "/v1/claims", key, body).status_code == 201
    contractor, analyst = keys.contractor(), keys.analyst()
    assert client.get(f"/v1/claims/{body['claim_id']}", headers=auth(contractor)).json()["claim"]["beneficiary"]["mbi"] == mbi
    seen = client.get(f"/v1/claims/{body['claim_id']}", headers=auth(analyst))
    assert seen.status_code == 200 and mbi not in seen.text and "mbi" not in seen.json()["claim"]["beneficiary"]
    hist = client.get(f"/v1/beneficiaries/{mbi}/history", headers=auth(analyst))
    assert hist.status_code == 200 and mbi not in hist.text and len(hist.json()["lines"]) == 2
    plans = client.get(f"/v1/plans?mbi={mbi}", headers=auth(analyst))
    assert plans.status_code == 200 and mbi not in plans.text
    for path, payload in (("/v1/claims", _claim(npi)), ("/v1/plans", {"mbi": mbi, "plan_of_care": body["plan_of_care"]})):
        refused = post(client, path, analyst, payload)
        assert refused.status_code == 403 and mbi not in refused.text
    assert client.post("/v1/batches", content=dumps(_claim(npi)),
                       headers=auth(analyst, **{"Content-Type": "application/x-ndjson"})).status_code == 403


def test_401_for_missing_invalid_and_revoked_keys(client, keys, store):
    assert client.get("/v1/rules").status_code == 401
    assert client.get("/v1/rules", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    assert client.get("/v1/rules", headers={"Authorization": "Basic abc"}).status_code == 401
    key, key_id = store.create_api_key("contractor")
    assert client.get("/v1/rules", headers=auth(key)).status_code == 200
    store.revoke_api_key(key_id)
    revoked = client.get("/v1/rules", headers=auth(key))
    assert revoked.status_code == 401
    problem = revoked.json()
    assert {"type", "title", "status", "detail", "instance", "errors"} <= problem.keys()
    assert problem["errors"][0]["field"] == "Authorization"
    assert revoked.headers["www-authenticate"].startswith("Bearer")


def test_a_disabled_users_keys_get_401_on_every_endpoint(client, store):
    npi = new_npi()
    email = f"ops.{npi}@example.org"  # synthetic
    store.create_user("Synthetic Ops", email, "supplier", supplier_npi=npi)
    key, _ = store.create_api_key("supplier", user_email=email)
    body = dumps(_claim(npi))
    assert client.post("/v1/claims:check", content=body, headers=auth(key, **JSON)).status_code == 200
    store.disable_user(email)
    for method, path in (("POST", "/v1/claims:check"), ("POST", "/v1/claims"), ("GET", "/v1/rules")):
        refused = client.request(method, path, content=body if method == "POST" else None, headers=auth(key, **JSON))
        assert refused.status_code == 401, (path, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["errors"][0]["field"] == "Authorization"


def test_errors_are_problem_details_naming_the_field(client, keys):
    key, npi = keys.supplier()
    body = _claim(npi)
    body["lines"][0]["charge"] = "450"
    bad = post(client, "/v1/claims:check", key, body)
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    assert bad.json()["errors"][0]["field"] == "lines[line=1].charge"
    typo = dict(_claim(npi), recieved_date="2025-03-01")
    assert post(client, "/v1/claims", key, typo).json()["errors"][0]["field"] == "recieved_date"
    missing = _claim(npi)
    del missing["beneficiary"]["mbi"]
    assert post(client, "/v1/claims", key, missing).json()["errors"][0]["field"] == "beneficiary.mbi"
    assert post(client, "/v1/claims", key, "{not json").status_code == 400
    assert post(client, "/v1/claims", key, "").status_code == 400
    huge = dumps(_claim(npi)).replace('"deductible_remaining": 0.0', '"deductible_remaining": 1e99999999999999999999')
    assert "1e9999" in huge  # found by fuzzing: was a 500 (decimal.InvalidOperation)
    too_large = post(client, "/v1/claims:check", key, huge)
    assert too_large.status_code == 400 and "a number too large for a decimal" in too_large.json()["detail"]
    wrong_type = client.post("/v1/claims", content=dumps(_claim(npi)), headers=auth(key, **{"Content-Type": "text/xml"}))
    assert wrong_type.status_code == 415
    assert client.get("/v1/rates/1999", headers=auth(key)).status_code == 422
    assert client.get("/v1/rates/2025?locality=nowhere", headers=auth(key)).json()["errors"][0]["field"] == "locality"
    assert client.get("/v1/nothing", headers=auth(key)).headers["content-type"] == "application/problem+json"


def test_request_size_limit_413(store, tables, keys):
    key, npi = keys.supplier()
    with make_client(store, tables, max_claim_bytes=4096, max_batch_bytes=8192) as c:
        body = _claim(npi)
        body["extra"] = {"padding": "x" * 5000}
        too_big = post(c, "/v1/claims", key, body)
        assert too_big.status_code == 413 and too_big.headers["content-type"] == "application/problem+json"
        big_batch = "\n".join(dumps(_claim(npi)) for _ in range(20))
        assert c.post("/v1/batches", content=big_batch,
                      headers=auth(key, **{"Content-Type": "application/x-ndjson"})).status_code == 413


def test_rate_limit_429_with_retry_after(store, tables, keys):
    key = keys.contractor()
    with make_client(store, tables, rate_per_second=0.5, rate_burst=3) as c:
        codes = [c.get("/v1/rules", headers=auth(key)).status_code for _ in range(5)]
        assert codes[:3] == [200, 200, 200] and codes[3] == 429
        limited = c.get("/v1/rules", headers=auth(key))
        assert int(limited.headers["retry-after"]) >= 1
        assert limited.json()["status"] == 429
        assert c.get("/v1/rules", headers=auth(keys.contractor())).status_code == 200  # per key


def test_plans_of_care_flow(client, keys):
    key, npi = keys.supplier()
    other, _ = keys.supplier()
    mbi = new_mbi()
    plan = _claim(npi)["plan_of_care"]
    made = post(client, "/v1/plans", key, {"mbi": mbi, "plan_of_care": plan})
    assert made.status_code == 201, made.text
    plan_id = made.json()["plan_id"]
    assert mbi not in made.text
    changed = dict(plan, dosage="12 g", last_changed="2025-03-10")
    v2 = post(client, f"/v1/plans/{plan_id}/versions", key, {"plan_of_care": changed})
    assert v2.status_code == 201 and v2.json()["version"] == 2
    signed = post(client, f"/v1/plans/{plan_id}/sign", key, {"version": 2, "signed_date": "2025-03-11", "signer": "Dr A"})
    assert signed.status_code == 200 and signed.json()["signed_date"] == "2025-03-11"
    assert post(client, f"/v1/plans/{plan_id}/sign", key,
                {"version": 2, "signed_date": "2025-03-12", "signer": "Dr A"}).status_code == 409
    reviewed = post(client, f"/v1/plans/{plan_id}/review", key, {"version": 2, "reviewed_date": "2025-04-01"})
    assert reviewed.json()["reviewed_dates"] == ["2025-04-01"]
    listed = client.get(f"/v1/plans?mbi={mbi}", headers=auth(key)).json()["plans"]
    assert [v["version"] for v in listed[0]["versions"]] == [1, 2]
    assert client.get(f"/v1/plans?mbi={mbi}", headers=auth(other)).json()["plans"] == []
    assert post(client, f"/v1/plans/{plan_id}/versions", other, {"plan_of_care": changed}).status_code == 404
    bad = post(client, "/v1/plans", key, {"mbi": mbi, "plan_of_care": dict(plan, signed_date="March")})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "plan_of_care.signed_date"
    assert post(client, f"/v1/plans/{plan_id}/sign", key, {"version": 9, "signed_date": "2025-03-11"}).status_code == 404


def test_rates_and_rules(client, keys):
    key = keys.analyst()
    rates = client.get("/v1/rates/2025?locality=01112-54", headers=auth(key))
    assert rates.status_code == 200
    data = rates.json()
    assert data["status"] == "estimate" and data["estimate"] is True and "ESTIMATE" in data["label"]
    assert data["source"] and len(data["rates"]) == 6 and data["rates"][0]["locality_amount"] is not None
    assert client.get("/v1/rates/2199", headers=auth(key)).status_code == 404
    rules = client.get("/v1/rules", headers=auth(key)).json()["rules"]
    assert rules and all(r["citations"] for r in rules)


def _wait_done(client, key, job_id, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/v1/batches/{job_id}", headers=auth(key)).json()
        if job["status"] == "done":
            return job
        time.sleep(0.05)
    raise AssertionError(f"job not done: {job}")


def test_batch_jsonl_in_contract_order(client, keys):
    key, npi = keys.supplier()
    mbi = new_mbi()
    later = _claim(npi, mbi, "2025-03-20", claim_id=unique("B-"))
    earlier = _claim(npi, mbi, "2025-03-03", claim_id=unique("B-"))
    jsonl = dumps(later) + "\n" + dumps(earlier) + "\n"
    job = client.post("/v1/batches", content=jsonl, headers=auth(key, **{"Content-Type": "application/x-ndjson"}))
    assert job.status_code == 202
    job_id = job.json()["job_id"]
    done = _wait_done(client, key, job_id)
    assert done["counts"]["decided"] == 2 and done["counts"]["pending"] == 0
    items = client.get(done["links"]["decisions"], headers=auth(key)).json()["items"]
    assert [i["claim_id"] for i in items] == [earlier["claim_id"], later["claim_id"]]
    assert items[0]["decision"]["status"] == "paid"
    assert "INITIAL_WITHIN_60_DAYS" in [r["key"] for r in items[1]["decision"]["lines"][0]["reasons"]]
    again = client.post("/v1/batches", content=jsonl, headers=auth(key, **{"Content-Type": "application/x-ndjson"}))
    assert again.status_code == 200 and again.json()["job_id"] == job_id
    broken = client.post("/v1/batches", content=dumps(earlier) + "\n{\"claim_id\": 1}\n",
                         headers=auth(key, **{"Content-Type": "application/x-ndjson"}))
    assert broken.status_code == 422 and broken.json()["errors"][0]["field"].startswith("records[2]")


def test_batch_837(client, keys, tmp_path):
    from hitbenefit.claims.read_json import claim_from_json
    from hitbenefit.x12.write_837 import claims_to_837  # noqa: F401 - the project's writer
    key = keys.contractor()
    npi = "1234567893"
    claims = [claim_from_json(_claim(npi, day=f"2025-03-{d:02d}")) for d in (3, 4)]
    text = claims_to_837(claims, sender_id="SENDER", receiver_id="RECEIVER", submitter_name="SUBMITTER",
                         receiver_name="MAC")
    job = client.post("/v1/batches?locality=01112-54", content=text,
                      headers=auth(key, **{"Content-Type": "application/edi-x12"}))
    assert job.status_code == 202, job.text
    done = _wait_done(client, key, job.json()["job_id"])
    assert done["counts"]["decided"] == 2


def test_no_mbi_in_any_log_line(client, keys, caplog):
    key, npi = keys.supplier()
    contractor = keys.contractor()
    mbi = new_mbi()
    body = _claim(npi, mbi)
    with caplog.at_level(logging.DEBUG):
        post(client, "/v1/claims:check", key, body)
        post(client, "/v1/claims", key, body)
        post(client, "/v1/claims", key, dict(body, service_locality="99999-99"))
        client.get(f"/v1/claims/{body['claim_id']}", headers=auth(contractor))
        client.get(f"/v1/beneficiaries/{mbi}/history", headers=auth(key))
        client.get(f"/v1/plans?mbi={mbi}", headers=auth(key))
        post(client, "/v1/plans", key, {"mbi": mbi, "plan_of_care": body["plan_of_care"]})
        job = client.post("/v1/batches", content=dumps(_claim(npi, mbi, "2025-05-05")) + "\n" + dumps(_claim(npi, mbi, "2025-05-06")),
                          headers=auth(key, **{"Content-Type": "application/x-ndjson"}))
        _wait_done(client, key, job.json()["job_id"])
        client.get(f"/v1/beneficiaries/{mbi}/history", headers={"Authorization": "Bearer wrong"})
    # every server-side record (httpx's lines are the test client's own, not the service's)
    text = "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records if not r.name.startswith(("httpx", "httpcore")))
    assert "/v1/beneficiaries/{mbi}/history" in text and body["claim_id"] in text
    assert mbi not in text
