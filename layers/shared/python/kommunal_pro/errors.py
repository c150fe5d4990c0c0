"""Typed domain errors. Each one knows its HTTP status; `kommunal_pro.api` turns them into problem+json."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

RETRY_AFTER_SECONDS = 1  # what a 503 asks a client to wait before it retries the same request


class ErrorCode(StrEnum):
    """What is wrong with one field of a request: the closed vocabulary of `errors[].code`."""

    REQUIRED = "required"
    BLANK = "blank"
    WRONG_TYPE = "wrong-type"
    NOT_A_WHOLE_NUMBER = "not-a-whole-number"
    OUT_OF_RANGE = "out-of-range"
    TOO_MANY_DECIMALS = "too-many-decimals"
    TOO_LONG = "too-long"
    TOO_SHORT = "too-short"
    INVALID_FORMAT = "invalid-format"
    UNKNOWN_OPTION = "unknown-option"
    UNKNOWN_FIELD = "unknown-field"
    UNKNOWN_ITEM = "unknown-item"
    NOT_A_QUESTION = "not-a-question"
    ONE_ANSWER_ONLY = "one-answer-only"
    NOT_ENABLED = "not-enabled"
    CONTAINS_CPR = "contains-cpr"
    INVALID_VALUE = "invalid-value"
    DUPLICATE = "duplicate"
    UNKNOWN_REFERENCE = "unknown-reference"
    INVALID_DEFINITION = "invalid-definition"
    INVALID_FHIR = "invalid-fhir"
    UNSUPPORTED_FHIR = "unsupported-fhir"
    INVALID_SCHEDULE = "invalid-schedule"
    KEY_REUSED = "key-reused"
    INVALID_COMBINATION = "invalid-combination"


# Per code: what it means (for the OpenAPI document) and the Danish text an entry gets when its producer
# has nothing more precise to say.
ERROR_CODES: dict[ErrorCode, tuple[str, str]] = {
    ErrorCode.REQUIRED: ("A required field or question has no value", "Udfyld feltet"),
    ErrorCode.BLANK: ("A text holds only spaces", "Skriv et svar"),
    ErrorCode.WRONG_TYPE: ("The value has the wrong JSON type (text for a number, …)", "Værdien har en forkert type"),
    ErrorCode.NOT_A_WHOLE_NUMBER: ("A whole number was expected", "Skriv et helt tal"),
    ErrorCode.OUT_OF_RANGE: ("A number is below its minimum or above its maximum", "Tallet er uden for det tilladte"),
    ErrorCode.TOO_MANY_DECIMALS: ("A number has more decimals than allowed", "Tallet har for mange decimaler"),
    ErrorCode.TOO_LONG: ("A text or list is longer than allowed", "Teksten er for lang"),
    ErrorCode.TOO_SHORT: ("A text or list is shorter than allowed", "Teksten er for kort"),
    ErrorCode.INVALID_FORMAT: (
        "The value does not have the expected format (a date, a pattern, an id)",
        "Værdien har et forkert format",
    ),
    ErrorCode.UNKNOWN_OPTION: ("The value is not one of the allowed values", "Vælg en af svarmulighederne"),
    ErrorCode.UNKNOWN_FIELD: ("The request has a field the route does not take", "Feltet kendes ikke"),
    ErrorCode.UNKNOWN_ITEM: ("An answer names a linkId the questionnaire does not have", "Spørgsmålet findes ikke"),
    ErrorCode.NOT_A_QUESTION: ("An answer is given to a group or display item", "Her kan du ikke svare"),
    ErrorCode.ONE_ANSWER_ONLY: ("Several answers to a question that takes one", "Giv kun ét svar"),
    ErrorCode.NOT_ENABLED: (
        "An answer to a question that is not shown (enableWhen) with the other answers",
        "Spørgsmålet vises ikke med dine andre svar, så det kan ikke besvares",
    ),
    ErrorCode.CONTAINS_CPR: ("A free-text field contains a CPR number", "Fjern CPR-nummeret fra feltet"),
    ErrorCode.INVALID_VALUE: ("The value breaks a rule of its field", "Værdien er ugyldig"),
    ErrorCode.DUPLICATE: ("An id, linkId or code is used more than once", "Værdien er brugt mere end én gang"),
    ErrorCode.UNKNOWN_REFERENCE: (
        "A reference to an item, scale or option that does not exist",
        "Henvisningen peger på noget, der ikke findes i spørgeskemaet",
    ),
    ErrorCode.INVALID_DEFINITION: (
        "A questionnaire definition breaks a rule (structure, enableWhen, scales, flag rules)",
        "Spørgeskemaet er ikke gyldigt her",
    ),
    ErrorCode.INVALID_FHIR: ("The FHIR resource is not a valid R4 Questionnaire", "FHIR-ressourcen er ikke gyldig"),
    ErrorCode.UNSUPPORTED_FHIR: (
        "The FHIR Questionnaire uses something that cannot be imported",
        "Dette kan ikke importeres fra FHIR",
    ),
    ErrorCode.INVALID_SCHEDULE: ("The schedule makes no tasks or too many", "Planen er ikke gyldig"),
    ErrorCode.KEY_REUSED: (
        "The Idempotency-Key was used before with a different request",
        "Nøglen er brugt til en anden besvarelse; send en ny",
    ),
    ErrorCode.INVALID_COMBINATION: ("Parameters that must be given one at a time", "Angiv præcis én af værdierne"),
}


def error(code: ErrorCode, location: str, message_en: str, message_da: str | None = None) -> dict[str, str]:
    """One entry of a problem's `errors[]`; every producer builds its entries here."""
    return {
        "code": code.value,
        "location": location,
        "messageDa": message_da or ERROR_CODES[code][1],
        "messageEn": message_en,
    }


# pydantic's error types, by code; any other `*_type` or `*_parsing` type is wrong-type, the rest invalid-value.
_PYDANTIC_CODES: dict[str, ErrorCode] = {
    "missing": ErrorCode.REQUIRED,
    "greater_than": ErrorCode.OUT_OF_RANGE,
    "greater_than_equal": ErrorCode.OUT_OF_RANGE,
    "less_than": ErrorCode.OUT_OF_RANGE,
    "less_than_equal": ErrorCode.OUT_OF_RANGE,
    "multiple_of": ErrorCode.INVALID_VALUE,
    "string_too_long": ErrorCode.TOO_LONG,
    "too_long": ErrorCode.TOO_LONG,
    "string_too_short": ErrorCode.TOO_SHORT,
    "too_short": ErrorCode.TOO_SHORT,
    "literal_error": ErrorCode.UNKNOWN_OPTION,
    "enum": ErrorCode.UNKNOWN_OPTION,
    "int_from_float": ErrorCode.NOT_A_WHOLE_NUMBER,
    "decimal_max_places": ErrorCode.TOO_MANY_DECIMALS,
    "string_pattern_mismatch": ErrorCode.INVALID_FORMAT,
    "date_parsing": ErrorCode.INVALID_FORMAT,
    "date_from_datetime_parsing": ErrorCode.INVALID_FORMAT,
    "datetime_parsing": ErrorCode.INVALID_FORMAT,
    "datetime_from_date_parsing": ErrorCode.INVALID_FORMAT,
    "time_parsing": ErrorCode.INVALID_FORMAT,
    "timezone_aware": ErrorCode.INVALID_FORMAT,
    "uuid_parsing": ErrorCode.INVALID_FORMAT,
    "url_parsing": ErrorCode.INVALID_FORMAT,
    "extra_forbidden": ErrorCode.UNKNOWN_FIELD,
    "cpr_in_text": ErrorCode.CONTAINS_CPR,
    "value_error": ErrorCode.INVALID_VALUE,
}

_BILINGUAL = re.compile(r"(.+?) \((.+)\)")
# What a wrong-type value should have been, by the first word of pydantic's type (bool_parsing, int_type, …).
_TYPES_DA = {
    "bool": "Angiv true eller false",
    "int": "Skriv et helt tal",
    "float": "Skriv et tal",
    "decimal": "Skriv et tal",
    "string": "Skriv en tekst",
    "list": "Angiv en liste",
    "dict": "Angiv et JSON-objekt",
    "model": "Angiv et JSON-objekt",
}


def pydantic_error(detail: Mapping[str, Any], location: str, prefix: str = "") -> dict[str, str]:
    """An entry for one of pydantic's errors: its code, a Danish text with the limit it names, pydantic's English."""
    kind = str(detail.get("type", ""))
    code = _PYDANTIC_CODES.get(kind)
    if code is None:
        code = ErrorCode.WRONG_TYPE if kind.endswith(("_type", "_parsing")) else ErrorCode.INVALID_VALUE
    english = str(detail.get("msg") or "invalid")
    ctx = detail.get("ctx") or {}
    wanted = _TYPES_DA.get(kind.split("_")[0]) if code is ErrorCode.WRONG_TYPE else None
    danish = wanted or _pydantic_danish(kind, ctx)
    # Our own validators raise ValueError("Danish (English)"), as a problem's detail reads.
    if bilingual := _BILINGUAL.fullmatch(str(ctx.get("error", ""))) if kind == "value_error" else None:
        danish, english = bilingual.groups()
    return error(code, location, prefix + english, prefix + (danish or ERROR_CODES[code][1]))


def _pydantic_danish(kind: str, ctx: Mapping[str, Any]) -> str | None:
    def number(key: str) -> str:
        value = ctx[key]
        return danish_number(value) if isinstance(value, int | float) else str(value).replace(" or ", " eller ")

    # The texts say what to do with the value, with the limit pydantic names, when it names one.
    bounds = {
        "greater_than": ("gt", "Tallet skal være større end {}"),
        "greater_than_equal": ("ge", "Tallet skal være mindst {}"),
        "less_than": ("lt", "Tallet skal være mindre end {}"),
        "less_than_equal": ("le", "Tallet må højst være {}"),
        "string_too_long": ("max_length", "Skriv højst {} tegn"),
        "string_too_short": ("min_length", "Skriv mindst {} tegn"),
        "too_long": ("max_length", "Højst {} elementer"),
        "too_short": ("min_length", "Mindst {} elementer"),
        "decimal_max_places": ("decimal_places", "Skriv højst {} decimaler"),
        "literal_error": ("expected", "Vælg en af de tilladte værdier: {}"),
        "enum": ("expected", "Vælg en af de tilladte værdier: {}"),
    }
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return ERROR_CODES[ErrorCode.REQUIRED][1]
    if kind in bounds and bounds[kind][0] in ctx:
        key, text = bounds[kind]
        return text.format(number(key))
    return None


def danish_number(value: float) -> str:
    """A number as Danish texts write it: a decimal comma and thousands with a dot (1.000; 0,5)."""
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", ".")
    return f"{value:g}".replace(".", ",")


@dataclass
class Problem(Exception):
    """An RFC 9457 problem: a status, a short title and a human-readable detail in Danish and English."""

    detail: str
    errors: list[dict[str, Any]] = field(default_factory=list)
    status: int = 400
    title: str = "Bad request"
    extensions: dict[str, Any] = field(default_factory=dict)
    retry_after: int | None = None  # seconds, for a 503 the client may simply retry

    def __post_init__(self) -> None:
        super().__init__(self.detail)

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://kommunal-pro.dk/problems/{self.title.lower().replace(' ', '-')}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.errors:
            body["errors"] = self.errors
        return body | self.extensions


class _Fixed(Problem):
    """A problem whose status and title are fixed by its class, so call sites say only what went wrong."""

    STATUS = 400
    TITLE = "Bad request"

    def __init__(self, detail: str, errors: list[dict[str, Any]] | None = None, **extensions: Any) -> None:
        super().__init__(
            detail=detail, errors=errors or [], status=self.STATUS, title=self.TITLE, extensions=extensions
        )


class BadRequest(_Fixed):
    STATUS, TITLE = 400, "Bad request"


class Unauthenticated(_Fixed):
    STATUS, TITLE = 401, "Unauthenticated"


class Forbidden(_Fixed):
    STATUS, TITLE = 403, "Forbidden"


class NotFound(_Fixed):
    STATUS, TITLE = 404, "Not found"


class Conflict(_Fixed):
    STATUS, TITLE = 409, "Conflict"


class PreconditionFailed(_Fixed):
    STATUS, TITLE = 412, "Precondition failed"


class PayloadTooLarge(_Fixed):
    STATUS, TITLE = 413, "Payload too large"


class UnsupportedMediaType(_Fixed):
    STATUS, TITLE = 415, "Unsupported media type"


class InvalidInput(_Fixed):
    STATUS, TITLE = 422, "Invalid input"


class PreconditionRequired(_Fixed):
    STATUS, TITLE = 428, "Precondition required"


class ServiceBusy(_Fixed):
    """Storage was busy (a concurrent transaction, throttling): the same request may succeed in a moment."""

    STATUS, TITLE = 503, "Service busy"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.retry_after = RETRY_AFTER_SECONDS


class TooManyRequests(_Fixed):
    STATUS, TITLE = 429, "Too many requests"


class GatewayTimeout(_Fixed):
    STATUS, TITLE = 504, "Gateway timeout"


class InternalError(_Fixed):
    STATUS, TITLE = 500, "Internal error"


NOT_SIGNED_IN = "Du skal være logget ind (a valid bearer token is required)"
NO_SUCH_ROUTE = "Ukendt adresse (no such route)"
SEND_JSON = "Send JSON med Content-Type: application/json (send the body as application/json)"
UNEXPECTED = "Der opstod en uventet fejl; prøv igen (an unexpected error occurred; try again)"
_ACCESS_DENIED = Forbidden("Adgang nægtet (access denied)")
_THROTTLED = TooManyRequests("For mange forespørgsler; prøv igen om lidt (too many requests; try again shortly)")
_NO_ANSWER = GatewayTimeout("Tjenesten svarede ikke i tide; prøv igen (the service did not answer in time; try again)")

# What API Gateway answers itself, before any function runs, by gateway response type: the same problem+json
# as the functions answer. infra/api.py configures them as the REST API's gateway responses, and the local
# runner answers with them. Every 4XX and 5XX type has its own row, so that DEFAULT_4XX and DEFAULT_5XX only
# catch types API Gateway adds later. The body also carries API Gateway's own message, in "message".
GATEWAY_PROBLEMS: dict[str, Problem] = {
    "UNAUTHORIZED": Unauthenticated(NOT_SIGNED_IN),
    "ACCESS_DENIED": _ACCESS_DENIED,
    "EXPIRED_TOKEN": _ACCESS_DENIED,
    "INVALID_SIGNATURE": _ACCESS_DENIED,
    "INVALID_API_KEY": _ACCESS_DENIED,
    "WAF_FILTERED": Forbidden(
        "Forespørgslen blev afvist af firewallen (the request was blocked by the web application firewall)"
    ),
    # API Gateway answers a path or method it has no route for with 403 "Missing Authentication Token".
    "MISSING_AUTHENTICATION_TOKEN": NotFound(NO_SUCH_ROUTE),
    "RESOURCE_NOT_FOUND": NotFound(NO_SUCH_ROUTE),
    "REQUEST_TOO_LARGE": PayloadTooLarge("Forespørgslen er for stor (the request is too large)"),
    "UNSUPPORTED_MEDIA_TYPE": UnsupportedMediaType(SEND_JSON),
    "THROTTLED": _THROTTLED,
    "QUOTA_EXCEEDED": _THROTTLED,
    "BAD_REQUEST_BODY": BadRequest(
        "Forespørgslens krop skal være et JSON-objekt (the request body must be a JSON object)"
    ),
    "BAD_REQUEST_PARAMETERS": BadRequest(
        "Forespørgslens parametre er ugyldige (a request parameter is missing or invalid)"
    ),
    "DEFAULT_4XX": BadRequest("Forespørgslen blev afvist (the request was refused)"),
    "INTEGRATION_FAILURE": _NO_ANSWER,
    "INTEGRATION_TIMEOUT": _NO_ANSWER,
    "API_CONFIGURATION_ERROR": InternalError(UNEXPECTED),
    "AUTHORIZER_CONFIGURATION_ERROR": InternalError(UNEXPECTED),
    "AUTHORIZER_FAILURE": InternalError(UNEXPECTED),
    "DEFAULT_5XX": InternalError(UNEXPECTED),
}
