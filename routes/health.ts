/**
 * `GET /healthz`: storage writable, scheduler state. 503 with the reason while KV writes fail
 * (a read alone stays fine while the disk is full or the file is locked), 200 again once a
 * write succeeds.
 */
import { Hono } from "hono";
import type { Deps } from "../core/deps.ts";
import type { SchedulerStatus } from "../core/request_schemas.ts";
import { writeProbe, type WriteProbeOptions } from "../services/reads.ts";
import { VERSION } from "../core/version.ts";

export function healthRoutes(
  deps: Deps,
  schedulerStatus?: () => SchedulerStatus,
  probeOptions: WriteProbeOptions = {},
): Hono {
  const app = new Hono();
  const probe = writeProbe(deps, probeOptions);
  app.get("/healthz", async (c) => {
    const kv = await probe.check();
    const body = {
      ok: kv.ok,
      reason: kv.error,
      kv,
      scheduler: schedulerStatus?.() ?? null,
      time: new Date(deps.clock.now()).toISOString(),
      version: VERSION,
    };
    return c.json(body, kv.ok ? 200 : 503);
  });
  return app;
}
