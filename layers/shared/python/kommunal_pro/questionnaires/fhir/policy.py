"""Extension urls, and the tables behind the package docstring's: what import maps, refuses or ignores with a note."""

from __future__ import annotations

from kommunal_pro.questionnaires.model import ItemType

HL7 = "http://hl7.org/fhir/StructureDefinition/"
SDC = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-"
DEFAULT_BASE_URL = "https://kommunal-pro.dk/fhir"
SCORING_EXTENSION = f"{DEFAULT_BASE_URL}/StructureDefinition/scoring"
TRANSLATION = HL7 + "translation"
ITEM_CONTROL = HL7 + "questionnaire-itemControl"
VARIABLE = HL7 + "variable"
MIN_VALUE = HL7 + "minValue"
MAX_VALUE = HL7 + "maxValue"
MAX_DECIMAL_PLACES = HL7 + "maxDecimalPlaces"
UNIT = HL7 + "questionnaire-unit"
ORDINAL_VALUE = HL7 + "ordinalValue"
SCORE_EXTENSIONS = (ORDINAL_VALUE, HL7 + "itemWeight", HL7 + "iso21090-CO-value")
MIN_OCCURS = HL7 + "questionnaire-minOccurs"
HIDDEN = HL7 + "questionnaire-hidden"
ITEM_CONTROL_SYSTEM = "http://hl7.org/fhir/questionnaire-item-control"

MAPPED_EXTENSIONS = {TRANSLATION, MIN_VALUE, MAX_VALUE, MAX_DECIMAL_PLACES, UNIT, SCORING_EXTENSION, *SCORE_EXTENSIONS}
# Each with what it does that the model cannot do.
REFUSED_EXTENSIONS = {
    SDC + "calculatedExpression": "calculates the answer from other answers (define a total as a scale instead)",
    SDC + "enableWhenExpression": "shows the item by an expression rather than by enableWhen conditions",
    SDC + "initialExpression": "pre-fills the answer",
    HIDDEN: "hides the item from the citizen",
    MIN_OCCURS: "requires several answers",
    HL7 + "questionnaire-maxOccurs": "limits the number of answers",
    HL7 + "questionnaire-optionExclusive": "makes an answer option exclude all others",
    HL7 + "minLength": "requires a minimum answer length",
    HL7 + "regex": "restricts answers with a regular expression",
    HL7 + "questionnaire-constraint": "restricts answers with an expression",
    SDC + "subQuestionnaire": "embeds another questionnaire",
}
# Each with why ignoring it changes nothing the citizen answers or the scores.
HARMLESS_EXTENSIONS = {
    VARIABLE: "a variable only names a value for FHIRPath expressions, and expressions are not imported",
    ITEM_CONTROL: "a rendering hint; the app chooses its own controls",
    HL7 + "rendering-style": "CSS styling of a text",
    HL7 + "rendering-xhtml": "an XHTML rendering of a text; the plain text is imported",
    HL7 + "rendering-styleSensitive": "a styling hint",
    HL7 + "questionnaire-optionPrefix": "a label shown before an answer option; the model has no option prefixes",
    HL7 + "questionnaire-displayCategory": "a styling category of a display text",
    HL7 + "entryFormat": "a placeholder hint for the answer field",
    SDC + "observationLinkPeriod": "pre-population from earlier observations is not used",
    SDC + "observationExtract": "extraction of answers to observations is not used",
}
UNSUPPORTED_TYPES = {
    "open-choice": "lets the citizen type an answer outside the option list",
    "quantity": "a number with a unit the citizen picks",
    "attachment": "a file upload",
    "reference": "a reference to another FHIR resource",
    "url": "a web address",
}
# The answer[x] of an enableWhen on each type of question; import also takes an integer for a decimal.
ANSWER_BY_TYPE = {
    ItemType.BOOLEAN: "answerBoolean",
    ItemType.DECIMAL: "answerDecimal",
    ItemType.INTEGER: "answerInteger",
    ItemType.DATE: "answerDate",
    ItemType.DATETIME: "answerDateTime",
    ItemType.TIME: "answerTime",
    ItemType.STRING: "answerString",
    ItemType.TEXT: "answerString",
    ItemType.CHOICE: "answerCoding",
}
ACCEPTED_ANSWERS = {kind.value: {key} for kind, key in ANSWER_BY_TYPE.items()} | {
    "decimal": {"answerDecimal", "answerInteger"}
}
# Root elements import leaves out: Kommunal PRO keeps its own identity and lifecycle.
NOT_IMPORTED = [
    "id",
    "meta",
    "text",
    "identifier",
    "version",
    "status",
    "experimental",
    "subjectType",
    "date",
    "publisher",
    "contact",
    "useContext",
    "jurisdiction",
    "purpose",
    "approvalDate",
    "lastReviewDate",
    "effectivePeriod",
]
