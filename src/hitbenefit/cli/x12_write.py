"""``hitbenefit x12 write-837``: contract claims (JSON, JSON Lines) as an X12 837P interchange."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Optional

import typer

from hitbenefit.cli.common import fail, fail_with_errors

from hitbenefit import service
from hitbenefit.x12.envelope import X12WriteError
from hitbenefit.x12.write_837 import PLACEHOLDERS, claims_to_837, placeholders_used



def write_837(
    inputs: Annotated[list[str], typer.Argument(metavar="CLAIMS...", help="Claim files: JSON, JSON Lines; - for standard input.")],
    out: Annotated[Optional[Path], typer.Option("--out", help="Write the 837P here instead of standard output.")] = None,
    sender: Annotated[str, typer.Option("--sender", help="Submitter id the MAC assigned (ISA06, GS02, 1000A NM109).")] = "PLACEHOLDER",
    receiver: Annotated[str, typer.Option("--receiver", help="Receiver (MAC) id (ISA08, GS03, 1000B NM109; 2010BB payer id unless the claim names one).")] = "PLACEHOLDER",
    submitter_name: Annotated[str, typer.Option("--submitter-name", help="Submitter name (1000A NM103, PER02).")] = "PLACEHOLDER SUBMITTER",
    receiver_name: Annotated[str, typer.Option("--receiver-name", help="Receiver name (1000B NM103; 2010BB payer name unless the claim names one).")] = "MEDICARE PART B",
    submitter_phone: Annotated[str, typer.Option("--submitter-phone", help="Submitter contact telephone (1000A PER04).")] = PLACEHOLDERS.submitter_phone,
    control_number: Annotated[int, typer.Option("--control-number", help="Interchange and group control number (ISA13, GS06), 1-999999999.")] = 1,
    test: Annotated[bool, typer.Option("--test", help="Mark the interchange as test data (ISA15 T, else P).")] = False,
) -> None:
    """Write contract claims as one X12 837P (005010X222A1) interchange; one transaction per billing provider."""
    read = service.read_inputs(inputs)
    if read.errors:
        raise fail_with_errors(read.errors)
    if not read.claims:
        raise fail(f"no claims in {', '.join(inputs)}")
    placeholders = replace(PLACEHOLDERS, submitter_phone=submitter_phone)
    try:
        text = claims_to_837(read.claims, sender_id=sender, receiver_id=receiver, submitter_name=submitter_name,
                             receiver_name=receiver_name, control_number=control_number,
                             placeholders=placeholders, usage="T" if test else "P")
    except X12WriteError as exc:
        raise fail(str(exc)) from None
    used = placeholders_used(read.claims)
    if used:
        fields = sorted({field for missing in used.values() for field in missing})
        typer.echo(f"hitbenefit: warning: {len(used)} of {len(read.claims)} claims lack {', '.join(fields)} in "
                   "'extra': placeholder values were written (see docs/x12.md)", err=True)
    if out is None:
        sys.stdout.write(text)
        return
    try:
        out.write_text(text, encoding="latin-1")
    except (OSError, UnicodeEncodeError) as exc:
        raise fail(f"{out}: cannot be written ({exc.__class__.__name__}: {exc})") from None


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("write-837")(write_837)
