"""The citizen's view of a questionnaire version: texts in their language, pages, nothing staff-only."""

from __future__ import annotations

from typing import Any

from kommunal_pro.questionnaires.model import ItemType, QuestionnaireDefinition, Text
from kommunal_pro.questionnaires.scoring import ScoreResult
from kommunal_pro.responses.models import CitizenQuestionnaire, Page, ScaleForCitizen


def citizen_questionnaire(definition: QuestionnaireDefinition, language: str) -> CitizenQuestionnaire:
    """Scales, flag rules and feedback stay out: flag messages are written for staff."""
    items = [
        _localize(item.model_dump(mode="json", by_alias=True, exclude_none=True), language) for item in definition.items
    ]
    if definition.items and all(item.type is ItemType.GROUP for item in definition.items):
        pages = [Page(title=group.get("text"), items=group.get("items", [])) for group in items]
    else:
        pages = [Page(title=None, items=items)]
    return CitizenQuestionnaire(
        title=definition.title.in_language(language),
        description=definition.description.in_language(language) if definition.description else None,
        language=language,
        pages=pages,
    )


def feedback_for_citizen(scores: ScoreResult, language: str) -> list[str]:
    return [text.in_language(language) for text in scores.feedback]


def scores_for_citizen(scores: ScoreResult, language: str) -> list[ScaleForCitizen]:
    return [
        ScaleForCitizen(
            name=scale.name.in_language(language),
            value=scale.value,
            band=scale.band.in_language(language) if scale.band else None,
        )
        for scale in scores.scales
    ]


def _localize(node: Any, language: str) -> Any:
    """Every {da, en} text in a dumped definition replaced by the text in `language` (Danish by default)."""
    if isinstance(node, dict):
        if node.keys() and node.keys() <= {"da", "en"} and "da" in node:
            return Text.model_validate(node).in_language(language)
        return {name: _localize(value, language) for name, value in node.items()}
    if isinstance(node, list):
        return [_localize(value, language) for value in node]
    return node
