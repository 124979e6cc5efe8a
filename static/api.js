// The one place the UI talks HTTP. Every call sends the stored API key; a 401 asks the person
// for a key once (the prompt is the App's business, reached through `setKeyPrompt`) and retries.

const KEY_STORAGE = "tock.apiKey";

let askForKey = null;
let pendingAsk = null;

/** The key kept in localStorage, or "" when none. */
export function storedKey() {
  try {
    return localStorage.getItem(KEY_STORAGE) || "";
  } catch {
    return "";
  }
}

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
 */
export function setKeyPrompt(fn) {
  askForKey = fn;
}

async function obtainKey(rejected) {
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
  constructor(problem) {
    super(problem.detail || problem.title || `Request failed (${problem.status})`);
    this.status = problem.status;
    this.title = problem.title || "Request failed";
    this.detail = problem.detail || "";
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
  }
}

function headers(extra) {
  const h = { ...extra };
  if (memoryKey) h.Authorization = `Bearer ${memoryKey}`;
  return h;
}

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
 */
export async function request(method, path, body) {
  for (let attempt = 0;; attempt++) {
    const init = { method, headers: headers({ Accept: "application/json" }) };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
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

export const api = {
  listTriggers: () => request("GET", "/api/triggers?limit=500"),
  createTrigger: (def) => request("POST", "/api/triggers", def),
  updateTrigger: (id, patch) => request("PATCH", `/api/triggers/${id}`, patch),
  deleteTrigger: (id) => request("DELETE", `/api/triggers/${id}`),
  pause: (id) => request("POST", `/api/triggers/${id}/pause`),
  resume: (id) => request("POST", `/api/triggers/${id}/resume`),
  fire: (id, payload) => request("POST", `/api/triggers/${id}/fire`, payload),
  preview: (id) => request("GET", `/api/triggers/${id}/preview?count=5`),
  previewDefinition: (def) => request("POST", "/api/preview", def),
  test: (def) => request("POST", "/api/test", def),
  logs: (query) => request("GET", `/api/logs?${new URLSearchParams(query)}`),
  stats: () => request("GET", "/api/logs/stats"),
  log: (id) => request("GET", `/api/logs/${id}`),
  redeliver: (id) => request("POST", `/api/logs/${id}/redeliver`),
};

/**
 * Follow GET /api/events with fetch + a stream reader, so the Authorization header is sent
 * (EventSource cannot send it). Reconnects with backoff until `signal` aborts.
 * `onEvent(name, data)` gets parsed JSON; `onStatus("live" | "connecting" | "offline")`.
 */
export async function followEvents({ onEvent, onStatus, signal }) {
  let delay = 500;
  while (!signal.aborted) {
    onStatus("connecting");
    try {
      const res = await fetch("/api/events", {
        headers: headers({ Accept: "text/event-stream" }),
        signal,
      });
      if (res.status === 401) {
        await obtainKey(Boolean(memoryKey));
        continue;
      }
      if (!res.ok || !res.body) throw new Error(`events answered ${res.status}`);
      onStatus("live");
      delay = 500;
      await readEventStream(res.body, onEvent);
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof ApiError) throw err;
    }
    if (signal.aborted) return;
    onStatus("offline");
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 10_000);
  }
}

async function readEventStream(body, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let event = "message";
  let data = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let nl;
    while ((nl = buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + (buffer.startsWith("\r\n", nl) ? 2 : 1));
      if (line === "") {
        if (data.length) dispatch(event, data.join("\n"), onEvent);
        event = "message";
        data = [];
      } else if (!line.startsWith(":")) {
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let val = colon < 0 ? "" : line.slice(colon + 1);
        if (val.startsWith(" ")) val = val.slice(1);
        if (field === "event") event = val;
        else if (field === "data") data.push(val);
      }
    }
  }
}

function dispatch(event, text, onEvent) {
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    return;
  }
  onEvent(event, data);
}
