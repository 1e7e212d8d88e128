"""``hitbenefit db ...`` and ``hitbenefit keys ...``: the store's schema and API keys.

Mount with ``app.add_typer(db_app, name="db")`` and ``app.add_typer(keys_app, name="keys")``.
Every command takes ``--db URL`` (default ``$HITBENEFIT_DATABASE_URL``, else the SQLite file under
``$HITBENEFIT_HOME``). A problem exits with status 2 and one line naming it, never a traceback.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Annotated, Iterator, Optional

import typer
from hitbenefit.store import ROLES, StoreError

db_app = typer.Typer(help="Create, upgrade and describe the claims store.", no_args_is_help=True,
                     add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False)
keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True, add_completion=False,
                       rich_markup_mode=None, pretty_exceptions_enable=False)

DbOpt = Annotated[Optional[str], typer.Option(
    "--db", help="Database URL (sqlite:///FILE or postgresql://USER@HOST/DB); default $HITBENEFIT_DATABASE_URL, "
                 "else $HITBENEFIT_HOME/hitbenefit.db.")]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"hitbenefit: {message}", err=True)
    return typer.Exit(2)


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"{exc.__class__.__name__}: {text[0] if text else ''}".rstrip(": ")


@contextmanager
def _store(url: str | None) -> Iterator["Store"]:
    from sqlalchemy.exc import SQLAlchemyError

    from hitbenefit.store import Store, safe_url
    try:
        store = Store.open(url)
    except (SQLAlchemyError, OSError, ValueError) as exc:
        raise _fail(f"--db {safe_url(url) if url else '(default)'}: cannot open the database ({_first_line(exc)})") from None
    try:
        yield store
    except StoreError as exc:
        raise _fail(str(exc)) from None
    except SQLAlchemyError as exc:
        raise _fail(f"database {safe_url(store.url)}: {_first_line(exc)}") from None
    finally:
        store.close()


def _newest() -> str:
    from hitbenefit.store import head_revision

    return head_revision()


@db_app.command("upgrade")
def db_upgrade(db: DbOpt = None) -> None:
    """Create the schema, or bring it to the newest revision (additive migrations)."""
    with _store(db) as store:
        info = store.info()
        typer.echo(f"{info['url']}: schema at revision {info['schema_version']} (newest {_newest()})")


@db_app.command("info")
def db_info(db: DbOpt = None) -> None:
    """Which database, its schema revision, and how many rows each table holds."""
    with _store(db) as store:
        info = store.info()
        typer.echo(f"database:       {info['url']}")
        typer.echo(f"dialect:        {info['dialect']}")
        typer.echo(f"schema version: {info['schema_version']} (newest {_newest()})")
        for table, count in info["counts"].items():
            typer.echo(f"  {table:<16}{count:>10}")


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option("--role", help=f"One of: {', '.join(ROLES)}.")],
    npi: Annotated[Optional[str], typer.Option("--npi", help="The supplier's NPI (supplier keys only).")] = None,
    label: Annotated[str, typer.Option("--label", help="A note on whose key this is.")] = "",
    db: DbOpt = None,
) -> None:
    """Create an API key and print it. It is shown only this once: the store keeps only a hash."""
    if role not in ROLES:
        raise _fail(f"--role: must be one of {', '.join(ROLES)}, not {role!r}")
    with _store(db) as store:
        key, key_id = store.create_api_key(role, supplier_npi=npi, label=label)
    typer.echo(key)
    typer.echo(f"key id {key_id}, role {role}{f', supplier {npi}' if npi else ''}. "
               "This key is shown only once: store it now; it cannot be shown again.", err=True)


@keys_app.command("list")
def keys_list(db: DbOpt = None) -> None:
    """Every key: id, public prefix, role, supplier, label, created and revoked (never the key)."""
    with _store(db) as store:
        rows = store.list_api_keys()
    typer.echo(f"{'id':>4}  {'prefix':<12}  {'role':<10}  {'supplier':<10}  {'created':<20}  {'revoked':<20}  label")
    for k in rows:
        typer.echo(f"{k.id:>4}  {k.prefix:<12}  {k.role:<10}  {k.supplier_npi or '-':<10}  "
                   f"{k.created_at:%Y-%m-%d %H:%M:%S}Z  "
                   f"{(format(k.revoked_at, '%Y-%m-%d %H:%M:%S') + 'Z') if k.revoked_at else '-':<20}  {k.label}")


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[int, typer.Argument(help="The key's id (see `hitbenefit keys list`).")],
                db: DbOpt = None) -> None:
    """Revoke a key: it stops working at once."""
    with _store(db) as store:
        was_active = store.revoke_api_key(key_id)
    typer.echo(f"key {key_id} revoked" if was_active else f"key {key_id} was already revoked")
