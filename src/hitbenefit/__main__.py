"""``python -m hitbenefit`` runs the command line."""

from hitbenefit.cli.main import run

run()
