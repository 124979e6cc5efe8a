/** What the app and the scheduler receive instead of importing: KV, time, configuration. */
import type { Clock } from "./clock.ts";
import type { Config } from "./config.ts";
import type { FiringBus } from "./events.ts";
import type { Metrics } from "./metrics.ts";
import type { GroupCommitter } from "./db/group_commit.ts";
import type { PayloadSchemas } from "./payload_schema.ts";
import type { StoredLog, TriggerRecord } from "./schemas.ts";

/** A durable outbox for webhook deliveries (see webhook/). */
export interface Outbox {
  /** Adds the durable delivery record of a new firing to the commit that writes its log. */
  addWrites(op: Deno.AtomicOperation, log: StoredLog, trigger: TriggerRecord): void;
  /** After that commit: start delivering now (durability does not depend on this). */
  kick(logs: StoredLog[]): void;
  /** A new attempt series for a logged webhook firing; answers the entry, now pending. */
  redeliver(logId: string): Promise<StoredLog>;
}

/** Reacts to local trigger changes so the timer is re-armed without waiting for a poll. */
export interface SchedulerHandle {
  notify(nextRunAtMs: number | null): void;
}

export interface Deps {
  kv: Deno.Kv;
  clock: Clock;
  config: Config;
  bus: FiringBus;
  schemas: PayloadSchemas;
  outbox?: Outbox;
  scheduler?: SchedulerHandle;
  /** Shares commits between concurrent on-demand firings; made per KV on first use if absent. */
  committer?: GroupCommitter;
  /** Prometheus metrics (metrics.ts); createApp makes them when absent. */
  metrics?: Metrics;
}
