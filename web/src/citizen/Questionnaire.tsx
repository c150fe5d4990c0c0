import type { Answers, Item, Value } from "../lib/enableWhen";
import { toValue } from "../lib/answers";

interface FieldProps {
  item: Item;
  answers: Answers;
  raw: Record<string, string>;
  shown: Set<string>;
  errors: Record<string, string>;
  onAnswer: (linkId: string, values: Value[], raw?: string) => void;
}

type Option = { code: string; display: string };

function ErrorText({ message, id }: { message?: string; id: string }) {
  return message ? (
    <span class="form-error-message" id={id}>
      <span class="sr-only">Fejl: </span>
      {message}
    </span>
  ) : null;
}

const INPUT_TYPES: Record<string, "date" | "time" | "datetime-local"> = { date: "date", time: "time", dateTime: "datetime-local" };

/** One item and its children, as the citizen sees it; hidden items (enableWhen) are not rendered. */
export function Field(props: FieldProps) {
  const { item, answers, raw, shown, errors, onAnswer } = props;
  if (!shown.has(item.linkId)) return null;
  const id = `q-${item.linkId}`;
  const error = errors[item.linkId];
  const text = `${item.prefix ? `${item.prefix} ` : ""}${(item.text as string | undefined) ?? ""}`;
  const help = item.help as string | undefined;
  const describedBy = [help && `${id}-help`, error && `${id}-error`].filter(Boolean).join(" ") || undefined;
  const required = item.required ? " (skal besvares)" : "";
  const values = answers[item.linkId] ?? [];
  const readOnly = item.readOnly === true;

  if (item.type === "display") return <p id={id}>{text}</p>;
  if (item.type === "group")
    return (
      <fieldset id={id} class={error ? "form-group form-error" : "form-group"} aria-describedby={describedBy}>
        <legend class="h3">{text}</legend>
        <ErrorText message={error} id={`${id}-error`} />
        {(item.items ?? []).map((child) => (
          <Field key={child.linkId} {...props} item={child} />
        ))}
      </fieldset>
    );
  if (item.type === "choice" || item.type === "boolean") {
    const options: Option[] =
      item.type === "boolean"
        ? [
            { code: "true", display: "Ja" },
            { code: "false", display: "Nej" },
          ]
        : ((item.options as Option[] | undefined) ?? []);
    const multiple = item.repeats === true;
    const chosen = new Set(values.map(String));
    const pick = (code: string, checked: boolean) => {
      const value: Value = item.type === "boolean" ? code === "true" : code;
      if (!multiple) return onAnswer(item.linkId, [value]);
      const next = options.filter((o) => (o.code === code ? checked : chosen.has(o.code)));
      onAnswer(
        item.linkId,
        next.map((o) => o.code),
      );
    };
    return (
      <fieldset id={id} class={error ? "form-group form-error" : "form-group"} aria-describedby={describedBy}>
        <legend class="form-label">
          {text}
          {required}
        </legend>
        {help && (
          <span class="form-hint" id={`${id}-help`}>
            {help}
          </span>
        )}
        <ErrorText message={error} id={`${id}-error`} />
        <ul class="nobullet-list">
          {options.map((option, n) => (
            <li key={option.code}>
              <input
                class={multiple ? "form-checkbox checkbox-large" : "form-radio radio-large"}
                type={multiple ? "checkbox" : "radio"}
                id={`${id}-${n}`}
                name={id}
                value={option.code}
                disabled={readOnly}
                checked={chosen.has(option.code)}
                onChange={(event) => pick(option.code, (event.target as HTMLInputElement).checked)}
              />
              <label for={`${id}-${n}`}>{option.display}</label>
            </li>
          ))}
        </ul>
      </fieldset>
    );
  }
  const current = raw[item.linkId] ?? (values.length ? String(values[0]).replace(/:00$/, "") : "");
  const change = (event: Event) => {
    const typed = (event.target as HTMLInputElement).value;
    const value = toValue(item.type, typed);
    onAnswer(item.linkId, value === null ? [] : [item.type === "dateTime" ? `${typed}:00` : value], typed);
  };
  const common = {
    id,
    class: error ? "form-input form-input-error" : "form-input",
    value: current,
    readOnly,
    "aria-describedby": describedBy,
    "aria-invalid": error ? true : undefined,
    onInput: change,
  };
  return (
    <div class={error ? "form-group form-error" : "form-group"}>
      <label class="form-label" for={id}>
        {text}
        {required}
        {item.unit ? ` (${String(item.unit)})` : ""}
      </label>
      {help && (
        <span class="form-hint" id={`${id}-help`}>
          {help}
        </span>
      )}
      <ErrorText message={error} id={`${id}-error`} />
      {item.type === "text" ? (
        <textarea {...common} rows={5} maxLength={(item.maxLength as number | undefined) ?? undefined} />
      ) : (
        <input
          {...common}
          type={INPUT_TYPES[item.type] ?? "text"}
          inputMode={item.type === "integer" ? "numeric" : item.type === "decimal" ? "decimal" : undefined}
          maxLength={(item.maxLength as number | undefined) ?? undefined}
        />
      )}
    </div>
  );
}
