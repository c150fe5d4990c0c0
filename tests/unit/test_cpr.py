import io
import logging
from datetime import date

import pytest
from aws_lambda_powertools import Logger
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from kommunal_pro.cpr import Cpr, InvalidCpr, NoCpr, redact

KEY = b"k" * 32


@pytest.mark.parametrize(
    ("value", "born"),
    [
        ("010180-1234", "1980-01-01"),  # 7th digit 1: 1900s
        ("0101801234", "1980-01-01"),  # without the dash
        ("290200-4321", "2000-02-29"),  # 7th digit 4, year 00: 2000s, a leap day
        ("150537-4000", "1937-05-15"),  # 7th digit 4, year 37: 1900s
        ("311299-5678", "1899-12-31"),  # 7th digit 5, year 99: 1800s
        ("010157-8000", "2057-01-01"),  # 7th digit 8, year 57: 2000s
        ("241290-9111", "1990-12-24"),  # 7th digit 9, year 90: 1900s
    ],
)
def test_valid_cpr_numbers_and_their_birth_dates(value: str, born: str) -> None:
    assert Cpr(value).birth_date.isoformat() == born


@pytest.mark.parametrize(
    "value",
    [
        "300280-1234",  # 30 February
        "290201-4321",  # 29 February 2001 is no leap day
        "320180-1234",  # day 32
        "011380-1234",  # month 13
        "010180-123",  # too short
        "010180-12345",  # too long
        "01018O-1234",  # a letter O
        "abcdef-ghij",
        "010180--1234",
        "",
    ],
)
def test_invalid_cpr_numbers_are_refused_without_echoing_them(value: str) -> None:
    with pytest.raises(InvalidCpr) as refused:
        Cpr(value)
    assert value.replace("-", "")[:6] not in str(refused.value) or not value


def test_a_cpr_masks_itself_everywhere_it_could_be_printed() -> None:
    cpr = Cpr("010180-1234")
    assert cpr.masked == "010180-XXXX"
    assert "1234" not in str(cpr)
    assert "1234" not in repr(cpr)
    assert "1234" not in f"{cpr}"
    assert cpr.reveal() == "010180-1234"


def test_keyed_hash_is_stable_per_key_and_dash_insensitive() -> None:
    with_dash, without = Cpr("010180-1234"), Cpr("0101801234")
    assert with_dash == without
    assert with_dash.keyed_hash(KEY) == without.keyed_hash(KEY)
    assert with_dash.keyed_hash(KEY) != with_dash.keyed_hash(b"x" * 32)
    assert with_dash.keyed_hash(KEY) != Cpr("010180-1235").keyed_hash(KEY)
    assert "0101801234" not in with_dash.keyed_hash(KEY)


def test_a_short_hash_key_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        Cpr("010180-1234").keyed_hash(b"short")


def _a_seventh_digit_for(year: int) -> str:
    """From the CPR office's table, read the other way round: a digit that places `year` right."""
    if 1900 <= year <= 1999:
        return "2"
    if 2000 <= year <= 2036:
        return "9"
    return "7"  # 1858-1899 and 2037-2057


@given(st.dates(date(1858, 1, 1), date(2057, 12, 31)), st.integers(0, 999))
def test_any_real_birth_date_gives_a_valid_cpr(born: date, serial: int) -> None:
    value = f"{born:%d%m%y}-{_a_seventh_digit_for(born.year)}{serial:03d}"
    assert Cpr(value).birth_date == born


def test_redact_removes_cpr_shaped_numbers_but_not_other_numbers() -> None:
    text = "borger 010180-1234 og 0101801235, sag 12345678901, telefon 12345678"
    redacted = redact(text)
    assert "010180-1234" not in redacted and "0101801235" not in redacted
    assert "12345678901" in redacted and "12345678" in redacted


def test_log_lines_never_contain_a_cpr_number() -> None:
    from kommunal_pro.observability import CprRedactingFormatter, logger

    assert isinstance(logger.registered_formatter, CprRedactingFormatter)
    stream = io.StringIO()
    probe = Logger(
        service="cpr-probe", logger_formatter=CprRedactingFormatter(), logger_handler=logging.StreamHandler(stream)
    )
    probe.info("looked up 010180-1234", extra={"input": "0101801234"})
    try:
        raise ValueError("bad cpr 010180-1234")
    except ValueError:
        probe.exception("failed")
    out = stream.getvalue()
    assert "looked up [CPR]" in out and "bad cpr [CPR]" in out
    assert "010180-1234" not in out and "0101801234" not in out


class _Named(BaseModel):
    name: NoCpr


@pytest.mark.parametrize("text", ["Kbh 111111-1118", "1111111118", "Kbh 111111 1118 Kommune", "x010180-1234"])
def test_no_cpr_refuses_cpr_shaped_text(text: str) -> None:
    with pytest.raises(ValidationError) as refused:
        _Named(name=text)
    (error,) = refused.value.errors()
    assert (error["loc"], error["type"]) == (("name",), "cpr_in_text")
    assert "1118" not in error["msg"] and "1234" not in error["msg"]


@pytest.mark.parametrize(
    "text",
    ["Aarhus Kommune", "Ring +45 20 30 40 50", "Frist 2027-01-04", "sag 12345678901", "telefon 12345678", "KOL 2027"],
)
def test_no_cpr_accepts_ordinary_text(text: str) -> None:
    assert _Named(name=text).name == text
