"""``hitbenefit directory ...`` as a user runs it: a real process, real files, a real database."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

from tests.directory.conftest import JANUARY, JUNE
from tests.test_cli import ROOT


def hitbenefit(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hitbenefit", "directory", *map(str, args)], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)


def test_import_and_search_on_each_backend(url):
    assert hitbenefit("import", JANUARY, "--db", url).returncode == 0
    found = json.loads(hitbenefit("search", "--state", "va", "--county", "ARLINGTON", "--format", "json", "--db", url).stdout)
    assert [s["enrollment_id"][-1] for s in found["suppliers"]] == ["1", "3", "2"]  # by name


def test_import_refresh_search_and_history(tmp_path):
    url = f"sqlite:///{tmp_path / 'directory.db'}"
    first = hitbenefit("import", JANUARY, "--db", url)
    assert first.returncode == 0, first.stderr
    assert "import 1: 10 rows, 5 suppliers; suppliers 5 new" in first.stdout
    again = hitbenefit("import", JANUARY, "--db", url)
    assert again.returncode == 0 and "already imported as import 1" in again.stdout
    second = hitbenefit("import", JUNE, "--db", url)
    assert second.returncode == 0 and "import 2:" in second.stdout and "1 ended" in second.stdout

    found = hitbenefit("search", "--state", "VA", "--county", "fairfax", "--format", "json", "--db", url)
    assert found.returncode == 0, found.stderr
    body = json.loads(found.stdout)
    assert body["as_of"]["id"] == 2 and body["total"] == 3
    assert [s["enrollment_id"][-1] for s in body["suppliers"]] == ["1", "2", "6"]

    table = hitbenefit("search", "--state", "MA", "--as-of", "1", "--db", url)
    assert table.returncode == 0 and "SYNTHETIC NEW ENGLAND INFUSION" in table.stdout
    assert "SYNTHETIC NEW ENGLAND" not in hitbenefit("search", "--state", "MA", "--db", url).stdout

    rows = list(csv.DictReader(io.StringIO(hitbenefit("search", "--zip", "22201", "--format", "csv", "--db", url).stdout)))
    assert [(r["enrollment_id"], r["area_zip"]) for r in rows] == [("O20210101000003", "22201")]

    history = hitbenefit("history", "O20210101000005", "--format", "json", "--db", url)
    versions = json.loads(history.stdout)["versions"]
    assert [(v["valid_from_import"], v["valid_to_import"]) for v in versions] == [(1, 2)]


def test_bad_input_exits_2_naming_file_row_and_column(tmp_path):
    url = f"sqlite:///{tmp_path / 'directory.db'}"
    bad = tmp_path / "bad.csv"
    bad.write_text(JANUARY.read_text().replace("RICHMOND,VA,23220", "RICHMOND,VV,23220"))
    result = hitbenefit("import", bad, "--db", url)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == f"hitbenefit: {bad}, row 2, column 'State': expected a two-letter USPS state code, found 'VV'\n"
    for args in (("search", "--state", "Virginia"), ("search", "--zip", "2220"), ("search", "--as-of", "7"),
                 ("history", "O404")):
        result = hitbenefit(*args, "--db", url)
        assert result.returncode == 2, args
        assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr, result.stderr


def test_accreditors_on_a_date():
    result = hitbenefit("accreditors", "--on", "2025-06-01", "--format", "json")
    assert result.returncode == 0, result.stderr
    found = {a["code"]: a for a in json.loads(result.stdout)["accreditors"]}
    assert set(found) == {"ACHC", "CHAP", "TCT", "TJC", "NABP"}
    assert found["ACHC"]["status_on_date"] == "approved" and found["ACHC"]["confidence"] == "P"
    assert found["TJC"]["status_on_date"] == "term unknown" and found["TJC"]["confidence"] == "S"
    later = json.loads(hitbenefit("accreditors", "--on", "2031-01-01", "--format", "json").stdout)
    assert {a["code"]: a["status_on_date"] for a in later["accreditors"]}["ACHC"] == "not approved"
    assert hitbenefit("accreditors", "--on", "June").returncode == 2
