/**
 * One delivery attempt: an HTTP request with a deadline that covers the whole exchange (the
 * name's resolution included), no redirects followed, and at most 64 KiB of the response read,
 * to an allowed destination (address_policy.ts). The connection goes to the addresses the
 * check saw (pinned_request.ts); where that transport is not usable (a network Deno restricts,
 * Deno Deploy) `fetch` sends it after the same check. Never throws for what the
 * receiver does; only a shutdown abort (the caller's `signal`) propagates.
 */
import type { AttemptResult } from "./policy.ts";
import { BlockedDestination, destinationProblem } from "./address_policy.ts";
import {
  concatBytes,
  type Exchange,
  type ExchangeRequest,
  type PinnedTransport,
} from "./pinned_request.ts";

/** The most of a response body that is ever read. */
export const MAX_RESPONSE_BYTES = 64 * 1024;

export interface AttemptRequest extends ExchangeRequest {
  timeoutMs: number;
  /** Aborts the attempt without a result (shutdown). */
  signal?: AbortSignal;
  /** Sends the request to checked addresses, and holds the policy (`--webhook-deny-private`). */
  transport: PinnedTransport;
}

/** Thrown when the caller's signal aborted the attempt: it has no outcome to record. */
export class AttemptAborted extends Error {}

/** Sends one request and classifies what came back. */
export async function sendAttempt(req: AttemptRequest): Promise<AttemptResult> {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), req.timeoutMs);
  const signal = req.signal ? AbortSignal.any([timeout.signal, req.signal]) : timeout.signal;
  try {
    const res = req.transport.usable
      ? await req.transport.send(req, signal, MAX_RESPONSE_BYTES)
      : await fetchExchange(req, signal);
    const ok = res.status >= 200 && res.status < 300;
    let error: string | null = null;
    if (!ok) {
      error = res.status >= 300 && res.status < 400
        ? `Redirect (${res.status}) not followed`
        : `HTTP ${res.status}${res.text ? `: ${snippet(res.text)}` : ""}`;
    }
    return { status: res.status, error, retryAfter: res.retryAfter };
  } catch (err) {
    // A refused destination stays refused: final, not retried.
    if (err instanceof BlockedDestination) {
      return { status: null, error: err.message, retryAfter: null, final: true };
    }
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

/** The exchange through `fetch`, after checking the addresses the name resolves to. */
async function fetchExchange(req: AttemptRequest, signal: AbortSignal): Promise<Exchange> {
  const blocked = await destinationProblem(req.url, req.transport.denyPrivate);
  if (blocked) throw new BlockedDestination(blocked);
  const res = await fetch(req.url, {
    method: req.method,
    headers: req.headers,
    body: req.body,
    redirect: "manual",
    signal,
  });
  const text = await readCapped(res);
  return { status: res.status, retryAfter: res.headers.get("retry-after"), text };
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
  const bytes = concatBytes(chunks, size);
  return new TextDecoder().decode(bytes);
}

/** A short, single-line excerpt of a response body for the log entry's error. */
function snippet(text: string): string {
  // deno-lint-ignore no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f\s]+/g, " ").trim();
  return flat.length > 200 ? flat.slice(0, 200) + "…" : flat;
}
