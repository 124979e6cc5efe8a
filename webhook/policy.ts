/**
 * The retry policy of webhook deliveries, as pure functions: which results are retried, how
 * long to wait before retry k (exponential backoff with full jitter, capped) and how a
 * `Retry-After` header overrides that.
 */

/** No wait between attempts is ever longer than this, `Retry-After` included. */
export const MAX_BACKOFF_MS = 5 * 60_000;

/** What one attempt came to. `status` is null when no response arrived. */
export interface AttemptResult {
  status: number | null;
  error: string | null;
  /** The response's `Retry-After` header, if any. */
  retryAfter: string | null;
  /** Set when repeating cannot help though no response came (outbound access not allowed). */
  final?: boolean;
}

/** Success is any 2xx. */
export function isSuccess(r: AttemptResult): boolean {
  return r.status !== null && r.status >= 200 && r.status < 300;
}

/**
 * Whether a failed attempt is worth repeating: network errors and timeouts (no status), 429
 * and 5xx but 508. Other 4xx and 3xx (redirects are not followed) will not change by retrying.
 */
export function isRetryable(r: AttemptResult): boolean {
  if (r.final) return false;
  if (r.status === null) return true;
  // 508 Loop Detected: a Tock refusing a delivery loop; repeating only loops again.
  if (r.status === 508) return false;
  return r.status === 429 || r.status >= 500;
}

/**
 * The wait before retry `k` (1 for the first retry): random in [0, backoffMs * 2^(k-1)], capped
 * at five minutes. `random` is a parameter so tests can pin it.
 */
export function backoffDelay(backoffMs: number, k: number, random: () => number = Math.random) {
  const ceiling = Math.min(MAX_BACKOFF_MS, backoffMs * 2 ** Math.max(0, k - 1));
  return Math.floor(random() * ceiling);
}

/**
 * Milliseconds a `Retry-After` value asks to wait at `nowMs`: delta seconds or an HTTP date,
 * clamped to [0, 5 min]; null when absent or unreadable.
 */
export function retryAfterDelay(value: string | null, nowMs: number): number | null {
  if (value === null) return null;
  const text = value.trim();
  let ms: number;
  if (/^\d+$/.test(text)) ms = Number(text) * 1000;
  else {
    const at = Date.parse(text);
    if (!Number.isFinite(at) || !/[a-z]/i.test(text)) return null;
    ms = at - nowMs;
  }
  return Math.min(MAX_BACKOFF_MS, Math.max(0, ms));
}

/** The wait before retry `k` after `r`: the receiver's `Retry-After` when given, else backoff. */
export function nextDelay(
  r: AttemptResult,
  backoffMs: number,
  k: number,
  nowMs: number,
  random: () => number = Math.random,
): number {
  return retryAfterDelay(r.retryAfter, nowMs) ?? backoffDelay(backoffMs, k, random);
}
