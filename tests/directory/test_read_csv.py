"""Reading the CMS "Home Infusion Therapy Providers" layout (FAQ 5): header by name, one row per
service area, errors naming the file, the row and the column."""

from __future__ import annotations

import csv
import io

import pytest

from hitbenefit.directory.read_csv import COLUMNS, DirectoryFileError, read_directory_bytes, read_directory_file
from tests.directory.conftest import JANUARY


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


ROW = ["O1", "SYNTHETIC ONE", "1 A ST", "", "RICHMOND", "VA", "23220", "5550000000", "HOME INFUSION THERAPY",
       "County", "", "VA", "", "Henrico"]


def test_the_published_layout_groups_rows_by_enrollment_id():
    read = read_directory_file(JANUARY)
    assert len(read.rows) == 10 and read.rows[0].row == 2
    suppliers = {s.enrollment_id: s for s in read.suppliers()}
    assert len(suppliers) == 5
    capital = suppliers["O20210101000003"]
    assert [(a.level, a.state) for a in capital.areas] == [("state", "DC"), ("county", "MD"), ("city", "MD"),
                                                           ("zip", "VA")]
    assert suppliers["O20210101000005"].details.zip == "02110"  # Excel's lost leading zero restored
    assert suppliers["O20210101000004"].details.zip == "23510-1234"  # ZIP+4 kept


def test_header_in_any_order_case_spacing_with_bom_and_extra_columns():
    header = [c.upper().replace(" ", "  ") for c in COLUMNS] + ["NPI"]
    order = list(reversed(range(len(header))))
    data = b"\xef\xbb\xbf" + _csv([header[i] for i in order], [[(ROW + ["1234567893"])[i] for i in order]])
    (row,) = read_directory_bytes(data, "upload.csv").rows
    assert (row.enrollment_id, row.details.state, row.area.county, row.area.county_key) == (
        "O1", "VA", "Henrico", "HENRICO")


def test_a_missing_column_is_named():
    header = [c for c in COLUMNS if c not in ("State County Name", "ZIP Code")]
    with pytest.raises(DirectoryFileError) as caught:
        read_directory_bytes(_csv(header, []), "old.csv")
    assert str(caught.value) == "old.csv, row 1: the header lacks the column(s) 'ZIP Code', 'State County Name'"


@pytest.mark.parametrize("column, value, problem", [
    ("State", "XX", "expected a two-letter USPS state code, found 'XX'"),
    ("Geographic Location State Code", "Virginia", "expected a two-letter USPS state code, found 'Virginia'"),
    ("ZIP Code", "2322O", "expected a 5-digit ZIP code or ZIP+4, found '2322O'"),
    ("Geographic Location ZIP Code", "123456", "expected a 5-digit ZIP code or ZIP+4, found '123456'"),
    ("Enrollment ID", "", "required, found nothing"),
    ("Legal Business Name", "SYNTHETIC\x00", "contains a NUL character"),
])
def test_a_bad_value_names_file_row_and_column(column, value, problem):
    bad = list(ROW)
    bad[list(COLUMNS).index(column)] = value
    with pytest.raises(DirectoryFileError) as caught:
        read_directory_bytes(_csv(list(COLUMNS), [ROW, ROW, bad]), "providers.csv")
    assert str(caught.value) == f"providers.csv, row 4, column {column!r}: {problem}"


def test_every_bad_row_is_reported_and_nothing_is_read():
    bad = list(ROW)
    bad[5] = "ZZ"
    with pytest.raises(DirectoryFileError) as caught:
        read_directory_bytes(_csv(list(COLUMNS), [bad] * 25 + [ROW]), "many.csv")
    assert caught.value.total == 25 and len(caught.value.errors) == 20
    assert [e.row for e in caught.value.errors[:3]] == [2, 3, 4]


def test_an_unknown_area_type_is_kept_as_given():
    odd = list(ROW)
    odd[9], odd[10], odd[13] = "Metropolitan Statistical Area", "Richmond", ""
    (row,) = read_directory_bytes(_csv(list(COLUMNS), [odd]), "x.csv").rows
    assert row.area.type_description == "Metropolitan Statistical Area" and row.area.level == "city"


def test_not_utf8_and_empty_files_are_refused():
    with pytest.raises(DirectoryFileError, match=r"^x.csv: not UTF-8"):
        read_directory_bytes(_csv(list(COLUMNS), [ROW]).replace(b"RICHMOND", b"RICHM\xd6ND"), "x.csv")
    with pytest.raises(DirectoryFileError, match="header but no rows"):
        read_directory_bytes(_csv(list(COLUMNS), []), "x.csv")
