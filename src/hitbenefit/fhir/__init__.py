"""FHIR R4 in and out (docs/fhir.md): ``Claim`` (alone or in a ``Bundle``) to contract claims and back;
decisions to ``ClaimResponse`` and CARIN Blue Button ``ExplanationOfBenefit``.

Only ``fhir.resources.R4B`` models are used: the package's top-level models are R5, which accept
R4-shaped JSON while silently dropping renamed elements.
"""

from hitbenefit.fhir.read import claims_from_fhir, is_fhir, looks_like_fhir_text, read_fhir
from hitbenefit.fhir.write import (
    claim_to_fhir,
    decision_to_claim_response,
    decision_to_eob,
    decisions_to_bundle,
    decisions_to_fhir,
    dumps,
    parties_to_fhir,
)

__all__ = ["claims_from_fhir", "read_fhir", "is_fhir", "looks_like_fhir_text", "claim_to_fhir",
           "decision_to_claim_response", "decision_to_eob", "decisions_to_bundle", "decisions_to_fhir",
           "dumps", "parties_to_fhir"]
