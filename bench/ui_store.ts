/**
 * bench/ui_bench.ts's store: `count` triggers (one in ten api, the rest scheduled a day apart)
 * and as many log entries as fit in `logSeconds`, written straight through the db functions.
 */
import { buildDefinition, newTriggerRecord } from "../scheduler/definition.ts";
import { insertTriggersBatch } from "../db/triggers.ts";
import { addManualFiringWrites } from "../db/firings.ts";
import { manualLog } from "../services/firings.ts";
import type { TriggerRecord } from "../core/schemas.ts";

const WINDOWS = { activeRetentionMs: 2 * 3600_000, archiveRetentionMs: 46 * 3600_000 };

export interface StoreInfo {
  triggers: number;
  logs: number;
  buildSeconds: number;
  /** An api trigger with logs, for the trigger page. */
  sampleId: string;
}

/** Commit `ops` with at most `width` commits in flight. */
async function commitAll(kv: Deno.Kv, batches: ((op: Deno.AtomicOperation) => void)[], width = 4) {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < batches.length) {
      const op = kv.atomic();
      batches[next++](op);
      const res = await op.commit();
      if (!res.ok) throw new Error("store build: a commit failed its checks");
    }
  }));
}

/** Builds the store straight through the db functions (no HTTP), in batches per commit. */
export async function buildStore(
  path: string,
  count: number,
  logSeconds: number,
): Promise<StoreInfo> {
  const t0 = performance.now();
  const kv = await Deno.openKv(path);
  const now = Date.now();
  const recs: TriggerRecord[] = [];
  const tags = ["billing", "nightly", "eu", "us", "reports"];
  for (let i = 0; i < count; i++) {
    const api = i % 10 === 0;
    const def = buildDefinition(
      {
        name: `bench-${String(i).padStart(6, "0")}`,
        type: api ? "api" : "scheduled",
        ...(api ? {} : { schedule: { everySeconds: 86_400 + (i % 3600) } }),
        payload: { n: i },
      } as Parameters<typeof buildDefinition>[0],
      now - (count - i),
      null,
    );
    // Tags live on the record (services/triggers.ts sets them there; a definition has none).
    recs.push({ ...newTriggerRecord(def, now - (count - i)), tags: [tags[i % tags.length]] });
  }
  await insertTriggersBatch(kv, recs);
  // Log entries over the last 90 minutes (inside the active window), spread over 1,000
  // triggers, for as long as the budget allows.
  const withLogs = recs.filter((r) => r.type === "api").slice(0, 1000);
  const sample = withLogs[0] ?? recs[0];
  let logs = 0;
  const logDeadline = performance.now() + logSeconds * 1000;
  const LOGS_PER_COMMIT = 40;
  while (performance.now() < logDeadline && withLogs.length) {
    const round: ((op: Deno.AtomicOperation) => void)[] = [];
    for (let b = 0; b < 50; b++) {
      const entries = Array.from({ length: LOGS_PER_COMMIT }, (_, k) => {
        const rec = withLogs[(logs + b * LOGS_PER_COMMIT + k) % withLogs.length];
        const at = now - 90 * 60_000 + Math.floor(Math.random() * 90 * 60_000);
        return { rec, log: manualLog(rec, { k }, at) };
      });
      round.push((op) => entries.forEach((e) => addManualFiringWrites(op, e.rec, e.log, WINDOWS)));
    }
    await commitAll(kv, round);
    logs += round.length * LOGS_PER_COMMIT;
  }
  kv.close();
  return {
    triggers: count,
    logs,
    buildSeconds: (performance.now() - t0) / 1000,
    sampleId: sample?.id ?? "",
  };
}
