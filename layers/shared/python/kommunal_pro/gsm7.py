"""How many GSM-7 characters a text takes in an SMS (3GPP TS 23.038), or None if it cannot be sent as GSM-7.

One SMS part holds 160 GSM-7 characters. A character of the extension table (`{}[]~\\^|€` and form feed) takes
two, an escape and itself. Any other character (an en dash, curly quotes, an emoji) turns the whole message
into UCS-2, 70 characters a part.
"""

from __future__ import annotations

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

SMS_PART = 160

BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
EXTENSION = frozenset("\f^{}\\[~]|€")


def gsm7_length(text: str) -> int | None:
    """The text's length in GSM-7 septets (extension characters count two); None if a character is not GSM-7."""
    length = 0
    for character in text:
        if character in BASIC:
            length += 1
        elif character in EXTENSION:
            length += 2
        else:
            return None
    return length


def fits_one_sms(text: str) -> bool:
    length = gsm7_length(text)
    return length is not None and length <= SMS_PART


def gsm7_text(max_length: int) -> AfterValidator:
    """A check for text that goes into every SMS: GSM-7 only, at most `max_length` septets."""

    def check(text: str) -> str:
        length = gsm7_length(text)
        if length is None:
            raise PydanticCustomError(
                "sms_characters",
                "Brug kun bogstaver, tal og almindelige tegn, der kan sendes i en SMS (no – dash, curly quotes or "
                "emoji: the text must be GSM-7)",
            )
        if length > max_length:
            raise PydanticCustomError(
                "sms_too_long",
                "Skriv højst {max_length} tegn, så SMS'en kan være i én besked (at most {max_length} SMS characters)",
                {"max_length": max_length},
            )
        return text

    return AfterValidator(check)
