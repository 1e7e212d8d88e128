"""The care API end to end on the store (SQLite; PostgreSQL too): plans with details and status,
visits, monitoring readings and alerts; tenancy, roles and problems naming the field."""

from __future__ import annotations

from tests.api.conftest import JSON, auth, dumps
from tests.care.conftest import DETAILS, PLAN, new_mbi, plan_json


def post(client, path, key, body, method="post"):
    return client.request(method.upper(), path, content=dumps(body), headers=auth(key, **JSON))


def _plan(client, key, mbi, details=DETAILS):
    made = post(client, "/v1/plans", key, {"mbi": mbi, "plan_of_care": PLAN})
    assert made.status_code == 201, made.text
    plan_id = made.json()["plan_id"]
    put = post(client, f"/v1/plans/{plan_id}/versions/1/details", key, details, "put")
    assert put.status_code == 200, put.text
    return plan_id


def status(client, key, plan_id, on, **query):
    extra = "".join(f"&{k}={v}" for k, v in query.items())
    answer = client.get(f"/v1/plans/{plan_id}/status?on={on}{extra}", headers=auth(key))
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_plan_details_signature_review_and_status(client, keys):
    key, _ = keys.supplier()
    mbi = new_mbi()
    plan_id = _plan(client, key, mbi)
    assert status(client, key, plan_id, "2025-03-01")["status"] == "unsigned"
    signed = post(client, f"/v1/plans/{plan_id}/sign", key, {"version": 1, "signed_date": "2025-02-27", "signer": "Dr S"})
    assert signed.status_code == 200
    ok = status(client, key, plan_id, "2025-05-28")
    assert ok["status"] == "complete" and ok["review_due"] == "2025-05-28" and "FAQ 10" in ok["citations"]
    late = status(client, key, plan_id, "2025-05-29")
    assert late["status"] == "review_overdue" and "FAQ 10 D" in late["citations"]
    assert status(client, key, plan_id, "2025-05-29", review_interval_days=120)["status"] == "complete"
    reviewed = post(client, f"/v1/plans/{plan_id}/review", key, {"version": 1, "reviewed_date": "2025-05-20"})
    assert reviewed.status_code == 200
    assert status(client, key, plan_id, "2025-05-29")["status"] == "complete"
    again = post(client, f"/v1/plans/{plan_id}/versions/1/details", key, DETAILS, "put")
    assert again.status_code == 409  # a signed version is never changed
    # a new version that changes only the DME contact keeps the signature; a dosage change does not
    v2 = post(client, f"/v1/plans/{plan_id}/versions", key, {"plan_of_care": dict(PLAN, last_changed="2025-06-01")})
    assert v2.status_code == 201
    contacts = dict(DETAILS, dme_contacts=[{"organization": "Other Synthetic DME", "email": "dme@example.org"}])
    assert post(client, f"/v1/plans/{plan_id}/versions/2/details", key, contacts, "put").status_code == 200
    carried = status(client, key, plan_id, "2025-06-02")
    assert carried["status"] == "complete" and carried["signed_version"] == 1 and carried["version"] == 2
    claim_plan = client.get(f"/v1/plans/{plan_id}/plan-of-care?on=2025-06-02", headers=auth(key)).json()
    assert claim_plan["signed_date"] == "2025-02-27" and claim_plan["last_reviewed"] == "2025-05-20"
    v3 = post(client, f"/v1/plans/{plan_id}/versions", key,
              {"plan_of_care": dict(PLAN, dosage="12 g", last_changed="2025-06-10")})
    assert post(client, f"/v1/plans/{plan_id}/versions/3/details", key, DETAILS, "put").status_code == 200
    waiting = status(client, key, plan_id, "2025-06-10")
    assert v3.status_code == 201 and waiting["status"] == "awaiting_resignature" and "dosage" in waiting["changes"]
    shown = client.get(f"/v1/plans/{plan_id}", headers=auth(key)).json()
    assert [v["version"] for v in shown["versions"]] == [1, 2, 3]
    assert shown["versions"][0]["plan_of_care"]["orders"][1]["hcpcs"] == "J1559"
    listed = client.get(f"/v1/plans?mbi={mbi}", headers=auth(key)).json()["plans"]  # the existing route still works
    assert [v["version"] for v in listed[0]["versions"]] == [1, 2, 3]


def test_plan_problems_and_tenancy(client, keys):
    key, _ = keys.supplier()
    other, _ = keys.supplier()
    plan_id = _plan(client, key, new_mbi())
    bad = post(client, f"/v1/plans/{plan_id}/versions/1/details", key,
               dict(DETAILS, orders=[dict(DETAILS["orders"][0], period="fortnight")]), "put")
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    assert bad.json()["errors"][0]["field"] == "details.orders[0].period"
    assert client.get(f"/v1/plans/{plan_id}", headers=auth(other)).status_code == 404
    assert client.get(f"/v1/plans/{plan_id}/status?on=2025-03-01", headers=auth(other)).status_code == 404
    assert post(client, f"/v1/plans/{plan_id}/versions/1/details", other, DETAILS, "put").status_code == 404
    analyst = keys.analyst()
    assert post(client, f"/v1/plans/{plan_id}/versions/1/details", analyst, DETAILS, "put").status_code == 403
    seen = client.get(f"/v1/plans/{plan_id}", headers=auth(analyst))
    assert seen.status_code == 200 and "Pat Example" not in seen.text
    early = client.get(f"/v1/plans/{plan_id}/status?on=2020-06-01", headers=auth(key))
    assert early.status_code == 422 and early.json()["errors"][0]["field"] == "on"


VISIT = {"visit_date": "2025-03-03", "clinician_name": "Synthetic Nurse", "discipline": "RN", "hit_minutes": 95,
         "drugs": [{"hcpcs": "J1559"}], "services": ["nursing"], "training_topics": ["medication", "storage_and_safety"]}


def test_plan_with_orders_and_thresholds_in_one_call(client, keys):
    key, _ = keys.supplier()
    mbi = new_mbi()
    whole = plan_json(thresholds={"systolic_bp": {"low": "90", "high": "145"}})
    made = post(client, "/v1/plans", key, {"mbi": mbi, "plan_of_care": whole})
    assert made.status_code == 201, made.text
    plan_id, first = made.json()["plan_id"], made.json()
    assert made.headers["location"] == f"/v1/plans/{plan_id}" and first["version"] == 1
    assert first["plan_of_care"]["medication"] == "J1559" and "orders" not in first["plan_of_care"]
    assert [o["hcpcs"] for o in first["details"]["orders"]] == [None, "J1559"]
    shown = client.get(f"/v1/plans/{plan_id}", headers=auth(key)).json()["versions"][0]["plan_of_care"]
    assert shown["orders"][1]["dose"] == "10 g" and shown["physician_name"] == "Dr. Synthetic Example"
    assert post(client, f"/v1/plans/{plan_id}/sign", key,
                {"version": 1, "signed_date": "2025-02-27", "signer": "Dr S"}).status_code == 200
    assert status(client, key, plan_id, "2025-03-01")["status"] == "complete"  # no PUT of details was needed
    reading = {"mbi": mbi, "kind": "systolic_bp", "value": 146, "taken_at": "2025-03-04T08:00:00Z", "channel": "phone"}
    alert = post(client, "/v1/monitoring/readings", key, reading).json()["alert"]
    assert alert["bound"] == "high" and alert["limit"] == "145"  # the threshold given with the plan
    changed = plan_json(dosage="12 g", last_changed="2025-06-10",
                        orders=[dict(DETAILS["orders"][1], dose="12 g")])
    v2 = post(client, f"/v1/plans/{plan_id}/versions", key, {"plan_of_care": changed})
    assert v2.status_code == 201, v2.text
    assert v2.json()["version"] == 2 and v2.json()["details"]["orders"][0]["dose"] == "12 g"
    waiting = status(client, key, plan_id, "2025-06-10")
    assert waiting["status"] == "awaiting_resignature" and {"dosage", "orders"} <= set(waiting["changes"])


def test_plan_in_one_call_refuses_a_bad_field_and_stores_nothing(client, keys):
    key, _ = keys.supplier()
    mbi = new_mbi()
    bad_order = plan_json(orders=[dict(DETAILS["orders"][0], discipline="nurse")])
    bad = post(client, "/v1/plans", key, {"mbi": mbi, "plan_of_care": bad_order})
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    assert bad.json()["errors"][0]["field"] == "plan_of_care.orders[0].discipline"
    assert client.get(f"/v1/plans?mbi={mbi}", headers=auth(key)).json()["plans"] == []
    for wrong, field in ((plan_json(dosage=5), "plan_of_care.dosage"),
                         (plan_json(signed_date="2025-02-27"), "plan_of_care.signed_date"),
                         (dict(PLAN, dosage=5), "plan_of_care.dosage")):
        answer = post(client, "/v1/plans", key, {"mbi": mbi, "plan_of_care": wrong})
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == field, answer.text
        assert answer.json()["detail"].startswith(f"field {field}: ")
    made = post(client, "/v1/plans", key, {"mbi": mbi, "plan_of_care": plan_json()})
    plan_id = made.json()["plan_id"]
    again = post(client, f"/v1/plans/{plan_id}/versions", key,
                 {"plan_of_care": plan_json(orders=[dict(DETAILS["orders"][0], frequency_max=0)])})
    assert again.status_code == 422 and again.json()["errors"][0]["field"] == "plan_of_care.orders[0].frequency_max"
    assert [v["version"] for v in client.get(f"/v1/plans/{plan_id}", headers=auth(key)).json()["versions"]] == [1]


def test_visits_record_list_and_tenancy(client, keys):
    key, npi = keys.supplier()
    other, other_npi = keys.supplier()
    mbi = new_mbi()
    plan_id = _plan(client, key, mbi)
    made = post(client, "/v1/visits", key, dict(VISIT, mbi=mbi, plan_id=plan_id))
    assert made.status_code == 201, made.text
    visit = made.json()
    assert visit["supplier_npi"] == npi and "training" in visit["services"]
    assert visit["drugs"] == [{"hcpcs": "J1559", "name": "immune globulin (Hizentra)", "category": 2}]
    assert made.headers["location"] == f"/v1/visits/{visit['visit_id']}"
    listed = client.get(f"/v1/visits?mbi={mbi}&from=2025-03-01&to=2025-03-31", headers=auth(key)).json()["visits"]
    assert [v["visit_id"] for v in listed] == [visit["visit_id"]]
    assert client.get(f"/v1/visits?mbi={mbi}&from=2025-03-04", headers=auth(key)).json()["visits"] == []
    assert client.get(f"/v1/visits?mbi={mbi}", headers=auth(other)).json()["visits"] == []
    assert client.get(f"/v1/visits/{visit['visit_id']}", headers=auth(other)).status_code == 404
    assert post(client, "/v1/visits", other, dict(VISIT, mbi=mbi, plan_id=plan_id)).json()["errors"][0]["field"] \
        == "plan_id"  # another supplier's plan
    assert post(client, "/v1/visits", key, dict(VISIT, mbi=mbi, supplier_npi=other_npi)).status_code == 403
    analyst = keys.analyst()
    seen = client.get(f"/v1/visits/{visit['visit_id']}", headers=auth(analyst))
    assert seen.status_code == 200 and mbi not in seen.text and seen.json()["beneficiary_id"]
    assert post(client, "/v1/visits", analyst, dict(VISIT, mbi=mbi)).status_code == 403
    contractor = keys.contractor()
    assert post(client, "/v1/visits", contractor, dict(VISIT, mbi=mbi)).json()["errors"][0]["field"] == "supplier_npi"
    assert post(client, "/v1/visits", contractor, dict(VISIT, mbi=mbi, supplier_npi=npi)).status_code == 201
    bad = post(client, "/v1/visits", key, dict(VISIT, mbi=mbi, training_topics=["knitting"]))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "training_topics[0]"


def test_monitoring_alerts_are_acted_on_and_never_billed(client, keys, store):
    key, npi = keys.supplier()
    other, _ = keys.supplier()
    mbi = new_mbi()
    _plan(client, key, mbi)
    reading = {"mbi": mbi, "kind": "systolic_bp", "value": 150, "taken_at": "2025-03-04T08:00:00Z", "channel": "phone"}
    normal = post(client, "/v1/monitoring/readings", key, reading)
    assert normal.status_code == 201 and normal.json()["alert"] is None  # at the plan's bound: in range
    high = post(client, "/v1/monitoring/readings", key, dict(reading, value=151, channel="electronic"))
    alert = high.json()["alert"]
    assert alert["status"] == "open" and alert["bound"] == "high" and alert["limit"] == "150"
    fever = post(client, "/v1/monitoring/readings", key,
                 {"mbi": mbi, "kind": "temperature", "value": "101.0", "unit": "F",
                  "taken_at": "2025-03-05T08:00:00Z", "channel": "phone"})
    assert fever.json()["alert"]["limit"] == "38.0"  # the project default: the plan sets no temperature
    assert len(client.get(f"/v1/monitoring/readings?mbi={mbi}", headers=auth(key)).json()["readings"]) == 3
    opened = client.get(f"/v1/monitoring/alerts?status=open&mbi={mbi}", headers=auth(key)).json()["alerts"]
    assert [a["alert_id"] for a in opened] == [alert["alert_id"], fever.json()["alert"]["alert_id"]]
    assert client.get(f"/v1/monitoring/alerts?mbi={mbi}", headers=auth(other)).json()["alerts"] == []
    assert client.get(f"/v1/monitoring/readings?mbi={mbi}", headers=auth(other)).json()["readings"] == []
    path = f"/v1/monitoring/alerts/{alert['alert_id']}"
    assert post(client, path + "/acknowledge", other, {"clinician": "Intruder"}).status_code == 404
    acked = post(client, path + "/acknowledge", key, {"clinician": "Synthetic Nurse"})
    assert acked.status_code == 200 and acked.json()["status"] == "acknowledged"
    missing = post(client, path + "/resolve", key, {"clinician": "Synthetic Nurse"})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "action"
    done = post(client, path + "/resolve", key, {"clinician": "Synthetic Nurse", "action": "Physician told; dose held"})
    assert done.status_code == 200 and done.json()["action"] == "Physician told; dose held"
    assert post(client, path + "/resolve", key, {"clinician": "Synthetic Nurse", "action": "again"}).status_code == 409
    resolved = client.get(f"/v1/monitoring/alerts?status=resolved&mbi={mbi}", headers=auth(key)).json()["alerts"]
    assert [a["alert_id"] for a in resolved] == [alert["alert_id"]]
    analyst = keys.analyst()
    seen = client.get(f"/v1/monitoring/alerts?mbi={mbi}", headers=auth(analyst))
    assert seen.status_code == 200 and mbi not in seen.text and len(seen.json()["alerts"]) == 2
    bad = post(client, "/v1/monitoring/readings", key, dict(reading, kind="glucose"))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "kind"
    assert client.get(f"/v1/beneficiaries/{mbi}/history", headers=auth(key)).json()["lines"] == []  # FAQ 14: bundled
    actions = {row["action"] for row in store.audit_entries(200)}
    assert {"reading.record", "alert.acknowledge", "alert.resolve", "alert.list"} <= actions
