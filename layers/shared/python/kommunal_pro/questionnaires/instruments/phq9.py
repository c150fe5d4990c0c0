"""PHQ-9 (Patient Health Questionnaire-9), Danish.

Scoring: Kroenke K, Spitzer RL, Williams JB. The PHQ-9: validity of a brief depression severity measure.
J Gen Intern Med 2001;16(9):606–613 — nine items 0–3, total 0–27; 0–4 minimal, 5–9 mild, 10–14 moderate,
15–19 moderately severe, 20–27 severe. Missing answers: see `frequency_instrument`. Item 9 (thoughts of
being better off dead or of self-harm) flags red on any answer but "Slet ikke", whatever the total.
LOINC codes as in the LOINC PHQ-9 panel 44249-1. The PHQ is free to reproduce and translate (Pfizer).
"""

from __future__ import annotations

from ..model import FlagLevel, FlagRule, QuestionnaireDefinition, Text, Title
from ._common import THANK_YOU, bands, feedback, frequency_instrument, severity_flags

QUESTIONS = [
    ("44250-9", "Lille interesse for eller glæde ved at gøre ting", "Little interest or pleasure in doing things"),
    ("44255-8", "Følt dig nedtrykt, deprimeret eller håbløs", "Feeling down, depressed, or hopeless"),
    (
        "44259-0",
        "Besvær med at falde i søvn eller sove igennem – eller sovet for meget",
        "Trouble falling or staying asleep, or sleeping too much",
    ),
    ("44254-1", "Følt dig træt eller haft for lidt energi", "Feeling tired or having little energy"),
    ("44251-7", "Dårlig appetit eller spist for meget", "Poor appetite or overeating"),
    (
        "44258-2",
        "Haft det dårligt med dig selv – eller følt, at du er en fiasko eller har svigtet dig selv eller din familie",
        "Feeling bad about yourself — or that you are a failure or have let yourself or your family down",
    ),
    (
        "44252-5",
        "Besvær med at koncentrere dig om ting, fx at læse avis eller se fjernsyn",
        "Trouble concentrating on things, such as reading the newspaper or watching television",
    ),
    (
        "44253-3",
        "Bevæget dig eller talt så langsomt, at andre kunne bemærke det – eller det modsatte: været så urolig "
        "eller rastløs, at du har bevæget dig meget mere end sædvanligt",
        "Moving or speaking so slowly that other people could have noticed. Or the opposite — being so fidgety "
        "or restless that you have been moving around a lot more than usual",
    ),
    (
        "44260-8",
        "Tanker om, at du hellere ville være død, eller om at gøre skade på dig selv på en eller anden måde",
        "Thoughts that you would be better off dead, or of hurting yourself in some way",
    ),
]

SELF_HARM_ITEM = "phq9-9"


def definition() -> QuestionnaireDefinition:
    return frequency_instrument(
        name="PHQ9",
        title=Title(da="PHQ-9 – depressionssymptomer", en="PHQ-9 – depression symptoms"),
        description=(
            "Ni spørgsmål om depressionssymptomer i de sidste 2 uger (Patient Health Questionnaire-9).",
            "Nine questions on depression symptoms over the last 2 weeks (Patient Health Questionnaire-9).",
        ),
        code="44249-1",
        questions=QUESTIONS,
        total_name=Text(da="PHQ-9 total", en="PHQ-9 total"),
        total_bands=bands(
            [
                (0, 4, "Ingen eller minimale depressionssymptomer", "Minimal depression"),
                (5, 9, "Lette depressionssymptomer", "Mild depression"),
                (10, 14, "Moderate depressionssymptomer", "Moderate depression"),
                (15, 19, "Moderat svære depressionssymptomer", "Moderately severe depression"),
                (20, 27, "Svære depressionssymptomer", "Severe depression"),
            ]
        ),
        flag_rules=[
            *severity_flags(
                "total",
                [
                    (
                        FlagLevel.RED,
                        20,
                        None,
                        "PHQ-9 på 20 eller derover: svære depressionssymptomer – kontakt borgeren og vurdér "
                        "behov for henvisning til egen læge.",
                    ),
                    (
                        FlagLevel.YELLOW,
                        10,
                        19,
                        "PHQ-9 på 10–19: moderate depressionssymptomer – drøft med borgeren, og overvej "
                        "henvisning til egen læge.",
                    ),
                    (FlagLevel.GREEN, None, 9, "PHQ-9 under 10: ingen eller lette depressionssymptomer."),
                ],
            ),
            FlagRule(
                id="self-harm",
                level=FlagLevel.RED,
                item=SELF_HARM_ITEM,
                codes=["1", "2", "3"],
                message=Text(da="Borgeren angiver tanker om selvskade (PHQ-9 spørgsmål 9) – kontakt borgeren."),
            ),
        ],
        feedback_texts=feedback(
            "total",
            [
                (None, 9, *THANK_YOU),
                (
                    10,
                    None,
                    "Tak for dine svar. De tyder på, at du har det svært for tiden. Vi taler om dem ved din "
                    "næste samtale.",
                    "Thank you for your answers. They suggest that you are having a hard time. We will talk "
                    "about them at your next appointment.",
                ),
                (
                    None,
                    None,
                    "Har du tanker om at skade dig selv, så kontakt din egen læge eller lægevagten. Ved akut "
                    "fare: ring 112.",
                    "If you have thoughts of harming yourself, contact your own doctor or the out-of-hours "
                    "doctor. In an emergency, call 112.",
                ),
            ],
        ),
    )
