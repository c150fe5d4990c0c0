import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { answersToSend, errorsByField, pageOfFirstError, type ProblemError } from "../lib/answers";
import { enabledItems, type Answers, type Item, type Value } from "../lib/enableWhen";
import { danishDate, danishDateTime } from "../lib/format";
import { Field } from "./Questionnaire";
import { Link, navigate } from "./router";

const DRAFT_DELAY_MS = 800;
const STATUS_DA: Record<string, string> = {
  open: "Åben",
  overdue: "Overskredet",
  scheduled: "Kommende",
  completed: "Besvaret",
  expired: "Udløbet",
  cancelled: "Aflyst",
};

function useLoad<T>(load: () => Promise<{ data?: T; error?: unknown }>, deps: unknown[] = []) {
  const [state, setState] = useState<{ data?: T; failed?: boolean }>({});
  useEffect(() => {
    load().then(({ data, error }) => setState(error ? { failed: true } : { data }));
  }, deps);
  return state;
}

function Loading({ failed }: { failed?: boolean }) {
  return failed ? (
    <div class="alert alert-error" role="alert">
      <div class="alert-body">
        <p class="alert-text">Siden kunne ikke hentes. Prøv igen om lidt.</p>
      </div>
    </div>
  ) : (
    <p aria-live="polite">Henter …</p>
  );
}

function TaskList({ title, tasks, empty }: { title: string; tasks: Schemas["CitizenTask"][]; empty: string }) {
  return (
    <section>
      <h2>{title}</h2>
      {tasks.length === 0 ? (
        <p>{empty}</p>
      ) : (
        <ul class="nobullet-list">
          {tasks.map((task) => (
            <li key={task.id} class="mb-5">
              {task.status === "open" || task.status === "overdue" ? (
                <Link href={`/opgaver/${task.id}`}>{task.questionnaireTitle}</Link>
              ) : (
                <strong>{task.questionnaireTitle}</strong>
              )}
              <br />
              <span>
                {STATUS_DA[task.status]} · {task.status === "scheduled" ? `Åbner ${danishDate(task.opensAt)}` : ""}
                {task.status === "completed" && task.completedAt ? `Besvaret ${danishDate(task.completedAt)}` : ""}
                {task.status === "open" || task.status === "overdue" ? `Frist ${danishDate(task.dueAt)}` : ""}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function Tasks() {
  // Finished tasks are asked for only as completed ones: expired and cancelled ones of past years are not sent.
  const { data, failed } = useLoad(() =>
    api.GET("/v1/me/tasks", {
      params: { query: { status: ["overdue", "open", "scheduled", "completed"], limit: 100 } },
    }),
  );
  if (!data) return <Loading failed={failed} />;
  const of = (...statuses: string[]) => data.items.filter((t) => statuses.includes(t.status));
  return (
    <>
      <h1>Mine opgaver</h1>
      <TaskList title="Besvar nu" tasks={[...of("overdue"), ...of("open")]} empty="Du har ingen spørgeskemaer at besvare." />
      <TaskList title="Kommende" tasks={of("scheduled")} empty="Ingen kommende spørgeskemaer." />
      <TaskList title="Besvaret" tasks={of("completed")} empty="Du har ikke besvaret nogen spørgeskemaer endnu." />
    </>
  );
}

/** The key of one submission, kept until it is stored, so a retry or a double tap never stores two responses. */
function idempotencyKey(taskId: string): string {
  const name = `idempotency-${taskId}`;
  const key = sessionStorage.getItem(name) ?? crypto.randomUUID();
  sessionStorage.setItem(name, key);
  return key;
}

let lastReceipt: Schemas["Receipt"] | null = null;

export function Answer({ taskId }: { taskId: string }) {
  const { data: task, failed } = useLoad(() => api.GET("/v1/me/tasks/{task_id}", { params: { path: { task_id: taskId } } }), [taskId]);
  const [answers, setAnswers] = useState<Answers>({});
  const [raw, setRaw] = useState<Record<string, string>>({});
  const [page, setPage] = useState(0);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState("");
  const [sending, setSending] = useState(false);
  const [note, setNote] = useState("");
  const [wantsContact, setWantsContact] = useState(false);
  const timer = useRef<number | undefined>(undefined);
  const summary = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (task?.draft) {
      setAnswers(task.draft.answers as Answers);
      setSaved(`Din besvarelse er gemt som kladde ${danishDateTime(task.draft.savedAt)}.`);
    }
  }, [task]);

  const pages = (task?.questionnaire.pages ?? []) as { title: string | null; items: Item[] }[];
  const allItems = useMemo(() => pages.flatMap((p) => p.items), [task]);
  const shown = useMemo(() => enabledItems(allItems, answers), [allItems, answers]);

  if (!task) return <Loading failed={failed} />;
  if (task.status !== "open" && task.status !== "overdue")
    return (
      <>
        <h1>{task.questionnaireTitle}</h1>
        <p>Spørgeskemaet kan ikke besvares ({STATUS_DA[task.status].toLowerCase()}).</p>
      </>
    );

  const saveDraft = (next: Answers) => {
    clearTimeout(timer.current);
    timer.current = window.setTimeout(async () => {
      const { data } = await api.PUT("/v1/me/tasks/{task_id}/draft", {
        params: { path: { task_id: taskId } },
        body: { answers: answersToSend(next, enabledItems(allItems, next)) },
      });
      if (data) setSaved(`Din besvarelse er gemt som kladde ${danishDateTime(data.savedAt)}.`);
    }, DRAFT_DELAY_MS);
  };

  const onAnswer = (linkId: string, values: Value[], typed?: string) => {
    const next = { ...answers, [linkId]: values };
    setAnswers(next);
    if (typed !== undefined) setRaw({ ...raw, [linkId]: typed });
    saveDraft(next);
  };

  const submit = async () => {
    if (sending) return;
    setSending(true);
    clearTimeout(timer.current);
    const { data, error } = await api.POST("/v1/me/tasks/{task_id}/response", {
      params: { path: { task_id: taskId }, header: { "Idempotency-Key": idempotencyKey(taskId) } },
      body: { answers: answersToSend(answers, shown), note: note.trim() || null, wantsContact },
    });
    setSending(false);
    if (data) {
      sessionStorage.removeItem(`idempotency-${taskId}`);
      lastReceipt = data;
      navigate(`/kvittering/${taskId}`);
      return;
    }
    const found = errorsByField((error as { errors?: ProblemError[] } | undefined)?.errors);
    setErrors(Object.keys(found).length ? found : { _: "Besvarelsen kunne ikke sendes. Prøv igen." });
    setPage(pageOfFirstError(pages, found));
    setTimeout(() => summary.current?.focus());
  };

  const last = page === pages.length - 1;
  const current = pages[page];
  const errorList = Object.entries(errors);
  return (
    <>
      <h1>{task.questionnaire.title}</h1>
      {task.questionnaire.description && <p>{task.questionnaire.description}</p>}
      {errorList.length > 0 && (
        <div class="alert alert-error" role="alert" tabIndex={-1} ref={summary}>
          <div class="alert-body">
            <p class="alert-heading">Der er fejl i besvarelsen</p>
            <ul class="alert-text nobullet-list">
              {errorList.map(([field, message]) => (
                <li key={field}>{field === "_" ? message : <a href={`#q-${field}`}>{message}</a>}</li>
              ))}
            </ul>
          </div>
        </div>
      )}
      <p>
        Side {page + 1} af {pages.length}
      </p>
      <form
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          if (last) submit();
          else setPage(page + 1);
        }}
      >
        {current?.title && <h2>{current.title}</h2>}
        {current?.items.map((item) => (
          <Field key={item.linkId} item={item} answers={answers} raw={raw} shown={shown} errors={errors} onAnswer={onAnswer} />
        ))}
        {last && (
          <>
            <div class="form-group">
              <label class="form-label" for="note">
                Det vil jeg gerne tale om (valgfrit)
              </label>
              <textarea id="note" class="form-input" rows={4} maxLength={2000} value={note} onInput={(e) => setNote((e.target as HTMLTextAreaElement).value)} />
            </div>
            <div class="form-group">
              <input class="form-checkbox" type="checkbox" id="contact" checked={wantsContact} onChange={(e) => setWantsContact((e.target as HTMLInputElement).checked)} />
              <label for="contact">Jeg vil gerne kontaktes</label>
            </div>
          </>
        )}
        <p aria-live="polite" class="form-hint">
          {saved}
        </p>
        <div class="mt-5">
          {page > 0 && (
            <button type="button" class="button button-secondary mr-4" onClick={() => setPage(page - 1)}>
              Forrige
            </button>
          )}
          <button type="submit" class="button button-primary" disabled={sending} aria-disabled={sending}>
            {last ? "Send besvarelse" : "Næste"}
          </button>
        </div>
      </form>
    </>
  );
}

export function ReceiptPage({ taskId }: { taskId: string }) {
  const [receipt, setReceipt] = useState(lastReceipt?.taskId === taskId ? lastReceipt : null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (!receipt)
      api.GET("/v1/me/responses", { params: { query: { limit: 100 } } }).then(({ data }) => {
        const found = data?.items.find((r) => r.taskId === taskId);
        if (found) setReceipt(found);
        else setFailed(true);
      });
  }, [taskId]);
  if (!receipt) return <Loading failed={failed} />;
  return (
    <>
      <h1>Tak for din besvarelse</h1>
      <div class="alert alert-success">
        <div class="alert-body">
          <p class="alert-text">
            Vi har modtaget din besvarelse af {receipt.questionnaireTitle} {danishDateTime(receipt.submittedAt)}.
          </p>
        </div>
      </div>
      {receipt.feedback.length > 0 && (
        <>
          <h2>Tilbagemelding</h2>
          {receipt.feedback.map((text) => (
            <p key={text}>{text}</p>
          ))}
        </>
      )}
      {receipt.scores && receipt.scores.length > 0 && (
        <>
          <h2>Dine resultater</h2>
          <ul>
            {receipt.scores.map((s) => (
              <li key={s.name}>
                {s.name}: {s.value === null ? "ikke beregnet" : String(s.value).replace(".", ",")}
                {s.band ? ` (${s.band})` : ""}
              </li>
            ))}
          </ul>
        </>
      )}
      <p>
        <Link href="/">Tilbage til mine opgaver</Link>
      </p>
    </>
  );
}

export function History() {
  const { data, failed } = useLoad(() => api.GET("/v1/me/responses", { params: { query: { limit: 100 } } }));
  if (!data) return <Loading failed={failed} />;
  return (
    <>
      <h1>Mine besvarelser</h1>
      {data.items.length === 0 ? (
        <p>Du har ikke besvaret nogen spørgeskemaer endnu.</p>
      ) : (
        <ul class="nobullet-list">
          {data.items.map((r) => (
            <li key={r.responseId} class="mb-5">
              <Link href={`/kvittering/${r.taskId}`}>{r.questionnaireTitle}</Link>
              <br />
              Besvaret {danishDateTime(r.submittedAt)}
              {r.scores?.map((s) => ` · ${s.name}: ${s.value === null ? "–" : String(s.value).replace(".", ",")}`)}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

export function AccessLog() {
  const { data, failed } = useLoad(() => api.GET("/v1/me/access-log"));
  if (!data) return <Loading failed={failed} />;
  return (
    <>
      <h1>Hvem har set mine oplysninger</h1>
      <p>Her kan du se, hvornår medarbejdere i kommunen har læst dine besvarelser, og hvorfor.</p>
      {data.length === 0 ? (
        <p>Ingen har set dine oplysninger endnu.</p>
      ) : (
        <div class="table-responsive-headers">
          <table class="table table--responsive-headers">
            <thead>
              <tr>
                <th scope="col">Tidspunkt</th>
                <th scope="col">Hvem</th>
                <th scope="col">Formål</th>
              </tr>
            </thead>
            <tbody>
              {data.map((entry, n) => (
                <tr key={n}>
                  <td>{danishDateTime(entry.at)}</td>
                  <td>{[entry.staffName, entry.unit, `kommune ${entry.municipality}`].filter(Boolean).join(", ")}</td>
                  <td>{entry.purpose}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

export function Settings() {
  const [optedOut, setOptedOut] = useState(false);
  const [message, setMessage] = useState("");
  const save = async (value: boolean) => {
    setOptedOut(value);
    const { data } = await api.PUT("/v1/me/preferences", { body: { remindersOptedOut: value } });
    setMessage(data ? (data.remindersOptedOut ? "Du får ikke flere påmindelser." : "Du får påmindelser igen.") : "Valget kunne ikke gemmes. Prøv igen.");
  };
  return (
    <>
      <h1>Påmindelser</h1>
      <div class="form-group">
        <input class="form-checkbox checkbox-large" type="checkbox" id="optout" checked={optedOut} onChange={(e) => save((e.target as HTMLInputElement).checked)} />
        <label for="optout">Jeg vil ikke have invitationer og påmindelser</label>
      </div>
      <p aria-live="polite">{message}</p>
    </>
  );
}

export function Accessibility() {
  return (
    <>
      <h1>Tilgængelighedserklæring</h1>
      <p>
        Kommunal PRO skal kunne bruges af alle. Løsningen er lavet efter WCAG 2.1 på niveau AA og testes automatisk med
        axe i en browser, på skærme fra 320 pixels og med tastatur.
      </p>
      <p>Oplever du problemer med tilgængeligheden, så kontakt din kommune. Du kan også klage til Digitaliseringsstyrelsen.</p>
    </>
  );
}

export function Privacy() {
  return (
    <>
      <h1>Sådan behandler vi dine oplysninger</h1>
      <p>
        Din kommune er dataansvarlig. Vi bruger dine svar til at forberede din samtale med en sundhedsfaglig medarbejder.
        Alle opslag i dine oplysninger bliver logget, og du kan se dem under{" "}
        <Link href="/indsigt">Hvem har set mine oplysninger</Link>.
      </p>
    </>
  );
}
