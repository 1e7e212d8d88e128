"""The care commands end to end on the store (SQLite; PostgreSQL too), as the system contractor
and as a supplier; bad input exits 2 with one line naming the file, the record and the field."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from hitbenefit.cli.main import app
from tests.care.conftest import new_mbi, new_npi, plan_json

runner = CliRunner()


def run(*args, code=0):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result


def test_a_suppliers_day_on_the_command_line(db_url, tmp_path):
    npi, mbi = new_npi(), new_mbi()
    me = ("--supplier", npi, "--db", db_url)
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(plan_json()))
    made = json.loads(run("plans", "create", plan_file, "--mbi", mbi, "--json", *me).stdout)
    plan_id = made["plan_id"]
    assert "unsigned" in run("plans", "status", plan_id, "--on", "2025-03-01", *me).stdout
    run("plans", "sign", plan_id, "--version", 1, "--date", "2025-02-27", "--signer", "Dr. Synthetic", *me)
    ok = run("plans", "status", plan_id, "--on", "2025-05-28", *me).stdout
    assert ok.startswith(f"plan {plan_id} on 2025-05-28: complete.") and "FAQ 10" in ok
    assert "review overdue" in run("plans", "status", plan_id, "--on", "2025-05-29", *me).stdout
    assert "complete" in run("plans", "status", plan_id, "--on", "2025-05-29", "--review-interval-days", 100, *me).stdout
    run("plans", "review", plan_id, "--version", 1, "--date", "2025-05-20", *me)
    assert json.loads(run("plans", "status", plan_id, "--on", "2025-05-29", "--json", *me).stdout)["status"] == "complete"
    plan_file.write_text(json.dumps(plan_json(dosage="12 g", last_changed="2025-06-10")))
    run("plans", "version", plan_id, plan_file, *me)
    waiting = run("plans", "status", plan_id, "--on", "2025-06-10", *me).stdout
    assert "awaiting re-signature" in waiting and "changed dosage after version 1" in waiting
    shown = json.loads(run("plans", "show", plan_id, *me).stdout)
    assert [v["version"] for v in shown["versions"]] == [1, 2]
    # another supplier sees nothing of it; the contractor sees it
    assert "no plan of care" in run("plans", "show", plan_id, "--supplier", new_npi(), "--db", db_url, code=2).stderr
    assert json.loads(run("plans", "show", plan_id, "--db", db_url).stdout)["plan_id"] == plan_id

    visits = tmp_path / "visits.jsonl"
    visits.write_text("\n".join(json.dumps(v) for v in [
        {"visit_date": "2025-03-03", "mbi": mbi, "plan_id": plan_id, "clinician_name": "Synthetic Nurse",
         "discipline": "RN", "hit_minutes": 95, "drugs": ["J1559"], "training_topics": ["vascular_access_device_care"]},
        {"visit_date": "2025-03-10", "mbi": mbi, "clinician_name": "Synthetic Nurse", "discipline": "RN",
         "mode": "remote", "hit_minutes": 15, "services": ["monitoring"]}]))
    recorded = run("visits", "record", visits, *me).stdout.splitlines()
    assert len(recorded) == 2 and "in person, 95 min" in recorded[0] and "remote" in recorded[1]
    listed = json.loads(run("visits", "list", "--mbi", mbi, "--json", *me).stdout)
    assert [v["visit_date"] for v in listed] == ["2025-03-03", "2025-03-10"]
    assert listed[0]["training_topics"] == ["vascular_access_device_care"] and listed[1]["mode"] == "remote"
    assert listed[0]["drugs"][0]["category"] == 2  # from the home infusion drug list (FAQ 22)
    assert run("visits", "list", "--mbi", mbi, "--supplier", new_npi(), "--db", db_url).stdout == ""

    reading = ("monitoring", "record", "--mbi", mbi, "--taken-at", "2025-03-04T08:00", "--channel", "phone")
    assert "alert" not in run(*reading, "--kind", "heart_rate", "--value", "72", *me).stdout
    raised = run(*reading, "--kind", "systolic_bp", "--value", "170", *me).stdout
    assert "[open] systolic_bp 170.00 mmHg is above 150" in raised
    alert_id = raised.split("alert ")[1].split()[0]
    assert f"alert {alert_id} [open]" in run("monitoring", "alerts", "--mbi", mbi, "--status", "open", *me).stdout
    run("monitoring", "ack", alert_id, "--clinician", "Synthetic Nurse", *me)
    done = run("monitoring", "resolve", alert_id, "--clinician", "Synthetic Nurse", "--action", "Physician told", *me)
    assert "[resolved]" in done.stdout and "Physician told" in done.stdout
    again = run("monitoring", "resolve", alert_id, "--clinician", "X", "--action", "again", *me, code=2)
    assert "already resolved" in again.stderr
    assert run("monitoring", "alerts", "--mbi", mbi, "--supplier", new_npi(), "--db", db_url).stdout == ""


def test_bad_input_exits_2_naming_file_record_and_field(db_url, tmp_path):
    npi = new_npi()
    visits = tmp_path / "visits.json"
    visits.write_text(json.dumps([
        {"visit_date": "2025-03-03", "mbi": new_mbi(), "clinician_name": "A", "discipline": "RN"},
        {"visit_date": "2025-03-03", "mbi": new_mbi(), "clinician_name": "A", "discipline": "RN", "hit_minutes": -1}]))
    bad = run("visits", "record", visits, "--supplier", npi, "--db", db_url, code=2)
    assert bad.stderr.strip() == f"hitbenefit: {visits}, record 2, field hit_minutes: expected a whole number from 0 " \
                                 "to 1440, found int" and bad.stdout == ""
    assert run("visits", "list", "--supplier", npi, "--db", db_url).stdout == ""  # record 1 was not stored either
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(plan_json(orders=[{"kind": "service"}])))
    err = run("plans", "create", plan_file, "--mbi", new_mbi(), "--db", db_url, code=2).stderr
    assert "record 1, field plan_of_care.orders[0].what: required" in err
    assert "--on" in run("plans", "status", 1, "--on", "tomorrow", "--db", db_url, code=2).stderr
    wrong = run("monitoring", "record", "--mbi", new_mbi(), "--kind", "weight", "--value", "80", "--unit", "stone",
                "--taken-at", "2025-03-04T08:00", "--channel", "phone", "--supplier", npi, "--db", db_url, code=2)
    assert "field unit" in wrong.stderr and "Traceback" not in wrong.stderr
