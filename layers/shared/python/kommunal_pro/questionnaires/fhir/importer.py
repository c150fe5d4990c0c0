"""Import of a FHIR R4 Questionnaire as a native definition: every element mapped, noted or refused.

It reads only what strict validation let through, so it may index the resource without checking its shape.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, NoReturn

from pydantic import ValidationError

from kommunal_pro.errors import ErrorCode, InvalidInput, error, pydantic_error
from kommunal_pro.models import ApiModel
from kommunal_pro.questionnaires.fhir.elements import FhirJson, compact, descendants
from kommunal_pro.questionnaires.fhir.policy import (
    ACCEPTED_ANSWERS,
    DEFAULT_BASE_URL,
    HARMLESS_EXTENSIONS,
    HIDDEN,
    ITEM_CONTROL,
    MAPPED_EXTENSIONS,
    MAX_DECIMAL_PLACES,
    MAX_VALUE,
    MIN_OCCURS,
    MIN_VALUE,
    NOT_IMPORTED,
    REFUSED_EXTENSIONS,
    SCORE_EXTENSIONS,
    SCORING_EXTENSION,
    TRANSLATION,
    UNIT,
    UNSUPPORTED_TYPES,
    VARIABLE,
)
from kommunal_pro.questionnaires.fhir.report import ImportNote, Severity
from kommunal_pro.questionnaires.fhir.validation import locate, strictly_validated
from kommunal_pro.questionnaires.model import QUESTION_TYPES, ItemType, QuestionnaireDefinition

_SCORING_FIELDS = {"scales", "flagRules", "feedback", "citizenSeesScores"}
_TYPES = {kind.value for kind in ItemType}
# The native definition's JSON, as the importer builds it for the model to validate.
NativeJson = dict[str, Any]


class ImportResult(ApiModel):
    definition: QuestionnaireDefinition
    report: list[ImportNote]


def import_questionnaire(resource: object, *, base_url: str = DEFAULT_BASE_URL) -> ImportResult:
    """Map a FHIR R4 Questionnaire (parsed JSON) to a native definition, or raise InvalidInput with every problem.

    `base_url` is the one export used: a resource under it is one of ours, whose own url is not provenance.
    """
    if not isinstance(resource, dict):
        message = f"expected a JSON object, got {type(resource).__name__}"
        _refuse([error(ErrorCode.INVALID_FHIR, "Questionnaire", message)])
    if resource.get("resourceType") != "Questionnaire":
        message = f"resourceType is {resource.get('resourceType')!r}, not 'Questionnaire'"
        _refuse([error(ErrorCode.INVALID_FHIR, "Questionnaire", message)])
    notes: list[ImportNote] = []
    problems: list[dict[str, str]] = []
    if not resource.get("item"):
        problems.append(
            error(ErrorCode.UNSUPPORTED_FHIR, "Questionnaire", "has no items", "Spørgeskemaet har ingen spørgsmål")
        )
    normalised = strictly_validated(resource, notes, problems)
    if normalised is None:
        _refuse(problems)
    native = _Importer(normalised, notes, problems, f"{base_url}/Questionnaire/").definition()
    try:
        definition = QuestionnaireDefinition.model_validate(native)
    except ValidationError as invalid:
        # Where the importer already refused something, the model's complaints there are its consequences.
        refused = {refusal["location"] for refusal in problems}
        for detail in invalid.errors():
            where, path = locate(native, detail["loc"], "items")
            if where not in refused:
                problems.append(pydantic_error(detail, where, f"{path}: " if path else ""))
        _refuse(problems)
    if problems:
        _refuse(problems)
    return ImportResult(definition=definition, report=notes)


def _refuse(problems: list[dict[str, str]]) -> NoReturn:
    count = len(problems)
    raise InvalidInput(
        f"FHIR-spørgeskemaet kan ikke importeres; {count} problem(er) "
        f"(the FHIR Questionnaire cannot be imported: {count} problem{'s' if count != 1 else ''})",
        problems,
    )


class _Importer:
    """Walks a strictly validated resource, building the native definition's JSON and the report."""

    def __init__(self, resource: FhirJson, notes: list[ImportNote], problems: list[dict[str, str]], own: str) -> None:
        self.resource = resource
        self.own = own
        self.notes = notes
        self.problems = problems
        self.language = _language(resource.get("language"))
        self.fhir_items = {item["linkId"]: item for item in descendants(resource.get("item"))}
        self.value_sets = {
            f"#{r['id']}": r for r in resource.get("contained", []) if r.get("resourceType") == "ValueSet" and "id" in r
        }
        self.used_value_sets: set[str] = set()

    def refuse(self, where: str, message: str) -> None:
        self.problems.append(error(ErrorCode.UNSUPPORTED_FHIR, where, message))

    def note(self, where: str, message: str, severity: Severity = "warning") -> None:
        note = ImportNote(severity=severity, location=where, message=message)
        if note not in self.notes:  # e.g. the same optionPrefix extension on every option of an item
            self.notes.append(note)

    def definition(self) -> NativeJson:
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
        ignored = [key for key in NOT_IMPORTED if key in resource]
        if ignored:
            message = f"not imported, as Kommunal PRO keeps its own identity and lifecycle: {', '.join(ignored)}"
            self.note("Questionnaire", message, "info")
        if "copyright" in resource:
            self.note("Questionnaire", "copyright not imported; if it must be shown, add it to the description")

    def _scoring(self) -> NativeJson:
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

    def _items(self, items: list[FhirJson]) -> list[NativeJson]:
        return [native for item in items if (native := self._item(item)) is not None]

    def _item(self, item: FhirJson) -> NativeJson | None:
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

    def _type(self, item: FhirJson, where: str) -> ItemType | None:
        kind = _native_type(item)
        if kind is None:
            why = UNSUPPORTED_TYPES.get(item["type"], "not an R4 item type")
            self.refuse(where, f"type '{item['type']}' ({why}) is not supported; supported: {', '.join(ItemType)}")
        elif kind.value != item["type"]:
            self.note(
                where,
                f"a {item['type']} item whose answers are limited to a list: imported as a choice item "
                "whose option codes are those values",
                "info",
            )
        return kind

    def _text(self, element: FhirJson, key: str) -> NativeJson | None:
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

    def _codes(self, element: FhirJson, where: str) -> list[NativeJson]:
        codes = []
        for coding in element.get("code", []):
            if "code" in coding:
                codes.append(compact({k: coding.get(k) for k in ("system", "code", "display")}))
            else:
                self.note(where, f"code {coding!r} has no code value; ignored")
        return codes

    def _number(
        self, holders: list[FhirJson], urls: list[str] | tuple[str, ...], where: str, label: str
    ) -> float | None:
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

    def _options(self, item: FhirJson, where: str) -> list[NativeJson]:
        if "answerValueSet" in item:
            if "answerOption" in item:
                self.refuse(where, "has both answerOption and answerValueSet")
            return self._value_set(item["answerValueSet"], where)
        options = (
            self._option(option, f"answerOption[{i}]", where) for i, option in enumerate(item.get("answerOption", []))
        )
        return [option for option in options if option is not None]

    def _option(self, option: FhirJson, label: str, where: str) -> NativeJson | None:
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

    def _coded_option(self, coding: FhirJson, holders: list[FhirJson], label: str, where: str) -> NativeJson | None:
        if not coding.get("code"):
            self.refuse(where, f"{label} has no code")
            return None
        return {
            "code": coding["code"],
            "system": coding.get("system"),
            "display": self._text(coding, "display") or {"da": coding["code"]},
            "score": self._number(holders, SCORE_EXTENSIONS, where, f"{label} score"),
        }

    def _value_set(self, reference: str, where: str) -> list[NativeJson]:
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

    def _composed(self, value_set: FhirJson, reference: str, where: str) -> list[FhirJson]:
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

    def _conditions(self, item: FhirJson, where: str) -> list[NativeJson]:
        conditions = (self._condition(c, f"enableWhen[{i}]", where) for i, c in enumerate(item.get("enableWhen", [])))
        return [condition for condition in conditions if condition is not None]

    def _condition(self, condition: FhirJson, label: str, where: str) -> NativeJson | None:
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

    def _extension(self, extension: FhirJson, owner: FhirJson, where: str, *, modifier: bool) -> None:
        url = extension["url"]
        expression = extension.get("valueExpression", {})
        if modifier:
            self.refuse(where, f"modifierExtension {url} changes the meaning of its element; it is not supported")
        elif url in MAPPED_EXTENSIONS or (url == ITEM_CONTROL and _item_control(owner) == "help"):
            return
        elif (url == MIN_OCCURS and extension.get("valueInteger", 0) <= 1) or (
            url == HIDDEN and extension.get("valueBoolean") is False
        ):
            self.note(where, f"extension {url} has no effect with this value; ignored", "info")
        elif url in REFUSED_EXTENSIONS or (expression and url != VARIABLE):
            why = REFUSED_EXTENSIONS.get(url, "computes something with an expression")
            shown = f" with the expression {expression.get('expression')!r}" if expression else ""
            self.refuse(where, f"extension {url}{shown} cannot be imported: it {why}")
        elif url in HARMLESS_EXTENSIONS:
            detail = {VARIABLE: expression.get("name"), ITEM_CONTROL: _item_control(owner)}.get(url)
            self.note(where, f"extension {url}{f' ({detail!r})' if detail else ''} ignored: {HARMLESS_EXTENSIONS[url]}")
        else:
            self.note(where, f"unknown extension {url} ignored; check that the questionnaire means the same without it")


def _native_type(item: FhirJson) -> ItemType | None:
    """The model's type for a FHIR item: a question limited to listed answers becomes a choice."""
    if item["type"] not in _TYPES:
        return None
    kind = ItemType(item["type"])
    if kind in QUESTION_TYPES and ("answerOption" in item or "answerValueSet" in item):
        return ItemType.CHOICE
    return kind


def _expected_answers(target: FhirJson | None) -> set[str] | None:
    """The answer[x] elements a condition on this question may use; None when there is nothing to check."""
    if target is None or target["type"] not in ACCEPTED_ANSWERS:
        return None
    listed = {
        "answer" + key[len("value") :]
        for option in target.get("answerOption", [])
        for key in option
        if key.startswith("value")
    }
    return ACCEPTED_ANSWERS[target["type"]] | listed


def _item_control(item: FhirJson) -> str | None:
    for extension in item.get("extension", []):
        if extension.get("url") == ITEM_CONTROL:
            return next((c.get("code") for c in extension.get("valueCodeableConcept", {}).get("coding", [])), None)
    return None


def _unit(item: FhirJson) -> str | None:
    for extension in item.get("extension", []):
        if extension["url"] == UNIT:
            coding = extension.get("valueCoding", {})
            unit: str | None = coding.get("display") or coding.get("code")
            return unit
    return None


def _expansion(contains: list[FhirJson]) -> Iterator[FhirJson]:
    for entry in contains:
        yield entry
        yield from _expansion(entry.get("contains", []))


def _language(code: Any) -> str | None:
    return code.split("-")[0].lower() if isinstance(code, str) else None
