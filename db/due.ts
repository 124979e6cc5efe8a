/**
 * The due index `["due", atMs, id]` as the scheduler reads it, and the claim commit: one atomic
 * operation per batch that checks each trigger's versionstamp, advances it, moves its due
 * entry and writes its firing (log entry, delivery record). The decisions are scheduler/'s.
 */
import type { StoredLog, TriggerRecord } from "../core/schemas.ts";
import { addFiringWrites } from "./firings.ts";
import type { Inflight } from "./inflight.ts";
import { keys } from "./keys.ts";
import { getManyChunked, retryLocked } from "./kv.ts";
import { addLogWrites, type Windows } from "./log_writes.ts";
import { addTriggerWrites } from "./triggers.ts";

/** KV's limit on mutations (checks counted too, to be safe) in one atomic commit. */
export const MAX_COMMIT_WRITES = 1_000;

/** A due-index entry as the scheduler sees it. */
export interface DueItem {
  atMs: number;
  id: string;
  /** The versionstamp of the due entry; equal to the record's when they are in step. */
  versionstamp: string;
}

/** One trigger's part of a claim commit: from `entry` to `next`, firing `log` (or none). */
export interface ClaimWrite {
  entry: Deno.KvEntry<TriggerRecord>;
  next: TriggerRecord;
  log: StoredLog | null;
  /** A missed-run record written with the claim (issue 17): a log entry, never delivered. */
  missed?: StoredLog | null;
  /** Issue 17 overlap: the marker to check (and the value to set, if any). */
  inflight?: { entry: Deno.KvEntryMaybe<Inflight>; set: Inflight | null } | null;
  /** False for a firing skipped or buffered by its overlap policy: no delivery record now. */
  deliver?: boolean;
}

/** Due entries up to and including `untilMs`, earliest first, at most `limit`. */
export async function listDue(kv: Deno.Kv, untilMs: number, limit: number): Promise<DueItem[]> {
  const items: DueItem[] = [];
  const iter = kv.list<string>({
    start: keys.duePrefix(),
    end: [...keys.duePrefix(), untilMs + 1],
  }, { limit, batchSize: 100 });
  for await (const e of iter) {
    items.push({ atMs: e.key[1] as number, id: e.key[2] as string, versionstamp: e.versionstamp });
  }
  return items;
}

/** The records of `ids` with their versionstamps, in order (null values for deleted ones). */
export function readTriggers(
  kv: Deno.Kv,
  ids: string[],
): Promise<Deno.KvEntryMaybe<TriggerRecord>[]> {
  return retryLocked(() => getManyChunked<TriggerRecord>(kv, ids.map((id) => keys.trigger(id))));
}

/** The entry of `rec` as a commit with `versionstamp` stored it (for the scheduler's cache). */
export function triggerEntry(
  rec: TriggerRecord,
  versionstamp: string,
): Deno.KvEntry<TriggerRecord> {
  return { key: keys.trigger(rec.id), value: rec, versionstamp };
}

/**
 * One claim's writes, built once: `writes` replays its checks, sets, deletes and maxes into a
 * commit; `sums` are its counters, which a batch merges by key (the claims of a batch that
 * move one counter, the "*" histogram minute or a status count, add to it once, with their
 * total). Sums commute, so the stored values are exactly as with one `sum` per claim.
 */
export interface ClaimOps {
  writes: (op: Deno.AtomicOperation) => void;
  /** How many `writes` adds (checks included). */
  count: number;
  sums: { k: string; key: Deno.KvKey; n: bigint }[];
}

/** Builds the writes of `claim` once, for sizing a batch and then committing it. */
export function claimOps(claim: ClaimWrite, w: Windows): ClaimOps {
  const calls: [string, unknown[]][] = [];
  const sums: ClaimOps["sums"] = [];
  const rec = {} as Record<string, unknown>;
  for (const m of ["check", "set", "delete", "max", "min"]) {
    rec[m] = (...args: unknown[]) => (calls.push([m, args]), rec);
  }
  rec.sum = (key: Deno.KvKey, n: bigint) => (sums.push({ k: keyString(key), key, n }), rec);
  addClaim(rec as unknown as Deno.AtomicOperation, claim, w);
  return {
    count: calls.length,
    sums,
    writes: (op) => {
      // deno-lint-ignore no-explicit-any
      for (const [m, args] of calls) (op as any)[m](...args);
    },
  };
}

/** The counters of one commit, merged by key. */
export class BatchSums {
  readonly #sums = new Map<string, { key: Deno.KvKey; n: bigint }>();

  /** The number of distinct counters so far: the writes they will cost the commit. */
  get size(): number {
    return this.#sums.size;
  }

  /** Adds the counters of `ops`; answers how many of them are new to this commit. */
  add(ops: ClaimOps): number {
    const before = this.#sums.size;
    for (const { k, key, n } of ops.sums) {
      const held = this.#sums.get(k);
      // Modulo 2^64, as KV's own sum (a decrement is 2^64 - 1).
      if (held) held.n = (held.n + n) & U64_MASK;
      else this.#sums.set(k, { key, n: n & U64_MASK });
    }
    return this.#sums.size - before;
  }

  /** Adds one `sum` per counter to `op`. */
  addTo(op: Deno.AtomicOperation): void {
    for (const { key, n } of this.#sums.values()) op.sum(key, n);
  }
}

const U64_MASK = (1n << 64n) - 1n;

// Keys here are strings and numbers; the type tag keeps "1" and 1 apart.
function keyString(key: Deno.KvKey): string {
  let s = "";
  for (const part of key) s += (typeof part === "string" ? "s" : typeof part) + String(part) + "\0";
  return s;
}

/**
 * The writes (checks included) `ops` adds to a commit whose counters so far are `sums`,
 * counting a counter only when it is new; records its counters in `sums`.
 */
export function claimWriteCount(ops: ClaimOps, sums: BatchSums): number {
  return ops.count + sums.add(ops);
}

function addClaim(
  op: Deno.AtomicOperation,
  { entry, next, log, missed, inflight, deliver }: ClaimWrite,
  w: Windows,
) {
  op.check(entry);
  addTriggerWrites(op, entry.value, next);
  if (missed) addLogWrites(op, missed, w);
  if (log && deliver === false) addLogWrites(op, log, w);
  else if (log) addFiringWrites(op, log, next, w);
  if (inflight) {
    op.check(inflight.entry);
    if (inflight.set) op.set(keys.inflight(entry.value.id), inflight.set);
  }
}

/**
 * Commits `claims` (built by `claimOps`) as one atomic operation; not ok when any trigger moved
 * since it was read. Throws what KV throws (a commit too large, say): the caller splits the batch.
 */
export function commitClaims(
  kv: Deno.Kv,
  claims: ClaimOps[],
): Promise<Deno.KvCommitResult | Deno.KvCommitError> {
  return retryLocked(() => {
    const op = kv.atomic();
    const sums = new BatchSums();
    for (const claim of claims) {
      claim.writes(op);
      sums.add(claim);
    }
    sums.addTo(op);
    return op.commit();
  });
}
