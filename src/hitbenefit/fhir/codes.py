"""The URLs, code systems and value sets the FHIR mapping uses (docs/fhir.md lists them all).

The project's own extensions live under one stable base, ``EXT``; the name after it is the contract
field in kebab case. Changing any URL here breaks every FHIR document already written: add, never
rename.
"""

from __future__ import annotations

BASE = "https://hitbenefit.example/fhir"
EXT = f"{BASE}/StructureDefinition/"
"""Base of the project's extension URLs: ``EXT + "service-locality"`` and so on."""

# Claim.extension
EXT_PAYER = EXT + "payer"                                  # valueCode medicare-ffs | medicare-advantage
EXT_SERVICE_LOCALITY = EXT + "service-locality"            # valueString MAC-locality, e.g. 01112-54
EXT_DEDUCTIBLE_REMAINING = EXT + "deductible-remaining"    # valueMoney (USD)
EXT_PLAN_OF_CARE = EXT + "plan-of-care"                    # complex, sub-extensions PLAN_FIELDS
# Patient.extension
EXT_PART_B = EXT + "part-b-entitlement"                    # valuePeriod, repeats
EXT_MEDICARE_ADVANTAGE = EXT + "medicare-advantage-enrollment"  # valuePeriod, repeats
EXT_INSTITUTIONAL_STAY = EXT + "institutional-stay"        # complex: period (valuePeriod), kind (valueCode)
# provider Organization / Practitioner .extension
EXT_SPECIALTY = EXT + "supplier-specialty"                 # valueCode, Medicare enrollment specialty (D6)
EXT_ACCREDITATION_EXPIRES = EXT + "accreditation-expires"  # valueDate
EXT_LICENSED_STATE = EXT + "licensed-state"                # valueCode (USPS state), repeats
# Claim.item.extension
EXT_VISIT = EXT + "visit"                                  # complex: in-person, drug-administered, minutes, hh-minutes
# written on ClaimResponse / ExplanationOfBenefit
EXT_DECISION_STATUS = EXT + "decision-status"              # valueCode paid | partial | denied | rejected
EXT_LINE_STATUS = EXT + "line-status"                      # valueCode paid | denied | rejected | informational
EXT_REASON_KEY = EXT + "reason-key"                        # valueCode, CONTRACT §3 key, on an adjudication
EXT_ADJUSTMENT_GROUP = EXT + "adjustment-group"            # valueCode, X12 group CO | PR | OA | PI
EXT_RATE_STATUS = EXT + "rate-status"                      # valueCode official | estimate
EXT_RATE_SOURCE = EXT + "rate-source"                      # valueString

# (contract field of plan_of_care, sub-extension url, FHIR value type)
PLAN_FIELDS = (
    ("established_by.npi", "established-by-npi", "valueString"),
    ("established_by.role", "established-by-role", "valueCode"),
    ("care_provider_role", "care-provider-role", "valueCode"),
    ("therapy_type", "therapy-type", "valueString"),
    ("medication", "medication", "valueString"),
    ("dosage", "dosage", "valueString"),
    ("frequency", "frequency", "valueString"),
    ("duration", "duration", "valueString"),
    ("professional_services", "professional-service", "valueString"),  # repeats
    ("visit_frequency", "visit-frequency", "valueString"),
    ("discipline", "discipline", "valueString"),
    ("signed_date", "signed-date", "valueDate"),
    ("last_changed", "last-changed", "valueDate"),
    ("last_reviewed", "last-reviewed", "valueDate"),
)
VISIT_FIELDS = (
    ("in_person", "in-person", "valueBoolean"),
    ("drug_administered", "drug-administered", "valueBoolean"),
    ("minutes", "minutes", "valueInteger"),
    ("hh_minutes", "hh-minutes", "valueInteger"),
)

# Identifier systems
NPI = "http://hl7.org/fhir/sid/us-npi"
MBI = "http://hl7.org/fhir/sid/us-mbi"
CLAIM_ID = f"{BASE}/sid/claim-id"

# Code systems
CLAIM_TYPE = "http://terminology.hl7.org/CodeSystem/claim-type"
HCPCS = "https://bluebutton.cms.gov/resources/codesystem/hcpcs"
CPT = "http://www.ama-assn.org/go/cpt"
HCPCS_THO = "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
PROCEDURE_SYSTEMS = (HCPCS, CPT, HCPCS_THO)
POS = "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set"
POS_BFD = "https://bluebutton.cms.gov/resources/variables/line_place_of_srvc_cd"
POS_SYSTEMS = (POS, POS_BFD)
PROCESS_PRIORITY = "http://terminology.hl7.org/CodeSystem/processpriority"
ADJUDICATION = "http://terminology.hl7.org/CodeSystem/adjudication"
C4BB_ADJUDICATION = "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBAdjudication"
C4BB_DISCRIMINATOR = "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBAdjudicationDiscriminator"
C4BB_PAYER_STATUS = "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBPayerAdjudicationStatus"
C4BB_IDENTIFIER_TYPE = "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBIdentifierType"
C4BB_SUPPORTING_INFO = "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBSupportingInfoType"
HIT_ADJUDICATION = f"{BASE}/CodeSystem/adjudication"       # sequestration, remark
CARC = "https://x12.org/codes/claim-adjustment-reason-codes"
RARC = "https://x12.org/codes/remittance-advice-remark-codes"
PAYEE_TYPE = "http://terminology.hl7.org/CodeSystem/payeetype"
PAYMENT_TYPE = "http://terminology.hl7.org/CodeSystem/ex-paymenttype"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
ORGANIZATION_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"

C4BB_EOB_PROFESSIONAL = ("http://hl7.org/fhir/us/carin-bb/StructureDefinition/"
                         "C4BB-ExplanationOfBenefit-Professional-NonClinician|1.2.0")

# R4 required value sets that fhir.resources does not check (STACK.md)
CLAIM_STATUS = ("active", "cancelled", "draft", "entered-in-error")       # FinancialResourceStatusCodes
CLAIM_USE = ("claim", "preauthorization", "predetermination")             # Use
REMITTANCE_OUTCOME = ("queued", "complete", "error", "partial")           # RemittanceOutcome
BUNDLE_TYPE = ("document", "message", "transaction", "transaction-response", "batch", "batch-response",
               "history", "searchset", "collection")
NOTE_TYPE = ("display", "print", "printoper")
