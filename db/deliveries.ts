/**
 * The storage half of the webhook outbox: a firing's delivery record (`["deliveries", logId]`)
 * and its due entry (`["deliveries_due", atMs, logId]`), moved through their states with
 * check-and-set commits. Each function is one state change; the runtime that decides when to
 * make them is webhook/outbox.ts. Commits go through the shared group committer.
 */
import { ConflictError, NotFoundError } from "../core/errors.ts";
import type { StoredLog, TriggerRecord, Webhook } from "../core/schemas.ts";
import { type DeliveryRecord, newDelivery } from "./delivery_record.ts";
import type { Committer, WriteFn } from "../core/committer.ts";
import { addOutcomeMove } from "./histogram.ts";
import { keys } from "./keys.ts";
import { toLogView } from "../core/log_view.ts";
import { logExpireIn, type Windows } from "./log_writes.ts";
import { addWakeup } from "./queues.ts";
import { addFailureCountWrites } from "./failures.ts";
import { addInflightEnd, type Inflight } from "./inflight.ts";

/** A delivery record read with its versionstamp: what a lease or an outcome checks. */
export type DeliveryEntry = Deno.KvEntry<DeliveryRecord>;
/** An entry of the due index, as a poll found it (removed with a check when stale). */
export type DueDelivery = Deno.KvEntry<string>;
/** What a finished attempt wrote into its log entry. */
export type Delivery = NonNullable<StoredLog["delivery"]>;

/** What the delivery functions need: KV, the shared committer, retention, the time. */
export interface DeliveryStore {
  kv: Deno.Kv;
  committer: Committer;
  config: Windows;
  clock: { now(): number };
}

/** Adds a new firing's delivery record and due entry to the commit that writes its log. */
export function addDeliveryWrites(op: Deno.AtomicOperation, log: StoredLog, webhook: Webhook) {
  const rec = newDelivery(log, webhook, Date.parse(log.firedAt));
  op.set(keys.delivery(log.id), rec);
  op.set(keys.deliveryDue(rec.dueAtMs, log.id), log.id);
}

/** Commits `write` in a shared commit; `values` are what it stores, to size the batch. */
function submit(
  committer: Committer,
  write: WriteFn,
  ...values: unknown[]
): Promise<Deno.KvCommitResult | Deno.KvCommitError> {
  // Two bytes a character bounds V8's string sizes; 512 covers keys and small entries.
  const bytes = values.reduce<number>((n, v) => n + 2 * (JSON.stringify(v)?.length ?? 0), 512);
  return committer.submit(write, bytes);
}

/** Deliveries due at `nowMs` or earlier (next attempts, expired leases), oldest first. */
export async function listDueDeliveries(
  kv: Deno.Kv,
  nowMs: number,
  limit = 1_000,
): Promise<{ logId: string; due: DueDelivery }[]> {
  const prefix = keys.deliveriesDuePrefix();
  const out: { logId: string; due: DueDelivery }[] = [];
  for await (
    const e of kv.list<string>({ start: prefix, end: [...prefix, nowMs + 1] }, { limit })
  ) {
    out.push({ logId: e.key[2] as string, due: e });
  }
  return out;
}

/** Unfinished deliveries in KV, all instances, counted up to `max` (for `/metrics`). */
export async function countDeliveryBacklog(kv: Deno.Kv, max = 10_000): Promise<number> {
  let n = 0;
  for await (const _ of kv.list({ prefix: keys.deliveriesDuePrefix() }, { limit: max })) n++;
  return n;
}

/**
 * The pending record of `logId`, or null when it has none (finished, or expired). A due entry
 * `due` left without a pending record is removed on the way.
 */
export async function readPendingDelivery(
  kv: Deno.Kv,
  logId: string,
  due?: DueDelivery,
): Promise<DeliveryEntry | null> {
  const entry = await kv.get<DeliveryRecord>(keys.delivery(logId));
  if (entry.value && entry.value.state === "pending") return entry as DeliveryEntry;
  if (due) await kv.atomic().check(due).delete(due.key).commit();
  return null;
}

/** The log entry a delivery sends, or null once it is past retention. */
export async function readDeliveryLog(kv: Deno.Kv, logId: string): Promise<StoredLog | null> {
  return (await kv.get<StoredLog>(keys.log(logId))).value;
}

/**
 * Takes the lease for the next attempt with a check-and-set: counts the attempt and moves the
 * due entry to the lease's expiry, so if this instance dies the attempt is made again. Null
 * when another instance got there first.
 */
export async function leaseDelivery(
  store: DeliveryStore,
  entry: DeliveryEntry,
  leaseUntil: number,
): Promise<DeliveryEntry | null> {
  const rec = entry.value;
  const next: DeliveryRecord = {
    ...rec,
    attempts: rec.attempts + 1,
    dueAtMs: leaseUntil,
    lease: crypto.randomUUID(),
  };
  const res = await submit(store.committer, (op) =>
    op.check(entry)
      .set(keys.delivery(rec.logId), next)
      .delete(keys.deliveryDue(rec.dueAtMs, rec.logId))
      .set(keys.deliveryDue(leaseUntil, rec.logId), rec.logId), next);
  return res.ok ? { key: entry.key, value: next, versionstamp: res.versionstamp } : null;
}

/** Removes a leased delivery whose log entry is gone (past retention): nothing to deliver. */
export async function dropDelivery(
  store: DeliveryStore,
  leased: DeliveryEntry,
): Promise<string | null> {
  const rec = leased.value;
  for (let i = 0; i < 10; i++) {
    const marker = await readMarker(store.kv, rec.triggerId);
    let promoted: string | null = null;
    const res = await submit(store.committer, (op) => {
      op.check(leased).delete(leased.key).delete(keys.deliveryDue(rec.dueAtMs, rec.logId));
      promoted = endInflight(op, marker, rec.logId, store.clock.now());
    });
    if (res.ok) return promoted;
    if ((await store.kv.get(leased.key)).versionstamp !== leased.versionstamp) return null;
  }
  return null;
}

/** The overlap marker of `triggerId` (a null entry for test firings). */
function readMarker(kv: Deno.Kv, triggerId: string | null): Promise<Deno.KvEntryMaybe<Inflight>> {
  if (triggerId === null) {
    return Promise.resolve({ key: ["inflight"], value: null, versionstamp: null });
  }
  return kv.get<Inflight>(keys.inflight(triggerId));
}

/** Ends the series' overlap marker if it names `logId`, checked; answers the promoted id. */
function endInflight(
  op: Deno.AtomicOperation,
  marker: Deno.KvEntryMaybe<Inflight>,
  logId: string,
  nowMs: number,
): string | null {
  if (marker.value?.logId !== logId) return null;
  op.check(marker);
  return addInflightEnd(op, marker, logId, nowMs);
}

/** Shutdown interrupted an attempt: due again at once, the attempt not counted. */
export async function releaseDelivery(store: DeliveryStore, leased: DeliveryEntry): Promise<void> {
  const rec = leased.value;
  const now = store.clock.now();
  const next: DeliveryRecord = { ...rec, attempts: rec.attempts - 1, dueAtMs: now, lease: null };
  await submit(store.committer, (op) =>
    op.check(leased)
      .set(leased.key, next)
      .delete(keys.deliveryDue(rec.dueAtMs, rec.logId))
      .set(keys.deliveryDue(now, rec.logId), rec.logId), next);
}

/** What an attempt came to, as the runtime decided it (webhook/policy.ts). */
export interface AttemptOutcome {
  delivery: Delivery;
  /** Another attempt after `delayMs`, or the end of the series with `outcome`. */
  retry: boolean;
  delayMs: number;
  outcome: "ok" | "failed";
  /** Whether to also enqueue a wake-up for the retry (KV has queues). */
  queues: boolean;
}

/**
 * Writes what an attempt came to: a retry due after its delay, or the end of the series into
 * the record and the log entry, in one commit. Only the lease holder writes: if the lease
 * moved on (another instance took over), answers null and writes nothing; otherwise the log
 * entry as written (null when it is gone).
 */
export async function recordDelivery(
  store: DeliveryStore,
  leased: DeliveryEntry,
  o: AttemptOutcome,
): Promise<{ log: StoredLog | null; promoted: string | null } | null> {
  const rec = leased.value;
  // The overlap marker is read only for the final outcome of a trigger's firing; a marker that
  // does not name this firing now never will (it names firings made before their delivery).
  const withMarker = !o.retry && rec.triggerId !== null;
  for (let i = 0; i < 10; i++) {
    const now = store.clock.now();
    const [cur, logE, marker] = await store.kv.getMany<[DeliveryRecord, StoredLog, Inflight]>([
      leased.key,
      keys.log(rec.logId),
      withMarker ? keys.inflight(rec.triggerId!) : ["inflight"],
    ]);
    if (cur.versionstamp !== leased.versionstamp) return null;
    const next: DeliveryRecord = o.retry
      ? { ...rec, dueAtMs: now + o.delayMs, lease: null }
      : { ...rec, state: "done", lease: null };
    const log: StoredLog | null = logE.value
      ? { ...logE.value, outcome: o.retry ? "pending" : o.outcome, delivery: o.delivery }
      : null;
    const expireIn = log ? logExpireIn(log, now, store.config) : 3600_000;
    let promoted: string | null = null;
    const res = await submit(
      store.committer,
      (op) => {
        op.check(cur).check(logE).delete(keys.deliveryDue(rec.dueAtMs, rec.logId));
        if (o.retry) {
          op.set(leased.key, next).set(keys.deliveryDue(next.dueAtMs, rec.logId), rec.logId);
          if (o.queues) addWakeup(op, rec.logId, o.delayMs);
        } else {
          op.set(leased.key, next, { expireIn }).delete(keys.deliveryUndelivered(rec.logId));
          // Issue 17: consecutive final failures per trigger, for pauseAfterFailures.
          if (rec.triggerId !== null) addFailureCountWrites(op, rec.triggerId, o.outcome);
          if (withMarker) promoted = endInflight(op, marker, rec.logId, now);
        }
        if (log) {
          op.set(keys.log(rec.logId), log, { expireIn });
          addOutcomeMove(op, logE.value!, log.outcome);
        }
      },
      next,
      log,
    );
    if (res.ok) return { log, promoted };
    // The log entry or the overlap marker changed (retention sweep, a claim buffering one):
    // read again.
  }
  throw new Error(`could not record the outcome of delivery ${rec.logId}`);
}

/**
 * Starts a new attempt series for the entry `logId`, due now. It goes to the trigger's current
 * webhook, or the one the firing was made with when the trigger is gone or has none now.
 * NotFoundError for unknown entries, ConflictError when the entry was not a webhook firing or
 * a delivery of it is in progress. Answers the entry, now pending.
 */
export async function redeliverLog(store: DeliveryStore, logId: string): Promise<StoredLog> {
  const { kv, config } = store;
  for (let i = 0; i < 10; i++) {
    const now = store.clock.now();
    const [logE, recE] = await kv.getMany<[StoredLog, DeliveryRecord]>([
      keys.log(logId),
      keys.delivery(logId),
    ]);
    const log = logE.value;
    if (!log || !toLogView(log, now, config)) {
      throw new NotFoundError(`No log entry with id "${logId}"`);
    }
    // Pending without a delivery record: buffered behind an overlap, it is delivered later.
    if (recE.value?.state === "pending" || log.outcome === "pending") {
      throw new ConflictError(`A delivery of log entry "${logId}" is in progress`);
    }
    if (log.outcome === "ok" && log.delivery === null && !recE.value) {
      throw new ConflictError(`Log entry "${logId}" was not a webhook firing`);
    }
    let webhook: Webhook | null = null;
    if (log.triggerId !== null) {
      webhook = (await kv.get<TriggerRecord>(keys.trigger(log.triggerId))).value?.webhook ?? null;
    }
    webhook ??= recE.value?.webhook ?? null;
    if (!webhook) throw new ConflictError(`Log entry "${logId}" has no webhook to deliver to`);
    const rec = newDelivery(log, webhook, now);
    const updated: StoredLog = { ...log, outcome: "pending", delivery: null };
    const res = await submit(
      store.committer,
      (op) => {
        op.check(logE).check(recE);
        op.set(keys.log(logId), updated, { expireIn: logExpireIn(log, now, config) });
        addOutcomeMove(op, log, "pending");
        op.set(keys.delivery(logId), rec);
        op.set(keys.deliveryDue(now, logId), logId);
      },
      updated,
      rec,
    );
    if (res.ok) return updated;
  }
  throw new ConflictError(`Log entry "${logId}" is changing too often, try again`);
}
