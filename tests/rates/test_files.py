"""Rate and GAF files (CONTRACT §6): errors name file/row/field; --rates/--gaf semantics (CONTRACT §7)."""

from decimal import Decimal as D

import pytest

from hitbenefit.rates.files import (
    RateFileError, load_bundled_ratebook, load_ratebook, normalize_locality, read_gafs, read_rates,
)


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("value, expected", [
    ("1112-54", "01112-54"), ("1112-5", "01112-05"), ("01112-54", "01112-54"),
    ("10112-0", "10112-00"), ("national", "national"), (" National ", "national"),
])
def test_locality_padding(value, expected):
    assert normalize_locality(value) == expected


@pytest.mark.parametrize("value", ["111222-54", "1112-543", "1112", "CA-54", ""])
def test_bad_locality(value):
    with pytest.raises(ValueError):
        normalize_locality(value)


@pytest.mark.parametrize("row, field, words", [
    ("2025,national,G0068,12.3.4", "amount", "'12.3.4' is not a dollar amount"),
    ("2025,national,G0068,12.345", "amount", "more than two decimals"),
    ("2025,national,G0068,-1.00", "amount", "negative"),
    ("2025,national,G0068,$12", "amount", "not a dollar amount"),
    ("25,national,G0068,12.00", "year", "not a calendar year"),
    ("2025,CA-54,G0068,12.00", "locality", "not 'national' or MAC-locality"),
    ("2025,national,J1559,12.00", "hcpcs", "not a HIT G-code"),
    ("2025,national,G0069,12.00", "hcpcs", "duplicate row"),
])
def test_rate_file_errors_name_file_row_field(tmp_path, row, field, words):
    path = write(tmp_path, "rates.csv", "year,locality,hcpcs,amount\n2025,national,G0069,1.00\n" + row + "\n")
    with pytest.raises(RateFileError) as err:
        read_rates(path)
    message = str(err.value)
    assert message.startswith(f"{path}, row 3, field {field}: ")
    assert words in message


def test_unknown_and_missing_columns(tmp_path):
    path = write(tmp_path, "rates.csv", "year,locality,hcpcs,amount,comment\n2025,national,G0068,1.00,x\n")
    with pytest.raises(RateFileError, match=r"rates.csv, row 1, field comment: unknown column"):
        read_rates(path)
    path = write(tmp_path, "rates.csv", "year,locality,amount\n2025,national,1.00\n")
    with pytest.raises(RateFileError, match=r"row 1, field hcpcs: missing column"):
        read_rates(path)
    path = write(tmp_path, "rates.csv", "year,locality,hcpcs,amount,status\n2025,national,G0068,1.00,draft\n")
    with pytest.raises(RateFileError, match=r"row 2, field status: 'draft' is not one of official, estimate"):
        read_rates(path)


def test_gaf_file_errors(tmp_path):
    path = write(tmp_path, "gaf.csv", "year,locality,gaf\n2025,1112-54,1.0361\n2025,national,1.0\n")
    with pytest.raises(RateFileError, match=r"gaf.csv, row 3, field locality: 'national' is not MAC-locality"):
        read_gafs(path)
    path = write(tmp_path, "gaf.csv", "year,locality,gaf\n2025,1112-54,1.03615\n")
    with pytest.raises(RateFileError, match=r"row 2, field gaf: '1.03615' has more than four decimals"):
        read_gafs(path)


def test_reading_pads_and_reads_status(tmp_path):
    path = write(tmp_path, "r.csv", "year,locality,hcpcs,amount,status,source\n"
                                    "2025,1112-5,G0068,150.5,estimate,my model\n2025,national,G0068,140,,\n")
    rows = read_rates(path)[2025]
    assert rows.locality == {("01112-05", "G0068"): D("150.50")}
    assert rows.national == {"G0068": D("140.00")}
    assert rows.status == "estimate" and rows.sources == ["my model"]


def test_rates_replace_the_year_and_keep_bundled_gafs(tmp_path):
    path = write(tmp_path, "rates.csv", "year,locality,hcpcs,amount\n"
                                        "2025,national,G0068,100.00\n2025,1112-54,G0069,222.22\n")
    bundled = load_bundled_ratebook()
    book = load_ratebook(rates_path=path)
    t = book.table(2025)
    assert t.status == "official" and t.national == {"G0068": D("100.00")}  # the whole year is replaced
    assert t.gaf == bundled.table(2025).gaf  # no --gaf: bundled 2025 GAFs kept ...
    assert "bundled 2025 GAFs kept" in t.gaf_source and "estimate" in t.gaf_source  # ... and said so
    assert book.quote(2025, "01112-54", "G0069").amount == D("222.22")  # locality row wins
    q = book.quote(2025, "01112-54", "G0068")
    assert (q.method, q.amount) == ("national x GAF", D("103.60"))  # 100.00 x 1.036
    assert book.quote(2025, "01112-54", "G0070") is None  # not in the user file: no rate
    assert book.table(2024) is bundled.table(2024)  # other years untouched


def test_gaf_file_replaces_gafs(tmp_path):
    rates = write(tmp_path, "rates.csv", "year,locality,hcpcs,amount\n2025,national,G0068,100.00\n")
    gaf = write(tmp_path, "gaf.csv", "year,locality,gaf\n2025,1112-54,1.5\n2024,1112-54,2.0\n")
    book = load_ratebook(rates, gaf)
    assert book.table(2025).gaf == {"01112-54": D("1.5")}
    assert book.quote(2025, "01112-54", "G0068").amount == D("150.00")
    assert book.quote(2025, "11302-00", "G0068") is None  # GAFs replaced, not merged
    t24 = book.table(2024)  # GAF-only year: bundled (estimate) amounts with the user's GAFs
    assert t24.status == "estimate" and t24.gaf == {"01112-54": D("2.0")}
    assert book.quote(2024, "01112-54", "G0068").amount == 2 * load_bundled_ratebook().table(2024).national["G0068"]
