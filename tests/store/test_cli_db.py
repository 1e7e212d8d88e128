"""``hitbenefit db ...`` and ``hitbenefit keys ...`` (the Typer apps, before they are mounted)."""

from typer.testing import CliRunner

from hitbenefit.cli.db import db_app, keys_app, users_app
from hitbenefit.store import Store, head_revision
from tests.store.conftest import new_npi

runner = CliRunner()


def test_db_upgrade_and_info(databases):
    url = databases.new_url()
    result = runner.invoke(db_app, ["upgrade", "--db", url])
    assert result.exit_code == 0, result.output
    assert head_revision() in result.stdout
    info = runner.invoke(db_app, ["info", "--db", url])
    assert info.exit_code == 0 and "schema version: " + head_revision() in info.stdout and "audit_log" in info.stdout


def test_keys_create_list_revoke(db_url):
    made = runner.invoke(keys_app, ["create", "--role", "supplier", "--npi", "1234567893", "--label", "ops",
                                    "--db", db_url])
    assert made.exit_code == 0, made.output
    key = made.stdout.splitlines()[0]
    assert key.startswith("hbk_") and "shown only once" in made.stderr
    with Store.open(db_url) as store:
        principal = store.authenticate(key)
    assert principal.role == "supplier" and principal.supplier_npi == "1234567893"
    listed = runner.invoke(keys_app, ["list", "--db", db_url])
    assert listed.exit_code == 0 and key.split("_")[1] in listed.stdout and key not in listed.stdout
    revoked = runner.invoke(keys_app, ["revoke", str(principal.key_id), "--db", db_url])
    assert revoked.exit_code == 0 and "revoked" in revoked.stdout
    with Store.open(db_url) as store:
        assert store.authenticate(key) is None


def test_bad_input_exits_2_with_one_line(db_url):
    for app, args in ((keys_app, ["create", "--role", "boss", "--db", db_url]),
                      (keys_app, ["create", "--role", "supplier", "--db", db_url]),
                      (keys_app, ["revoke", "999999999", "--db", db_url]),
                      (db_app, ["info", "--db", "postgresql://nobody@127.0.0.1:1/none"])):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("hitbenefit: ")
        assert "Traceback" not in result.output


def test_users_create_list_disable_and_their_keys(db_url):
    email = f"nurse.{new_npi()}@example.org"  # synthetic
    npi = new_npi()
    made = runner.invoke(users_app, ["create", "--email", email, "--name", "Synthetic Nurse", "--role", "supplier",
                                     "--npi", npi, "--db", db_url])
    assert made.exit_code == 0, made.output
    key_made = runner.invoke(keys_app, ["create", "--role", "supplier", "--user", email, "--db", db_url])
    assert key_made.exit_code == 0, key_made.output
    key = key_made.stdout.splitlines()[0]
    with Store.open(db_url) as store:
        principal = store.authenticate(key)
        assert (principal.role, principal.supplier_npi) == ("supplier", npi)  # the user's supplier
    listed = runner.invoke(users_app, ["list", "--db", db_url])
    assert listed.exit_code == 0 and email in listed.stdout and "Synthetic Nurse" in listed.stdout
    assert email in runner.invoke(keys_app, ["list", "--db", db_url]).stdout
    disabled = runner.invoke(users_app, ["disable", email, "--db", db_url])
    assert disabled.exit_code == 0 and "disabled" in disabled.stdout
    with Store.open(db_url) as store:
        assert store.authenticate(key) is None
    again = runner.invoke(users_app, ["disable", email, "--db", db_url])
    assert again.exit_code == 0 and "already disabled" in again.stdout
    for args in (["create", "--email", email, "--name", "Twice", "--role", "analyst"],  # e-mail taken
                 ["create", "--email", "not-an-address", "--name", "X", "--role", "analyst"],
                 ["create", "--email", "x@example.org", "--name", "X", "--role", "supplier"],  # no NPI
                 ["disable", "nobody@example.org"]):
        result = runner.invoke(users_app, [*args, "--db", db_url])
        assert result.exit_code == 2, (args, result.output)
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output
    for args in (["create", "--role", "supplier", "--user", email],  # disabled user
                 ["create", "--role", "analyst", "--user", "nobody@example.org"]):
        result = runner.invoke(keys_app, [*args, "--db", db_url])
        assert result.exit_code == 2, (args, result.output)
