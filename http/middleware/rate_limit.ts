/**
 * Per-client token buckets: the write rate limit (POST, PUT, PATCH, DELETE) and the limit on
 * failed authentication. A bucket holds up to `perMinute` tokens, refilled at `perMinute` per
 * minute; an empty bucket answers 429 with `Retry-After` (seconds until one token is back).
 */
import type { Context, MiddlewareHandler } from "hono";
import { RateLimitError } from "../../core/errors.ts";
import { passThrough } from "./pass_through.ts";

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

/** One token bucket per client key, bounded in the number of clients it remembers. */
export class TokenBuckets {
  readonly #buckets = new Map<string, Bucket>();
  readonly #now: () => number;
  readonly #maxClients: number;
  readonly #perMs: number;

  constructor(readonly perMinute: number, opts: RateLimitOptions = {}) {
    this.#now = opts.now ?? (() => performance.now());
    this.#maxClients = opts.maxClients ?? 10_000;
    this.#perMs = perMinute / 60_000;
  }

  /** Seconds until `client` has a token again; 0 when it has one now. */
  wait(client: string): number {
    const b = this.#bucket(client);
    if (b.tokens >= 1) return 0;
    return Math.max(1, Math.ceil((1 - b.tokens) / this.#perMs / 1000));
  }

  /** Spends one of `client`'s tokens (callers check `wait` first). */
  take(client: string): void {
    this.#bucket(client).tokens -= 1;
  }

  #bucket(client: string): Bucket {
    const t = this.#now();
    let b = this.#buckets.get(client);
    if (!b) {
      if (this.#buckets.size >= this.#maxClients) this.#prune(t);
      b = { tokens: this.perMinute, at: t };
      this.#buckets.set(client, b);
    }
    this.#refill(b, t);
    return b;
  }

  #refill(b: Bucket, t: number): void {
    b.tokens = Math.min(this.perMinute, b.tokens + (t - b.at) * this.#perMs);
    b.at = t;
  }

  #prune(t: number): void {
    for (const [k, b] of this.#buckets) {
      this.#refill(b, t);
      if (b.tokens >= this.perMinute) this.#buckets.delete(k);
    }
    // Still full of busy clients: forget the oldest (a forgotten client starts with a full bucket).
    for (const k of this.#buckets.keys()) {
      if (this.#buckets.size < this.#maxClients) break;
      this.#buckets.delete(k);
    }
  }
}

/**
 * The write rate limit; `perMinute` 0 turns it off. Registered after authentication, so a 401
 * never spends a token.
 */
export function rateLimit(perMinute: number, opts: RateLimitOptions = {}): MiddlewareHandler {
  if (perMinute <= 0) return passThrough;
  const buckets = new TokenBuckets(perMinute, opts);
  return (c, next) => {
    if (!WRITES.has(c.req.method)) return next();
    const client = clientAddress(c);
    const retryAfter = buckets.wait(client);
    if (retryAfter > 0) {
      throw new RateLimitError(
        `More than ${perMinute} write requests a minute from this client; retry in ${retryAfter} s`,
        retryAfter,
      );
    }
    buckets.take(client);
    return next();
  };
}
