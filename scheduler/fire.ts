/**
 * Firings outside the schedule: `POST /api/triggers/:id/fire` (api, manual) and test firings.
 * Concurrent firings share commits through a GroupCommitter; each request still answers only
 * after the commit holding its own log entry is durable.
 */
import type { Deps } from "../deps.ts";
import { PayloadTooLargeError } from "../errors.ts";
import { keys } from "../db/keys.ts";
import { addLogWrites } from "../db/logs.ts";
import { ulid } from "../db/ulid.ts";
import type { StoredLog, TriggerRecord } from "../schemas.ts";
import { GroupCommitter, type WriteFn } from "./group_commit.ts";

/** The log entry of an on-demand firing at `nowMs`. */
export function manualLog(rec: TriggerRecord, payload: unknown, nowMs: number): StoredLog {
  return {
    id: ulid(nowMs),
    triggerId: rec.id,
    triggerName: rec.name,
    triggerType: rec.type,
    source: rec.type === "api" ? "api" : "manual",
    test: false,
    scheduledFor: null,
    firedAt: new Date(nowMs).toISOString(),
    lateMs: null,
    catchUp: false,
    payload: payload as StoredLog["payload"],
    outcome: rec.webhook ? "pending" : "ok",
    delivery: null,
  };
}

/**
 * Adds the writes of an on-demand firing: the log and the trigger's run counters (summed, so
 * concurrent firings of one trigger never conflict), plus the webhook outbox record.
 */
export function addManualFiringWrites(
  deps: Pick<Deps, "config" | "outbox">,
  op: Deno.AtomicOperation,
  rec: TriggerRecord,
  log: StoredLog,
): void {
  addLogWrites(op, log, deps.config);
  op.sum(keys.triggerRuns(rec.id), 1n);
  op.max(keys.triggerLastRun(rec.id), BigInt(Date.parse(log.firedAt)));
  if (rec.webhook) deps.outbox?.addWrites(op, log, rec);
}

/** Committers made on first use for deps that bring none (one per KV handle). */
const lazyCommitters = new WeakMap<Deno.Kv, GroupCommitter>();

/** The committer firings of `deps` share: `deps.committer`, or one per KV handle. */
export function committerOf(deps: Deps): GroupCommitter {
  if (deps.committer) return deps.committer;
  let c = lazyCommitters.get(deps.kv);
  if (!c) lazyCommitters.set(deps.kv, c = new GroupCommitter(deps.kv));
  return c;
}

/**
 * Commits one firing's writes in a shared commit; resolves once durable. A firing KV refuses
 * on its own account (its log entry is larger than a value may be) is a 413 for its request.
 */
async function commitFiring(deps: Deps, write: WriteFn, log: StoredLog): Promise<void> {
  // Values are the log (its payload inside) plus small index entries and counters. V8 stores
  // strings with non-Latin-1 characters at 2 bytes each, hence the factor.
  const bytes = 2 * JSON.stringify(log).length + 512;
  let res: Deno.KvCommitResult | Deno.KvCommitError;
  try {
    res = await committerOf(deps).submit(write, bytes);
  } catch (err) {
    if (/too large/i.test(String(err))) {
      throw new PayloadTooLargeError("The firing is larger than storage allows (64 KiB)");
    }
    throw err;
  }
  // Firings carry no checks, so this means KV refused the write.
  if (!res.ok) throw new Error(`The log entry "${log.id}" was not committed`);
}

/** Fires `rec` now with `payload`; resolves once the log entry is durable. */
export async function fireNow(
  deps: Deps,
  rec: TriggerRecord,
  payload: unknown,
  hops = 1,
): Promise<StoredLog> {
  const log = { ...manualLog(rec, payload, deps.clock.now()), ...(hops > 1 ? { hops } : {}) };
  await commitFiring(deps, (op) => addManualFiringWrites(deps, op, rec, log), log);
  deps.bus.publish([log]);
  if (log.outcome === "pending") deps.outbox?.kick([log]);
  return log;
}

/**
 * A test firing of an unsaved definition: a log entry marked `test`, no trigger, no counters
 * of a trigger. A webhook in the definition is delivered like any other.
 */
export async function fireTest(
  deps: Deps,
  def: TriggerRecord,
  payload: unknown,
  atMs: number,
): Promise<StoredLog> {
  const log: StoredLog = {
    ...manualLog(def, payload, atMs),
    triggerId: null,
    source: "test",
    test: true,
  };
  await commitFiring(deps, (op) => {
    addLogWrites(op, log, deps.config);
    if (def.webhook) deps.outbox?.addWrites(op, log, def);
  }, log);
  deps.bus.publish([log]);
  if (log.outcome === "pending") deps.outbox?.kick([log]);
  return log;
}
