/**
 * The listing indexes of triggers, changed in the same commit as the record they describe:
 * tags (`["trig_tag", tag, id]` with a count per tag), counts per status and type (exact totals
 * without a scan), and the nextRunAt order. Sort orders reuse what exists where they can:
 * names are ordered by `["trigger_names", name]`, creation by the ULID ids of `["triggers"]`,
 * and active triggers by the due index; only paused triggers with a pending occurrence and
 * triggers without one get keys of their own, so a claim that advances an active trigger
 * writes nothing more than before. The last-run order reads `["trigger_last_run", id]`
 * (a KvU64 `max`), which claims and api firings raise; creation writes none (missing reads as
 * never run).
 */
import type { TriggerRecord } from "../core/schemas.ts";
import { keys } from "./keys.ts";
import { delta } from "./kv.ts";

/** A record's tags; records stored before tags existed have none. */
export function tagsOf(rec: Pick<TriggerRecord, "tags">): string[] {
  return rec.tags ?? [];
}

/** The record's pending occurrence as the API shows it (none once completed), in ms. */
export function viewNextOf(rec: Pick<TriggerRecord, "status" | "nextRunAt">): number | null {
  return rec.status === "completed" || rec.nextRunAt === null ? null : Date.parse(rec.nextRunAt);
}

/** The nextRunAt-order key of a record outside the due index, or null when in it. */
function nextOrderKey(rec: TriggerRecord): Deno.KvKey | null {
  const at = viewNextOf(rec);
  if (at === null) return keys.noNext(rec.id);
  return rec.status === "paused" ? keys.pausedNext(at, rec.id) : null;
}

const same = (a: Deno.KvKey | null, b: Deno.KvKey | null) =>
  JSON.stringify(a) === JSON.stringify(b);

/**
 * Adds the index writes that move trigger `prev` (null: new) to `next` (null: deleted).
 * Writes only what differs, so a claim that keeps status and tags costs one `max` (last run).
 */
export function addIndexWrites(
  op: Deno.AtomicOperation,
  prev: TriggerRecord | null,
  next: TriggerRecord | null,
): void {
  const id = (next ?? prev)!.id;
  const before = new Set(prev ? tagsOf(prev) : []);
  const after = new Set(next ? tagsOf(next) : []);
  for (const t of before) {
    if (after.has(t)) continue;
    op.delete(keys.triggerTag(t, id));
    op.sum(keys.triggerTagCount(t), delta(-1));
  }
  for (const t of after) {
    if (before.has(t)) continue;
    op.set(keys.triggerTag(t, id), id);
    op.sum(keys.triggerTagCount(t), 1n);
  }
  const facetBefore = prev ? keys.triggerCount(prev.status, prev.type) : null;
  const facetAfter = next ? keys.triggerCount(next.status, next.type) : null;
  if (!same(facetBefore, facetAfter)) {
    if (facetBefore) op.sum(facetBefore, delta(-1));
    if (facetAfter) op.sum(facetAfter, 1n);
  }
  const orderBefore = prev ? nextOrderKey(prev) : null;
  const orderAfter = next ? nextOrderKey(next) : null;
  if (!same(orderBefore, orderAfter)) {
    if (orderBefore) op.delete(orderBefore);
    if (orderAfter) op.set(orderAfter, id);
  }
  if (
    next && prev && next.lastScheduledRunAt !== null &&
    next.lastScheduledRunAt !== prev.lastScheduledRunAt
  ) {
    op.max(keys.triggerLastRun(id), BigInt(Date.parse(next.lastScheduledRunAt)));
  }
}

/**
 * The number of mutations and checks a commit built by `build` holds, counted by running it
 * against a recorder: lets the claim batches stay inside KV's per-commit limits exactly.
 */
export function countWrites(build: (op: Deno.AtomicOperation) => void): number {
  let n = 0;
  const rec: Record<string, unknown> = {};
  for (const m of ["set", "delete", "sum", "max", "min", "check", "enqueue", "mutate"]) {
    rec[m] = () => {
      n++;
      return rec;
    };
  }
  build(rec as unknown as Deno.AtomicOperation);
  return n;
}
