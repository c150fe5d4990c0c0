import type { Answers, Item, Value } from "./enableWhen";

/** A field's typed text as the API's answer value for its item type; null when it is empty or not that type. */
export function toValue(type: string, raw: string): Value | null {
  const text = raw.trim();
  if (text === "") return null;
  if (type === "integer") return /^-?\d+$/.test(text) ? Number(text) : null;
  if (type === "decimal") {
    const number = Number(text.replace(",", "."));
    return Number.isFinite(number) ? number : null;
  }
  if (type === "boolean") return text === "true";
  if (type === "time") return /^\d{2}:\d{2}$/.test(text) ? `${text}:00` : text;
  return raw;
}

/** The answers to send: only shown questions with a value (the server refuses answers to hidden ones). */
export function answersToSend(answers: Answers, shown: Set<string>): Answers {
  return Object.fromEntries(Object.entries(answers).filter(([id, values]) => shown.has(id) && values.length > 0));
}

export interface ProblemError {
  location: string;
  message?: string;
  messageDa?: string;
  code?: string;
  type?: string;
}

/** The Danish message of each field the server's problem+json names, keyed by linkId (`answers.<linkId>`). */
export function errorsByField(errors: ProblemError[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const error of errors ?? []) {
    const field = error.location.startsWith("answers.") ? error.location.slice("answers.".length) : error.location;
    out[field] ??= error.messageDa ?? error.message ?? "Der er en fejl i svaret";
  }
  return out;
}

/** The first page holding a field with an error, so that the citizen is taken to it. */
export function pageOfFirstError(pages: { items: Item[] }[], errors: Record<string, string>): number {
  const ids = (items: Item[]): string[] => items.flatMap((i) => [i.linkId, ...ids(i.items ?? [])]);
  const index = pages.findIndex((page) => ids(page.items).some((id) => id in errors));
  return Math.max(index, 0);
}
