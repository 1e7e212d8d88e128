"""/v1/directory over HTTP with real keys (SQLite and PostgreSQL): any key searches, only a
contractor key imports; errors are problem documents naming the row and column."""

from __future__ import annotations

import pytest

from tests.api.conftest import Keys, auth, make_client
from tests.directory.conftest import JANUARY, JUNE

CSV = {"Content-Type": "text/csv"}


@pytest.fixture
def client(store, tables):  # noqa: F811
    with make_client(store, tables, batch_worker=False) as c:
        yield c


@pytest.fixture
def keys(store):
    return Keys(store)


def test_contractor_imports_everyone_searches(client, keys):
    contractor, (supplier, _), analyst = keys.contractor(), keys.supplier(), keys.analyst()
    refused = client.post("/v1/directory/imports", content=JANUARY.read_bytes(), headers=auth(supplier, **CSV))
    assert refused.status_code == 403
    assert client.post("/v1/directory/imports", content=JANUARY.read_bytes(), headers=auth(analyst, **CSV)).status_code == 403

    made = client.post("/v1/directory/imports?file_name=providers-2025-01.csv", content=JANUARY.read_bytes(),
                       headers=auth(contractor, **CSV))
    assert made.status_code == 201, made.text
    assert made.json()["import"]["file_name"] == "providers-2025-01.csv" and made.json()["suppliers_added"] == 5
    again = client.post("/v1/directory/imports", content=JANUARY.read_bytes(), headers=auth(contractor, **CSV))
    assert again.status_code == 200 and again.json()["created"] is False
    newer = client.post("/v1/directory/imports", content=JUNE.read_bytes(), headers=auth(contractor, **CSV))
    assert newer.status_code == 201 and newer.json()["suppliers_ended"] == 1

    for key in (supplier, analyst, contractor):
        found = client.get("/v1/directory/suppliers", params={"state": "VA", "county": "fairfax county"},
                           headers=auth(key))
        assert found.status_code == 200, found.text
        assert [s["legal_business_name"] for s in found.json()["suppliers"]] == [
            "SYNTHETIC BLUE RIDGE INFUSION LLC", "SYNTHETIC FAIRFAX HOME INFUSION INC", "SYNTHETIC PIEDMONT INFUSION"]
    by_zip = client.get("/v1/directory/suppliers", params={"zip": "23510"}, headers=auth(analyst)).json()
    assert [s["enrollment_id"] for s in by_zip["suppliers"]] == ["O20210101000004"]
    by_city = client.get("/v1/directory/suppliers", params={"city": "BETHESDA", "state": "MD"}, headers=auth(analyst))
    assert [s["enrollment_id"] for s in by_city.json()["suppliers"]] == ["O20210101000003"]
    first = made.json()["import"]["id"]
    old = client.get("/v1/directory/suppliers", params={"state": "MA", "as_of": str(first)}, headers=auth(analyst)).json()
    assert old["as_of"]["id"] == first and old["total"] == 1
    assert client.get("/v1/directory/suppliers", params={"state": "MA"}, headers=auth(analyst)).json()["total"] == 0

    history = client.get("/v1/directory/suppliers/O20210101000005", headers=auth(supplier))
    assert history.status_code == 200 and history.json()["current"] is False
    assert client.get("/v1/directory/suppliers/O404", headers=auth(supplier)).status_code == 404


def test_bad_requests_are_problems_naming_the_field(client, keys):
    contractor = keys.contractor()
    bad = JANUARY.read_text().replace("BOSTON,MA,2110", "BOSTON,MA,21100000000")
    refused = client.post("/v1/directory/imports", content=bad.encode(), headers=auth(contractor, **CSV))
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["errors"] == [{"field": "ZIP Code", "row": 11,
                                         "message": "expected a 5-digit ZIP code or ZIP+4, found '21100000000'"}]
    wrong_type = client.post("/v1/directory/imports", content=b"{}", headers=auth(contractor, **{"Content-Type": "application/json"}))
    assert wrong_type.status_code == 415
    for params, field in (({"state": "VV"}, "state"), ({"zip": "abcde"}, "zip"), ({"as_of": "yesterday"}, "as_of")):
        answer = client.get("/v1/directory/suppliers", params=params, headers=auth(contractor))
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == field, answer.text
    assert client.get("/v1/directory/suppliers", params={"state": "VA"}).status_code == 401


def test_a_directory_file_may_be_larger_than_a_claim(store, tables, keys):
    from hitbenefit.directory.synthetic import synthetic_csv

    big = synthetic_csv(12000, seed=5).encode()
    assert len(big) > 1024 * 1024
    with make_client(store, tables, batch_worker=False, max_claim_bytes=1024 * 1024) as c:
        made = c.post("/v1/directory/imports", content=big, headers=auth(keys.contractor(), **CSV))
        assert made.status_code == 201, made.text[:300]
        assert made.json()["import"]["row_count"] == 12000


def test_accreditors(client, keys):
    answer = client.get("/v1/directory/accreditors", params={"on": "2024-05-01"}, headers=auth(keys.analyst()))
    assert answer.status_code == 200
    achc = next(a for a in answer.json()["accreditors"] if a["code"] == "ACHC")
    assert (achc["approved_from"], achc["approved_to"], achc["status_on_date"]) == ("2024-04-23", "2030-04-23", "approved")
    assert "S20" in achc["reference"]
