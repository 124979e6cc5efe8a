/** Builds the dependencies of one instance: the storage side (KV, the group committer) and the rest. */
import { type Clock, systemClock } from "../core/clock.ts";
import type { Config } from "../core/config.ts";
import type { Deps } from "../core/deps.ts";
import { FiringBus } from "../core/firing_bus.ts";
import { Metrics } from "../core/metrics.ts";
import { PayloadSchemas } from "../core/payload_schema.ts";
import { GroupCommitter } from "./group_commit.ts";
import { attachCatalog } from "./trigger_catalog.ts";

export type { Deps };

/** Builds the dependencies of one instance on `kv`; the parts not given are made here. */
export function createDeps(
  kv: Deno.Kv,
  config: Config,
  opts: { clock?: Clock; bus?: FiringBus; schemas?: PayloadSchemas } = {},
): Deps {
  const bus = opts.bus ?? new FiringBus();
  const metrics = new Metrics();
  metrics.attach(bus);
  // Names and last runs for `q` and sort=lastRunAt, kept fresh from this bus (loaded lazily).
  attachCatalog(kv, bus);
  return Object.freeze({
    kv,
    clock: opts.clock ?? systemClock,
    config,
    bus,
    committer: new GroupCommitter(kv),
    metrics,
    schemas: opts.schemas ?? new PayloadSchemas({ timeoutMs: config.validationTimeoutMs }),
  });
}
