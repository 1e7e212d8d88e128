"""Migrations from empty, the audit log's guard, and API keys."""

import time

import sqlalchemy as sa
import pytest

from hitbenefit.store import InvalidRequest, NotFound, Store, head_revision, upgrade
from hitbenefit.store import keys as keymod
from hitbenefit.store.core import TABLES
from tests.store.conftest import new_npi


def test_migrations_up_from_empty(databases):
    url = databases.new_url()
    assert upgrade(url) == head_revision()
    assert upgrade(url) == head_revision()  # a second run changes nothing
    with Store.open(url) as store:
        info = store.info()
        assert info["schema_version"] == head_revision()
        assert set(info["counts"]) == set(TABLES) and not any(info["counts"].values())
        inspector = sa.inspect(store.engine)
        assert set(TABLES) <= set(inspector.get_table_names())
        indexes = {ix["name"]: ix["column_names"] for ix in inspector.get_indexes("history_entries")}
        assert indexes["ix_history_entries_beneficiary_date"] == ["beneficiary_id", "service_date"]


def test_audit_log_refuses_update_and_delete_in_the_database(store):
    store.create_api_key("contractor")  # writes an audit row
    for statement in ("UPDATE audit_log SET outcome = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            with store.engine.begin() as conn:
                conn.execute(sa.text(statement))
    if store.engine.dialect.name == "postgresql":
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            with store.engine.begin() as conn:
                conn.execute(sa.text("TRUNCATE audit_log"))
    assert store.audit_entries(1)[0]["action"] == "key.create"
    assert not [name for name in dir(store) if "audit" in name and any(w in name for w in ("update", "delete"))]


def test_keys_are_stored_hashed_and_revocable(store):
    npi = new_npi()
    key, key_id = store.create_api_key("supplier", supplier_npi=npi, label="billing system")
    principal = store.authenticate(key)
    assert principal is not None and (principal.key_id, principal.role, principal.supplier_npi) == (key_id, "supplier", npi)
    with store.engine.connect() as conn:
        row = conn.execute(sa.text("SELECT prefix, secret_hash FROM api_keys WHERE id = :i"), {"i": key_id}).one()
        dump = " ".join(str(v) for r in conn.execute(sa.text("SELECT * FROM api_keys")).all() for v in r)
    prefix, secret = keymod.split_key(key)
    assert row.prefix == prefix and row.secret_hash.startswith("scrypt$")
    assert secret not in dump and key not in dump
    assert store.authenticate(key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    assert store.authenticate("hbk_" + prefix + "_wrong") is None
    assert store.authenticate("nonsense") is None and store.authenticate("") is None
    listed = {k.id: k for k in store.list_api_keys()}
    assert listed[key_id].label == "billing system" and listed[key_id].revoked_at is None
    assert store.revoke_api_key(key_id) is True
    assert store.authenticate(key) is None  # the verified-key cache does not outlive revocation
    assert store.revoke_api_key(key_id) is False
    assert store.list_api_keys()[-1].revoked_at is not None or any(k.revoked_at for k in store.list_api_keys())
    with pytest.raises(NotFound):
        store.revoke_api_key(10**9)


def test_revocation_seen_by_another_process_store_within_the_cache_bound(store, db_url):
    """Another process trusts a verified key for at most ``key_cache_seconds`` (1 s) without
    reading it again; the revoking process refuses it at once."""
    key, key_id = store.create_api_key("contractor")
    with Store.open(db_url) as other:
        assert other.key_cache_seconds <= 1.0
        assert other.authenticate(key) is not None
        store.revoke_api_key(key_id)
        revoked_at = time.monotonic()
        assert store.authenticate(key) is None
        while other.authenticate(key) is not None:
            assert time.monotonic() - revoked_at <= other.key_cache_seconds + 0.5
            time.sleep(0.05)


def test_constant_time_compare_is_used(store, monkeypatch):
    key, _ = store.create_api_key("analyst")
    calls = []
    real = keymod.hmac.compare_digest

    def spy(a, b):
        calls.append((len(a), len(b)))
        return real(a, b)

    monkeypatch.setattr(keymod.hmac, "compare_digest", spy)
    store._verified.clear()
    assert store.authenticate(key) is not None
    store._verified.clear()
    assert store.authenticate(key[:-2] + "zz") is None
    assert len(calls) == 2


def test_key_roles_are_checked(store):
    with pytest.raises(InvalidRequest):
        store.create_api_key("admin")
    with pytest.raises(InvalidRequest):
        store.create_api_key("supplier")
    with pytest.raises(InvalidRequest):
        store.create_api_key("contractor", supplier_npi=new_npi())


def test_a_disabled_users_keys_fail_here_at_once_and_elsewhere_within_the_bound(store, db_url):
    npi = new_npi()
    email = f"biller.{npi}@example.org"  # synthetic
    user = store.create_user("Synthetic Biller", email.upper(), "supplier", supplier_npi=npi)
    assert (user.email, user.role, user.supplier_npi, user.disabled_at) == (email, "supplier", npi, None)
    key, key_id = store.create_api_key("supplier", user_email=email)  # the user's NPI
    other_key, _ = store.create_api_key("supplier", supplier_npi=npi)  # same supplier, no user
    assert store.authenticate(key).supplier_npi == npi
    with pytest.raises(InvalidRequest):
        store.create_api_key("contractor", user_email=email)  # not the user's role
    with pytest.raises(InvalidRequest):
        store.create_api_key("supplier", supplier_npi=new_npi(), user_email=email)  # not the user's supplier
    with pytest.raises(InvalidRequest):
        store.create_user("Again", email, "analyst")
    with pytest.raises(NotFound):
        store.create_api_key("analyst", user_email="nobody@example.org")
    assert {k.id: k.user_email for k in store.list_api_keys()}[key_id] == email
    with Store.open(db_url) as other:
        assert other.authenticate(key) is not None
        assert store.disable_user(email) is True
        disabled_at = time.monotonic()
        assert store.authenticate(key) is None
        assert store.authenticate(other_key) is not None  # only the user's keys
        while other.authenticate(key) is not None:
            assert time.monotonic() - disabled_at <= other.key_cache_seconds + 0.5
            time.sleep(0.05)
    assert store.disable_user(email) is False
    assert [u.disabled_at is not None for u in store.list_users() if u.email == email] == [True]
    with pytest.raises(InvalidRequest):
        store.create_api_key("supplier", user_email=email)  # a disabled user gets no new key
    with pytest.raises(NotFound):
        store.disable_user("nobody@example.org")
