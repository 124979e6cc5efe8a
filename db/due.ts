/**
 * The due index `["due", atMs, id]` as the scheduler reads it, and the claim commit: one atomic
 * operation per batch that checks each trigger's versionstamp, advances it, moves its due
 * entry and writes its firing (log entry, delivery record). The decisions are scheduler/'s.
 */
import type { StoredLog, TriggerRecord } from "../schemas.ts";
import { addFiringWrites } from "./firings.ts";
import { keys } from "./keys.ts";
import { getManyChunked, retryLocked } from "./kv.ts";
import { addLogWrites, type Windows } from "./log_writes.ts";
import { addTriggerWrites } from "./triggers.ts";

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
  /** A missed-run record written with the claim: a log entry, never delivered. */
  missed?: StoredLog | null;
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
 * Commits `claims` as one atomic operation; not ok when any trigger moved since it was read.
 * Throws what KV throws (a commit too large, say): the caller splits the batch.
 */
export function commitClaims(
  kv: Deno.Kv,
  claims: ClaimWrite[],
  w: Windows,
): Promise<Deno.KvCommitResult | Deno.KvCommitError> {
  return retryLocked(() => {
    const op = kv.atomic();
    for (const { entry, next, log, missed } of claims) {
      op.check(entry);
      addTriggerWrites(op, entry.value, next);
      if (missed) addLogWrites(op, missed, w);
      if (log) addFiringWrites(op, log, next, w);
    }
    return op.commit();
  });
}
