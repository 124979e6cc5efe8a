/**
 * One delivery attempt: an HTTP request with a deadline that covers the whole exchange, no
 * redirects followed, and at most 64 KiB of the response read, to an allowed destination
 * (address_policy.ts). Never throws for what the receiver does; only a shutdown abort (the
 * caller's `signal`) propagates.
 */
import type { AttemptResult } from "./policy.ts";
import { destinationProblem } from "./address_policy.ts";

/** The most of a response body that is ever read. */
export const MAX_RESPONSE_BYTES = 64 * 1024;

export interface AttemptRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** Aborts the attempt without a result (shutdown). */
  signal?: AbortSignal;
  /** `--webhook-deny-private`: refuse loopback, private, link-local and CGNAT destinations. */
  denyPrivate?: boolean;
}

/** Thrown when the caller's signal aborted the attempt: it has no outcome to record. */
export class AttemptAborted extends Error {}

/** Sends one request and classifies what came back. */
export async function sendAttempt(req: AttemptRequest): Promise<AttemptResult> {
  // A refused destination stays refused: final, not retried.
  const blocked = await destinationProblem(req.url, req.denyPrivate ?? false);
  if (blocked) return { status: null, error: blocked, retryAfter: null, final: true };
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), req.timeoutMs);
  const signal = req.signal ? AbortSignal.any([timeout.signal, req.signal]) : timeout.signal;
  try {
    const res = await fetch(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      redirect: "manual",
      signal,
    });
    const text = await readCapped(res);
    const ok = res.status >= 200 && res.status < 300;
    let error: string | null = null;
    if (!ok) {
      error = res.status >= 300 && res.status < 400
        ? `Redirect (${res.status}) not followed`
        : `HTTP ${res.status}${text ? `: ${snippet(text)}` : ""}`;
    }
    return { status: res.status, error, retryAfter: res.headers.get("retry-after") };
  } catch (err) {
    if (req.signal?.aborted) throw new AttemptAborted("Delivery stopped by shutdown");
    if (timeout.signal.aborted) {
      return { status: null, error: `Timed out after ${req.timeoutMs} ms`, retryAfter: null };
    }
    const msg = String((err as Error)?.message ?? err).split("\n")[0];
    if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
      // Run with --allow-net=<hosts> and this host is not among them: retrying cannot help.
      return {
        status: null,
        error: `Outbound access denied: ${msg}`,
        retryAfter: null,
        final: true,
      };
    }
    return { status: null, error: `Network error: ${msg}`, retryAfter: null };
  } finally {
    clearTimeout(timer);
  }
}

/** Reads at most MAX_RESPONSE_BYTES of the body as text, then lets the rest go. */
async function readCapped(res: Response): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < MAX_RESPONSE_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      const room = MAX_RESPONSE_BYTES - size;
      const part = value.byteLength > room ? value.subarray(0, room) : value;
      chunks.push(part);
      size += part.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

/** A short, single-line excerpt of a response body for the log entry's error. */
function snippet(text: string): string {
  // deno-lint-ignore no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f\s]+/g, " ").trim();
  return flat.length > 200 ? flat.slice(0, 200) + "…" : flat;
}
