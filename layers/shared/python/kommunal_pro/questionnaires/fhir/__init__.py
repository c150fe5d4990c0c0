"""FHIR R4 `Questionnaire` import into the native definition (model.py), and export back out.

Import never guesses. Every element of the resource is either mapped, ignored with a note in the import
report (because it does not change what the citizen sees or how answers score), or refused with a 422
that lists every problem at once, each with its location (`item <linkId>`, `contained <id>` or
`Questionnaire`) and an English message naming the element.

| FHIR                                                | import                                                   |
|-----------------------------------------------------|----------------------------------------------------------|
| strict validation with `fhir.resources.R4B` fails   | refused, except inside a `variable` extension (a name    |
|                                                     | like `q1_value` breaks the id pattern): warned; the rest |
|                                                     | is still checked, so every problem is reported at once   |
| title (else name), description, url, name, code     | mapped; no title and no name: refused                    |
| texts of title, description, items, options         | `text` → Text.da; a `translation` extension (`_text` …)  |
|                                                     | → Text.en/da; other languages ignored                    |
| `language` not Danish                               | warned: the texts become the Danish texts (Text.da is    |
|                                                     | required) and, if English, also Text.en                  |
| linkId, prefix, code, required, repeats, readOnly,  | mapped                                                   |
|   maxLength, enableBehavior, nested items           |                                                          |
| types group, display, boolean, decimal, integer,    | mapped                                                   |
|   date, dateTime, time, string, text, choice        |                                                          |
| a question of another type with answerOption        | info: a choice whose option codes are the values         |
| types open-choice, quantity, attachment, reference, | refused                                                  |
|   url                                               |                                                          |
| question or display item without text               | refused (the citizen would see nothing, or a linkId)     |
| enableWhen: 7 operators, answer boolean, decimal,   | mapped; answerCoding → its code, answers to choice       |
|   integer, date, dateTime, time, string, Coding     |   questions → the option code                            |
| enableWhen answer[x] that does not fit its question | refused (the condition cannot be evaluated as written)   |
| enableWhen answerQuantity, answerReference          | refused                                                  |
| answerOption valueCoding, valueString, valueInteger,| mapped: code, system, display (else the code)            |
|   valueDate, valueTime                              |                                                          |
| answerOption valueReference, initialSelected,       | refused (the model has no pre-filled answers)            |
|   item.initial                                      |                                                          |
| answerValueSet `#id` → contained ValueSet           | mapped from expansion.contains or compose.include.concept|
|                                                     |   (filters, included value sets, excludes: refused)      |
| answerValueSet to anything else                     | refused (its options cannot be known here)               |
| ordinalValue, itemWeight, iso21090-CO-value         | mapped to the option's score; conflicting values refused |
| minValue, maxValue, maxDecimalPlaces,               | mapped; non-numeric limits (e.g. dates) refused          |
|   questionnaire-unit                                |                                                          |
| itemControl `help` on a display child item          | mapped to the parent's help (the first; others stay)     |
| other itemControl codes, rendering-style/-xhtml/    | warned and ignored: presentation, or data extraction     |
|   -styleSensitive, optionPrefix, displayCategory,   |   we do not do                                           |
|   entryFormat, observationLinkPeriod/-Extract,      |                                                          |
|   variable                                          |                                                          |
| any other extension                                 | warned and ignored (FHIR lets readers ignore extensions  |
|                                                     |   that are not modifiers)                                |
| an extension with an expression (calculated-,       | refused: they change what the citizen sees, what is      |
|   enableWhen-, initialExpression, cqf-expression …),|   accepted, or how answers score                         |
|   questionnaire-hidden, minOccurs > 1, maxOccurs,   |                                                          |
|   optionExclusive, minLength, regex, constraint,    |                                                          |
|   subQuestionnaire; modifierExtension, implicitRules|                                                          |
| minOccurs ≤ 1, questionnaire-hidden false           | info: no effect                                          |
| id, meta, narrative, version, status, publisher,    | info: not imported (Kommunal PRO has its own identity    |
|   dates, contact, jurisdiction, derivedFrom …;      |   and lifecycle; definition only serves extraction)      |
|   item.definition                                   |                                                          |
| copyright                                           | warned: add it to the description if it must be shown   |
| contained resources no item uses                    | info: ignored                                            |
| our scoring extension (see below)                   | mapped                                                   |

Export writes every field of the model: options as answerOption valueCoding with an `ordinalValue`
extension for the score, English texts as `translation` extensions, help as a display child item
`<linkId>-help` with itemControl `help`, and the scales, flag rules, feedback texts and
`citizenSeesScores` — which have no FHIR equivalent — as one root extension `SCORING_EXTENSION` whose
valueString is their native JSON.
The exported `url` is ours (`{base_url}/Questionnaire/{id}`, with our `version`); the url a definition
was imported with goes to `derivedFrom`, and importing one of our exports reads it back from there.
`import_questionnaire(export_questionnaire(d)) == d` for every definition import produces.
"""
