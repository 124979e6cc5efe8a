/**
 * Firings outside the schedule: fire a trigger now (api, manual) and test firings of unsaved
 * definitions. Each commits through the shared group committer (concurrent firings share
 * commits; each answers only once its own entry is durable), then publishes on the bus, where
 * the event stream, metrics and the webhook outbox pick it up.
 */
import { newLogEntry } from "../core/log_entry.ts";
import type { Deps } from "../core/deps.ts";
import { toLogView } from "../core/log_view.ts";
import { addFiringWrites, addManualFiringWrites, commitFiring } from "../db/firings.ts";
import { getLog } from "../db/log_list.ts";
import { addIdempotencyWrites, readIdempotency } from "../db/idempotency.ts";
import { addDefCheck, isCurrent } from "../db/trigger_cache.ts";
import { ConflictError, TockError, ValidationError } from "../core/errors.ts";
import { type FireTarget, reresolve, targetOf, validateFor } from "./fire_target.ts";

export { type FireTarget, resolveForFire, triggerCache, type TriggerRef } from "./fire_target.ts";
import { buildDefinition, type Definition, newTriggerRecord } from "../scheduler/definition.ts";
import { occurrences } from "../scheduler/next_occurrence.ts";
import type { z } from "zod";
import type { LogEntry, StoredLog, TestRequest, TriggerRecord } from "../core/schemas.ts";

/** A validated `/api/test` or `/api/preview` body: a definition whose name may be left out. */
export type TestInput = z.infer<typeof TestRequest>;

/**
 * The log entry of an on-demand firing at `nowMs`; `hops` (kept only above 1) is the
 * `Tock-Hops` its deliveries carry.
 */
export function manualLog(
  rec: TriggerRecord,
  payload: unknown,
  nowMs: number,
  hops = 1,
): StoredLog {
  return newLogEntry(rec, nowMs, {
    source: rec.type === "api" ? "api" : "manual",
    payload: payload as StoredLog["payload"],
    ...(hops > 1 ? { hops } : {}),
  });
}

/**
 * Commits the on-demand firing `log` of `rec` with `extra` writes, checking (when it came from
 * the definition cache) that `cur` is still the trigger's definition; publishes it once durable.
 * False when a check failed: nothing was written.
 */
async function commitOnDemand(
  deps: Deps,
  rec: TriggerRecord,
  cur: FireTarget | null,
  log: StoredLog,
  extra?: (op: Deno.AtomicOperation) => void,
): Promise<boolean> {
  const ok = await commitFiring(
    deps.committer,
    (op) => {
      if (cur) addDefCheck(op, cur.cached, cur.name);
      addManualFiringWrites(op, rec, log, deps.config);
      extra?.(op);
    },
    log,
    { checked: cur !== null || extra !== undefined },
  );
  if (ok) deps.bus.publish([log]);
  return ok;
}

/** The log entry of a test firing of `def` at `nowMs`: no trigger, marked `test`. */
export function testLog(def: TriggerRecord, payload: unknown, nowMs: number): StoredLog {
  return { ...manualLog(def, payload, nowMs), triggerId: null, source: "test", test: true };
}

/** Most times a firing reloads a definition that changed under it before giving up (409). */
const MAX_RELOADS = 5;

/**
 * Fires a trigger now with `payload` (its stored payload when undefined; checked against its
 * payload schema for api triggers); resolves once the log entry is durable. `hops` is the
 * `Tock-Hops` its deliveries carry (more than 1 when a webhook delivery caused this firing).
 * A resolved target's commit checks that its definition is still current; a failed check
 * reloads it and fires (or refuses) as the new definition says.
 */
export async function fireNow(
  deps: Deps,
  target: FireTarget | TriggerRecord,
  payload?: unknown,
  hops = 1,
): Promise<StoredLog> {
  let t = targetOf(target);
  for (let attempt = 0; attempt < MAX_RELOADS; attempt++) {
    const rec = t ? t.cached.rec : target as TriggerRecord;
    const body = payload === undefined ? rec.payload : payload;
    if (!(await validateFor(deps, rec, t, body))) {
      t = await reresolve(deps, t!);
      continue;
    }
    const log = manualLog(rec, body, deps.clock.now(), hops);
    if (await commitOnDemand(deps, rec, t, log)) return log;
    t = await reresolve(deps, t!);
  }
  throw new ConflictError("The trigger is changing too often to fire, try again");
}

/** A fire request's `Idempotency-Key` and the hash of its body (see `bodyHash`). */
export interface IdempotentRequest {
  key: string;
  bodyHash: string;
}

const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,255}$/;

/** The `Idempotency-Key` header's value (null when absent); 400 unless 1-255 printable ASCII. */
export function idempotencyKeyOf(header: string | undefined): string | null {
  if (header === undefined) return null;
  if (!IDEMPOTENCY_KEY.test(header)) {
    throw new ValidationError("Invalid Idempotency-Key", [{
      path: "Idempotency-Key",
      message: "Must be 1-255 printable ASCII characters",
    }]);
  }
  return header;
}

/**
 * JSON with object keys sorted, so equal bodies hash equally however their keys are ordered.
 * Native `JSON.stringify` with a replacer: no recursion of ours to overflow on deep nesting.
 */
function canonicalJson(v: unknown): string {
  try {
    return JSON.stringify(
      v,
      (_k, x) =>
        x !== null && typeof x === "object" && !Array.isArray(x)
          ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, x[k]]))
          : x,
    ) ?? "null";
  } catch (err) {
    if (err instanceof RangeError) {
      throw new ValidationError("The request body is nested too deeply");
    }
    throw err;
  }
}

/** SHA-256 (hex) of a fire request's body; `undefined` (no body) hashes apart from any JSON. */
export async function bodyHash(payload: unknown): Promise<string> {
  const text = payload === undefined ? "\u0000none" : canonicalJson(payload);
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * A fire request (`/api/triggers/:id/fire`, `/trigger_api`): with an `Idempotency-Key` at most
 * once per key (a repeat answers the original entry, `replayed`), otherwise a new firing.
 */
export async function fireRequest(
  deps: Deps,
  target: FireTarget | TriggerRecord,
  payload: unknown,
  opts: { key: string | null; hops: number },
): Promise<{ entry: LogEntry; replayed: boolean }> {
  if (opts.key !== null) {
    const idem = { key: opts.key, bodyHash: await bodyHash(payload) };
    return await fireNowOnce(deps, target, payload, idem, opts.hops);
  }
  const log = await fireNow(deps, target, payload, opts.hops);
  // A firing just committed is within retention: it always has a view.
  return { entry: toLogView(log, deps.clock.now(), deps.config)!, replayed: false };
}

/**
 * `fireNow` with an idempotency key: the first request with `idem.key` for `rec` fires and
 * records the key in the firing's own commit; a repeat within 24 h fires nothing and answers
 * the original entry (`replayed`), and a repeat with another body is 422. Concurrent repeats
 * lose the commit's check, re-read and replay, so one key makes exactly one entry.
 */
export async function fireNowOnce(
  deps: Deps,
  target: FireTarget | TriggerRecord,
  payload: unknown,
  idem: IdempotentRequest,
  hops = 1,
): Promise<{ entry: LogEntry; replayed: boolean }> {
  let t = targetOf(target);
  let validated: TriggerRecord | null = null;
  // Each lost race means another request committed this key (the next read finds it) or the
  // definition changed (the next attempt reloads it).
  for (let attempt = 0; attempt < 3 + MAX_RELOADS; attempt++) {
    const rec = t ? t.cached.rec : target as TriggerRecord;
    const now = deps.clock.now();
    const seen = await readIdempotency(deps.kv, rec.id, idem.key, now);
    if (seen.found) {
      if (seen.found.bodyHash !== idem.bodyHash) {
        throw new TockError(
          422,
          "Idempotency key reused",
          `The Idempotency-Key "${idem.key}" was used with a different body`,
        );
      }
      try {
        return { entry: await getLog(deps.kv, seen.found.logId, now, deps.config), replayed: true };
      } catch {
        throw new ConflictError(
          `The firing of Idempotency-Key "${idem.key}" is no longer retained`,
        );
      }
    }
    const body = payload === undefined ? rec.payload : payload;
    if (validated !== rec) {
      if (!(await validateFor(deps, rec, t, body))) {
        t = await reresolve(deps, t!);
        continue;
      }
      validated = rec;
    }
    const log = manualLog(rec, body, now, hops);
    const ok = await commitOnDemand(
      deps,
      rec,
      t,
      log,
      (op) =>
        addIdempotencyWrites(op, rec.id, idem.key, seen.versionstamp, {
          logId: log.id,
          bodyHash: idem.bodyHash,
          state: "done",
          atMs: now,
        }),
    );
    if (ok) return { entry: { ...log, state: "active" }, replayed: false };
    // Which check failed is not told: a stale definition costs one reload, a lost key race
    // replays on the next read.
    if (t && !(await isCurrent(deps.kv, t.cached))) t = await reresolve(deps, t);
  }
  throw new ConflictError(`A firing with Idempotency-Key "${idem.key}" is still in progress`);
}

/**
 * A test firing of an unsaved definition at `atMs`: a log entry marked `test`, no trigger, no
 * counters of a trigger. A webhook in the definition is delivered like any other.
 */
export async function fireTest(
  deps: Deps,
  def: TriggerRecord,
  payload: unknown,
  atMs: number,
): Promise<StoredLog> {
  const log = testLog(def, payload, atMs);
  await commitFiring(deps.committer, (op) => addFiringWrites(op, log, def, deps.config), log);
  deps.bus.publish([log]);
  return log;
}

/**
 * Longest `delay_seconds` of a `/test_trigger` call: the request waits for the firing, so the
 * delay stays well inside the request timeout (25 s with the default 30 s timeout).
 */
export function maxTestDelayMs(requestTimeoutMs: number): number {
  return Math.max(0, Math.min(25_000, requestTimeoutMs - 5_000));
}

/** A throwaway record (no id) for a definition that is not saved. */
export function unsavedRecord(def: Definition, nowMs: number): TriggerRecord {
  return newTriggerRecord(def, nowMs, { id: "" });
}

/** A validated test/preview request as a definition and its next `count` occurrences. */
export function testDefinition(deps: Deps, input: TestInput, nowMs: number, count = 5) {
  const def = buildDefinition({ ...input, name: input.name ?? "test" }, nowMs, deps.schemas.check);
  const next = def.schedule ? occurrences(def.schedule, nowMs - 1, count) : [];
  return { def, occurrences: next.map((t) => new Date(t).toISOString()) };
}

/**
 * `POST /api/test`: fires the definition once now, with the request's payload or the
 * definition's own (checked against its payload schema for api triggers).
 */
export async function fireDefinition(
  deps: Deps,
  input: TestInput,
): Promise<{ log: StoredLog; occurrences: string[] }> {
  const now = deps.clock.now();
  const { def, occurrences } = testDefinition(deps, input, now);
  const rec = unsavedRecord(def, now);
  const payload = input.payload !== undefined ? input.payload : def.payload;
  if (def.type === "api") {
    await deps.schemas.validate({ ...rec, id: "test", version: now }, payload);
  }
  return { log: await fireTest(deps, rec, payload, now), occurrences };
}
