// @ts-check
// The trigger form's state <-> the API's trigger definition. Pure functions, no DOM.
import { chosenStartAt, fromLocalInput, toLocalInput } from "./format.js";
import { MAX_TAGS, parseTags } from "./trigger_query.js";

/** @typedef {import("./api.js").Trigger} Trigger */
/** @typedef {import("./api.js").Schedule} Schedule */
/** @typedef {"everySeconds" | "cron" | "at" | "delaySeconds"} ScheduleKind */
/**
 * The form's state: every input as the text it shows.
 * @typedef {{
 *   type: "scheduled" | "api", name: string, kind: ScheduleKind, at: string,
 *   delaySeconds: string, everySeconds: string, cron: string, timezone: string,
 *   startAt: string, endAt: string, maxRuns: string, misfire: "fire_once" | "skip",
 *   payload: string, payloadSchema: string, hook: boolean, url: string, method: string,
 *   headers: string, timeoutMs: string, retries: string, backoffMs: number | undefined,
 *   tags: string, hadTags: boolean
 * }} FormState
 */
/**
 * What the form sends (numbers typed as text that is not a number are sent as typed, for the
 * server to name the problem).
 * @typedef {{
 *   name: string, type: "scheduled" | "api", misfire: string,
 *   schedule?: Record<string, string | number | undefined>, payload?: unknown,
 *   payloadSchema?: unknown, webhook?: Record<string, unknown> | null, tags?: string[]
 * }} Definition
 */

/** @type {[ScheduleKind, string][]} */
export const SCHEDULE_KINDS = [
  ["everySeconds", "Every N seconds"],
  ["cron", "Cron expression"],
  ["at", "Once at a time"],
  ["delaySeconds", "Once after a delay"],
];

/** Every field path the form can show an error next to. */
export const FIELD_PATHS = [
  "name",
  "tags",
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

/** @param {unknown} v */
const json = (v) => (v === null || v === undefined ? "" : JSON.stringify(v, null, 2));

/**
 * A blank form, or one filled from a saved trigger.
 * @param {Trigger | null} [trigger]
 * @returns {FormState}
 */
export function formState(trigger) {
  /** @type {Schedule} */
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
    tags: (trigger?.tags || []).join(", "),
    hadTags: Boolean(trigger?.tags?.length),
  };
}

function browserZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

/**
 * Parse a JSON text field: `{ value }` or `{ error }`; empty text is `emptyValue`.
 * @param {string} text
 * @param {unknown} [emptyValue]
 * @returns {{ value?: unknown, error?: string }}
 */
export function parseJson(text, emptyValue = null) {
  if (!text.trim()) return { value: emptyValue };
  try {
    return { value: JSON.parse(text) };
  } catch (e) {
    return { error: `Not valid JSON: ${e instanceof Error ? e.message : e}` };
  }
}

/**
 * @param {string} text
 * @returns {number | string | undefined}
 */
function number(text) {
  const t = String(text).trim();
  if (!t) return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : t;
}

/**
 * The schedule object the form describes (only the chosen form's fields).
 * @param {FormState} f
 * @returns {Record<string, string | number | undefined>}
 */
export function scheduleOf(f) {
  if (f.kind === "at") return { at: fromLocalInput(f.at) || f.at };
  if (f.kind === "delaySeconds") return { delaySeconds: number(f.delaySeconds) };
  /** @type {Record<string, string | number | undefined>} */
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
 * @param {FormState} f
 * @returns {{ def: Definition, errors?: undefined } | { errors: Record<string, string>, def?: undefined }}
 */
export function definitionOf(f) {
  /** @type {Record<string, string>} */
  const errors = {};
  /** @type {Definition} */
  const def = { name: f.name.trim(), type: f.type, misfire: f.misfire };
  if (f.type === "scheduled") {
    def.schedule = scheduleOf(f);
    const key = f.kind === "cron" ? null : f.kind;
    if (key && (def.schedule[key] === undefined || def.schedule[key] === "")) {
      errors[`schedule.${key}`] = f.kind === "at" ? "Choose a date and time" : "Enter a number";
    }
  } else {
    const schema = parseJson(f.payloadSchema);
    if (schema.error) errors.payloadSchema = schema.error;
    def.payloadSchema = schema.value ?? null;
  }
  // Tags are sent once there are any (or were): a trigger without them looks as it always did.
  const tags = parseTags(f.tags);
  if (tags.invalid.length) {
    errors.tags = `Use a-z, 0-9 and _ . : / - only (up to 64 each): ${tags.invalid.join(", ")}`;
  } else if (tags.tags.length > MAX_TAGS) errors.tags = `At most ${MAX_TAGS} tags`;
  if (tags.tags.length || f.hadTags) def.tags = tags.tags;
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
    if (f.backoffMs !== undefined) def.webhook = { ...def.webhook, backoffMs: f.backoffMs };
  } else def.webhook = null;
  return Object.keys(errors).length ? { errors } : { def };
}

/**
 * @param {unknown} v
 * @returns {string}
 */
function canonical(v) {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    const o = /** @type {Record<string, unknown>} */ (v);
    return `{${
      Object.keys(o).sort().filter((k) => o[k] !== undefined)
        .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(",")
    }}`;
  }
  return JSON.stringify(v ?? null);
}

/**
 * Equal as JSON, whatever the key order.
 * @param {unknown} a
 * @param {unknown} b
 */
export function sameJson(a, b) {
  return canonical(a) === canonical(b);
}

/**
 * The PATCH body: only what changed, so an untouched past `at` is not re-validated and an
 * untouched schedule is not sent (a new schedule restarts the trigger's occurrences).
 * @param {Definition} original
 * @param {Definition} def
 * @returns {Partial<Definition>}
 */
export function patchOf(original, def) {
  /** @type {Record<string, unknown>} */
  const patch = {};
  const o = /** @type {Record<string, unknown>} */ (original);
  const d = /** @type {Record<string, unknown>} */ (def);
  for (const key of Object.keys(d)) {
    if (key !== "type" && !sameJson(o[key], d[key])) patch[key] = d[key];
  }
  return patch;
}

/**
 * The form input an error path belongs to: "schedule.at" -> "at", "webhook.url" -> "url",
 * "schedule" -> "kind", "webhook" -> "hook".
 * @param {string} path
 * @returns {string}
 */
export function keyOfPath(path) {
  if (path === "schedule") return "kind";
  if (path === "webhook") return "hook";
  const [head, sub] = path.split(".");
  if ((head === "schedule" || head === "webhook") && sub) return sub;
  return head;
}

/**
 * Errors without those of the inputs just edited: a fixed field loses its old error at once
 * (the server or the preview says again if it is still wrong). Changing the kind of schedule
 * or the type clears every schedule error.
 * @param {Record<string, string>} fields
 * @param {string[]} keys form keys just edited
 */
export function dropErrorsOf(fields, keys) {
  const all = keys.includes("kind") || keys.includes("type");
  /** @type {Record<string, string>} */
  const out = {};
  for (const [path, message] of Object.entries(fields)) {
    if (keys.includes(keyOfPath(path))) continue;
    if (all && path.startsWith("schedule")) continue;
    out[path] = message;
  }
  return out;
}

/**
 * The errors a person should see: only for inputs they have touched, until they submit (then
 * all). Choosing "Once at a time" touches the kind, not the empty date, so it shows no error.
 * @param {Record<string, string>} fields
 * @param {Set<string>} touched form keys edited so far
 * @param {boolean} submitted
 */
export function touchedErrors(fields, touched, submitted) {
  if (submitted) return fields;
  /** @type {Record<string, string>} */
  const out = {};
  for (const [path, message] of Object.entries(fields)) {
    if (touched.has(keyOfPath(path))) out[path] = message;
  }
  return out;
}
