/** `GET /healthz`: KV reachable, scheduler state. 503 when KV is unusable. */
import { Hono } from "hono";
import type { Deps } from "../deps.ts";
import type { SchedulerStatus } from "../scheduler/engine.ts";
import { probeKv } from "../db/health.ts";
import { VERSION } from "../version.ts";

export function healthRoutes(deps: Deps, schedulerStatus?: () => SchedulerStatus): Hono {
  const app = new Hono();
  app.get("/healthz", async (c) => {
    const started = performance.now();
    let kvOk = true;
    let kvError: string | null = null;
    try {
      await probeKv(deps.kv);
    } catch (err) {
      kvOk = false;
      kvError = (err as Error).message;
    }
    const body = {
      ok: kvOk,
      kv: {
        ok: kvOk,
        latencyMs: Math.round((performance.now() - started) * 100) / 100,
        error: kvError,
      },
      scheduler: schedulerStatus?.() ?? null,
      time: new Date(deps.clock.now()).toISOString(),
      version: VERSION,
    };
    return c.json(body, kvOk ? 200 : 503);
  });
  return app;
}
