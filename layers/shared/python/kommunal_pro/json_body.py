"""What a JSON request body may hold before any route sees it.

Python's parser takes more than JSON and more than DynamoDB stores, and each excess used to surface later as a
500 or a poisoned record: `NaN`/`Infinity` (range checks are false for NaN, so it was stored), nesting deep
enough to exhaust the recursion limit, numbers DynamoDB cannot hold (it stores 38 significant digits, magnitudes
1e-130 to 1e126), and strings with lone surrogates that no encoder accepts. Each is refused here, once, for every
route, with a 400 that says which rule the body broke.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from kommunal_pro.errors import BadRequest

MAX_DEPTH = 64  # a questionnaire nests a few groups; anything near this is not a questionnaire
_MAX_MAGNITUDE = Decimal("1e126")
_MIN_MAGNITUDE = Decimal("1e-130")
_MAX_DIGITS = 38


def check_json_body(body: str) -> None:
    """Refuse a body that is not plain, storable JSON (BadRequest); return quietly for one that is, or for one
    that is not JSON at all, which the route's own parser answers (400 "not valid JSON")."""
    try:  # the number hooks raise their BadRequest straight through the parser
        parsed = json.loads(body, parse_constant=_non_finite, parse_float=_number, parse_int=_number)
    except RecursionError:
        raise _too_deep() from None
    except json.JSONDecodeError:
        return
    _check_values(parsed)


def body_size(body: str) -> int:
    """The body's size in UTF-8 bytes; a body that is not UTF-8 (a lone surrogate) is refused."""
    try:
        return len(body.encode("utf-8"))
    except UnicodeEncodeError:
        raise _refused("teksten er ikke gyldig UTF-8", "the body is not valid UTF-8") from None


def _refused(danish: str, english: str) -> BadRequest:
    return BadRequest(f"Forespørgslen kan ikke læses: {danish} ({english})")


def _too_deep() -> BadRequest:
    return _refused(f"den er indlejret i mere end {MAX_DEPTH} niveauer", f"it is nested deeper than {MAX_DEPTH} levels")


def _non_finite(constant: str) -> Any:
    raise _refused(f"{constant} er ikke et tal", f"{constant} is not a number; send finite numbers only")


def _number(text: str) -> Any:
    """JSON's number grammar is a subset of Decimal's, so `Decimal(text)` cannot fail. An integer keeps every
    digit, so it must fit DynamoDB's 38; a fraction is stored as a float, so only its magnitude matters."""
    number = Decimal(text)
    magnitude = abs(number)
    integer = not any(c in text for c in ".eE")
    too_precise = integer and len(number.as_tuple().digits) > _MAX_DIGITS
    if magnitude >= _MAX_MAGNITUDE or 0 < magnitude < _MIN_MAGNITUDE or too_precise:
        raise _refused(f"tallet {text[:20]} kan ikke gemmes", f"the number {text[:20]} is outside what can be stored")
    return int(number) if integer else float(number)


def _check_values(parsed: Any) -> None:
    """Depth and strings, without recursion (the depth is what is being checked)."""
    pending: list[tuple[Any, int]] = [(parsed, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise _too_deep()
        if isinstance(value, str):
            _check_string(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                _check_string(key)
                pending.append((item, depth + 1))
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)


def _check_string(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _refused("en tekst indeholder et ugyldigt tegn", "a string holds a lone surrogate") from None
