"""The Danish CPR number as a value type that cannot leak.

A `Cpr` validates DDMMYY-SSSS (dash optional) including that the date exists, masks itself in str() and
repr(), and derives a keyed hash for look-ups. The hash is an HMAC: there are only a few million CPR
numbers, so a plain hash could be reversed by trying them all.

`NoCpr` is free text that staff write and that reaches a citizen's notifications or a log line (a sender
name, a questionnaire title, a course, a review comment): anything CPR-shaped in it is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date
from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

_CPR_SHAPE = re.compile(r"^(\d{2})(\d{2})(\d{2})-?(\d{4})$")
# Anything CPR-shaped inside free text: six digits, optional dash or space, four digits, not part of a
# longer number. It catches "111111-1118", "1111111118" and "111111 1118", not "+45 20 30 40 50" or
# "2027-01-04".
CPR_IN_TEXT = re.compile(r"(?<![\d])(\d{6})[- ]?(\d{4})(?![\d])")
REDACTED = "[CPR]"


class InvalidCpr(ValueError):
    """Raised for a malformed CPR number. The message never contains the number itself."""


def _century(year: int, seventh_digit: int) -> int:
    """The century of birth from the 7th digit, per the CPR office's table (cpr.dk, 'Personnummeret')."""
    if seventh_digit <= 3:
        return 1900
    if seventh_digit in (4, 9):
        return 2000 if year <= 36 else 1900
    return 2000 if year <= 57 else 1800


class Cpr:
    __slots__ = ("_digits",)

    def __init__(self, value: str) -> None:
        match = _CPR_SHAPE.match(value.strip()) if isinstance(value, str) else None
        if not match:
            raise InvalidCpr("CPR-nummeret skal have formen DDMMÅÅ-XXXX (CPR number must be DDMMYY-XXXX)")
        self._digits = "".join(match.groups())
        try:
            self.birth_date  # noqa: B018 - validates that the date exists
        except ValueError:
            raise InvalidCpr("CPR-nummerets fødselsdato findes ikke (the CPR birth date does not exist)") from None

    @property
    def birth_date(self) -> date:
        day, month, year = int(self._digits[0:2]), int(self._digits[2:4]), int(self._digits[4:6])
        return date(_century(year, int(self._digits[6])) + year, month, day)

    @property
    def masked(self) -> str:
        """DDMMYY-XXXX: what staff and citizens see."""
        return f"{self._digits[:6]}-XXXX"

    def reveal(self) -> str:
        """The full number, DDMMYY-SSSS. Only for encryption at rest; never log or return it."""
        return f"{self._digits[:6]}-{self._digits[6:]}"

    def keyed_hash(self, key: bytes) -> str:
        if len(key) < 32:
            raise ValueError("the CPR hash key must be at least 32 bytes")
        return hmac.new(key, self._digits.encode(), hashlib.sha256).hexdigest()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Cpr) and hmac.compare_digest(self._digits, other._digits)

    def __hash__(self) -> int:
        return hash(self._digits)

    def __str__(self) -> str:
        return self.masked

    def __repr__(self) -> str:
        return f"Cpr({self.masked!r})"


def redact(text: str) -> str:
    """Replace anything CPR-shaped in free text."""
    return CPR_IN_TEXT.sub(REDACTED, text)


def _refuse_cpr(text: str) -> str:
    if CPR_IN_TEXT.search(text):
        # The message never repeats the text: it holds the number.
        # The Danish text is the contains-cpr code's (kommunal_pro.errors).
        raise PydanticCustomError("cpr_in_text", "the field must not contain a CPR number")
    return text


# Text staff write that may reach a notification or a log: refused (422, naming the field) if CPR-shaped.
# `NoCpr` is the type; `NO_CPR` the check, to add to another constrained str: Annotated[str, ..., NO_CPR].
NO_CPR = AfterValidator(_refuse_cpr)
NoCpr = Annotated[str, NO_CPR]
