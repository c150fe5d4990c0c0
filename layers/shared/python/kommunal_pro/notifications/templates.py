"""The Danish texts of invitations and reminders.

They name the municipality, the questionnaire and the due time (Copenhagen time, Danish format) and link to
the citizen solution, where the citizen logs in with MitID. They are built only from those values, so they can
never carry a CPR number, an answer or anything else about the citizen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kommunal_pro.clock import COPENHAGEN
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


def render(kind: MessageKind, sender: str, title: str, due_at: datetime, link: str) -> Message:
    due = danish_time(due_at)
    subject, lead = {
        "invitation": (
            f"Nyt spørgeskema fra {sender}",
            f'Du har fået spørgeskemaet "{title}". Besvar det senest {due}.',
        ),
        "reminder": (
            f"Påmindelse: spørgeskema fra {sender}",
            f'Husk at besvare spørgeskemaet "{title}" senest {due}.',
        ),
        "overdue": (
            f"Du mangler at besvare et spørgeskema fra {sender}",
            f'Spørgeskemaet "{title}" skulle have været besvaret {due}. Du kan stadig nå at svare.',
        ),
    }[kind]
    email = (
        f"{lead}\n\nLog ind med MitID og besvar det her: {link}\n\n"
        f"Venlig hilsen\n{sender}\n\nDu kan ikke svare på denne e-mail."
    )
    return Message(sender=sender, subject=subject, email=email, sms=f"{sender}: {lead} {link}")
