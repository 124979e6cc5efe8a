/** `GET /metrics`: Prometheus text. KV-backed gauges are refreshed here, cheaply and capped. */
import { Hono } from "hono";
import type { Deps } from "../deps.ts";
import { keys } from "../db/keys.ts";
import type { Metrics } from "../metrics.ts";
import type { SchedulerStatus } from "../scheduler/engine.ts";
import type { TriggerRecord } from "../schemas.ts";

export interface MetricsRouteOptions {
  schedulerStatus?: () => SchedulerStatus;
  /** Most trigger records one count reads (each scrape at most once per `cacheMs`). */
  maxCounted?: number;
  /** How long a count of triggers by status is reused. */
  cacheMs?: number;
}

const OVERDUE_MS = 1000;
const MAX_OVERDUE_COUNTED = 10_000;

export function metricsRoutes(deps: Deps, metrics: Metrics, opts: MetricsRouteOptions = {}): Hono {
  const maxCounted = opts.maxCounted ?? 10_000;
  const cacheMs = opts.cacheMs ?? 15_000;
  let countedAt = -Infinity;
  let counting: Promise<void> | null = null;

  // Counting triggers reads their records (KV has no keys-only listing), so the count is capped
  // and reused for a while: a scrape every 15 s of 10,000 records costs ~100 ms of one core.
  const countTriggers = async () => {
    const byStatus: Record<TriggerRecord["status"], number> = {
      active: 0,
      paused: 0,
      completed: 0,
    };
    const iter = deps.kv.list<TriggerRecord>({ prefix: keys.triggersPrefix() }, {
      limit: maxCounted,
      batchSize: 500,
    });
    for await (const e of iter) byStatus[e.value.status] = (byStatus[e.value.status] ?? 0) + 1;
    metrics.triggers.reset();
    for (const [status, n] of Object.entries(byStatus)) metrics.triggers.set({ status }, n);
    metrics.triggersCap.set({}, maxCounted);
    countedAt = performance.now();
  };

  const countOverdue = async () => {
    let n = 0;
    const end = [...keys.duePrefix(), deps.clock.now() - OVERDUE_MS];
    for await (
      const _ of deps.kv.list({ start: keys.duePrefix(), end }, {
        limit: MAX_OVERDUE_COUNTED,
      })
    ) n++;
    metrics.overdue.set({}, n);
  };

  /** Brings the KV-backed and scheduler gauges up to date; a failing read keeps old values. */
  const refresh = async () => {
    const s = opts.schedulerStatus?.();
    if (s) {
      metrics.schedulerLag.set({}, s.lagMs / 1000);
      metrics.schedulerUpcoming.set({}, s.upcoming);
    }
    if (performance.now() - countedAt >= cacheMs) {
      counting ??= countTriggers().finally(() => (counting = null));
    }
    const results = await Promise.allSettled([counting, countOverdue()]);
    for (const r of results) {
      if (r.status === "rejected") console.error("metrics: KV read failed:", String(r.reason));
    }
  };

  const app = new Hono();
  app.get("/metrics", async (c) => {
    await refresh();
    return c.body(await metrics.registry.render(), 200, {
      "content-type": "text/plain; version=0.0.4; charset=utf-8",
      "cache-control": "no-store",
    });
  });
  return app;
}
