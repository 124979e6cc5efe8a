/**
 * Idempotency keys of on-demand firings. A record `["idem", triggerId, key]` names the log
 * entry a key produced and a hash of the request body. It is written in the same atomic commit
 * as that log entry, checked absent (or unchanged, when the one there is stale), so of two
 * requests with one key exactly one commits and the other finds the record and replays it.
 * There is never an "in progress" record in KV: before the commit there is nothing, after it
 * the log entry exists.
 */
import { keys } from "./keys.ts";

/** How long a key is remembered: a repeat after this fires again. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/** The stored record of one key. */
export interface IdempotencyRecord {
  logId: string;
  /** SHA-256 (hex) of the canonical request body; a repeat with another body is refused. */
  bodyHash: string;
  /** Always "done": the record commits with its firing. Kept for readers of the raw store. */
  state: "done";
  /** When the key was first used (ms); `expireIn` is lazy, so reads compare against this. */
  atMs: number;
}

/** What a read found: a live record, or the versionstamp a new record must check against. */
export type IdempotencyLookup =
  | { found: IdempotencyRecord }
  | { found: null; versionstamp: string | null };

/**
 * Reads the record of `key` for `triggerId`. A record older than the TTL counts as absent
 * (KV's expiry is lazy and may keep it readable a while); its versionstamp is returned so the
 * new record replaces exactly it.
 */
export async function readIdempotency(
  kv: Deno.Kv,
  triggerId: string,
  key: string,
  nowMs: number,
): Promise<IdempotencyLookup> {
  const entry = await kv.get<IdempotencyRecord>(keys.idempotency(triggerId, key));
  if (entry.value && nowMs - entry.value.atMs < IDEMPOTENCY_TTL_MS) return { found: entry.value };
  return { found: null, versionstamp: entry.versionstamp };
}

/**
 * Adds the record to a firing's commit, checked against what `readIdempotency` saw: a
 * concurrent request with the same key makes this commit fail its check.
 */
export function addIdempotencyWrites(
  op: Deno.AtomicOperation,
  triggerId: string,
  key: string,
  seen: string | null,
  rec: IdempotencyRecord,
): void {
  const k = keys.idempotency(triggerId, key);
  op.check({ key: k, versionstamp: seen });
  op.set(k, rec, { expireIn: IDEMPOTENCY_TTL_MS });
}
