"""What a code on a HIT claim is: a HIT G-code, a drug, a DME item, or not this benefit's (FAQ 1-4, 23)."""

from __future__ import annotations

from hitbenefit.claims.model import ClaimLine
from hitbenefit.parameters.model import Parameters
from hitbenefit.rules.cite import Finding, rule


@rule("CLM-1", area="DME items", applies_to="other", keys=("DME_ITEM",),
      cites=("FAQ 1", "FAQ 2", "FAQ 4", "BPM 15 §320.2, §320.7"))
def not_a_dme_item(line: ClaimLine, params: Parameters) -> Finding | None:
    """Pumps, supplies and pharmacy services belong on the DME MAC claim, not the HIT claim."""
    item = params.dme_items.get(line.hcpcs)
    if item is not None:
        return "DME_ITEM", f"{line.hcpcs} ({item.what}) is billed to the DME MAC."
    return None


@rule("CODE-1", area="coding", applies_to="other", keys=("INVALID_CODE",),
      cites=("FAQ 23", "CPM 32 §411"))
def known_hit_code(line: ClaimLine, params: Parameters) -> Finding | None:
    """A line's code is a HIT G-code, a drug code or a DME item; anything else is not this benefit's."""
    if line.hcpcs in params.dme_items:
        return None
    if line.hcpcs in params.known_codes:
        return "INVALID_CODE", f"{line.hcpcs} is not a home infusion therapy services code; bill it on its own claim."
    return "INVALID_CODE", f"{line.hcpcs} is not a known HCPCS code."
