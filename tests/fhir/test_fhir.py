"""FHIR R4 in and out (docs/fhir.md): Claim round trips, decisions as ClaimResponse and CARIN BB EOB
parsed back with the R4B models, the CARIN example as the template, and errors that name the FHIR path."""

from __future__ import annotations

import copy
import dataclasses
import json
from decimal import Decimal
from pathlib import Path

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.claim import Claim as R4BClaim
from fhir.resources.R4B.claimresponse import ClaimResponse
from fhir.resources.R4B.explanationofbenefit import ExplanationOfBenefit

from hitbenefit.claims.read_json import ClaimInputError, claim_from_json, read_claims
from hitbenefit.fhir import (
    claim_to_fhir,
    claims_from_fhir,
    decision_to_claim_response,
    decision_to_eob,
    decisions_to_fhir,
    read_fhir,
)
from hitbenefit.fhir import codes
from hitbenefit.service import adjudicate, load_tables

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "claims" / "example-claim.json"
DEMO = ROOT / "examples" / "claims" / "demo-month.jsonl"
CARIN = ROOT / "tests" / "data" / "fhir" / "carin-bb"


def loads(text: str):
    return json.loads(text, parse_float=Decimal)


def roundtrip_json(value: dict) -> dict:
    """Through JSON text and back, as a file would go (money stays Decimal)."""
    from hitbenefit.fhir import dumps
    return loads(dumps(value))


def contract_claims(path: Path):
    claims, errors = read_claims(path.read_text(encoding="utf-8"), str(path))
    assert not errors
    return claims


@pytest.fixture(scope="module")
def demo():
    claims = contract_claims(DEMO)
    return claims, adjudicate(claims, load_tables())


def categories(adjudications) -> dict[str, object]:
    """Amount entries of an adjudication list by category code."""
    return {a.category.coding[0].code: a for a in adjudications}


# --------------------------------------------------------------------------------------------------
# Claim in and out


def full_claim():
    """A contract claim that uses every field the FHIR mapping carries."""
    return claim_from_json({
        "claim_id": "C-FULL", "received_date": "2025-03-12", "payer": "medicare-advantage",
        "supplier": {"npi": "1234567893", "specialty": "D6", "accreditation_expires": "2027-06-30",
                     "licensed_states": ["VA", "MD"]},
        "beneficiary": {"mbi": "1EG4TE5MK73", "part_b": [{"from": "2019-01-01", "to": "2024-12-31"},
                                                         {"from": "2025-02-01", "to": None}],
                        "medicare_advantage": [{"from": "2025-01-01", "to": "2025-01-31"}],
                        "institutional_stays": [{"from": "2025-02-01", "to": "2025-02-09", "kind": "snf"}],
                        "deductible_remaining": Decimal("123.45")},
        "plan_of_care": {"established_by": {"role": "nurse_practitioner"}, "therapy_type": "IV inotrope",
                         "professional_services": ["nursing"], "signed_date": "2025-02-27"},
        "service_locality": "01112-54",
        "lines": [
            {"line": 3, "hcpcs": "G0090", "modifiers": ["GT", "KX"], "units": Decimal("4.5"),
             "service_date": "2025-03-03", "place_of_service": "13", "charge": Decimal("99.99"),
             "visit": {"in_person": False, "drug_administered": False, "minutes": 60, "hh_minutes": 30}},
            {"line": 7, "hcpcs": "J7799", "units": 1, "service_date": "2025-03-04", "charge": Decimal("0.10"),
             "drug_name": "milrinone lactate"},
            {"line": 8, "hcpcs": "99211", "units": 1, "service_date": "2025-03-04", "charge": 0,
             "visit": {"minutes": 15}},
        ],
    }, "test")


def test_round_trip_example_and_demo_claims():
    claims = contract_claims(EXAMPLE) + contract_claims(DEMO)
    assert len(claims) == 10
    for claim in claims:
        resource = roundtrip_json(claim_to_fhir(claim))
        R4BClaim.model_validate(resource)
        assert claims_from_fhir(resource, "rt") == [claim]


def test_round_trip_every_mapped_field():
    claim = full_claim()
    resource = roundtrip_json(claim_to_fhir(claim))
    R4BClaim.model_validate(resource)
    (back,) = claims_from_fhir(resource, "rt")
    assert back == claim
    assert back.lines[0].visit.hh_minutes == 30 and back.lines[1].drug_name == "milrinone lactate"
    assert resource["item"][2]["productOrService"]["coding"][0]["system"] == codes.CPT
    assert resource["item"][1]["productOrService"]["text"] == "milrinone lactate"


def test_received_date_absent_comes_back_as_its_default():
    claim = dataclasses.replace(full_claim(), received_date=None)
    (back,) = claims_from_fhir(roundtrip_json(claim_to_fhir(claim)), "rt")
    assert back == dataclasses.replace(claim, received_date=claim.received)


def test_empty_part_b_list_is_refused_not_dropped():
    claim = full_claim()
    claim = dataclasses.replace(claim, beneficiary=dataclasses.replace(claim.beneficiary, part_b=()))
    with pytest.raises(ValueError, match="part_b"):
        claim_to_fhir(claim)


def test_money_stays_decimal_through_the_r4b_models():
    resource = roundtrip_json(claim_to_fhir(full_claim()))
    model = R4BClaim.model_validate(resource)
    assert type(model.item[0].net.value) is Decimal and model.item[0].net.value == Decimal("99.99")
    (claim,) = claims_from_fhir(resource, "t")
    assert all(type(line.charge) is Decimal for line in claim.lines)
    assert type(claim.beneficiary.deductible_remaining) is Decimal


def test_charge_from_unit_price_times_quantity():
    resource = roundtrip_json(claim_to_fhir(full_claim()))
    item = resource["item"][1]
    del item["net"]
    item["unitPrice"] = {"value": Decimal("33.30"), "currency": "USD"}
    item["quantity"] = {"value": Decimal("3.0")}
    (claim,) = claims_from_fhir(resource, "t")
    assert claim.lines[1].charge == Decimal("99.90") and str(claim.lines[1].charge) == "99.90"


def bundle_of_parts() -> dict:
    """A Bundle whose Claim references Patient, Coverage and Practitioner entries by urn:uuid and Type/id."""
    claim = roundtrip_json(claim_to_fhir(full_claim()))
    patient, provider, coverage = claim.pop("contained")
    patient.pop("identifier")  # the MBI then comes from Coverage.subscriberId
    provider["resourceType"] = "Practitioner"
    provider["id"] = "prac1"
    coverage["beneficiary"] = {"reference": "urn:uuid:2b1c1e6e-0000-4000-8000-000000000001"}
    claim["patient"] = {"reference": "urn:uuid:2b1c1e6e-0000-4000-8000-000000000001"}
    claim["provider"] = {"reference": "Practitioner/prac1"}
    claim["insurance"][0]["coverage"] = {"reference": "urn:uuid:2b1c1e6e-0000-4000-8000-000000000003"}
    second = copy.deepcopy(claim)
    second["identifier"][0]["value"] = second["id"] = "C-SECOND"
    return {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "urn:uuid:2b1c1e6e-0000-4000-8000-000000000010", "resource": claim},
        {"fullUrl": "urn:uuid:2b1c1e6e-0000-4000-8000-000000000001", "resource": patient},
        {"fullUrl": "https://example.org/fhir/Practitioner/prac1", "resource": provider},
        {"fullUrl": "urn:uuid:2b1c1e6e-0000-4000-8000-000000000003", "resource": coverage},
        {"fullUrl": "urn:uuid:2b1c1e6e-0000-4000-8000-000000000011", "resource": second},
    ]}


def test_bundle_with_referenced_entries():
    claims = claims_from_fhir(bundle_of_parts(), "bundle.json")
    assert [c.claim_id for c in claims] == ["C-FULL", "C-SECOND"]
    assert claims[0] == full_claim()


def test_read_fhir_ndjson_keeps_good_records():
    good = claim_to_fhir(full_claim())
    bad = copy.deepcopy(good)
    bad["item"][0]["servicedDate"] = "2025-02-30"
    from hitbenefit.fhir import dumps
    text = "\n".join(dumps(v).replace("\n", "") for v in (good, bad, good))
    claims, errors = read_fhir(text, "claims.ndjson")
    assert len(claims) == 2 and len(errors) == 1
    assert errors[0].record == 2 and errors[0].field == "Claim.item[0].servicedDate"


# --------------------------------------------------------------------------------------------------
# Errors name the FHIR path


def claim_resource() -> dict:
    return roundtrip_json(claim_to_fhir(full_claim()))


def error_of(resource: dict) -> ClaimInputError:
    with pytest.raises(ClaimInputError) as caught:
        claims_from_fhir(resource, "in.json")
    return caught.value


@pytest.mark.parametrize("change, field, line", [
    (lambda r: r["item"][1].__setitem__("servicedDate", "2025-13-40"), "Claim.item[1].servicedDate", 7),
    (lambda r: r["item"][1].__setitem__("servicedDate", "2025-03"), "Claim.item[1].servicedDate", 7),
    (lambda r: r["item"][0]["net"].__setitem__("value", Decimal("1.234")), "Claim.item[0].net.value", 3),
    (lambda r: r["item"][0]["net"].__setitem__("currency", "EUR"), "Claim.item[0].net.currency", 3),
    (lambda r: r["item"][0].pop("net"), "Claim.item[0].net", 3),
    (lambda r: r["item"][0].pop("quantity"), "Claim.item[0].quantity.value", 3),
    (lambda r: r["item"][0]["locationCodeableConcept"]["coding"][0].__setitem__("code", "home"),
     "Claim.item[0].locationCodeableConcept.coding[0].code", 3),
    (lambda r: r["item"][0]["productOrService"]["coding"][0].__setitem__("system", "urn:x"),
     "Claim.item[0].productOrService", 3),
    (lambda r: r["item"][0]["extension"][0]["extension"][2].__setitem__("valueInteger", 5000),
     "Claim.item[0].extension[0].extension('minutes').valueInteger", 3),
    (lambda r: r["extension"][1].__setitem__("valueString", "nowhere"),
     "Claim.extension[1].valueString", None),
    (lambda r: r["extension"][0].__setitem__("valueCode", "medicaid"), "Claim.extension[0].valueCode", None),
    (lambda r: r["contained"][1]["identifier"][0].__setitem__("system", "urn:x"), "Claim.provider", None),
    (lambda r: r["contained"][0]["extension"][3]["extension"][1].__setitem__("valueCode", "home"),
     "Claim.contained[0].extension[3].extension[1].valueCode", None),
    (lambda r: r.__setitem__("status", "bogus"), "Claim.status", None),
    (lambda r: r.__setitem__("use", "preauthorization"), "Claim.use", None),
    (lambda r: r["type"]["coding"][0].__setitem__("code", "institutional"), "Claim.type", None),
    (lambda r: r["item"][0].__setitem__("modifierExtension", [{"url": "urn:x", "valueBoolean": True}]),
     "Claim.item[0].modifierExtension[0]", 3),
    (lambda r: r["item"][1].__setitem__("sequence", 0), "Claim.item[1].sequence", 0),
])
def test_malformed_fhir_names_the_fhir_path(change, field, line):
    resource = claim_resource()
    change(resource)
    exc = error_of(resource)
    assert exc.field == field, str(exc)
    assert exc.claim_id == "C-FULL" and exc.line == line and exc.source == "in.json"
    assert "in.json" in str(exc) and field in str(exc)


def test_error_inside_a_bundle_names_the_entry():
    bundle = bundle_of_parts()
    bundle["entry"][4]["resource"]["item"][0]["servicedDate"] = "03/03/2025"
    exc = error_of(bundle)
    assert exc.field == "Bundle.entry[4].resource.item[0].servicedDate"
    assert exc.claim_id == "C-SECOND" and exc.line == 3


def test_not_a_claim():
    assert "Patient" in str(error_of({"resourceType": "Patient"}))
    assert error_of({"resourceType": "Bundle", "type": "collection", "entry": []}).field == "Bundle.entry"
    assert "resourceType" in str(error_of({"claim_id": "x"}))


def test_r5_only_element_is_refused_so_the_models_are_r4b():
    """Claim.traceNumber exists only in R5: the R5 model (fhir.resources' top level) takes it, ours refuses."""
    from fhir.resources.claim import Claim as R5Claim

    resource = claim_resource()
    resource["traceNumber"] = [{"value": "T-1"}]
    exc = error_of(resource)
    assert exc.field == "Claim.traceNumber" and "not valid FHIR R4" in str(exc)
    r5 = copy.deepcopy(resource)
    for key in ("item", "contained", "extension", "total"):  # shapes R5 changed; traceNumber is the point
        r5.pop(key)
    r5["created"] = "2025-03-12T00:00:00Z"
    R5Claim.model_validate(r5)  # R5 accepts what R4 refuses


# --------------------------------------------------------------------------------------------------
# Decisions out


def test_bundle_parses_back_with_r4b_and_value_sets_hold(demo):
    claims, decisions = demo
    bundle = Bundle.model_validate(loads(decisions_to_fhir(claims, decisions)))
    assert bundle.type == "collection" and bundle.type in codes.BUNDLE_TYPE
    kinds = [e.resource.get_resource_type() for e in bundle.entry]
    assert kinds.count("ExplanationOfBenefit") == kinds.count("ClaimResponse") == len(claims)
    urls = {e.fullUrl for e in bundle.entry}
    for entry in bundle.entry:
        resource = entry.resource
        if resource.get_resource_type() in ("ExplanationOfBenefit", "ClaimResponse"):
            assert resource.status in codes.CLAIM_STATUS and resource.status == "active"
            assert resource.use in codes.CLAIM_USE and resource.use == "claim"
            assert resource.outcome in codes.REMITTANCE_OUTCOME
            refs = [resource.patient.reference, resource.insurer.reference]
            refs.append(resource.provider.reference if hasattr(resource, "provider") and
                        resource.get_resource_type() == "ExplanationOfBenefit" else resource.requestor.reference)
            assert set(refs) <= urls  # every reference resolves inside the Bundle
            for note in resource.processNote or ():
                assert note.type in codes.NOTE_TYPE


def test_eob_and_claim_response_amounts_equal_the_decision(demo):
    claims, decisions = demo
    for claim, decision in zip(claims, decisions):
        eob = ExplanationOfBenefit.model_validate(roundtrip_json(decision_to_eob(claim, decision)))
        response = ClaimResponse.model_validate(roundtrip_json(decision_to_claim_response(claim, decision)))
        assert eob.outcome == response.outcome == ("error" if decision.status == "rejected" else "complete")
        assert eob.meta.profile == [codes.C4BB_EOB_PROFESSIONAL]
        assert eob.identifier[0].type.coding[0].code == "uc" and eob.identifier[0].value == claim.claim_id
        for d, eob_item, cr_item in zip(decision.lines, eob.item, response.item):
            assert eob_item.sequence == cr_item.itemSequence == d.line
            for item in (eob_item, cr_item):
                amounts = categories(item.adjudication)
                for code, value in (("eligible", d.allowed), ("deductible", d.deductible),
                                    ("coinsurance", d.coinsurance), ("sequestration", d.sequestration),
                                    ("benefit", d.paid)):
                    assert amounts[code].amount.value == value
                    assert type(amounts[code].amount.value) is Decimal
                assert amounts["coinsurance"].category.coding[0].system == codes.C4BB_ADJUDICATION
        totals = {t.category.coding[0].code: t.amount.value for t in eob.total}
        assert totals["submitted"] == decision.totals["charge"]
        assert totals["eligible"] == decision.totals["allowed"]
        assert totals["benefit"] == decision.totals["paid"]
        assert totals["memberliability"] == decision.totals["patient"]
        assert totals["deductible"] + totals["coinsurance"] == decision.totals["patient"]
        if eob.outcome == "complete":
            assert eob.payment.amount.value == response.payment.amount.value == decision.totals["paid"]
        else:
            assert eob.payment is None and response.payment is None


def test_denied_line_carries_its_carc(demo):
    claims, decisions = demo
    index = next(i for i, c in enumerate(claims) if c.claim_id == "DEMO-D-0312")
    claim, decision = claims[index], decisions[index]
    assert decision.lines[0].status == "denied" and decision.lines[0].reasons[0].carc == "58"
    eob = ExplanationOfBenefit.model_validate(roundtrip_json(decision_to_eob(claim, decision)))
    item = eob.item[0]
    denial = [a for a in item.adjudication if a.category.coding[0].code == "denialreason"]
    assert denial[0].category.coding[0].system == codes.C4BB_DISCRIMINATOR
    assert (denial[0].reason.coding[0].system, denial[0].reason.coding[0].code) == (codes.CARC, "58")
    assert {e.url: e.valueCode for e in denial[0].extension} == {codes.EXT_REASON_KEY: "NOT_HOME",
                                                                 codes.EXT_ADJUSTMENT_GROUP: "CO"}
    remark = [a for a in item.adjudication if a.category.coding[0].code == "remark"]
    assert (remark[0].reason.coding[0].system, remark[0].reason.coding[0].code) == (codes.RARC, "M77")
    noncovered = categories(item.adjudication)["noncovered"]
    assert noncovered.amount.value == claim.lines[0].charge and noncovered.reason.coding[0].code == "58"
    notes = {n.number: n.text for n in eob.processNote}
    assert any("NOT_HOME" in notes[n] for n in item.noteNumber)
    response = decision_to_claim_response(claim, decision)
    assert any(a.get("reason", {}).get("coding", [{}])[0].get("code") == "58"
               for a in response["item"][0]["adjudication"])


def test_money_is_written_as_exact_decimals(demo):
    claims, decisions = demo
    text = decisions_to_fhir(claims, decisions)
    paid = decisions[0].lines[0].paid
    assert f'"value": {paid}' in text and "0.30000000000000004" not in text
    assert '"value": 450.00' in text


def test_estimated_rates_are_labelled(demo):
    claims, decisions = demo
    assert decisions[0].rates["status"] == "estimate"
    eob = decision_to_eob(claims[0], decisions[0])
    assert {"url": codes.EXT_RATE_STATUS, "valueCode": "estimate"} in eob["extension"]
    assert "ESTIMATED" in eob["processNote"][0]["text"]


# --------------------------------------------------------------------------------------------------
# The CARIN example is the template


def test_carin_example_parses_and_matches_our_shape():
    eob = ExplanationOfBenefit.model_validate(
        loads((CARIN / "ExplanationOfBenefit_ProfessionalEOBExample1.json").read_text()))
    assert eob.meta.profile[0].split("|")[0] == codes.C4BB_EOB_PROFESSIONAL.split("|")[0]
    assert eob.meta.profile[0] == codes.C4BB_EOB_PROFESSIONAL
    assert (eob.type.coding[0].system, eob.type.coding[0].code) == (codes.CLAIM_TYPE, "professional")
    assert eob.identifier[0].type.coding[0].system == codes.C4BB_IDENTIFIER_TYPE
    assert eob.identifier[0].type.coding[0].code == "uc"
    assert eob.status in codes.CLAIM_STATUS and eob.use in codes.CLAIM_USE
    assert eob.outcome in codes.REMITTANCE_OUTCOME
    assert eob.supportingInfo[0].category.coding[0].code == "clmrecvddate"
    assert eob.supportingInfo[0].category.coding[0].system == codes.C4BB_SUPPORTING_INFO
    for item in eob.item:
        assert item.locationCodeableConcept.coding[0].system == codes.POS
        assert item.productOrService.coding[0].system in codes.PROCEDURE_SYSTEMS
        systems = {a.category.coding[0].code: a.category.coding[0].system for a in item.adjudication}
        for code in ("submitted", "eligible", "deductible", "benefit"):
            assert systems[code] == codes.ADJUDICATION
        assert systems["noncovered"] == codes.C4BB_ADJUDICATION
        assert systems["innetwork"] == codes.C4BB_PAYER_STATUS  # status code as category, as we write "other"
        assert type(item.adjudication[0].amount.value) is Decimal
    totals = {t.category.coding[0].code: t.category.coding[0].system for t in eob.total}
    assert totals["memberliability"] == codes.C4BB_ADJUDICATION
    for name, kind in (("Coverage_CoverageEx1", "Coverage"), ("Patient_ExamplePatient1", "Patient"),
                       ("Organization_ProviderOrganization1", "Organization"),
                       ("Organization_PayerOrganizationExample1", "Organization")):
        from fhir.resources.R4B import get_fhir_model_class
        get_fhir_model_class(kind).model_validate(loads((CARIN / f"{name}.json").read_text()))
    provider = loads((CARIN / "Organization_ProviderOrganization1.json").read_text())
    assert provider["identifier"][0]["system"] == codes.NPI


def test_our_eob_uses_the_example_categories(demo):
    """Every adjudication category we write is one the example uses, or a documented addition."""
    example = loads((CARIN / "ExplanationOfBenefit_ProfessionalEOBExample1.json").read_text())
    known = {(c["system"], c["code"]) for item in example["item"] for a in item["adjudication"]
             for c in a["category"]["coding"]}
    known |= {(c["system"], c["code"]) for t in example["total"] for c in t["category"]["coding"]}
    documented = {(codes.C4BB_ADJUDICATION, "coinsurance"), (codes.HIT_ADJUDICATION, "sequestration"),
                  (codes.HIT_ADJUDICATION, "remark"), (codes.C4BB_DISCRIMINATOR, "denialreason"),
                  (codes.C4BB_PAYER_STATUS, "other")}
    claims, decisions = demo
    for claim, decision in zip(claims, decisions):
        eob = decision_to_eob(claim, decision)
        used = {(c["system"], c["code"]) for item in eob["item"] for a in item["adjudication"]
                for c in a["category"]["coding"]}
        assert used <= known | documented, used - known - documented
