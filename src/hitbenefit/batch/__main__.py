"""``python -m hitbenefit.batch batch|report|synth ...``: the batch commands on their own (the same
commands as ``hitbenefit batch`` once ``cli/main.py`` registers them)."""

import typer

from hitbenefit.cli.batch import register

app = typer.Typer(name="hitbenefit", no_args_is_help=True, add_completion=False, rich_markup_mode=None,
                  pretty_exceptions_enable=False)
register(app)

if __name__ == "__main__":
    app()
