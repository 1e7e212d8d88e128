"""``hitbenefit x12``: write 837P claims and validate X12 files (each command in its own module)."""

from __future__ import annotations

import typer

from hitbenefit.cli import x12_validate, x12_write

x12_app = typer.Typer(help="Write and validate X12 837P/835 files.", no_args_is_help=True,
                      rich_markup_mode=None, pretty_exceptions_enable=False)
x12_write.register(x12_app)
x12_validate.register(x12_app)
