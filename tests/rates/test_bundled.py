"""The bundled estimate tables equal a fresh recomputation from the copied PFS inputs."""

from decimal import Decimal as D
from pathlib import Path

import pytest
import yaml

from hitbenefit.rates.build import BUNDLED_DIR, YEARS, build_year, render, write_estimates
from hitbenefit.rates.files import load_bundled_ratebook
from hitbenefit.rates.localities import STATE_CODES, load_localities, locality_states

PACKAGE = Path(__file__).parents[2] / "src" / "hitbenefit" / "rates"


@pytest.mark.parametrize("year", sorted(YEARS))
def test_bundled_files_equal_recomputation(year):
    for name, text in render(build_year(year)).items():
        assert (BUNDLED_DIR / str(year) / name).read_text(encoding="utf-8") == text, f"{year}/{name} drifted"


def test_build_estimates_writes_the_same_files(tmp_path):
    write_estimates(tmp_path, [2022])
    for name in ("rates.csv", "gaf.csv", "provenance.yaml"):
        assert (tmp_path / "2022" / name).read_bytes() == (BUNDLED_DIR / "2022" / name).read_bytes()


def test_years_statuses_and_substitutions():
    book = load_bundled_ratebook()
    assert book.years() == [2021, 2022, 2023, 2024, 2025, 2026]
    for year in book.years():
        table = book.table(year)
        assert table.status == "estimate" and "estimate" in table.source
        assert len(table.national) == 6 and table.gaf
        prov = yaml.safe_load((BUNDLED_DIR / str(year) / "provenance.yaml").read_text())
        assert prov["assumptions"]["initial_visit_share"]["value"] == "0.15"
        assert "ASSUMPTION" in prov["assumptions"]["initial_visit_share"]["label"]
        assert bool(prov["substitutions"]) == (year == 2026)
    assert len(book.table(2026).substitutions) == 2
    assert book.table(2025).national["G0068"] == D("130.56")
    assert book.table(2022).national["G0090"] == D("313.97")
    assert book.table(2026).gaf == book.table(2025).gaf  # CY 2025 GPCIs substituted, as stated


def test_money_and_gaf_formats():
    for year in YEARS:
        rates = (BUNDLED_DIR / str(year) / "rates.csv").read_text().splitlines()
        assert rates[0] == "year,locality,hcpcs,amount"
        assert all(len(line.rsplit(",", 1)[1].split(".")[1]) == 2 for line in rates[1:])
        gafs = (BUNDLED_DIR / str(year) / "gaf.csv").read_text().splitlines()
        assert all(len(line.rsplit(",", 1)[1].split(".")[1]) == 3 for line in gafs[1:])


def test_localities_2025():
    locs = load_localities()
    assert len(locs) == 109
    assert locs["01112-54"] == ("CA", "BAKERSFIELD", "KERN")
    assert locs["12202-01"].state == "DC" and "FAIRFAX" in locs["12202-01"].counties
    assert locs["02102-01"].name == "ALASKA"  # footnote asterisk removed
    states = locality_states()
    assert states["11302-00"] == "VA" and states["01212-01"] == "HI"
    assert set(states.values()) <= set(STATE_CODES.values())


def test_nothing_reads_outside_the_package():
    for path in list(PACKAGE.rglob("*.py")) + [PACKAGE.parent / "cli" / "rates.py"]:
        text = path.read_text()
        assert "/work/shared" not in text and "../shared" not in text, path
