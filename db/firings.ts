/**
 * The writes of one firing: its log entry with indexes and counter, the trigger's run counters
 * for on-demand firings, and the durable delivery record when it has a webhook (always: a
 * firing's delivery does not depend on an outbox running in this process).
 */
import { PayloadTooLargeError, UnavailableError } from "../core/errors.ts";
import type { StoredLog, TriggerRecord } from "../core/schemas.ts";
import { addDeliveryWrites } from "./deliveries.ts";
import type { Committer, WriteFn } from "../core/committer.ts";
import { keys } from "./keys.ts";
import { addLogWrites, type Windows } from "./log_writes.ts";

/** Adds a firing of `rec` (log entry, and delivery record if it has a webhook) to `op`. */
export function addFiringWrites(
  op: Deno.AtomicOperation,
  log: StoredLog,
  rec: Pick<TriggerRecord, "webhook">,
  w: Windows,
): void {
  addLogWrites(op, log, w);
  if (rec.webhook) addDeliveryWrites(op, log, rec.webhook);
}

/**
 * Adds an on-demand firing of a stored trigger: the firing plus the trigger's run counters
 * (summed, so concurrent firings of one trigger never conflict).
 */
export function addManualFiringWrites(
  op: Deno.AtomicOperation,
  rec: TriggerRecord,
  log: StoredLog,
  w: Windows,
): void {
  addFiringWrites(op, log, rec, w);
  op.sum(keys.triggerRuns(rec.id), 1n);
  op.max(keys.triggerLastRun(rec.id), BigInt(Date.parse(log.firedAt)));
}

/**
 * Commits one firing's writes in a shared commit; resolves once durable. A firing KV refuses
 * on its own account (its log entry is larger than a value may be) is a PayloadTooLargeError.
 * With `checked` (the writes carry checks, e.g. an idempotency key) a failed check resolves
 * false instead of throwing.
 */
export async function commitFiring(
  committer: Committer,
  write: WriteFn,
  log: StoredLog,
  opts: { checked?: boolean } = {},
): Promise<boolean> {
  // Values are the log (its payload inside) plus small index entries and counters. V8 stores
  // strings with non-Latin-1 characters at 2 bytes each, hence the factor.
  const bytes = 2 * JSON.stringify(log).length + 512;
  let res: Deno.KvCommitResult | Deno.KvCommitError;
  try {
    res = await committer.submit(write, bytes);
  } catch (err) {
    if (/too large/i.test(String(err))) {
      throw new PayloadTooLargeError("The firing is larger than storage allows (64 KiB)");
    }
    // Still locked after the committer's retries (another process holds the file): nothing
    // was committed, and a retry may succeed, which is what 503 says.
    if (/database is locked|SQLITE_BUSY/i.test(String(err))) {
      throw new UnavailableError("Storage is locked; the firing was not committed, retry later");
    }
    throw err;
  }
  if (!res.ok && opts.checked) return false;
  // Firings without checks: this means KV refused the write.
  if (!res.ok) throw new Error(`The log entry "${log.id}" was not committed`);
  return true;
}
