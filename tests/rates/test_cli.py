"""`hitbenefit rates` through a tiny Typer app that mounts rates_app, as cli/main.py does."""

import json

import typer
from typer.testing import CliRunner

from hitbenefit.cli.rates import rates_app

app = typer.Typer()
app.add_typer(rates_app, name="rates")


@app.command()
def version():  # a second command so `rates` stays a sub-command group
    pass


runner = CliRunner()


def test_default_table_says_estimate():
    result = runner.invoke(app, ["rates"])
    assert result.exit_code == 0, result.output
    assert "HIT rates 2026: ESTIMATE" in result.output
    assert result.output.count("(estimate)") == 6  # each national amount is labelled
    assert "substitution: RVUs" in result.output


def test_year_and_stripped_locality():
    result = runner.invoke(app, ["rates", "--year", "2025", "--locality", "1112-54"])
    assert result.exit_code == 0, result.output
    assert "locality 01112-54" in result.output and "1.036" in result.output
    assert "$135.26 (estimate)" in result.output  # G0068: 130.56 x 1.036 = 135.26016
    assert result.output.count("(estimate)") == 12


def test_json():
    result = runner.invoke(app, ["rates", "--year", "2025", "--locality", "01112-54", "--format", "json"])
    data = json.loads(result.output)
    assert data["status"] == "estimate" and data["estimate"] is True
    g0068 = data["rates"][0]
    assert g0068 == {"hcpcs": "G0068", "category": 1, "visit_type": "subsequent", "national": 130.56,
                     "gaf": 1.036, "locality_amount": 135.26, "status": "estimate"}


def test_bad_input_exits_2_with_one_line(tmp_path):
    rates = tmp_path / "rates.csv"
    rates.write_text("year,locality,hcpcs,amount\n2025,national,G0068,12.3.4\n")
    result = runner.invoke(app, ["rates", "--rates", str(rates)])
    assert result.exit_code == 2
    assert "rates.csv, row 2, field amount: '12.3.4' is not a dollar amount" in result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, ValueError)
    assert runner.invoke(app, ["rates", "--year", "2019"]).exit_code == 2
    assert runner.invoke(app, ["rates", "--locality", "99999-99"]).exit_code == 2


def test_user_rates_are_official(tmp_path):
    rates = tmp_path / "rates.csv"
    rates.write_text("year,locality,hcpcs,amount\n2025,national,G0068,100.00\n")
    result = runner.invoke(app, ["rates", "--year", "2025", "--rates", str(rates)])
    assert result.exit_code == 0 and "official" in result.output and "(estimate)" not in result.output


def test_import_and_localities(tmp_path, hitbenefit_home):
    # SYNTHETIC fixture in CMS's layout; the amounts are not real rates.
    f = tmp_path / "CY2025_national.csv"
    f.write_text("CY 2025 HIT national rates (synthetic),\nHCPCS,National Unadjusted Rate\nG0068,99.99\n")
    result = runner.invoke(app, ["rates", "import", str(f)])
    assert result.exit_code == 0, result.output
    assert (hitbenefit_home / "rates" / "2025" / "provenance.yaml").exists()
    shown = runner.invoke(app, ["rates", "--year", "2025"])
    assert "$99.99" in shown.output and "official" in shown.output
    bad = runner.invoke(app, ["rates", "import", str(tmp_path / "missing.csv")])
    assert bad.exit_code == 2 and "missing.csv: cannot read" in bad.output
    va = runner.invoke(app, ["rates", "localities", "--state", "VA", "--format", "json"])
    assert json.loads(va.output) == [{"locality": "11302-00", "state": "VA", "name": "VIRGINIA",
                                      "counties": "ALL COUNTIES, EXCEPT ALEXANDRIA CITY, ARLINGTON, FAIRFAX, "
                                                  "FAIRFAX CITY, AND FALLS CHURCH CITY"}]
