"""The Danish texts of invitations and reminders.

They name the municipality, that a questionnaire is waiting and the due time (Copenhagen time, Danish format)
and link to the citizen solution, where the citizen logs in with MitID. They never name the questionnaire by
default: its title tells what the citizen is treated for ("GAD-7 – angstsymptomer"), and an SMS shows on a
locked phone. A municipality may let e-mails name it (`email_shows_questionnaire_title`); an SMS never does.

They are built only from those values, so they carry no answer or anything else about the citizen; what staff
wrote into the sender name or a title is refused if CPR-shaped (`kommunal_pro.cpr.NO_CPR`), and the finished
texts are redacted once more. Every SMS fits one part: GSM-7 only, at most 160 characters with the longest
municipality name and a real link (tests/unit/test_reminder_messages.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kommunal_pro.clock import COPENHAGEN
from kommunal_pro.cpr import redact
from kommunal_pro.scheduling.timeline import MessageKind

WEEKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
MONTHS = (
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
)


@dataclass(frozen=True)
class Message:
    sender: str
    subject: str
    email: str
    sms: str


def danish_time(instant: datetime) -> str:
    """E.g. "torsdag den 7. januar 2027 kl. 09.00", on the Copenhagen wall clock."""
    local = instant.astimezone(COPENHAGEN)
    return f"{WEEKDAYS[local.weekday()]} den {local.day}. {MONTHS[local.month - 1]} {local.year} kl. {local:%H.%M}"


def render(kind: MessageKind, sender: str, due_at: datetime, link: str, *, email_title: str | None = None) -> Message:
    """The e-mail names the questionnaire only when given `email_title`; the SMS never does."""
    due = danish_time(due_at)
    subject, lead, sms = {
        "invitation": (
            f"Nyt spørgeskema fra {sender}",
            f'Du har fået spørgeskemaet "{email_title}". Besvar det senest {due}.'
            if email_title
            else f"Du har fået et spørgeskema. Besvar det senest {due}.",
            f"Du har fået et spørgeskema. Svar senest {due}:",
        ),
        "reminder": (
            f"Påmindelse: spørgeskema fra {sender}",
            f'Husk at besvare spørgeskemaet "{email_title}" senest {due}.'
            if email_title
            else f"Husk at besvare dit spørgeskema senest {due}.",
            f"Husk at svare på dit spørgeskema senest {due}:",
        ),
        "overdue": (
            f"Du mangler at besvare et spørgeskema fra {sender}",
            f'Spørgeskemaet "{email_title}" skulle have været besvaret {due}. Du kan stadig nå at svare.'
            if email_title
            else f"Dit spørgeskema skulle have været besvaret {due}. Du kan stadig nå at svare.",
            f"Fristen for dit spørgeskema var {due}. Du kan stadig svare:",
        ),
    }[kind]
    email = (
        f"{lead}\n\nLog ind med MitID og besvar det her: {link}\n\n"
        f"Venlig hilsen\n{sender}\n\nDu kan ikke svare på denne e-mail."
    )
    return Message(
        sender=redact(sender), subject=redact(subject), email=redact(email), sms=redact(f"{sender}: {sms} {link}")
    )
