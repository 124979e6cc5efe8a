/**
 * A per-client rate limit on write requests (POST, PUT, PATCH, DELETE): a token bucket per
 * client address holding up to `perMinute` tokens, refilled at `perMinute` per minute. Over the
 * limit: 429 with `Retry-After` (seconds until one token is back). Reads are never limited.
 */
import type { Context, MiddlewareHandler } from "hono";
import { RateLimitError } from "../errors.ts";

const WRITES = new Set(["POST", "PUT", "PATCH", "DELETE"]);

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * The client address: `remoteAddr` of the Deno.serve connection (Hono passes Deno's handler
 * info as `c.env`). Forwarding headers are not trusted: anyone could send them.
 */
export function clientAddress(c: Context): string {
  const env = c.env as { remoteAddr?: { hostname?: string } } | undefined;
  return env?.remoteAddr?.hostname ?? "unknown";
}

export interface RateLimitOptions {
  /** Monotonic milliseconds; injectable for tests. */
  now?: () => number;
  /** Most clients remembered; idle full buckets are dropped first. */
  maxClients?: number;
}

/** The middleware; `perMinute` 0 turns it off. */
export function rateLimit(perMinute: number, opts: RateLimitOptions = {}): MiddlewareHandler {
  if (perMinute <= 0) return async (_c, next) => await next();
  const now = opts.now ?? (() => performance.now());
  const maxClients = opts.maxClients ?? 10_000;
  const perMs = perMinute / 60_000;
  const buckets = new Map<string, Bucket>();

  const refill = (b: Bucket, t: number) => {
    b.tokens = Math.min(perMinute, b.tokens + (t - b.at) * perMs);
    b.at = t;
  };
  const prune = (t: number) => {
    for (const [k, b] of buckets) {
      refill(b, t);
      if (b.tokens >= perMinute) buckets.delete(k);
    }
    // Still full of busy clients: forget the oldest (a forgotten client starts with a full bucket).
    for (const k of buckets.keys()) {
      if (buckets.size < maxClients) break;
      buckets.delete(k);
    }
  };

  return async (c, next) => {
    if (!WRITES.has(c.req.method)) return await next();
    const t = now();
    const client = clientAddress(c);
    let b = buckets.get(client);
    if (!b) {
      if (buckets.size >= maxClients) prune(t);
      b = { tokens: perMinute, at: t };
      buckets.set(client, b);
    }
    refill(b, t);
    if (b.tokens < 1) {
      const retryAfter = Math.max(1, Math.ceil((1 - b.tokens) / perMs / 1000));
      throw new RateLimitError(
        `More than ${perMinute} write requests a minute from this client; retry in ${retryAfter} s`,
        retryAfter,
      );
    }
    b.tokens -= 1;
    await next();
  };
}
