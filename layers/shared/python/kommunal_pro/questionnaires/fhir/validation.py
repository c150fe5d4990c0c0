"""Strict R4 validation of the incoming resource, pruned of what fails so the rest can still be checked.

That is how one refusal lists every problem, each at the item (or contained resource) people know it by.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from typing import Any

from pydantic import ValidationError

from kommunal_pro.errors import ErrorCode
from kommunal_pro.errors import error as problem
from kommunal_pro.questionnaires.fhir.elements import FhirJson, descendants
from kommunal_pro.questionnaires.fhir.policy import HARMLESS_EXTENSIONS, VARIABLE
from kommunal_pro.questionnaires.fhir.report import ImportNote

# A pydantic error location: keys and list indexes from the root.
Loc = tuple[int | str, ...]


def strictly_validated(resource: FhirJson, notes: list[ImportNote], problems: list[dict[str, str]]) -> FhirJson | None:
    """The resource as `fhir.resources` reads it, after strict R4 validation.

    A failing resource has the list entries that fail removed and is validated again, so the importer can
    still look through the rest and report all problems at once. Returns None when nothing can be read.
    """
    normalised, errors = _validate(resource)
    if not errors:
        return normalised
    entries: set[Loc | None] = set()
    for error in errors:
        entry = _entry(error["loc"])
        entries.add(entry)
        where, path = locate(resource, error["loc"])
        extension = _at(resource, entry) if entry and entry[-2:-1] == ("extension",) else None
        if isinstance(extension, dict) and extension.get("url") == VARIABLE:
            message = (
                f"variable ignored: {path}: {error['msg']} (got {error['input']!r}); {HARMLESS_EXTENSIONS[VARIABLE]}"
            )
            notes.append(ImportNote(severity="warning", location=where, message=message))
        else:
            problems.append(_validation_problem(resource, error, where, path))
    if None in entries:
        return None
    pruned = copy.deepcopy(resource)
    located = [entry for entry in entries if entry is not None]
    for entry in sorted(located, key=lambda loc: [(isinstance(part, str), part) for part in loc], reverse=True):
        _delete(pruned, entry)
    normalised, errors = _validate(pruned)
    problems.extend(_validation_problem(pruned, error, *locate(pruned, error["loc"])) for error in errors)
    return normalised


def locate(root: Any, loc: Loc, items_key: str = "item") -> tuple[str, str]:
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


def _validate(resource: FhirJson) -> tuple[FhirJson | None, list[dict[str, Any]]]:
    # Imported here, not at the top: fhir.resources is heavy, and only importing needs it, not every
    # function that reaches this package (e.g. for export) on its cold start.
    from fhir.resources.R4B.questionnaire import Questionnaire

    try:
        normalised = Questionnaire.model_validate(resource).model_dump(mode="json")
    except ValidationError as error:
        return None, [dict(detail) for detail in error.errors()]
    except Exception as error:  # fhir.resources raises e.g. KeyError for an unknown contained resourceType
        return None, [{"loc": (), "msg": f"cannot be read as FHIR R4 ({type(error).__name__}: {error})", "input": None}]
    errors = list(_absent_values(normalised.get("item", []), ("item",)))
    return (None, errors) if errors else (normalised, [])


def _absent_values(items: list[FhirJson], loc: Loc) -> Iterator[dict[str, Any]]:
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


def _validation_problem(resource: FhirJson, error: dict[str, Any], where: str, path: str) -> dict[str, str]:
    message = f"{path}: {error['msg']}" if path else error["msg"]
    if isinstance(error.get("input"), str | int | float | bool):
        message += f" (got {error['input']!r})"
    loc = error["loc"]
    if len(loc) >= 3 and loc[-3] == "enableWhen" and str(loc[-1]).startswith("answer"):
        question = (_at(resource, loc[:-1]) or {}).get("question")
        target = next((item for item in descendants(resource.get("item")) if item.get("linkId") == question), None)
        if target is not None:
            message += f"; the condition's question '{question}' is a {target.get('type')} item"
    return problem(ErrorCode.INVALID_FHIR, where, message)


def _at(root: Any, path: Sequence[int | str]) -> Any:
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


def _entry(loc: Loc) -> Loc | None:
    """The innermost list entry an error is in (the part to leave out), or None at the resource's root."""
    indexes = [i for i, part in enumerate(loc) if isinstance(part, int)]
    return tuple(loc[: indexes[-1] + 1]) if indexes else None


def _delete(root: Any, entry: Loc) -> None:
    container, index = _at(root, entry[:-1]), entry[-1]
    if isinstance(container, list) and isinstance(index, int) and index < len(container):
        del container[index]
