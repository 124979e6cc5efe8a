/**
 * What every layer receives instead of importing: KV, time, configuration, the bus, the shared
 * group committer, metrics and payload schemas. Built once by `createDeps`, all required and
 * never reassigned: runtimes (scheduler, outbox, housekeeping) are not in here; they subscribe
 * to the bus instead of being called.
 */
import type { Clock } from "./clock.ts";
import { systemClock } from "./clock.ts";
import type { Config } from "./config.ts";
import { GroupCommitter } from "./db/group_commit.ts";
import { FiringBus } from "./events.ts";
import { Metrics } from "./metrics.ts";
import { PayloadSchemas } from "./payload_schema.ts";

export interface Deps {
  readonly kv: Deno.Kv;
  readonly clock: Clock;
  readonly config: Config;
  /** Committed firings and trigger changes, for the runtimes and observers. */
  readonly bus: FiringBus;
  /** Shares commits between concurrent firings and delivery updates (one per KV handle). */
  readonly committer: GroupCommitter;
  /** Prometheus metrics; counts every firing published on `bus`. */
  readonly metrics: Metrics;
  readonly schemas: PayloadSchemas;
}

/** Builds the dependencies of one instance on `kv`; the parts not given are made here. */
export function createDeps(
  kv: Deno.Kv,
  config: Config,
  opts: { clock?: Clock; bus?: FiringBus; schemas?: PayloadSchemas } = {},
): Deps {
  const bus = opts.bus ?? new FiringBus();
  const metrics = new Metrics();
  metrics.attach(bus);
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
