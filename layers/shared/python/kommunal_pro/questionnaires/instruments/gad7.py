"""GAD-7 (Generalised Anxiety Disorder-7), Danish.

Scoring: Spitzer RL, Kroenke K, Williams JBW, Löwe B. A brief measure for assessing generalized anxiety
disorder: the GAD-7. Arch Intern Med 2006;166(10):1092–1097 — seven items 0–3, total 0–21; 0–4 minimal,
5–9 mild, 10–14 moderate, 15–21 severe. Missing answers: see `frequency_instrument`. LOINC codes as in the
LOINC GAD-7 panel 69737-5. Free to reproduce and translate (Pfizer).
"""

from __future__ import annotations

from ..model import FlagLevel, QuestionnaireDefinition, Text, Title
from ._common import THANK_YOU, bands, feedback, frequency_instrument, severity_flags

QUESTIONS = [
    ("69725-0", "Følt dig nervøs, ængstelig eller på kanten", "Feeling nervous, anxious, or on edge"),
    (
        "68509-9",
        "Ikke været i stand til at stoppe eller kontrollere din bekymring",
        "Not being able to stop or control worrying",
    ),
    ("69733-4", "Bekymret dig for meget om forskellige ting", "Worrying too much about different things"),
    ("69734-2", "Haft svært ved at slappe af", "Trouble relaxing"),
    (
        "69735-9",
        "Været så rastløs, at det har været svært at sidde stille",
        "Being so restless that it is hard to sit still",
    ),
    ("69689-8", "Været let irritabel eller gnaven", "Becoming easily annoyed or irritable"),
    (
        "69736-7",
        "Følt dig bange, som om der kunne ske noget forfærdeligt",
        "Feeling afraid, as if something awful might happen",
    ),
]


def definition() -> QuestionnaireDefinition:
    return frequency_instrument(
        name="GAD7",
        title=Title(da="GAD-7 – angstsymptomer", en="GAD-7 – anxiety symptoms"),
        description=(
            "Syv spørgsmål om angstsymptomer i de sidste 2 uger (Generalised Anxiety Disorder-7).",
            "Seven questions on anxiety symptoms over the last 2 weeks (Generalised Anxiety Disorder-7).",
        ),
        code="69737-5",
        questions=QUESTIONS,
        total_name=Text(da="GAD-7 total", en="GAD-7 total"),
        total_bands=bands(
            [
                (0, 4, "Ingen eller minimale angstsymptomer", "Minimal anxiety"),
                (5, 9, "Lette angstsymptomer", "Mild anxiety"),
                (10, 14, "Moderate angstsymptomer", "Moderate anxiety"),
                (15, 21, "Svære angstsymptomer", "Severe anxiety"),
            ]
        ),
        flag_rules=severity_flags(
            "total",
            [
                (
                    FlagLevel.RED,
                    15,
                    None,
                    "GAD-7 på 15 eller derover: svære angstsymptomer – kontakt borgeren og vurdér behov for "
                    "henvisning til egen læge.",
                ),
                (
                    FlagLevel.YELLOW,
                    10,
                    14,
                    "GAD-7 på 10–14: moderate angstsymptomer – drøft med borgeren, og overvej henvisning til "
                    "egen læge.",
                ),
                (FlagLevel.GREEN, None, 9, "GAD-7 under 10: ingen eller lette angstsymptomer."),
            ],
        ),
        feedback_texts=feedback(
            "total",
            [
                (None, 9, *THANK_YOU),
                (
                    10,
                    None,
                    "Tak for dine svar. De tyder på, at du er meget plaget af uro eller bekymring for tiden. Vi "
                    "taler om dem ved din næste samtale.",
                    "Thank you for your answers. They suggest that you are much troubled by worry or unease. We "
                    "will talk about them at your next appointment.",
                ),
            ],
        ),
    )
