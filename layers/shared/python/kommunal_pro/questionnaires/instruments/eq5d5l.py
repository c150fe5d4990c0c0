"""EQ-5D-5L, Danish, with the Danish value set.

Five dimensions — mobility (MO), self-care (SC), usual activities (UA), pain/discomfort (PD),
anxiety/depression (AD) — each answered at level 1–5, and EQ VAS, the citizen's own rating of their health
today, 0–100. The index is 1 plus each dimension's decrement at its level (level 1: 0) from
`eq5d5l-dk-value-set-coefficients.csv`: Jensen CE et al., "The Danish EQ-5D-5L Value Set: A Hybrid Model
Using cTTO and DCE Data", Appl Health Econ Health Policy 2021;19(4):579–591; reported to 3 decimals.
Missing answers: the EuroQol user guide computes no index unless all five dimensions are answered; EQ VAS
is scored on its own.

Flags: the value set has no clinical cut-offs, so staff are flagged yellow when the citizen reports severe
or extreme problems / inability (level 4 or 5) on any dimension, one flag per dimension saying which.

The Danish wording must be the licensed one: using EQ-5D requires registration with the EuroQol Research
Foundation, which supplies the official Danish form.
"""

from __future__ import annotations

import csv
from importlib import resources

from ..model import (
    FlagLevel,
    FlagRule,
    Item,
    ItemType,
    QuestionnaireDefinition,
    Scale,
    ScaleMethod,
    Text,
    Title,
    ValueTable,
)
from ._common import THANK_YOU, choice, display, feedback, options

VALUE_SET = "eq5d5l-dk-value-set-coefficients.csv"

# linkId, what a flag calls the dimension, its (Danish, English) heading, the five levels' (Danish, English) statements.
DIMENSIONS = [
    (
        "MO",
        "bevægelighed",
        ("Bevægelighed", "Mobility"),
        [
            ("Jeg har ingen problemer med at gå omkring", "I have no problems in walking about"),
            ("Jeg har lidt problemer med at gå omkring", "I have slight problems in walking about"),
            ("Jeg har moderate problemer med at gå omkring", "I have moderate problems in walking about"),
            ("Jeg har store problemer med at gå omkring", "I have severe problems in walking about"),
            ("Jeg kan ikke gå omkring", "I am unable to walk about"),
        ],
    ),
    (
        "SC",
        "personlig pleje",
        ("Personlig pleje", "Self-care"),
        [
            (
                "Jeg har ingen problemer med at vaske mig eller klæde mig på",
                "I have no problems washing or dressing myself",
            ),
            (
                "Jeg har lidt problemer med at vaske mig eller klæde mig på",
                "I have slight problems washing or dressing myself",
            ),
            (
                "Jeg har moderate problemer med at vaske mig eller klæde mig på",
                "I have moderate problems washing or dressing myself",
            ),
            (
                "Jeg har store problemer med at vaske mig eller klæde mig på",
                "I have severe problems washing or dressing myself",
            ),
            ("Jeg kan ikke vaske mig eller klæde mig på", "I am unable to wash or dress myself"),
        ],
    ),
    (
        "UA",
        "sædvanlige aktiviteter",
        (
            "Sædvanlige aktiviteter (fx arbejde, studie, husarbejde, familie- eller fritidsaktiviteter)",
            "Usual activities (e.g. work, study, housework, family or leisure activities)",
        ),
        [
            (
                "Jeg har ingen problemer med at udføre mine sædvanlige aktiviteter",
                "I have no problems doing my usual activities",
            ),
            (
                "Jeg har lidt problemer med at udføre mine sædvanlige aktiviteter",
                "I have slight problems doing my usual activities",
            ),
            (
                "Jeg har moderate problemer med at udføre mine sædvanlige aktiviteter",
                "I have moderate problems doing my usual activities",
            ),
            (
                "Jeg har store problemer med at udføre mine sædvanlige aktiviteter",
                "I have severe problems doing my usual activities",
            ),
            ("Jeg kan ikke udføre mine sædvanlige aktiviteter", "I am unable to do my usual activities"),
        ],
    ),
    (
        "PD",
        "smerter/ubehag",
        ("Smerter/ubehag", "Pain/discomfort"),
        [
            ("Jeg har ingen smerter eller ubehag", "I have no pain or discomfort"),
            ("Jeg har lidt smerter eller ubehag", "I have slight pain or discomfort"),
            ("Jeg har moderate smerter eller ubehag", "I have moderate pain or discomfort"),
            ("Jeg har stærke smerter eller ubehag", "I have severe pain or discomfort"),
            ("Jeg har ekstreme smerter eller ubehag", "I have extreme pain or discomfort"),
        ],
    ),
    (
        "AD",
        "angst/depression",
        ("Angst/depression", "Anxiety/depression"),
        [
            ("Jeg er ikke ængstelig eller deprimeret", "I am not anxious or depressed"),
            ("Jeg er lidt ængstelig eller deprimeret", "I am slightly anxious or depressed"),
            ("Jeg er moderat ængstelig eller deprimeret", "I am moderately anxious or depressed"),
            ("Jeg er meget ængstelig eller deprimeret", "I am severely anxious or depressed"),
            ("Jeg er ekstremt ængstelig eller deprimeret", "I am extremely anxious or depressed"),
        ],
    ),
]

SEVERE_LEVELS = ["4", "5"]


def value_table() -> ValueTable:
    """The Danish value set: constant = StartValue, values[dimension][level] = decrement (level 1: 0)."""
    values: dict[str, dict[str, float]] = {dimension: {"1": 0.0} for dimension, *_ in DIMENSIONS}
    constant: float | None = None
    with resources.files(__package__).joinpath(VALUE_SET).open(encoding="utf-8") as rows:
        for parameter, value in csv.reader(rows):
            if parameter == "StartValue":
                constant = float(value)
            elif parameter[:2] in values:
                values[parameter[:2]][parameter[2:]] = float(value)
    if constant is None or any(len(levels) != 5 for levels in values.values()):
        raise ValueError(f"{VALUE_SET} lacks the start value or a dimension's levels")
    return ValueTable(constant=constant, values=values)


def definition() -> QuestionnaireDefinition:
    dimensions = [dimension for dimension, *_ in DIMENSIONS]
    index = Scale(
        id="index",
        name=Text(da="EQ-5D-5L indeks (dansk værdisæt)", en="EQ-5D-5L index (Danish value set)"),
        method=ScaleMethod.VALUE_TABLE,
        items=dimensions,
        decimals=3,
        value_table=value_table(),
        headline=True,
    )
    vas = Scale(id="vas", name=Text(da="EQ VAS", en="EQ VAS"), method=ScaleMethod.SUM, items=["VAS"])
    return QuestionnaireDefinition(
        title=Title(da="EQ-5D-5L – helbredsrelateret livskvalitet", en="EQ-5D-5L – health-related quality of life"),
        description=Text(
            da="Fem spørgsmål om dit helbred i dag og en skala fra 0 til 100. EQ-5D™ er et varemærke tilhørende "
            "EuroQol Research Foundation; brug kræver registrering hos EuroQol.",
            en="Five questions on your health today and a scale from 0 to 100. EQ-5D™ is a trade mark of the "
            "EuroQol Research Foundation; use requires registration with EuroQol.",
        ),
        name="EQ5D5L",
        items=[
            display(
                "eq5d-intro",
                "Under hver overskrift bedes du vælge det ene udsagn, der bedst beskriver dit helbred I DAG.",
                "Under each heading, please choose the ONE statement that best describes your health TODAY.",
            ),
            *(
                choice(
                    dimension,
                    heading_da,
                    heading_en,
                    options([(str(level), da, en) for level, (da, en) in enumerate(levels, start=1)]),
                )
                for dimension, _, (heading_da, heading_en), levels in DIMENSIONS
            ),
            Item(
                link_id="VAS",
                type=ItemType.INTEGER,
                text=Text(
                    da="Vi vil gerne vide, hvor godt eller dårligt dit helbred er I DAG. 100 betyder det bedste "
                    "helbred, du kan forestille dig, og 0 betyder det dårligste helbred, du kan forestille dig. "
                    "Angiv et tal fra 0 til 100.",
                    en="We would like to know how good or bad your health is TODAY. 100 means the best health you "
                    "can imagine, 0 means the worst health you can imagine. Give a number from 0 to 100.",
                ),
                required=True,
                min_value=0,
                max_value=100,
            ),
        ],
        scales=[index, vas],
        flag_rules=[
            FlagRule(
                id=f"{dimension.lower()}-severe",
                level=FlagLevel.YELLOW,
                item=dimension,
                codes=SEVERE_LEVELS,
                message=Text(da=f"EQ-5D-5L: borgeren angiver store eller ekstreme problemer med {short}."),
            )
            for dimension, short, _, _ in DIMENSIONS
        ],
        feedback=feedback("index", [(None, None, *THANK_YOU)]),
        citizen_sees_scores=False,
    )
