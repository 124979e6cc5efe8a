/** `GET /metrics`: Prometheus text. KV-backed gauges are refreshed here, cheaply and capped. */
import { Hono } from "hono";
import type { Deps } from "../core/deps.ts";
import { overdueCount, triggerCountsByStatus } from "../services/reads.ts";
import type { Metrics } from "../core/metrics.ts";
import type { SchedulerStatus } from "../core/request_schemas.ts";

export interface MetricsRouteOptions {
  schedulerStatus?: () => SchedulerStatus;
  /** Most trigger records one count reads. */
  maxCounted?: number;
}

const OVERDUE_MS = 1000;
const MAX_OVERDUE_COUNTED = 10_000;

export function metricsRoutes(deps: Deps, metrics: Metrics, opts: MetricsRouteOptions = {}): Hono {
  const maxCounted = opts.maxCounted ?? 10_000;
  let reuseUntil = -Infinity;
  let counting: Promise<void> | null = null;

  // Counting triggers reads their records (KV has no keys-only listing), so the count is capped
  // and, once counting takes 20 ms or more, reused for 100 times as long as it took (at most a
  // minute): whatever the scrape rate, a large store costs at most ~1% of a core. Small stores
  // (a few thousand triggers) are counted afresh on every scrape.
  const countTriggers = async () => {
    const started = performance.now();
    const byStatus = await triggerCountsByStatus(deps, maxCounted);
    metrics.triggers.reset();
    for (const [status, n] of Object.entries(byStatus)) metrics.triggers.set({ status }, n);
    metrics.triggersCap.set({}, maxCounted);
    const took = performance.now() - started;
    reuseUntil = took < 20 ? -Infinity : performance.now() + Math.min(60_000, took * 100);
  };

  const refreshOverdue = async () => {
    const n = await overdueCount(deps, deps.clock.now() - OVERDUE_MS, MAX_OVERDUE_COUNTED);
    metrics.overdue.set({}, n);
  };

  /** Brings the KV-backed and scheduler gauges up to date; a failing read keeps old values. */
  const refresh = async () => {
    const s = opts.schedulerStatus?.();
    if (s) {
      metrics.schedulerLag.set({}, s.lagMs / 1000);
      metrics.schedulerUpcoming.set({}, s.upcoming);
    }
    if (performance.now() >= reuseUntil) {
      counting ??= countTriggers().finally(() => (counting = null));
    }
    const results = await Promise.allSettled([counting, refreshOverdue()]);
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
