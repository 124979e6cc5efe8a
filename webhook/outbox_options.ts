/** What a webhook outbox (webhook/outbox.ts) is told when made; every field has a default. */
import type { StoredLog } from "../core/schemas.ts";
import type { QueueEnv } from "../db/queues.ts";
import type { Resolver } from "./address_policy.ts";

export interface OutboxOptions {
  /** Whether the KV backend has queues; default: `kvHasQueues(config.kv, env)`. */
  queues?: boolean;
  /** The environment that decides queue support (Deno Deploy); default: the process's. */
  env?: QueueEnv;
  /** How often the due records are polled; default 1 s without queues, 5 s with them. */
  pollMs?: number;
  /** Requests in flight per destination (host and port); default 4. */
  perHost?: number;
  /** Requests in flight per trigger, taken before the host's; default 2. */
  perTrigger?: number;
  /** Refuse loopback/private/link-local/CGNAT destinations (`--webhook-deny-private`). */
  denyPrivate?: boolean;
  /** Resolves webhook host names for the check and the connection; default the system's. */
  resolve?: Resolver;
  /** How long a lease outlives the attempt's timeout; default 5 s. */
  leaseMarginMs?: number;
  /** Called with the final log entry once a delivery series ends. */
  onSettled?: (log: StoredLog) => void;
  /**
   * Deliveries this instance works on (in flight or waiting for a slot) and retry timers it
   * holds, each at most this many (default 2,000): beyond, they wait in KV for the due poll.
   */
  maxLocal?: number;
  /** Source of jitter; tests may pin it. */
  random?: () => number;
  /**
   * Whether `start()` subscribes to the bus (default true). Off, new firings wait for the due
   * poll or a queue message: tests use it to prove those alone deliver.
   */
  subscribe?: boolean;
}
