const MONTHS = ["januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober", "november", "december"];

/** "1. december 2026" as the glossary writes dates. */
export function danishDate(iso: string): string {
  const d = new Date(iso);
  return `${d.getDate()}. ${MONTHS[d.getMonth()]} ${d.getFullYear()}`;
}

/** "1. december 2026 kl. 14.30". */
export function danishDateTime(iso: string): string {
  const d = new Date(iso);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${danishDate(iso)} kl. ${two(d.getHours())}.${two(d.getMinutes())}`;
}
