/**
 * The KV write set of one on-demand firing, key by key: what it writes, how many bytes (key
 * plus V8-serialized value, as KV stores them) and what each key is for. Recorded through the
 * group committer's Recorder, so it is exactly what `fireNow` submits.
 *
 *   deno run -A bench/write_set.ts [--webhook] [--idempotency]
 */
import { serialize } from "node:v8";
import { parseArgs } from "node:util";
import { parseConfig } from "../core/config.ts";
import { addManualFiringWrites } from "../db/firings.ts";
import { addIdempotencyWrites } from "../db/idempotency.ts";
import { addDefCheck } from "../db/trigger_cache.ts";
import { keySize, Recorder } from "../db/group_commit_ops.ts";
import { buildDefinition, newTriggerRecord } from "../scheduler/definition.ts";
import { manualLog } from "../services/firings.ts";

const PURPOSE: Record<string, string> = {
  logs: "the entry itself",
  logs_by_trigger: "listing by trigger id (GET /api/logs?trigger=id, the trigger's page)",
  logs_by_name: "listing by name, also of deleted triggers and test firings",
  log_stats: "exact active/archived totals without a scan (stats, X-Total-Count)",
  hist: "the histogram without reading entries (own counter and '*')",
  trigger_runs: "runCount of the trigger view",
  trigger_last_run: "lastRunAt and the sort by last run",
  deliveries: "the durable webhook delivery record",
  deliveries_due: "when the outbox next looks at the delivery",
  idem: "the Idempotency-Key record",
  trigger_def: "(check only) the cached definition is still current",
};

/** Rows of [kind, key, bytes, purpose] and the totals of one firing. */
export function firingWriteSet(opts: { webhook?: boolean; idempotency?: boolean } = {}) {
  const now = Date.now();
  const def = buildDefinition(
    {
      name: "orders-created",
      type: "api",
      ...(opts.webhook
        ? {
          webhook: {
            url: "https://hooks.example.com/tock",
            method: "POST" as const,
            headers: {},
            timeoutMs: 10_000,
            retries: 3,
            backoffMs: 1_000,
          },
        }
        : {}),
    },
    now,
    null,
  );
  const rec = newTriggerRecord(def, now);
  const config = parseConfig(["--kv", ":memory:"], {});
  const log = manualLog(rec, { orderId: 12345, amount: 99.5 }, now);
  const op = new Recorder();
  const a = op as unknown as Deno.AtomicOperation;
  addDefCheck(a, { rec, stamp: "00000000000000010000" });
  addManualFiringWrites(a, rec, log, config);
  if (opts.idempotency) {
    addIdempotencyWrites(a, rec.id, "req-7f3a", null, {
      logId: log.id,
      bodyHash: "0".repeat(64),
      state: "done",
      atMs: now,
    });
  }
  const rows: { kind: string; key: string; bytes: number; purpose: string }[] = [];
  for (const r of op.recs) {
    if (r.kind === "check") {
      for (const c of r.checks) {
        rows.push({
          kind: "check",
          key: JSON.stringify(c.key),
          bytes: 0,
          purpose: PURPOSE[String(c.key[0])] ?? "",
        });
      }
      continue;
    }
    if (r.kind === "mutate" || r.kind === "enqueue") continue;
    const value = r.kind === "set" ? serialize(r.value).length : r.kind === "delete" ? 0 : 8;
    rows.push({
      kind: r.kind,
      key: JSON.stringify(r.key),
      bytes: keySize(r.key) + value,
      purpose: PURPOSE[String(r.key[0])] ?? "",
    });
  }
  const writes = rows.filter((r) => r.kind !== "check");
  return {
    rows,
    mutations: writes.length,
    checks: rows.length - writes.length,
    bytes: writes.reduce((n, r) => n + r.bytes, 0),
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { webhook: { type: "boolean" }, idempotency: { type: "boolean" } },
  });
  const ws = firingWriteSet(values);
  for (const r of ws.rows) {
    console.log(
      `${r.kind.padEnd(6)} ${String(r.bytes).padStart(4)} B  ${r.key.padEnd(60)} ${r.purpose}`,
    );
  }
  console.log(
    `${ws.mutations} mutations, ${ws.checks} checks, ~${ws.bytes} bytes of KV per firing`,
  );
}
