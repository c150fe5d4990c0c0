"""FHIR R4 `Questionnaire` import into the native definition (model.py), and export back out.

Import never guesses. Every element of the resource is either mapped, ignored with a note in the import
report (because it does not change what the citizen sees or how answers score), or refused with a 422
that lists every problem at once, each with its location (`item <linkId>`, `contained <id>` or
`Questionnaire`) and an English message naming the element.

| FHIR                                                | import                                                   |
|-----------------------------------------------------|----------------------------------------------------------|
| strict validation with `fhir.resources.R4B` fails   | refused, except inside a `variable` extension (a name    |
|                                                     | like `q1_value` breaks the id pattern): warned; the rest |
|                                                     | is still checked, so every problem is reported at once   |
| title (else name), description, url, name, code     | mapped; no title and no name: refused                    |
| texts of title, description, items, options         | `text` → Text.da; a `translation` extension (`_text` …)  |
|                                                     | → Text.en/da; other languages ignored                    |
| `language` not Danish                               | warned: the texts become the Danish texts (Text.da is    |
|                                                     | required) and, if English, also Text.en                  |
| linkId, prefix, code, required, repeats, readOnly,  | mapped                                                   |
|   maxLength, enableBehavior, nested items           |                                                          |
| types group, display, boolean, decimal, integer,    | mapped                                                   |
|   date, dateTime, time, string, text, choice        |                                                          |
| a question of another type with answerOption        | info: a choice whose option codes are the values         |
| types open-choice, quantity, attachment, reference, | refused                                                  |
|   url                                               |                                                          |
| question or display item without text               | refused (the citizen would see nothing, or a linkId)     |
| enableWhen: 7 operators, answer boolean, decimal,   | mapped; answerCoding → its code, answers to choice       |
|   integer, date, dateTime, time, string, Coding     |   questions → the option code                            |
| enableWhen answer[x] that does not fit its question | refused (the condition cannot be evaluated as written)   |
| enableWhen answerQuantity, answerReference          | refused                                                  |
| answerOption valueCoding, valueString, valueInteger,| mapped: code, system, display (else the code)            |
|   valueDate, valueTime                              |                                                          |
| answerOption valueReference, initialSelected,       | refused (the model has no pre-filled answers)            |
|   item.initial                                      |                                                          |
| answerValueSet `#id` → contained ValueSet           | mapped from expansion.contains or compose.include.concept|
|                                                     |   (filters, included value sets, excludes: refused)      |
| answerValueSet to anything else                     | refused (its options cannot be known here)               |
| ordinalValue, itemWeight, iso21090-CO-value         | mapped to the option's score; conflicting values refused |
| minValue, maxValue, maxDecimalPlaces,               | mapped; non-numeric limits (e.g. dates) refused          |
|   questionnaire-unit                                |                                                          |
| itemControl `help` on a display child item          | mapped to the parent's help (the first; others stay)     |
| other itemControl codes, rendering-style/-xhtml/    | warned and ignored: presentation, or data extraction     |
|   -styleSensitive, optionPrefix, displayCategory,   |   we do not do                                           |
|   entryFormat, observationLinkPeriod/-Extract,      |                                                          |
|   variable                                          |                                                          |
| any other extension                                 | warned and ignored (FHIR lets readers ignore extensions  |
|                                                     |   that are not modifiers)                                |
| an extension with an expression (calculated-,       | refused: they change what the citizen sees, what is      |
|   enableWhen-, initialExpression, cqf-expression …),|   accepted, or how answers score                         |
|   questionnaire-hidden, minOccurs > 1, maxOccurs,   |                                                          |
|   optionExclusive, minLength, regex, constraint,    |                                                          |
|   subQuestionnaire; modifierExtension, implicitRules|                                                          |
| minOccurs ≤ 1, questionnaire-hidden false           | info: no effect                                          |
| id, meta, narrative, version, status, publisher,    | info: not imported (Kommunal PRO has its own identity    |
|   dates, contact, jurisdiction, derivedFrom …;      |   and lifecycle; definition only serves extraction)      |
|   item.definition                                   |                                                          |
| copyright                                           | warned: add it to the description if it must be shown   |
| contained resources no item uses                    | info: ignored                                            |
| our scoring extension (see below)                   | mapped                                                   |

Export writes every field of the model: options as answerOption valueCoding with an `ordinalValue`
extension for the score, English texts as `translation` extensions, help as a display child item
`<linkId>-help` with itemControl `help`, and the scales, flag rules, feedback texts and
`citizenSeesScores` — which have no FHIR equivalent — as one root extension `SCORING_EXTENSION` whose
valueString is their native JSON.
The exported `url` is ours (`{base_url}/Questionnaire/{id}`, with our `version`); the url a definition
was imported with goes to `derivedFrom`, and importing one of our exports reads it back from there.
`import_questionnaire(export_questionnaire(d)) == d` for every definition import produces.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any, Literal, NoReturn

from pydantic import ValidationError

from kommunal_pro.errors import InvalidInput
from kommunal_pro.models import ApiModel
from kommunal_pro.questionnaires.model import (
    QUESTION_TYPES,
    AnswerOption,
    Coding,
    EnableWhen,
    Item,
    ItemType,
    Operator,
    QuestionnaireDefinition,
    Text,
)

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

_MAPPED = {TRANSLATION, MIN_VALUE, MAX_VALUE, MAX_DECIMAL_PLACES, UNIT, SCORING_EXTENSION, *SCORE_EXTENSIONS}
_REFUSED = {
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
_HARMLESS = {
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
_UNSUPPORTED_TYPES = {
    "open-choice": "lets the citizen type an answer outside the option list",
    "quantity": "a number with a unit the citizen picks",
    "attachment": "a file upload",
    "reference": "a reference to another FHIR resource",
    "url": "a web address",
}
# The answer[x] of an enableWhen on each type of question; import also takes an integer for a decimal.
_ANSWER_BY_TYPE = {
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
_ANSWERS = {kind.value: {key} for kind, key in _ANSWER_BY_TYPE.items()} | {
    "decimal": {"answerDecimal", "answerInteger"}
}
_NOT_IMPORTED = [
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
_SCORING_FIELDS = {"scales", "flagRules", "feedback", "citizenSeesScores"}
_STATUSES = {"draft", "active", "retired"}
_TYPES = {kind.value for kind in ItemType}


class ImportNote(ApiModel):
    """Something the import did not take over, or changed, that the author should know about."""

    severity: Literal["warning", "info"]
    location: str
    message: str


class ImportResult(ApiModel):
    definition: QuestionnaireDefinition
    report: list[ImportNote]


def import_questionnaire(resource: dict, *, base_url: str = DEFAULT_BASE_URL) -> ImportResult:
    """Map a FHIR R4 Questionnaire (parsed JSON) to a native definition, or raise InvalidInput with every problem.

    `base_url` is the one export used: a resource under it is one of ours, whose own url is not provenance.
    """
    if not isinstance(resource, dict):
        message = f"expected a JSON object, got {type(resource).__name__}"
        _refuse([_problem("Questionnaire", message, "not-questionnaire")])
    if resource.get("resourceType") != "Questionnaire":
        message = f"resourceType is {resource.get('resourceType')!r}, not 'Questionnaire'"
        _refuse([_problem("Questionnaire", message, "not-questionnaire")])
    notes: list[ImportNote] = []
    problems: list[dict[str, str]] = []
    if not resource.get("item"):
        problems.append(_problem("Questionnaire", "has no items", "unsupported"))
    normalised = _strictly_validated(resource, notes, problems)
    if normalised is None:
        _refuse(problems)
    native = _Importer(normalised, notes, problems, f"{base_url}/Questionnaire/").definition()
    try:
        definition = QuestionnaireDefinition.model_validate(native)
    except ValidationError as error:
        # Where the importer already refused something, the model's complaints there are its consequences.
        refused = {problem["location"] for problem in problems}
        for detail in error.errors():
            where, path = _locate(native, detail["loc"], "items")
            if where not in refused:
                problems.append(_problem(where, f"{path}: {detail['msg']}" if path else detail["msg"], "definition"))
        _refuse(problems)
    if problems:
        _refuse(problems)
    return ImportResult(definition=definition, report=notes)


def questionnaire_url(questionnaire_id: str, *, base_url: str = DEFAULT_BASE_URL) -> str:
    """The canonical url export gives a questionnaire; with `|<version>` it names one exported version."""
    return f"{base_url}/Questionnaire/{questionnaire_id}"


def export_questionnaire(
    definition: QuestionnaireDefinition,
    *,
    questionnaire_id: str,
    version: int,
    status: str,
    publisher: str | None = None,
    base_url: str = DEFAULT_BASE_URL,
) -> dict:
    """The definition as FHIR R4 Questionnaire JSON.

    Its canonical url is ours; the url an imported definition came with is where it is derived from.
    """
    if status not in _STATUSES:
        raise ValueError(f"status must be one of {sorted(_STATUSES)}, not {status!r}")
    by_id = definition.items_by_link_id()
    scoring = definition.model_dump(
        mode="json",
        by_alias=True,
        exclude_defaults=True,
        include={"scales", "flag_rules", "feedback", "citizen_sees_scores"},
    )
    return _compact(
        {
            "resourceType": "Questionnaire",
            "id": questionnaire_id,
            "language": "da",
            "extension": [{"url": SCORING_EXTENSION, "valueString": json.dumps(scoring, ensure_ascii=False)}]
            if scoring
            else [],
            "url": questionnaire_url(questionnaire_id, base_url=base_url),
            "version": str(version),
            "name": definition.name,
            **_text_json("title", definition.title),
            "status": status,
            "publisher": publisher,
            **_text_json("description", definition.description),
            "derivedFrom": [definition.url] if definition.url else [],
            "code": [_coding_json(code) for code in definition.codes],
            "item": [_export_item(item, by_id) for item in definition.items],
        }
    )


# --- import ---------------------------------------------------------------------------------------------


def _strictly_validated(resource: dict, notes: list[ImportNote], problems: list[dict[str, str]]) -> dict | None:
    """The resource as `fhir.resources` reads it, after strict R4 validation.

    A failing resource has the list entries that fail removed and is validated again, so the importer can
    still look through the rest and report all problems at once. Returns None when nothing can be read.
    """
    normalised, errors = _validate(resource)
    if not errors:
        return normalised
    entries = set()
    for error in errors:
        entry = _entry(error["loc"])
        entries.add(entry)
        where, path = _locate(resource, error["loc"])
        extension = _at(resource, entry) if entry and entry[-2:-1] == ("extension",) else None
        if isinstance(extension, dict) and extension.get("url") == VARIABLE:
            message = f"variable ignored: {path}: {error['msg']} (got {error['input']!r}); {_HARMLESS[VARIABLE]}"
            notes.append(_note(where, message))
        else:
            problems.append(_validation_problem(resource, error, where, path))
    if None in entries:
        return None
    pruned = copy.deepcopy(resource)
    located = [entry for entry in entries if entry is not None]
    for entry in sorted(located, key=lambda loc: [(isinstance(part, str), part) for part in loc], reverse=True):
        _delete(pruned, entry)
    normalised, errors = _validate(pruned)
    problems.extend(_validation_problem(pruned, error, *_locate(pruned, error["loc"])) for error in errors)
    return normalised


def _validate(resource: dict) -> tuple[dict | None, list[dict[str, Any]]]:
    # Imported here, not at the top: fhir.resources is heavy, and only importing needs it, not every
    # function that reaches this module (e.g. for export) on its cold start.
    from fhir.resources.R4B.questionnaire import Questionnaire

    try:
        normalised = Questionnaire.model_validate(resource).model_dump(mode="json")
    except ValidationError as error:
        return None, [dict(detail) for detail in error.errors()]
    except Exception as error:  # fhir.resources raises e.g. KeyError for an unknown contained resourceType
        return None, [{"loc": (), "msg": f"cannot be read as FHIR R4 ({type(error).__name__}: {error})", "input": None}]
    errors = list(_absent_values(normalised.get("item", []), ("item",)))
    return (None, errors) if errors else (normalised, [])


def _absent_values(items: list[dict], loc: tuple) -> Iterator[dict[str, Any]]:
    """FHIR lets a required primitive carry only extensions (`"_linkId": {...}`); the importer needs values."""
    for index, item in enumerate(items):
        here = (*loc, index)
        for key in ("linkId", "type"):
            if key not in item:
                yield {"loc": (*here, key), "msg": "a value is required", "input": None}
        for number, condition in enumerate(item.get("enableWhen", [])):
            for key in ("question", "operator"):
                if key not in condition:
                    yield {"loc": (*here, "enableWhen", number, key), "msg": "a value is required", "input": None}
        yield from _absent_values(item.get("item", []), (*here, "item"))


def _validation_problem(resource: dict, error: dict[str, Any], where: str, path: str) -> dict[str, str]:
    message = f"{path}: {error['msg']}" if path else error["msg"]
    if isinstance(error.get("input"), str | int | float | bool):
        message += f" (got {error['input']!r})"
    loc = error["loc"]
    if len(loc) >= 3 and loc[-3] == "enableWhen" and str(loc[-1]).startswith("answer"):
        question = (_at(resource, loc[:-1]) or {}).get("question")
        target = next((item for item in _descendants(resource.get("item")) if item.get("linkId") == question), None)
        if target is not None:
            message += f"; the condition's question '{question}' is a {target.get('type')} item"
    return _problem(where, message, "fhir-validation")


class _Importer:
    """Walks a strictly validated resource, building the native definition's JSON and the report."""

    def __init__(self, resource: dict, notes: list[ImportNote], problems: list[dict[str, str]], own: str) -> None:
        self.resource = resource
        self.own = own
        self.notes = notes
        self.problems = problems
        self.language = _language(resource.get("language"))
        self.fhir_items = {item["linkId"]: item for item in _descendants(resource.get("item"))}
        self.value_sets = {
            f"#{r['id']}": r for r in resource.get("contained", []) if r.get("resourceType") == "ValueSet" and "id" in r
        }
        self.used_value_sets: set[str] = set()

    def refuse(self, where: str, message: str) -> None:
        self.problems.append(_problem(where, message, "unsupported"))

    def note(self, where: str, message: str, severity: Literal["warning", "info"] = "warning") -> None:
        note = _note(where, message, severity)
        if note not in self.notes:  # e.g. the same optionPrefix extension on every option of an item
            self.notes.append(note)

    def definition(self) -> dict:
        resource = self.resource
        self._scan_extensions(resource, "Questionnaire")
        self._root_notes()
        title = self._text(resource, "title") or self._text(resource, "name")
        if title is None:
            self.refuse("Questionnaire", "has neither a title nor a name; a questionnaire needs a title")
        native = {
            "title": title,
            "description": self._text(resource, "description"),
            "url": self._url(),
            "name": resource.get("name"),
            "codes": self._codes(resource, "Questionnaire"),
            "items": self._items(resource.get("item", [])),
            **self._scoring(),
        }
        for contained in resource.get("contained", []):
            if f"#{contained.get('id')}" not in self.used_value_sets:
                what = f"contained {contained.get('resourceType')} '{contained.get('id')}'"
                self.note("Questionnaire", f"{what} is not used by any item; ignored", "info")
        return native

    def _url(self) -> str | None:
        """The canonical url as provenance: a resource of ours carries it in derivedFrom, its url is ours."""
        url, derived = self.resource.get("url"), self.resource.get("derivedFrom", [])
        if url and url.startswith(self.own):
            return derived[0] if derived else None
        if derived:
            self.note("Questionnaire", f"derivedFrom {derived} not imported", "info")
        return url

    def _root_notes(self) -> None:
        resource = self.resource
        if self.language not in (None, "da"):
            self.note(
                "Questionnaire",
                f"language is {resource['language']!r}: its texts are imported as the Danish texts too "
                "(a Danish text is required); translate them before publishing",
            )
        if "implicitRules" in resource:
            self.refuse("Questionnaire", f"implicitRules {resource['implicitRules']!r} may change what it means")
        ignored = [key for key in _NOT_IMPORTED if key in resource]
        if ignored:
            message = f"not imported, as Kommunal PRO keeps its own identity and lifecycle: {', '.join(ignored)}"
            self.note("Questionnaire", message, "info")
        if "copyright" in resource:
            self.note("Questionnaire", "copyright not imported; if it must be shown, add it to the description")

    def _scoring(self) -> dict:
        """The scales, flag rules and feedback an export of ours carries (validated with the definition)."""
        for extension in self.resource.get("extension", []):
            if extension["url"] == SCORING_EXTENSION:
                try:
                    scoring = json.loads(extension.get("valueString", ""))
                except ValueError as error:
                    self.refuse("Questionnaire", f"extension {SCORING_EXTENSION}: valueString is not JSON ({error})")
                    return {}
                if not isinstance(scoring, dict) or not set(scoring) <= _SCORING_FIELDS:
                    self.refuse(
                        "Questionnaire",
                        f"extension {SCORING_EXTENSION}: expected an object with {sorted(_SCORING_FIELDS)}",
                    )
                    return {}
                return scoring
        return {}

    def _items(self, items: list[dict]) -> list[dict]:
        return [native for item in items if (native := self._item(item)) is not None]

    def _item(self, item: dict) -> dict | None:
        where = f"item {item['linkId']}"
        children = item.get("item", [])
        help_item = next((c for c in children if c["type"] == "display" and _item_control(c) == "help"), None)
        kind = self._type(item, where)
        text = self._text(item, "text")
        if kind not in (None, ItemType.GROUP) and text is None:
            self.refuse(where, f"a {item['type']} item without text; the citizen would see nothing (or its linkId)")
        if "initial" in item:
            self.refuse(where, "initial pre-fills the answer; initial answers are not supported")
        if "definition" in item:
            self.note(where, f"definition {item['definition']!r} not imported (used for data extraction only)", "info")
        native = {
            "linkId": item["linkId"],
            "type": kind,
            "text": text,
            "help": help_item and self._text(help_item, "text"),
            "prefix": item.get("prefix"),
            "codes": self._codes(item, where),
            "required": item.get("required", False),
            "repeats": item.get("repeats", False),
            "readOnly": item.get("readOnly", False),
            "maxLength": item.get("maxLength"),
            "minValue": self._number([item], [MIN_VALUE], where, "minValue"),
            "maxValue": self._number([item], [MAX_VALUE], where, "maxValue"),
            "maxDecimalPlaces": self._number([item], [MAX_DECIMAL_PLACES], where, "maxDecimalPlaces"),
            "unit": _unit(item),
            "options": self._options(item, where),
            "enableWhen": self._conditions(item, where),
            "enableBehavior": item.get("enableBehavior"),
            "items": self._items([child for child in children if child is not help_item]),
        }
        return None if kind is None else native

    def _type(self, item: dict, where: str) -> ItemType | None:
        kind = _native_type(item)
        if kind is None:
            why = _UNSUPPORTED_TYPES.get(item["type"], "not an R4 item type")
            self.refuse(where, f"type '{item['type']}' ({why}) is not supported; supported: {', '.join(ItemType)}")
        elif kind.value != item["type"]:
            self.note(
                where,
                f"a {item['type']} item whose answers are limited to a list: imported as a choice item "
                "whose option codes are those values",
                "info",
            )
        return kind

    def _text(self, element: dict, key: str) -> dict | None:
        """A text and its translations: the primary text is in the resource's language (Danish if unsaid)."""
        value = element.get(key)
        if value is None:
            return None
        texts = {self.language: value} if self.language else {}
        for extension in element.get(f"_{key}", {}).get("extension", []):
            if extension["url"] == TRANSLATION:
                parts = {part["url"]: part for part in extension.get("extension", [])}
                language = _language(parts.get("lang", {}).get("valueCode"))
                content = parts.get("content", {}).get("valueString")
                if language and content:
                    texts.setdefault(language, content)
        return {"da": texts.get("da", value), "en": texts.get("en")}

    def _codes(self, element: dict, where: str) -> list[dict]:
        codes = []
        for coding in element.get("code", []):
            if "code" in coding:
                codes.append(_compact({k: coding.get(k) for k in ("system", "code", "display")}))
            else:
                self.note(where, f"code {coding!r} has no code value; ignored")
        return codes

    def _number(self, holders: list[dict], urls: list[str] | tuple[str, ...], where: str, label: str) -> float | None:
        """The numeric value of the given extensions on any of the holders; several different values refuse."""
        values = set()
        for extension in (e for holder in holders for e in holder.get("extension", []) if e["url"] in urls):
            value = extension.get("valueDecimal", extension.get("valueInteger"))
            if value is None:
                key = next((key for key in extension if key.startswith("value")), "value")
                self.refuse(where, f"{label} {key} {extension.get(key)!r} is not a number; only numbers are supported")
            else:
                values.add(value)
        if len(values) > 1:
            self.refuse(where, f"{label} has conflicting values {sorted(values)}")
        return values.pop() if len(values) == 1 else None

    def _options(self, item: dict, where: str) -> list[dict]:
        if "answerValueSet" in item:
            if "answerOption" in item:
                self.refuse(where, "has both answerOption and answerValueSet")
            return self._value_set(item["answerValueSet"], where)
        options = (
            self._option(option, f"answerOption[{i}]", where) for i, option in enumerate(item.get("answerOption", []))
        )
        return [option for option in options if option is not None]

    def _option(self, option: dict, label: str, where: str) -> dict | None:
        if option.get("initialSelected"):
            self.refuse(where, f"{label}.initialSelected pre-selects the option; initial answers are not supported")
        key = next(key for key in option if key.startswith("value"))
        value = option[key]
        if key == "valueCoding":
            return self._coded_option(value, [option, value], label, where)
        if key == "valueReference":
            self.refuse(where, f"{label}.valueReference: answers that are references are not supported")
            return None
        score = self._number([option], SCORE_EXTENSIONS, where, f"{label} score")
        return {"code": str(value), "display": {"da": str(value)}, "score": score}

    def _coded_option(self, coding: dict, holders: list[dict], label: str, where: str) -> dict | None:
        if not coding.get("code"):
            self.refuse(where, f"{label} has no code")
            return None
        return {
            "code": coding["code"],
            "system": coding.get("system"),
            "display": self._text(coding, "display") or {"da": coding["code"]},
            "score": self._number(holders, SCORE_EXTENSIONS, where, f"{label} score"),
        }

    def _value_set(self, reference: str, where: str) -> list[dict]:
        value_set = self.value_sets.get(reference)
        if value_set is None:
            self.refuse(
                where,
                f"answerValueSet {reference!r} is not a ValueSet contained in the questionnaire; "
                "other value sets are not expanded, so the answer options are unknown",
            )
            return []
        self.used_value_sets.add(reference)
        if "expansion" in value_set:
            concepts = list(_expansion(value_set["expansion"].get("contains", [])))
        else:
            concepts = self._composed(value_set, reference, where)
        if not concepts:
            self.refuse(where, f"ValueSet {reference!r} lists no codes")
        options = (
            self._coded_option(c, [c], f"ValueSet {reference!r} code {i}", where) for i, c in enumerate(concepts)
        )
        return [option for option in options if option is not None]

    def _composed(self, value_set: dict, reference: str, where: str) -> list[dict]:
        compose = value_set.get("compose", {})
        if "exclude" in compose:
            self.refuse(where, f"ValueSet {reference!r} excludes codes; only listed codes can be imported")
        concepts = []
        for include in compose.get("include", []):
            if "filter" in include or "valueSet" in include or "concept" not in include:
                what = "by filter, value set or whole code system"
                self.refuse(where, f"ValueSet {reference!r} includes codes {what}; only listed codes can be imported")
            concepts += [{**concept, "system": include.get("system")} for concept in include.get("concept", [])]
        return concepts

    def _conditions(self, item: dict, where: str) -> list[dict]:
        conditions = (self._condition(c, f"enableWhen[{i}]", where) for i, c in enumerate(item.get("enableWhen", [])))
        return [condition for condition in conditions if condition is not None]

    def _condition(self, condition: dict, label: str, where: str) -> dict | None:
        key = next(key for key in condition if key.startswith("answer"))
        value, operator, question = condition[key], condition["operator"], condition["question"]
        target = self.fhir_items.get(question)
        expected = {"answerBoolean"} if operator == "exists" else _expected_answers(target)
        if expected is not None and key not in expected:
            kind = (target or {}).get("type")
            subject = "operator 'exists'" if operator == "exists" else f"the {kind} question '{question}'"
            self.refuse(where, f"{label}.{key} does not fit {subject}, which takes {' or '.join(sorted(expected))}")
            return None
        if key in ("answerQuantity", "answerReference"):
            self.refuse(where, f"{label}.{key} is not supported")
            return None
        if key == "answerCoding":
            if not value.get("code"):
                self.refuse(where, f"{label}.answerCoding has no code")
                return None
            value = value["code"]
        elif operator != "exists" and target is not None and _native_type(target) is ItemType.CHOICE:
            value = str(value)
        return {"question": question, "operator": operator, "answer": value}

    def _scan_extensions(self, node: Any, where: str) -> None:
        """Look at every extension in the resource, so that none is dropped without a word."""
        if isinstance(node, list):
            for entry in node:
                self._scan_extensions(entry, where)
            return
        if not isinstance(node, dict):
            return
        if "linkId" in node:
            where = f"item {node['linkId']}"
        for key, value in node.items():
            if key in ("extension", "modifierExtension"):
                for extension in value:
                    self._extension(extension, node, where, modifier=key == "modifierExtension")
            elif key == "contained":
                for resource in value:
                    self._scan_extensions(resource, f"contained {resource.get('id')}")
            else:
                self._scan_extensions(value, where)

    def _extension(self, extension: dict, owner: dict, where: str, *, modifier: bool) -> None:
        url = extension["url"]
        expression = extension.get("valueExpression", {})
        if modifier:
            self.refuse(where, f"modifierExtension {url} changes the meaning of its element; it is not supported")
        elif url in _MAPPED or (url == ITEM_CONTROL and _item_control(owner) == "help"):
            return
        elif (url == MIN_OCCURS and extension.get("valueInteger", 0) <= 1) or (
            url == HIDDEN and extension.get("valueBoolean") is False
        ):
            self.note(where, f"extension {url} has no effect with this value; ignored", "info")
        elif url in _REFUSED or (expression and url != VARIABLE):
            why = _REFUSED.get(url, "computes something with an expression")
            shown = f" with the expression {expression.get('expression')!r}" if expression else ""
            self.refuse(where, f"extension {url}{shown} cannot be imported: it {why}")
        elif url in _HARMLESS:
            detail = {VARIABLE: expression.get("name"), ITEM_CONTROL: _item_control(owner)}.get(url)
            self.note(where, f"extension {url}{f' ({detail!r})' if detail else ''} ignored: {_HARMLESS[url]}")
        else:
            self.note(where, f"unknown extension {url} ignored; check that the questionnaire means the same without it")


def _native_type(item: dict) -> ItemType | None:
    """The model's type for a FHIR item: a question limited to listed answers becomes a choice."""
    if item["type"] not in _TYPES:
        return None
    kind = ItemType(item["type"])
    if kind in QUESTION_TYPES and ("answerOption" in item or "answerValueSet" in item):
        return ItemType.CHOICE
    return kind


def _expected_answers(target: dict | None) -> set[str] | None:
    """The answer[x] elements a condition on this question may use; None when there is nothing to check."""
    if target is None or target["type"] not in _ANSWERS:
        return None
    listed = {
        "answer" + key[len("value") :]
        for option in target.get("answerOption", [])
        for key in option
        if key.startswith("value")
    }
    return _ANSWERS[target["type"]] | listed


def _item_control(item: dict) -> str | None:
    for extension in item.get("extension", []):
        if extension.get("url") == ITEM_CONTROL:
            return next((c.get("code") for c in extension.get("valueCodeableConcept", {}).get("coding", [])), None)
    return None


def _unit(item: dict) -> str | None:
    for extension in item.get("extension", []):
        if extension["url"] == UNIT:
            coding = extension.get("valueCoding", {})
            return coding.get("display") or coding.get("code")
    return None


def _expansion(contains: list[dict]) -> Iterator[dict]:
    for entry in contains:
        yield entry
        yield from _expansion(entry.get("contains", []))


def _descendants(items: Any) -> Iterator[dict]:
    """Every item dict, depth first; safe on unvalidated JSON."""
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict):
            yield item
            yield from _descendants(item.get("item"))


def _language(code: Any) -> str | None:
    return code.split("-")[0].lower() if isinstance(code, str) else None


# --- locations in JSON ----------------------------------------------------------------------------------


def _at(root: Any, path: tuple | list) -> Any:
    """The JSON element at a pydantic error location, or None."""
    node = root
    for part in path:
        found = (isinstance(node, dict) and isinstance(part, str) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        )
        if not found:
            return None
        node = node[part]
    return node


def _locate(root: Any, loc: tuple, items_key: str = "item") -> tuple[str, str]:
    """Where an error is, for people: the innermost item (or contained resource) and the path inside it."""
    where, rest = "Questionnaire", []
    for depth, part in enumerate(loc):
        rest.append(part)
        node = _at(root, loc[: depth + 1])
        if depth and isinstance(part, int) and isinstance(node, dict):
            if loc[depth - 1] == items_key and isinstance(node.get("linkId"), str):
                where, rest = f"item {node['linkId']}", []
            elif loc[depth - 1] == "contained":
                where, rest = f"contained {node.get('id', part)}", []
    return where, "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in rest).lstrip(".")


def _entry(loc: tuple) -> tuple | None:
    """The innermost list entry an error is in (the part to leave out), or None at the resource's root."""
    indexes = [i for i, part in enumerate(loc) if isinstance(part, int)]
    return tuple(loc[: indexes[-1] + 1]) if indexes else None


def _delete(root: Any, entry: tuple) -> None:
    container = _at(root, entry[:-1])
    if isinstance(container, list) and entry[-1] < len(container):
        del container[entry[-1]]


def _problem(location: str, message: str, kind: str) -> dict[str, str]:
    return {"location": location, "message": message, "type": kind}


def _note(location: str, message: str, severity: Literal["warning", "info"] = "warning") -> ImportNote:
    return ImportNote(severity=severity, location=location, message=message)


def _refuse(problems: list[dict[str, str]]) -> NoReturn:
    count = len(problems)
    raise InvalidInput(
        f"FHIR-spørgeskemaet kan ikke importeres; {count} problem(er) "
        f"(the FHIR Questionnaire cannot be imported: {count} problem{'s' if count != 1 else ''})",
        problems,
    )


# --- export ---------------------------------------------------------------------------------------------


def _export_item(item: Item, by_id: dict[str, Item]) -> dict:
    children = [_export_item(child, by_id) for child in item.items]
    if item.help is not None:
        control = {"coding": [{"system": ITEM_CONTROL_SYSTEM, "code": "help"}]}
        children.append(
            {
                "linkId": f"{item.link_id}-help",
                **_text_json("text", item.help),
                "type": "display",
                "extension": [{"url": ITEM_CONTROL, "valueCodeableConcept": control}],
            }
        )
    return _compact(
        {
            "linkId": item.link_id,
            "prefix": item.prefix,
            **_text_json("text", item.text),
            "type": item.type.value,
            "code": [_coding_json(code) for code in item.codes],
            "required": item.required or None,
            "repeats": item.repeats or None,
            "readOnly": item.read_only or None,
            "maxLength": item.max_length,
            "extension": _item_extensions(item),
            "enableWhen": [_export_condition(condition, by_id) for condition in item.enable_when],
            "enableBehavior": item.enable_behavior,
            "answerOption": [_export_option(option) for option in item.options],
            "item": children,
        }
    )


def _item_extensions(item: Item) -> list[dict]:
    extensions: list[dict[str, Any]] = [
        {"url": url, _number_key(item, value): _fhir_number(value)}
        for url, value in ((MIN_VALUE, item.min_value), (MAX_VALUE, item.max_value))
        if value is not None
    ]
    if item.max_decimal_places is not None:
        extensions.append({"url": MAX_DECIMAL_PLACES, "valueInteger": item.max_decimal_places})
    if item.unit is not None:
        extensions.append({"url": UNIT, "valueCoding": {"display": item.unit}})
    return extensions


def _number_key(item: Item, value: float) -> str:
    return "valueInteger" if item.type is ItemType.INTEGER and float(value).is_integer() else "valueDecimal"


def _fhir_number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _export_condition(condition: EnableWhen, by_id: dict[str, Item]) -> dict:
    target = by_id.get(condition.question)
    answer: Any = condition.answer
    if condition.operator is Operator.EXISTS:
        key = "answerBoolean"
    elif target is not None and target.type is ItemType.CHOICE:
        option = target.option(str(answer))
        key, answer = "answerCoding", _option_coding(option) if option else {"code": str(answer)}
    elif target is not None and target.type in _ANSWER_BY_TYPE:
        key = _ANSWER_BY_TYPE[target.type]
    else:  # an unknown question: the answer's own type says it
        key = {bool: "answerBoolean", int: "answerInteger", float: "answerDecimal"}.get(type(answer), "answerString")
    return {"question": condition.question, "operator": condition.operator.value, key: answer}


def _export_option(option: AnswerOption) -> dict:
    scores = [] if option.score is None else [{"url": ORDINAL_VALUE, "valueDecimal": option.score}]
    return _compact({"valueCoding": _option_coding(option), "extension": scores})


def _option_coding(option: AnswerOption) -> dict:
    return _compact({"system": option.system, "code": option.code, **_text_json("display", option.display)})


def _coding_json(coding: Coding) -> dict:
    return _compact({"system": coding.system, "code": coding.code, "display": coding.display})


def _text_json(key: str, text: Text | None) -> dict:
    """A text as a FHIR string plus, for English, the standard translation extension on `_<key>`."""
    if text is None:
        return {}
    if text.en is None:
        return {key: text.da}
    translation = {
        "url": TRANSLATION,
        "extension": [{"url": "lang", "valueCode": "en"}, {"url": "content", "valueString": text.en}],
    }
    return {key: text.da, f"_{key}": {"extension": [translation]}}


def _compact(element: dict) -> dict:
    return {key: value for key, value in element.items() if value is not None and value != [] and value != {}}
