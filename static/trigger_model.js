// The trigger form's state <-> the API's trigger definition. Pure functions, no DOM.
import { chosenStartAt, fromLocalInput, toLocalInput } from "./format.js";

export const SCHEDULE_KINDS = [
  ["everySeconds", "Every N seconds"],
  ["cron", "Cron expression"],
  ["at", "Once at a time"],
  ["delaySeconds", "Once after a delay"],
];

/** Every field path the form can show an error next to. */
export const FIELD_PATHS = [
  "name",
  "type",
  "schedule",
  "schedule.at",
  "schedule.delaySeconds",
  "schedule.everySeconds",
  "schedule.cron",
  "schedule.timezone",
  "schedule.startAt",
  "schedule.endAt",
  "schedule.maxRuns",
  "misfire",
  "payload",
  "payloadSchema",
  "webhook",
  "webhook.url",
  "webhook.method",
  "webhook.headers",
  "webhook.timeoutMs",
  "webhook.retries",
];

const json = (v) => (v === null || v === undefined ? "" : JSON.stringify(v, null, 2));

/** A blank form, or one filled from a saved trigger. */
export function formState(trigger) {
  const s = trigger?.schedule || {};
  const kind = s.cron ? "cron" : s.at ? "at" : s.delaySeconds ? "delaySeconds" : "everySeconds";
  const hook = trigger?.webhook;
  return {
    type: trigger?.type || "scheduled",
    name: trigger?.name || "",
    kind: trigger ? kind : "everySeconds",
    at: toLocalInput(s.at),
    delaySeconds: String(s.delaySeconds ?? 10),
    everySeconds: String(s.everySeconds ?? 60),
    cron: s.cron || "",
    timezone: s.timezone || (trigger ? "UTC" : browserZone()),
    startAt: trigger ? toLocalInput(chosenStartAt(trigger)) : "",
    endAt: toLocalInput(s.endAt),
    maxRuns: s.maxRuns ? String(s.maxRuns) : "",
    misfire: trigger?.misfire || "fire_once",
    payload: json(trigger?.payload),
    payloadSchema: json(trigger?.payloadSchema),
    hook: Boolean(hook),
    url: hook?.url || "",
    method: hook?.method || "POST",
    headers: hook && Object.keys(hook.headers || {}).length ? json(hook.headers) : "",
    timeoutMs: String(hook?.timeoutMs ?? 10000),
    retries: String(hook?.retries ?? 3),
    backoffMs: hook?.backoffMs,
  };
}

function browserZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

/** Parse a JSON text field: `{ value }` or `{ error }`; empty text is `emptyValue`. */
export function parseJson(text, emptyValue = null) {
  if (!text.trim()) return { value: emptyValue };
  try {
    return { value: JSON.parse(text) };
  } catch (e) {
    return { error: `Not valid JSON: ${e.message}` };
  }
}

function number(text) {
  const t = String(text).trim();
  if (!t) return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : t;
}

/** The schedule object the form describes (only the chosen form's fields). */
export function scheduleOf(f) {
  if (f.kind === "at") return { at: fromLocalInput(f.at) || f.at };
  if (f.kind === "delaySeconds") return { delaySeconds: number(f.delaySeconds) };
  const s = f.kind === "cron"
    ? { cron: f.cron.trim(), timezone: f.timezone.trim() || "UTC" }
    : { everySeconds: number(f.everySeconds) };
  if (f.startAt) s.startAt = fromLocalInput(f.startAt) || f.startAt;
  if (f.endAt) s.endAt = fromLocalInput(f.endAt) || f.endAt;
  if (f.maxRuns.trim()) s.maxRuns = number(f.maxRuns);
  return s;
}

/**
 * The definition to send, or `{ errors }` for what the browser can tell is wrong by itself
 * (JSON that does not parse, a required number left empty). Everything else is the server's call.
 */
export function definitionOf(f) {
  const errors = {};
  const def = { name: f.name.trim(), type: f.type, misfire: f.misfire };
  if (f.type === "scheduled") {
    def.schedule = scheduleOf(f);
    const required = { at: "at", delaySeconds: "delaySeconds", everySeconds: "everySeconds" };
    const key = required[f.kind];
    if (key && (def.schedule[key] === undefined || def.schedule[key] === "")) {
      errors[`schedule.${key}`] = f.kind === "at" ? "Choose a date and time" : "Enter a number";
    }
  } else {
    const schema = parseJson(f.payloadSchema);
    if (schema.error) errors.payloadSchema = schema.error;
    def.payloadSchema = schema.value ?? null;
  }
  const payload = parseJson(f.payload);
  if (payload.error) errors.payload = payload.error;
  def.payload = payload.value ?? null;
  if (f.hook) {
    const headers = parseJson(f.headers, {});
    if (headers.error) errors["webhook.headers"] = headers.error;
    def.webhook = {
      url: f.url.trim(),
      method: f.method,
      headers: headers.value ?? {},
      timeoutMs: number(f.timeoutMs),
      retries: number(f.retries),
    };
    if (f.backoffMs !== undefined) def.webhook.backoffMs = f.backoffMs;
  } else def.webhook = null;
  return Object.keys(errors).length ? { errors } : { def };
}

function canonical(v) {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${
      Object.keys(v).sort().filter((k) => v[k] !== undefined)
        .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(",")
    }}`;
  }
  return JSON.stringify(v ?? null);
}

/** Equal as JSON, whatever the key order. */
export function sameJson(a, b) {
  return canonical(a) === canonical(b);
}

/** The PATCH body: only what changed, so an untouched past `at` is not re-validated. */
export function patchOf(original, def) {
  const patch = {};
  for (const key of Object.keys(def)) {
    if (key !== "type" && !sameJson(original[key], def[key])) patch[key] = def[key];
  }
  return patch;
}
