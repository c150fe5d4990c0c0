"""WHO-5 Trivselsindeks (WHO-Five Well-Being Index), the official Danish version.

Source: Psykiatrisk Center Nordsjælland, Region Hovedstadens Psykiatri (psykiatri-regionh.dk/who-5), where
WHO-5 was developed; the Danish wording and the six answers are also those of KL's FHIR profile for
municipal WHO-5 (hl7dk/KL-dk-tools). Scoring (Topp CW et al., Psychother Psychosom 2015;84:167–176):
five items 0–5, raw score 0–25, percentage = raw × 4. Raw below 13 (≤ 48 %) is poor well-being and an
indication for depression screening; ≤ 28 % suggests likely depression. Missing answers: the score is defined
for five answers only; no prorating, so an incomplete form has no score.
"""

from __future__ import annotations

from ..model import FlagLevel, QuestionnaireDefinition, Scale, ScaleMethod, Text, Title
from ._common import THANK_YOU, bands, choice, display, feedback, options, severity_flags

OPTIONS = [
    ("5", "Hele tiden", "All of the time"),
    ("4", "Det meste af tiden", "Most of the time"),
    ("3", "Lidt mere end halvdelen af tiden", "More than half of the time"),
    ("2", "Lidt mindre end halvdelen af tiden", "Less than half of the time"),
    ("1", "Lidt af tiden", "Some of the time"),
    ("0", "På intet tidspunkt", "At no time"),
]

STATEMENTS = [
    ("I de sidste 2 uger har jeg været glad og i godt humør", "I have felt cheerful and in good spirits"),
    ("I de sidste 2 uger har jeg følt mig rolig og afslappet", "I have felt calm and relaxed"),
    ("I de sidste 2 uger har jeg følt mig aktiv og energisk", "I have felt active and vigorous"),
    ("I de sidste 2 uger er jeg vågnet frisk og udhvilet", "I woke up feeling fresh and rested"),
    (
        "I de sidste 2 uger har min dagligdag været fyldt med ting der interesserer mig",
        "My daily life has been filled with things that interest me",
    ),
]

# The same three bands on both scales: ≤ 28 %, below 13 raw (the percentage moves in steps of 4), the rest.
BANDS: list[tuple[float, float, str, str]] = [
    (0, 7, "Lav trivsel – sandsynlig depression", "Poor well-being – likely depression"),
    (8, 12, "Lav trivsel", "Poor well-being"),
    (13, 25, "Ikke lav trivsel", "No sign of poor well-being"),
]


def definition() -> QuestionnaireDefinition:
    items = [f"who5-{number}" for number in range(1, len(STATEMENTS) + 1)]
    raw = Scale(
        id="raw",
        name=Text(da="Råscore (0–25)", en="Raw score (0–25)"),
        method=ScaleMethod.SUM,
        items=items,
        bands=bands(BANDS),
    )
    percentage = Scale(
        id="percentage",
        name=Text(da="Trivselsindeks (0–100)", en="Well-being index (0–100)"),
        method=ScaleMethod.SUM,
        items=items,
        multiply=4,
        bands=bands([(low * 4, high * 4, da, en) for low, high, da, en in BANDS]),
        headline=True,
    )
    return QuestionnaireDefinition(
        title=Title(da="WHO-5 Trivselsindeks", en="WHO-5 Well-Being Index"),
        description=Text(
            da="Fem udsagn om trivsel i de sidste 2 uger. WHO-5 er udviklet på Psykiatrisk Center "
            "Nordsjælland og kan frit anvendes.",
            en="Five statements on well-being over the last 2 weeks. WHO-5 was developed at the Mental Health "
            "Centre North Zealand, Denmark, and is free to use.",
        ),
        name="WHO5",
        items=[
            display(
                "who5-intro",
                "Angiv for hvert af de fem udsagn, hvad der kommer nærmest, hvordan du har haft det i de sidste "
                "2 uger.",
                "Please indicate for each of the five statements which is closest to how you have been feeling "
                "over the last two weeks.",
            ),
            *(choice(link_id, da, en, options(OPTIONS)) for link_id, (da, en) in zip(items, STATEMENTS, strict=True)),
        ],
        scales=[raw, percentage],
        # On the raw score, whose whole numbers leave no gaps between the rules: raw 7 is 28 %, raw 13 is 52 %.
        flag_rules=severity_flags(
            "raw",
            [
                (
                    FlagLevel.RED,
                    None,
                    7,
                    "WHO-5 på 28 eller derunder: sandsynlig depression – tal med borgeren om depression, og "
                    "overvej henvisning til egen læge.",
                ),
                (
                    FlagLevel.YELLOW,
                    8,
                    12,
                    "WHO-5 under 52: lav trivsel – overvej screening for depression.",
                ),
                (FlagLevel.GREEN, 13, None, "WHO-5 på 52 eller derover: ingen tegn på lav trivsel."),
            ],
        ),
        feedback=feedback(
            "raw",
            [
                (
                    None,
                    12,
                    "Tak for dine svar. De tyder på, at din trivsel er lav for tiden. Vi taler om dem ved din "
                    "næste samtale.",
                    "Thank you for your answers. They suggest that your well-being is low at the moment. We will "
                    "talk about them at your next appointment.",
                ),
                (13, None, *THANK_YOU),
            ],
        ),
        citizen_sees_scores=True,
    )
