"""The native questionnaire definition: the FHIR R4 `Questionnaire.item` subset of DESIGN.md §4, plus the
scales, flag rules and feedback texts that turn answers into scores for staff and citizens.

Structural checks (types, required fields) live here as pydantic constraints; the rules that look across
the whole definition (unique linkIds, enableWhen targets, scale and flag consistency) live in
`validation.py`, so every problem can be reported at once with its location.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from kommunal_pro.cpr import NO_CPR
from kommunal_pro.models import ApiModel

LinkId = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=r"^[^\s]+$")]
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
Scalar = bool | int | float | str


class Text(ApiModel):
    """A text shown to people: Danish first and required, English optional."""

    da: Annotated[str, StringConstraints(min_length=1, max_length=4000)]
    en: Annotated[str, StringConstraints(min_length=1, max_length=4000)] | None = None

    def in_language(self, language: str) -> str:
        return self.en if language == "en" and self.en else self.da


class Title(Text):
    """A questionnaire's title, which may reach a citizen's e-mail: no CPR number in either language."""

    da: Annotated[str, StringConstraints(min_length=1, max_length=4000), NO_CPR]
    en: Annotated[str, StringConstraints(min_length=1, max_length=4000), NO_CPR] | None = None


class Coding(ApiModel):
    """A code from a terminology (LOINC, SNOMED CT …), kept so FHIR export says what import read."""

    system: str | None = None
    code: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    display: str | None = None


class ItemType(StrEnum):
    GROUP = "group"
    DISPLAY = "display"
    BOOLEAN = "boolean"
    DECIMAL = "decimal"
    INTEGER = "integer"
    DATE = "date"
    DATETIME = "dateTime"
    TIME = "time"
    STRING = "string"
    TEXT = "text"
    CHOICE = "choice"


QUESTION_TYPES = frozenset(ItemType) - {ItemType.GROUP, ItemType.DISPLAY}
NUMERIC_TYPES = frozenset({ItemType.DECIMAL, ItemType.INTEGER})


class AnswerOption(ApiModel):
    code: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    display: Text
    system: str | None = None
    score: float | None = Field(None, description="Ordinal value used by scales (FHIR ordinalValue/itemWeight)")


class Operator(StrEnum):
    EXISTS = "exists"
    EQUALS = "="
    NOT_EQUALS = "!="
    GREATER = ">"
    LESS = "<"
    GREATER_OR_EQUAL = ">="
    LESS_OR_EQUAL = "<="


class EnableWhen(ApiModel):
    """Show an item only when another question's answer meets a condition.

    `answer` is a boolean for `exists`; an option code for choice questions; a number for decimal and
    integer; an ISO 8601 string for date, dateTime and time; text for string and text.
    """

    question: LinkId
    operator: Operator
    answer: Scalar


class Item(ApiModel):
    # One schema for reading and writing: a recursive model would otherwise be documented twice
    # (Item-Input, Item-Output), and client generators drop one.
    model_config = ConfigDict(json_schema_mode_override="validation")

    link_id: LinkId
    type: ItemType
    text: Text | None = None
    help: Text | None = None
    prefix: str | None = None
    codes: list[Coding] = Field(default_factory=list)
    required: bool = False
    repeats: bool = False
    read_only: bool = False
    max_length: Annotated[int, Field(gt=0)] | None = None
    min_value: float | None = None
    max_value: float | None = None
    max_decimal_places: Annotated[int, Field(ge=0)] | None = None
    unit: str | None = None
    options: list[AnswerOption] = Field(default_factory=list)
    enable_when: list[EnableWhen] = Field(default_factory=list)
    enable_behavior: Literal["all", "any"] | None = None
    items: list[Item] = Field(default_factory=list)

    @property
    def is_question(self) -> bool:
        return self.type in QUESTION_TYPES

    def option(self, code: str) -> AnswerOption | None:
        return next((o for o in self.options if o.code == code), None)


class ScaleMethod(StrEnum):
    SUM = "sum"
    MEAN = "mean"
    VALUE_TABLE = "valueTable"


class ValueTable(ApiModel):
    """An index instrument's tariff (e.g. EQ-5D-5L): value = constant + Σ values[item][answer code]."""

    constant: float
    values: dict[str, dict[str, float]]


class Band(ApiModel):
    """A named range of a scale's value, as its manual defines it (e.g. PHQ-9 'moderate' 10–14)."""

    min: float
    max: float
    label: Text


class Scale(ApiModel):
    """A score combined from several items' option scores.

    sum/mean use the options' scores; valueTable uses its own table. The result is then transformed
    (value × multiply + add) and rounded. Fewer than `min_answered` answered items gives no value, not 0.
    For `sum`, missing answers are prorated when `prorate` is set (mean of the answered × item count).
    """

    id: Identifier
    name: Text
    method: ScaleMethod
    items: Annotated[list[LinkId], Field(min_length=1)]
    min_answered: Annotated[int, Field(ge=1)] | None = None
    prorate: bool = False
    multiply: float = 1
    add: float = 0
    decimals: Annotated[int, Field(ge=0, le=6)] | None = None
    value_table: ValueTable | None = None
    bands: list[Band] = Field(default_factory=list)
    headline: bool = Field(False, description="The value staff see first in the worklist")

    @model_validator(mode="after")
    def _table_only_with_value_table(self) -> Scale:
        if (self.method is ScaleMethod.VALUE_TABLE) != (self.value_table is not None):
            raise ValueError("valueTable is required with method 'valueTable' and only with it")
        return self


class FlagLevel(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


class FlagRule(ApiModel):
    """Turns a scale's value, or one question's answer, into a green/yellow/red flag for staff.

    A scale rule or a numeric-question rule matches min ≤ value ≤ max (either bound may be open);
    a choice-question rule matches when one of `codes` is answered.
    """

    id: Identifier
    level: FlagLevel
    message: Text
    scale: Identifier | None = None
    item: LinkId | None = None
    min: float | None = None
    max: float | None = None
    codes: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_source(self) -> FlagRule:
        if (self.scale is None) == (self.item is None):
            raise ValueError("a flag rule refers to exactly one of 'scale' or 'item'")
        if self.codes and self.scale is not None:
            raise ValueError("'codes' applies to choice questions, not to scales")
        if not self.codes and self.min is None and self.max is None:
            raise ValueError("a flag rule needs a range (min/max) or answer codes")
        return self


class Feedback(ApiModel):
    """A text the citizen sees after submitting, when a scale's value is within min..max."""

    scale: Identifier
    min: float | None = None
    max: float | None = None
    text: Text


class QuestionnaireDefinition(ApiModel):
    """Everything an author edits. Stored immutably per published version."""

    # One schema for reading and writing (no -Input/-Output pair), and an example for the request body.
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "title": {"da": "Trivsel efter udskrivelse", "en": "Well-being after discharge"},
                    "name": "TRIVSEL_UDSKRIVELSE",
                    "items": [
                        {
                            "linkId": "who5-1",
                            "type": "choice",
                            "required": True,
                            "text": {"da": "I de sidste 2 uger har jeg været glad og i godt humør"},
                            "options": [
                                {"code": "5", "display": {"da": "Hele tiden"}, "score": 5},
                                {"code": "0", "display": {"da": "På intet tidspunkt"}, "score": 0},
                            ],
                        },
                        {"linkId": "noter", "type": "text", "text": {"da": "Er der andet, du vil fortælle os?"}},
                    ],
                }
            ]
        },
        json_schema_mode_override="validation",
    )

    title: Title
    description: Text | None = None
    url: str | None = Field(None, description="Canonical URL when imported from FHIR")
    name: str | None = None
    codes: list[Coding] = Field(default_factory=list)
    items: Annotated[list[Item], Field(min_length=1)]
    scales: list[Scale] = Field(default_factory=list)
    flag_rules: list[FlagRule] = Field(default_factory=list)
    feedback: list[Feedback] = Field(default_factory=list)
    citizen_sees_scores: bool = False

    def all_items(self) -> list[Item]:
        """Every item, depth first, nested groups included."""
        found: list[Item] = []

        def walk(items: list[Item]) -> None:
            for item in items:
                found.append(item)
                walk(item.items)

        walk(self.items)
        return found

    def items_by_link_id(self) -> dict[str, Item]:
        return {item.link_id: item for item in self.all_items()}


# Answers, as the citizen submits them and preview-score takes them: each question's linkId with its
# values (more than one for repeating or multiple-choice questions). Choice answers are option codes.
Answers = dict[str, list[Scalar]]
