/** `GET /healthz`: KV reachable, scheduler state. 503 when KV is unusable. */
import { Hono } from "hono";
import type { Deps } from "../deps.ts";
import type { SchedulerStatus } from "../scheduler/engine.ts";
import { keys } from "../db/keys.ts";

export function healthRoutes(deps: Deps, schedulerStatus?: () => SchedulerStatus): Hono {
  const app = new Hono();
  app.get("/healthz", async (c) => {
    const started = performance.now();
    let kvOk = true;
    let kvError: string | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      // A read that must reach storage, bounded in time.
      await Promise.race([
        deps.kv.list({ prefix: keys.duePrefix() }, { limit: 1 }).next(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error("KV did not answer in 2 s")), 2000);
        }),
      ]);
    } catch (err) {
      kvOk = false;
      kvError = (err as Error).message;
    } finally {
      clearTimeout(timer);
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
    };
    return c.json(body, kvOk ? 200 : 503);
  });
  return app;
}
