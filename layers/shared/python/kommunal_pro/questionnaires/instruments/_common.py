"""Helpers the instrument modules share, so each module holds only its instrument's words and numbers."""

from __future__ import annotations

from ..model import (
    AnswerOption,
    Band,
    Coding,
    Feedback,
    FlagLevel,
    FlagRule,
    Item,
    ItemType,
    QuestionnaireDefinition,
    Scale,
    ScaleMethod,
    Text,
)

LOINC = "http://loinc.org"

# (code, Danish, English); the code is the option's score.
FREQUENCY_OPTIONS = [
    ("0", "Slet ikke", "Not at all"),
    ("1", "Adskillige dage", "Several days"),
    ("2", "Mere end halvdelen af dagene", "More than half the days"),
    ("3", "Næsten hver dag", "Nearly every day"),
]

# How PHQ-9 and GAD-7, both from the PHQ screeners, credit their authors and the grant.
PHQ_CREDIT = (
    "Udviklet af Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke m.fl. med støtte fra Pfizer Inc.",
    "Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues, "
    "with an educational grant from Pfizer Inc.",
)

# The feedback every instrument gives when there is nothing more to say: neutral, and true.
THANK_YOU = (
    "Tak for dine svar. Vi gennemgår dem sammen ved din næste samtale.",
    "Thank you for your answers. We will go through them together at your next appointment.",
)


def options(rows: list[tuple[str, str, str]], *, scored: bool = True) -> list[AnswerOption]:
    """Answer options from (code, Danish, English) rows; a scored option's score is its code."""
    return [
        AnswerOption(code=code, display=Text(da=da, en=en), score=float(code) if scored else None)
        for code, da, en in rows
    ]


def choice(link_id: str, da: str, en: str, answer_options: list[AnswerOption], *, loinc: str | None = None) -> Item:
    """A required single-choice question."""
    return Item(
        link_id=link_id,
        type=ItemType.CHOICE,
        text=Text(da=da, en=en),
        required=True,
        options=answer_options,
        codes=[Coding(system=LOINC, code=loinc)] if loinc else [],
    )


def display(link_id: str, da: str, en: str) -> Item:
    return Item(link_id=link_id, type=ItemType.DISPLAY, text=Text(da=da, en=en))


def bands(rows: list[tuple[float, float, str, str]]) -> list[Band]:
    return [Band(min=low, max=high, label=Text(da=da, en=en)) for low, high, da, en in rows]


def severity_flags(scale: str, rows: list[tuple[FlagLevel, float | None, float | None, str]]) -> list[FlagRule]:
    """Flag rules on one scale from (level, min, max, Danish message) rows, with ids like 'total-red'."""
    return [
        FlagRule(id=f"{scale}-{level}", level=level, scale=scale, min=low, max=high, message=Text(da=message))
        for level, low, high, message in rows
    ]


def feedback(scale: str, rows: list[tuple[float | None, float | None, str, str]]) -> list[Feedback]:
    return [Feedback(scale=scale, min=low, max=high, text=Text(da=da, en=en)) for low, high, da, en in rows]


def frequency_instrument(
    *,
    name: str,
    title: Text,
    description: tuple[str, str],
    code: str,
    questions: list[tuple[str, str, str]],
    total_name: Text,
    total_bands: list[Band],
    flag_rules: list[FlagRule],
    feedback_texts: list[Feedback],
) -> QuestionnaireDefinition:
    """PHQ-9 and GAD-7: questions answered 0–3 on how often over the last 2 weeks, summed into 'total'.

    Missing answers follow the NHS Data Dictionary entries for both instruments ("Patient Health
    Questionnaire-9", "Generalised Anxiety Disorder Questionnaire"): with one or two items missing the
    missing ones take the mean of the answered (= prorating), with more the form is not scored. The
    prorated total is rounded half-up to a whole number, so it falls in one of the integer bands (a half
    goes to the more severe one). The last question, how much the problems get in the way, is on the
    official forms but not scored, and optional.
    `description` is (Danish, English), to which the authors' credit is added; `questions` are (LOINC code,
    Danish, English); linkIds are the lower-case name and the item number.
    """
    prefix = name.lower()
    scored = [f"{prefix}-{number}" for number in range(1, len(questions) + 1)]
    items = [
        display(
            f"{prefix}-intro",
            "I løbet af de sidste 2 uger, hvor ofte har du været generet af følgende problemer?",
            "Over the last 2 weeks, how often have you been bothered by the following problems?",
        ),
        *(
            choice(link_id, da, en, options(FREQUENCY_OPTIONS), loinc=loinc)
            for link_id, (loinc, da, en) in zip(scored, questions, strict=True)
        ),
        Item(
            link_id=f"{prefix}-difficulty",
            type=ItemType.CHOICE,
            text=Text(
                da="Hvis du har haft nogen af disse problemer, hvor svært har de så gjort det for dig at passe "
                "dit arbejde, klare ting derhjemme eller være sammen med andre mennesker?",
                en="If you checked off any problems, how difficult have these problems made it for you to do "
                "your work, take care of things at home, or get along with other people?",
            ),
            options=options(
                [
                    ("0", "Slet ikke svært", "Not difficult at all"),
                    ("1", "Lidt svært", "Somewhat difficult"),
                    ("2", "Meget svært", "Very difficult"),
                    ("3", "Ekstremt svært", "Extremely difficult"),
                ],
                scored=False,
            ),
        ),
    ]
    total = Scale(
        id="total",
        name=total_name,
        method=ScaleMethod.SUM,
        items=scored,
        min_answered=len(scored) - 2,
        prorate=True,
        decimals=0,
        bands=total_bands,
        headline=True,
    )
    return QuestionnaireDefinition(
        title=title,
        description=Text(da=f"{description[0]} {PHQ_CREDIT[0]}", en=f"{description[1]} {PHQ_CREDIT[1]}"),
        name=name,
        codes=[Coding(system=LOINC, code=code)],
        items=items,
        scales=[total],
        flag_rules=flag_rules,
        feedback=feedback_texts,
        citizen_sees_scores=False,
    )
