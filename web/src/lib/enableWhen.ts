/** enableWhen as the server applies it (questionnaires/answers.py): an item is shown when its parent is shown and
 * its conditions hold; a hidden question's answer counts as absent; `=` holds when one answer equals the value,
 * `!=` when one answer differs; a comparison with no answer is false. */
export type Value = boolean | number | string;
export type Answers = Record<string, Value[]>;
export interface Condition {
  question: string;
  operator: "exists" | "=" | "!=" | ">" | "<" | ">=" | "<=";
  answer: Value;
}
export interface Item {
  linkId: string;
  type: string;
  enableWhen?: Condition[];
  enableBehavior?: "all" | "any" | null;
  items?: Item[];
  [other: string]: unknown;
}

const TEMPORAL = new Set(["date", "dateTime", "time"]);

function comparable(type: string, value: Value): Value | null {
  if (!TEMPORAL.has(type)) return value;
  if (typeof value !== "string") return null;
  // ISO 8601 values of one type compare as strings once normalised to the same precision.
  if (type === "date") return /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : null;
  if (type === "time") return /^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value) ? value.padEnd(8, ":00").slice(0, 8) : null;
  const time = Date.parse(value);
  return Number.isNaN(time) ? null : time;
}

function holds(condition: Condition, type: string, values: Value[]): boolean {
  if (condition.operator === "exists") return (values.length > 0) === condition.answer;
  const expected = comparable(type, condition.answer);
  if (expected === null) return false;
  return values.some((raw) => {
    const value = comparable(type, raw);
    if (value === null || typeof value !== typeof expected) return false;
    switch (condition.operator) {
      case "=":
        return value === expected;
      case "!=":
        return value !== expected;
      case ">":
        return value > expected;
      case "<":
        return value < expected;
      case ">=":
        return value >= expected;
      case "<=":
        return value <= expected;
    }
  });
}

export function flatten(items: Item[], parent: string | null = null, out = new Map<string, [Item, string | null]>()) {
  for (const item of items) {
    out.set(item.linkId, [item, parent]);
    flatten(item.items ?? [], item.linkId, out);
  }
  return out;
}

/** The linkIds of every item shown for these answers. */
export function enabledItems(items: Item[], answers: Answers): Set<string> {
  const byId = flatten(items);
  const memo = new Map<string, boolean>();
  const shown = (linkId: string): boolean => {
    const known = memo.get(linkId);
    if (known !== undefined) return known;
    const [item, parent] = byId.get(linkId)!;
    const visible = (id: string) => (byId.has(id) && shown(id) ? (answers[id] ?? []) : []);
    const conditions = item.enableWhen ?? [];
    const results = () =>
      conditions.map((c) => {
        const question = byId.get(c.question);
        return question ? holds(c, question[0].type, visible(c.question)) : false;
      });
    const ok =
      conditions.length === 0 ||
      (item.enableBehavior === "any" ? results().some(Boolean) : results().every(Boolean));
    const result = (parent === null || shown(parent)) && ok;
    memo.set(linkId, result);
    return result;
  };
  return new Set([...byId.keys()].filter(shown));
}
