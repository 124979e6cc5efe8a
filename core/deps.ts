/**
 * What every layer receives instead of importing: KV, time, configuration, the bus, the shared
 * group committer, metrics and payload schemas. Built once by `createDeps`, all required and
 * never reassigned (`db/deps.ts` `createDeps`): runtimes (scheduler, outbox, housekeeping) are not in here; they subscribe
 * to the bus instead of being called.
 */
import type { Clock } from "./clock.ts";
import type { Config } from "./config.ts";
import type { Committer } from "./committer.ts";
import type { FiringBus } from "./firing_bus.ts";
import type { Metrics } from "./metrics.ts";
import type { PayloadSchemas } from "./payload_schema.ts";

export interface Deps {
  readonly kv: Deno.Kv;
  readonly clock: Clock;
  readonly config: Config;
  /** Committed firings and trigger changes, for the runtimes and observers. */
  readonly bus: FiringBus;
  /** Shares commits between concurrent firings and delivery updates (one per KV handle). */
  readonly committer: Committer;
  /** Prometheus metrics; counts every firing published on `bus`. */
  readonly metrics: Metrics;
  readonly schemas: PayloadSchemas;
}
