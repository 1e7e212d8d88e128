"""Import of CMS-layout HIT rate files.

SYNTHETIC FIXTURES: no real CMS HIT rate file is available to this project. The files below are
built in the layout CMS documents (title lines above the header, one header row, MAC and locality
codes stripped of leading zeros by Excel). Their amounts are made up for the test and are NOT
real Medicare rates.
"""

from decimal import Decimal as D

import pytest
import yaml

from hitbenefit.rates.files import RateFileError, load_bundled_ratebook
from hitbenefit.rates.importer import import_files, read_cms_file

NATIONAL = """CY 2025 Home Infusion Therapy Services National Unadjusted Payment Rates (SYNTHETIC TEST FIXTURE),,
,,
HCPCS,Short Descriptor,National Unadjusted Rate
G0068,Adm iv infusion drug in home,$111.11
G0069,Adm sq infusion drug in home,"$1,222.22"
G0070,Adm of chemo drug in home,333.33
G0088,Adm iv drug 1st home visit,444.44
G0089,Adm subq drug 1st home visit,555.55
G0090,Adm iv chemo 1st home visit,666.66
"* Synthetic amounts, not CMS rates.",,
"""

LOCALITY = """CY 2025 HIT Services Geographically Adjusted Rates (SYNTHETIC TEST FIXTURE),,,,,,,,,
MAC,Locality,Locality Name,GAF,G0068 Rate,G0069 Rate,G0070 Rate,G0088 Rate,G0089 Rate,G0090 Rate
1112,54,BAKERSFIELD,1.05,116.67,127.00,350.00,466.66,583.33,699.99
10112,0,ALABAMA,0.95,105.55,116.11,316.66,422.22,527.77,633.33
"""


@pytest.fixture
def cms_files(tmp_path):
    national = tmp_path / "CY2025_HIT_national.csv"
    national.write_text(NATIONAL, encoding="utf-8")
    locality = tmp_path / "CY2025_HIT_locality.csv"
    locality.write_text(LOCALITY, encoding="utf-8")
    return national, locality


def test_read_detects_header_year_and_pads(cms_files):
    year, rows = read_cms_file(cms_files[0])
    assert year == 2025 and rows.national["G0069"] == D("1222.22") and len(rows.national) == 6
    year, rows = read_cms_file(cms_files[1])
    assert rows.gaf == {"01112-54": D("1.05"), "10112-00": D("0.95")}
    assert rows.locality[("01112-54", "G0068")] == D("116.67")
    assert rows.locality[("10112-00", "G0090")] == D("633.33")


def test_import_is_official_and_preferred(cms_files, hitbenefit_home):
    assert load_bundled_ratebook().table(2025).status == "estimate"
    folders = import_files(list(cms_files))
    assert folders == [hitbenefit_home / "rates" / "2025"]
    prov = yaml.safe_load((folders[0] / "provenance.yaml").read_text())
    assert prov["status"] == "official"
    assert "CY2025_HIT_national.csv" in prov["source"] and "CY2025_HIT_locality.csv" in prov["source"]
    assert prov["imported"]
    book = load_bundled_ratebook()
    table = book.table(2025)
    assert table.status == "official" and table.national["G0068"] == D("111.11")
    assert book.quote(2025, "01112-54", "G0068").amount == D("116.67")  # CMS locality amount wins
    assert book.quote(2025, "10112-00", "G0068").method == "locality"
    assert book.table(2024).status == "estimate"  # other years keep the estimates


def test_second_import_merges_with_the_first(cms_files, hitbenefit_home):
    import_files([cms_files[0]])
    import_files([cms_files[1]])
    table = load_bundled_ratebook().table(2025)
    assert table.national["G0090"] == D("666.66") and table.gaf["01112-54"] == D("1.05")


def test_import_to_out_dir_and_year_option(cms_files, tmp_path):
    out = tmp_path / "elsewhere"
    import_files([cms_files[0]], year=2024, out_dir=out)
    assert (out / "2024" / "rates.csv").read_text().splitlines()[1] == "2024,national,G0068,111.11"


def test_bad_cms_files(tmp_path):
    bad = tmp_path / "CY2025_bad.csv"
    bad.write_text("CY 2025 rates\nfoo,bar\n1,2\n", encoding="utf-8")
    with pytest.raises(RateFileError, match="no header row found"):
        read_cms_file(bad)
    bad.write_text("CY 2025 rates\nHCPCS,National Rate\nG0068,12.345\n", encoding="utf-8")
    with pytest.raises(RateFileError, match=r"CY2025_bad.csv, row 3, field National Rate: '12.345' has more"):
        read_cms_file(bad)
    bad.write_text("HCPCS,National Rate\nG0068,12.34\n", encoding="utf-8")
    nameless = tmp_path / "hit.csv"
    nameless.write_text(bad.read_text(), encoding="utf-8")
    with pytest.raises(RateFileError, match="pass --year"):
        read_cms_file(nameless)
