// @ts-check
// The one place the UI talks HTTP. Every call sends the stored API key; a 401 asks the person
// for a key once (the prompt is the App's business, reached through `setKeyPrompt`) and retries.

/**
 * A trigger as GET /api/triggers answers it (see docs/api.md).
 * @typedef {{
 *   id: string, name: string, type: "scheduled" | "api",
 *   schedule: Schedule | null, payload: unknown, payloadSchema: unknown,
 *   webhook: Webhook | null, misfire: "fire_once" | "skip",
 *   status: "active" | "paused" | "completed", nextRunAt: string | null,
 *   lastRunAt: string | null, runCount: number, createdAt: string, updatedAt: string,
 *   version: number, tags?: string[]
 * }} Trigger
 */
/**
 * @typedef {{
 *   at?: string, delaySeconds?: number, everySeconds?: number, cron?: string,
 *   timezone?: string, startAt?: string, endAt?: string, maxRuns?: number
 * }} Schedule
 */
/**
 * @typedef {{
 *   url: string, method: string, headers: Record<string, string>, timeoutMs?: number,
 *   retries?: number, backoffMs?: number
 * }} Webhook
 */
/**
 * A log entry (one firing).
 * @typedef {{
 *   id: string, triggerId: string | null, triggerName: string, triggerType: string,
 *   source: string, test: boolean, scheduledFor: string | null, firedAt: string,
 *   lateMs: number | null, catchUp: boolean, payload: unknown, state: "active" | "archived",
 *   outcome: string,
 *   delivery: { status: number | null, attempts: number, durationMs: number | null,
 *     error: string | null } | null
 * }} LogEntry
 */
/**
 * One page of a listing; `total` only from servers that count matches, null when counting
 * would read too much (docs/api.md).
 * @template T
 * @typedef {{ items: T[], nextCursor: string | null, total?: number | null }} Page
 */
/**
 * @typedef {{
 *   active: number, archived: number,
 *   byTrigger: { triggerId: string | null, triggerName: string, active: number,
 *     archived: number }[],
 *   triggers?: number,
 * }} Stats
 */
/**
 * One bucket of GET /api/logs/histogram (oldest first, empty buckets included).
 * @typedef {{ start: string, count: number, ok: number, pending: number, failed: number }} Bucket
 */
/** @typedef {{ bucket: string, buckets: Bucket[] }} Histogram */
/**
 * What POST /api/triggers/bulk answers.
 * @typedef {{ matched: number, changed: number, failed: { id: string, error: string }[] }} BulkResult
 */
/** @typedef {{ path?: string | (string | number)[], message?: string }} ProblemError */
/**
 * @typedef {{ status: number, title?: string, detail?: string, errors?: ProblemError[] }} Problem
 */

const KEY_STORAGE = "tock.apiKey";

/** @type {((rejected: boolean) => Promise<string>) | null} */
let askForKey = null;
/** @type {Promise<string> | null} */
let pendingAsk = null;

/** The key kept in localStorage, or "" when none. */
export function storedKey() {
  try {
    return localStorage.getItem(KEY_STORAGE) || "";
  } catch {
    return "";
  }
}

/** @param {string} key */
function storeKey(key) {
  try {
    if (key) localStorage.setItem(KEY_STORAGE, key);
    else localStorage.removeItem(KEY_STORAGE);
  } catch { /* private mode: the key lives for this page only */ }
  memoryKey = key;
}

let memoryKey = storedKey();

/** Forget the stored key (the "Forget key" button). */
export function forgetKey() {
  storeKey("");
}

/**
 * Register the function that asks the person for a key: `(rejected: boolean) => Promise<string>`.
 * Concurrent 401s share one prompt.
 * @param {(rejected: boolean) => Promise<string>} fn
 */
export function setKeyPrompt(fn) {
  askForKey = fn;
}

/**
 * Ask for a key (once for concurrent callers) and keep it.
 * @param {boolean} rejected whether the key sent last was refused
 * @returns {Promise<string>}
 */
export async function obtainKey(rejected) {
  if (!askForKey) throw new ApiError({ title: "An API key is required", status: 401 });
  if (!pendingAsk) {
    pendingAsk = askForKey(rejected).then((key) => {
      storeKey(key);
      return key;
    }).finally(() => {
      pendingAsk = null;
    });
  }
  return await pendingAsk;
}

/** An error answered by the API, carrying the problem+json fields. */
export class ApiError extends Error {
  /** @param {Problem} problem */
  constructor(problem) {
    super(problem.detail || problem.title || `Request failed (${problem.status})`);
    this.status = problem.status;
    this.title = problem.title || "Request failed";
    this.detail = problem.detail || "";
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
  }
}

/**
 * Headers with the stored key, if any.
 * @param {Record<string, string>} [extra]
 * @returns {Record<string, string>}
 */
export function authHeaders(extra) {
  /** @type {Record<string, string>} */
  const h = { ...extra };
  if (memoryKey) h.Authorization = `Bearer ${memoryKey}`;
  return h;
}

/** Whether a key is in use (then the API needs one: shown in copyable calls). */
export function hasKey() {
  return Boolean(memoryKey);
}

/**
 * @param {Response} res
 * @returns {Promise<Problem>}
 */
async function toProblem(res) {
  const text = await res.text();
  let body = null;
  try {
    body = JSON.parse(text);
  } catch { /* not JSON: fall back to the status line */ }
  if (body && typeof body === "object") {
    return {
      status: res.status,
      title: body.title || body.error || res.statusText || "Request failed",
      detail: typeof body.detail === "string" ? body.detail : "",
      errors: Array.isArray(body.errors) ? body.errors : [],
    };
  }
  return { status: res.status, title: res.statusText || `Request failed (${res.status})` };
}

/**
 * `fetch` with the key, JSON in and out, and problem+json turned into an ApiError.
 * A 401 asks for a key and tries again.
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<any>}
 */
export async function request(method, path, body) {
  for (let attempt = 0;; attempt++) {
    const headers = authHeaders({ Accept: "application/json" });
    /** @type {RequestInit} */
    const init = { method, headers };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch {
      throw new ApiError({ status: 0, title: "Tock is unreachable", detail: "Check the server" });
    }
    if (res.status === 401 && attempt < 5) {
      await obtainKey(Boolean(memoryKey));
      continue;
    }
    if (!res.ok) throw new ApiError(await toProblem(res));
    if (res.status === 204) return null;
    const text = await res.text();
    return text ? JSON.parse(text) : null;
  }
}

/** @typedef {Record<string, string | string[]>} Query */

/**
 * A query string from a plain object; array values repeat the key, empty values are left out.
 * @param {Query} query
 */
export function queryString(query) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    for (const one of Array.isArray(v) ? v : [v]) if (one !== "") q.append(k, one);
  }
  return q.toString();
}

const id = encodeURIComponent;

/** Every call the UI makes, typed by what it answers. */
export const api = {
  /** @type {(query: Query) => Promise<Page<Trigger>>} */
  listTriggers: (query) => request("GET", `/api/triggers?${queryString(query)}`),
  /** @type {(def: object) => Promise<Trigger>} */
  createTrigger: (def) => request("POST", "/api/triggers", def),
  /** @type {(tid: string, patch: object) => Promise<Trigger>} */
  updateTrigger: (tid, patch) => request("PATCH", `/api/triggers/${id(tid)}`, patch),
  /** @type {(tid: string) => Promise<null>} */
  deleteTrigger: (tid) => request("DELETE", `/api/triggers/${id(tid)}`),
  /** @type {(tid: string) => Promise<Trigger>} */
  pause: (tid) => request("POST", `/api/triggers/${id(tid)}/pause`),
  /** @type {(tid: string) => Promise<Trigger>} */
  resume: (tid) => request("POST", `/api/triggers/${id(tid)}/resume`),
  /** @type {(tid: string, payload?: unknown) => Promise<LogEntry>} */
  fire: (tid, payload) => request("POST", `/api/triggers/${id(tid)}/fire`, payload),
  /** @type {(tid: string) => Promise<Trigger>} */
  getTrigger: (tid) => request("GET", `/api/triggers/${id(tid)}`),
  /** @type {(body: { action: string, ids?: string[], filter?: object }) => Promise<BulkResult>} */
  bulk: (body) => request("POST", "/api/triggers/bulk", body),
  /** @type {(tid: string, count?: number) => Promise<{ occurrences: string[] }>} */
  preview: (tid, count = 5) => request("GET", `/api/triggers/${id(tid)}/preview?count=${count}`),
  /** @type {(def: object) => Promise<{ occurrences: string[] }>} */
  previewDefinition: (def) => request("POST", "/api/preview", def),
  /** @type {(def: object) => Promise<{ log: LogEntry, occurrences: string[] }>} */
  test: (def) => request("POST", "/api/test", def),
  /** @type {(query: Query) => Promise<Page<LogEntry>>} */
  logs: (query) => request("GET", `/api/logs?${queryString(query)}`),
  /** @type {(query: Query) => Promise<Histogram>} */
  histogram: (query) => request("GET", `/api/logs/histogram?${queryString(query)}`),
  /**
   * Every trigger's counts, one trigger's, or the `top` busiest rows.
   * @type {(q?: { trigger?: string, top?: number }) => Promise<Stats>}
   */
  stats: (q = {}) => {
    /** @type {Record<string, string>} */
    const query = {};
    if (q.trigger) query.trigger = q.trigger;
    if (q.top) query.top = String(q.top);
    const qs = queryString(query);
    return request("GET", `/api/logs/stats${qs ? `?${qs}` : ""}`);
  },
  /** @type {(lid: string) => Promise<LogEntry>} */
  log: (lid) => request("GET", `/api/logs/${id(lid)}`),
  /** @type {(lid: string) => Promise<LogEntry>} */
  redeliver: (lid) => request("POST", `/api/logs/${id(lid)}/redeliver`),
};
