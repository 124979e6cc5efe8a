/**
 * A small HTTP client for the Tock API: bearer auth, JSON in and out, and RFC 9457 problem
 * bodies turned into `ApiError` so every command reports a refusal the same way.
 */

/** One field-level problem as the server reports it. */
export interface FieldProblem {
  path: string;
  message: string;
}

/** The server answered with an error status, or could not be reached (status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors: FieldProblem[] = [],
    /** What to try next, printed after the problem (a server that cannot be reached). */
    readonly hint = "",
  ) {
    super(detail ? `${title}: ${detail}` : title);
    this.name = "ApiError";
  }
}

/** Field errors with their paths put under a prefix (`triggers[2]` + `schedule.cron`). */
export function prefixErrors(errors: FieldProblem[], prefix = ""): FieldProblem[] {
  if (!prefix) return errors;
  return errors.map((e) => ({ path: e.path ? `${prefix}.${e.path}` : prefix, message: e.message }));
}

/** Lines to print for an `ApiError`: title (status), detail, then each `path: message`. */
export function describeApiError(err: ApiError, pathPrefix = ""): string[] {
  const head = err.status ? `${err.title} (HTTP ${err.status})` : err.title;
  const lines = [`error: ${head}`];
  if (err.detail && err.detail !== err.title) lines.push(`  ${err.detail}`);
  for (const e of prefixErrors(err.errors, pathPrefix)) {
    lines.push(`  ${e.path ? `${e.path}: ` : ""}${e.message}`);
  }
  if (err.hint) lines.push(`hint: ${err.hint}`);
  return lines;
}

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** Talks to one Tock server. */
export class Client {
  readonly baseUrl: string;

  constructor(baseUrl: string, private readonly apiKey?: string) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
  }

  /** Sends a request and returns the parsed JSON body (undefined for 204); throws `ApiError`. */
  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.send(method, path, opts);
    if (res.status === 204) {
      await res.body?.cancel();
      return undefined as T;
    }
    const text = await res.text();
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(res.status, "Unexpected response", `Expected JSON from ${method} ${path}`);
    }
  }

  /** Opens a streaming response (the event stream); throws `ApiError` on a refusal. */
  stream(path: string, opts: Omit<RequestOptions, "body"> = {}): Promise<Response> {
    return this.send("GET", path, opts, "text/event-stream");
  }

  private async send(
    method: string,
    path: string,
    opts: RequestOptions,
    accept = "application/json",
  ): Promise<Response> {
    const url = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) {
      if (v !== undefined) url.searchParams.set(k, String(v));
    }
    const headers: Record<string, string> = { ...opts.headers, accept };
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    if (opts.body !== undefined) headers["content-type"] = "application/json";
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: opts.signal,
      });
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      throw new ApiError(
        0,
        `Cannot reach Tock at ${this.baseUrl}`,
        errorMessage(err),
        [],
        "is the server running there? Start it with `tock serve`, or point tock at it " +
          "with --url or TOCK_URL.",
      );
    }
    if (res.ok) return res;
    throw await toApiError(res);
  }
}

async function toApiError(res: Response): Promise<ApiError> {
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return new ApiError(res.status, res.statusText || "Request failed", text.trim().slice(0, 500));
  }
  if (isRecord(body)) {
    const errors = Array.isArray(body.errors)
      ? body.errors.filter(isRecord).map((e) => ({
        path: String(e.path ?? ""),
        message: String(e.message ?? ""),
      }))
      : [];
    const title = typeof body.title === "string"
      ? body.title
      : typeof body.error === "string"
      ? body.error
      : res.statusText || "Request failed";
    const detail = typeof body.detail === "string" ? body.detail : "";
    return new ApiError(res.status, title, detail, errors);
  }
  return new ApiError(res.status, res.statusText || "Request failed", text.slice(0, 500));
}

/** A plain object (not null, not an array). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The message of anything thrown. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
