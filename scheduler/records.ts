/**
 * The scheduler's cache of trigger records: read from KV with their versionstamps, kept between
 * claims by the engine, and compared with due entries (which are rewritten with every change
 * of their record) to tell a stale due entry without a read. Also which published changes
 * leave the engine's view of due entries as it is.
 */
import type { Deps } from "../core/deps.ts";
import { type DueItem, readTriggers } from "../db/due.ts";
import type { TriggerRecord } from "../core/schemas.ts";
import type { TriggerChange } from "../core/firing_bus.ts";
import { dueAtOf } from "../db/triggers.ts";

/** Records read from KV with their versionstamps, kept between claims by the engine. */
export type RecordCache = Map<string, Deno.KvEntry<TriggerRecord>>;

/** True when `cache` already knows a newer version than the one that wrote `it`. */
export function isStale(it: DueItem, cache: RecordCache): boolean {
  const known = cache.get(it.id);
  // Versionstamps of one KV grow monotonically, so a newer record means this due entry,
  // which is rewritten with every change of its record, no longer exists.
  return known !== undefined && known.versionstamp > it.versionstamp;
}

/**
 * Reads into `cache` the records of `items` it does not hold at the version that wrote their
 * due entry. Used before a claim, and ahead of time by the engine's poll.
 */
export async function loadRecords(
  deps: Deps,
  items: DueItem[],
  cache: RecordCache,
): Promise<void> {
  const missing = items.filter((it) => cache.get(it.id)?.versionstamp !== it.versionstamp);
  if (missing.length === 0) return;
  const entries = await readTriggers(deps.kv, missing.map((it) => it.id));
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    if (e.value) {
      const held = cache.get(e.value.id);
      if (!held || held.versionstamp < e.versionstamp!) {
        cache.set(e.value.id, e as Deno.KvEntry<TriggerRecord>);
      }
    } else cache.delete(missing[i].id);
  }
}

/**
 * True when `changes` only created triggers with nothing due (api triggers, paused ones): they
 * add no occurrence and remove none, so the view has nothing to re-read. (Publishers pass
 * `null`, "re-read", for any change without a due time.)
 */
export function createdWithNothingDue(changes: TriggerChange[]): boolean {
  return changes.length > 0 &&
    changes.every((c) =>
      c.action === "created" && c.trigger !== null && dueAtOf(c.trigger) === null
    );
}
