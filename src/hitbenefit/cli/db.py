"""``hitbenefit db ...``, ``hitbenefit keys ...`` and ``hitbenefit users ...``: the store's schema,
API keys and the people behind them.

Mount with ``app.add_typer(db_app, name="db")``, ``app.add_typer(keys_app, name="keys")`` and
``app.add_typer(users_app, name="users")``.
Every command takes ``--db URL`` (default ``$HITBENEFIT_DATABASE_URL``, else the SQLite file under
``$HITBENEFIT_HOME``). A problem exits with status 2 and one line naming it, never a traceback.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from hitbenefit.cli.common import DbOpt, fail, group, open_store
from hitbenefit.store import ROLES

db_app = group("Create, upgrade and describe the claims store.")
keys_app = group("Create, list and revoke API keys.")
users_app = group("Create, list and disable users (the people behind keys).")


def _newest() -> str:
    from hitbenefit.store import head_revision

    return head_revision()


@db_app.command("upgrade")
def db_upgrade(db: DbOpt = None) -> None:
    """Create the schema, or bring it to the newest revision (additive migrations)."""
    with open_store(db) as store:
        info = store.info()
        typer.echo(f"{info['url']}: schema at revision {info['schema_version']} (newest {_newest()})")


@db_app.command("info")
def db_info(db: DbOpt = None) -> None:
    """Which database, its schema revision, and how many rows each table holds."""
    with open_store(db) as store:
        info = store.info()
        typer.echo(f"database:       {info['url']}")
        typer.echo(f"dialect:        {info['dialect']}")
        typer.echo(f"schema version: {info['schema_version']} (newest {_newest()})")
        width = max(map(len, info["counts"]), default=0) + 2
        for table, count in info["counts"].items():
            typer.echo(f"  {table:<{width}}{count:>8}")


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option("--role", help=f"One of: {', '.join(ROLES)}.")],
    npi: Annotated[Optional[str], typer.Option("--npi", help="The supplier's NPI (supplier keys only).")] = None,
    label: Annotated[str, typer.Option("--label", help="A note on whose key this is.")] = "",
    user: Annotated[Optional[str], typer.Option("--user", help="The e-mail of the user the key belongs to "
                                                               "(see `hitbenefit users`).")] = None,
    db: DbOpt = None,
) -> None:
    """Create an API key and print it. It is shown only this once: the store keeps only a hash."""
    if role not in ROLES:
        raise fail(f"--role: must be one of {', '.join(ROLES)}, not {role!r}")
    with open_store(db) as store:
        key, key_id = store.create_api_key(role, supplier_npi=npi, label=label, user_email=user)
    typer.echo(key)
    typer.echo(f"key id {key_id}, role {role}{f', supplier {npi}' if npi else ''}{f', user {user}' if user else ''}. "
               "This key is shown only once: store it now; it cannot be shown again.", err=True)


@keys_app.command("list")
def keys_list(db: DbOpt = None) -> None:
    """Every key: id, public prefix, role, supplier, label, created and revoked (never the key)."""
    with open_store(db) as store:
        rows = store.list_api_keys()
    typer.echo(f"{'id':>4}  {'prefix':<12}  {'role':<10}  {'supplier':<10}  {'created':<20}  {'revoked':<20}  "
               f"{'user':<24}  label")
    for k in rows:
        typer.echo(f"{k.id:>4}  {k.prefix:<12}  {k.role:<10}  {k.supplier_npi or '-':<10}  "
                   f"{_when(k.created_at):<20}  {_when(k.revoked_at):<20}  {k.user_email or '-':<24}  {k.label}")


def _when(value) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S}Z" if value else "-"


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[int, typer.Argument(help="The key's id (see `hitbenefit keys list`).")],
                db: DbOpt = None) -> None:
    """Revoke a key: it stops working at once."""
    with open_store(db) as store:
        was_active = store.revoke_api_key(key_id)
    typer.echo(f"key {key_id} revoked" if was_active else f"key {key_id} was already revoked")


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Option("--email", help="The user's e-mail address (unique; names the user).")],
    name: Annotated[str, typer.Option("--name", help="The user's name.")],
    role: Annotated[str, typer.Option("--role", help=f"One of: {', '.join(ROLES)}.")],
    npi: Annotated[Optional[str], typer.Option("--npi", help="The supplier's NPI (supplier users only).")] = None,
    db: DbOpt = None,
) -> None:
    """Create a user; then `hitbenefit keys create --role ROLE --user EMAIL` gives them keys."""
    if role not in ROLES:
        raise fail(f"--role: must be one of {', '.join(ROLES)}, not {role!r}")
    with open_store(db) as store:
        user = store.create_user(name, email, role, supplier_npi=npi)
    typer.echo(f"user {user.id} {user.email}, role {user.role}{f', supplier {user.supplier_npi}' if user.supplier_npi else ''}")


@users_app.command("list")
def users_list(db: DbOpt = None) -> None:
    """Every user: id, e-mail, role, supplier, created and disabled, name."""
    with open_store(db) as store:
        rows = store.list_users()
    typer.echo(f"{'id':>4}  {'email':<32}  {'role':<10}  {'supplier':<10}  {'created':<20}  {'disabled':<20}  name")
    for u in rows:
        typer.echo(f"{u.id:>4}  {u.email:<32}  {u.role:<10}  {u.supplier_npi or '-':<10}  {_when(u.created_at):<20}  "
                   f"{_when(u.disabled_at):<20}  {u.name}")


@users_app.command("disable")
def users_disable(email: Annotated[str, typer.Argument(help="The user's e-mail address.")], db: DbOpt = None) -> None:
    """Disable a user: every key of theirs stops working (within a second in a running service)."""
    with open_store(db) as store:
        was_active = store.disable_user(email)
    typer.echo(f"user {email} disabled" if was_active else f"user {email} was already disabled")
