"""The directory in the store (FAQ 5): import, search by state, county, city, ZIP code and name,
refresh from a newer file without losing history, idempotent re-import. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hitbenefit.directory.read_csv import read_directory_file
from hitbenefit.store import NotFound
from hitbenefit.store.directory import Query, import_directory, list_imports, search_directory, supplier_history
from tests.directory.conftest import JANUARY, JUNE


def ids(store, as_of=None, **asked) -> list[str]:
    result = search_directory(store.engine, Query.make(**asked), as_of, limit=500)
    assert result.total == len(result.suppliers)
    return sorted(s.enrollment_id[-1] for s in result.suppliers)


@pytest.fixture
def january(store):
    return import_directory(store.engine, read_directory_file(JANUARY))


def test_search_by_state_county_city_and_zip(store, january):
    assert january.created and january.suppliers_added == 5 and january.areas_added == 10
    assert ids(store, state="VA") == ["1", "2", "3", "4"]
    assert ids(store, state="va", county="fairfax") == ["1", "2"]  # 1 serves the whole state
    assert ids(store, county="FAIRFAX COUNTY") == ["2"]
    assert ids(store, state="MD", county="Montgomery County") == ["3"]
    assert ids(store, city="  norfolk ") == ["4"]
    assert ids(store, zip_code="22201") == ["3"]
    assert ids(store, zip_code="23510-1234") == ["4"]
    assert ids(store, state="MA") == ["5"]
    assert ids(store, name="capital") == ["3"]
    assert ids(store, state="TX") == []


def test_a_search_returns_the_matching_areas_and_pages_by_name(store, january):
    page = search_directory(store.engine, Query.make(state="VA", county="Arlington"), limit=1, offset=1)
    assert page.total == 3 and page.as_of.id == january.info.id
    (only,) = page.suppliers
    assert only.details.legal_business_name == "SYNTHETIC CAPITAL PHARMACY"
    assert [(a.level, a.zip) for a in only.areas] == [("zip", "22201")]


def test_refresh_keeps_a_dropped_supplier_in_history(store, january):
    june = import_directory(store.engine, read_directory_file(JUNE))
    assert june.created and june.info.id > january.info.id
    assert (june.suppliers_added, june.suppliers_changed, june.suppliers_ended) == (1, 1, 1)
    assert (june.areas_added, june.areas_ended) == (2, 2)  # Loudoun, 6 in; Arlington (2), MA (5) out
    assert ids(store, state="MA") == []
    assert ids(store, state="MA", as_of=january.info.id) == ["5"]
    assert ids(store, state="VA", county="Arlington") == ["1", "3"]
    assert ids(store, state="VA", county="Arlington", as_of=january.info.id) == ["1", "2", "3"]
    assert ids(store, state="VA", county="Loudoun") == ["1", "2"]
    assert ids(store, county="fairfax") == ["2", "6"]

    gone = supplier_history(store.engine, "O20210101000005")
    (version,) = gone.versions
    assert (version.valid_from, version.valid_to) == (january.info.id, june.info.id)
    assert gone.to_json()["current"] is False

    moved = supplier_history(store.engine, "O20210101000002")
    old, new = moved.versions
    assert (old.details.street1, old.valid_to, new.details.street1, new.valid_to) == (
        "200 SAMPLE AVE", june.info.id, "250 SAMPLE AVE", None)
    assert sorted(a.county for a in old.areas) == ["Arlington", "Fairfax County"]
    assert sorted(a.county for a in new.areas) == ["Fairfax County", "Loudoun"]
    with pytest.raises(NotFound):
        supplier_history(store.engine, "O00000000000000")


def test_the_same_file_again_changes_nothing(store, january):
    before = store.info()["counts"]
    again = import_directory(store.engine, read_directory_file(JANUARY))
    assert not again.created and again.info == january.info
    assert store.info()["counts"] == before
    assert len(list_imports(store.engine)) == 1


def test_as_of_a_date(store, january):
    today = january.info.imported_at.date()
    assert ids(store, state="VA", as_of=today) == ["1", "2", "3", "4"]
    before = search_directory(store.engine, Query.make(state="VA"), today - timedelta(days=1))
    assert before.as_of is None and before.total == 0
    with pytest.raises(NotFound):
        search_directory(store.engine, Query.make(state="VA"), 10**8)


def test_nothing_imported_yet(store):
    result = search_directory(store.engine, Query.make(state="VA"))
    assert result.as_of is None and result.suppliers == []


def test_a_big_file_is_imported_and_searched(store):
    from hitbenefit.directory.read_csv import read_directory_bytes
    from hitbenefit.directory.synthetic import synthetic_csv

    result = import_directory(store.engine, read_directory_bytes(synthetic_csv(5000, seed=3).encode(), "big.csv"))
    assert result.info.row_count == 5000 and result.suppliers_added == 500
    found = search_directory(store.engine, Query.make(state="VA"), limit=5)
    assert found.total > 0 and all(any(a.state == "VA" for a in s.areas) for s in found.suppliers)
