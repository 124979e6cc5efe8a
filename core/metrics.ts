/**
 * Tock's own metrics, on the small Prometheus registry of metrics_registry.ts: firings from the
 * FiringBus, HTTP requests from the request middleware, webhook deliveries from the outbox.
 */
import { VERSION } from "./version.ts";
import type { FiringBus } from "./firing_bus.ts";
import type { StoredLog } from "./schemas.ts";
import { Registry } from "./metrics_registry.ts";

export { Counter, Gauge, Histogram, Registry } from "./metrics_registry.ts";

/** Latency buckets in seconds, 1 ms to 10 s. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Lateness buckets in seconds: the scheduler aims at single milliseconds; the grace is 5 s. */
const LATENESS_BUCKETS = [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const ATTEMPT_BUCKETS = [1, 2, 3, 4, 5, 6, 8, 11, 16, 21];

/** Final outcome of a webhook delivery series (see webhook/). */
export type DeliveryOutcome = "ok" | "failed";

/**
 * Tock's metrics. Firings come from the FiringBus; HTTP requests from the request middleware;
 * webhook deliveries from the webhook engine through `delivery()`; gauges that reflect KV
 * (triggers by status, overdue occurrences) are computed when `/metrics` is scraped.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly firings = this.registry.counter(
    "tock_firings_total",
    "Committed firings by source (schedule, api, manual, test) and outcome at commit time",
    ["source", "outcome"],
  );
  readonly catchUps = this.registry.counter(
    "tock_catch_up_firings_total",
    "Firings that stood for occurrences missed while down or paused (misfire fire_once)",
  );
  readonly lateness = this.registry.histogram(
    "tock_firing_lateness_seconds",
    "How late scheduled firings were, from the occurrence to the commit (catch-ups excluded)",
    [],
    LATENESS_BUCKETS,
  );
  readonly deliveries = this.registry.counter(
    "tock_webhook_deliveries_total",
    "Webhook delivery series by final outcome",
    ["outcome"],
  );
  readonly deliveryAttempts = this.registry.histogram(
    "tock_webhook_delivery_attempts",
    "Attempts a webhook delivery series took",
    [],
    ATTEMPT_BUCKETS,
  );
  readonly deliveryDuration = this.registry.histogram(
    "tock_webhook_delivery_duration_seconds",
    "Duration of the last attempt of a delivery series",
    [],
    LATENCY_BUCKETS,
  );
  readonly httpRequests = this.registry.counter(
    "tock_http_requests_total",
    "HTTP requests by method, route pattern and status",
    ["method", "route", "status"],
  );
  readonly httpDuration = this.registry.histogram(
    "tock_http_request_duration_seconds",
    "HTTP request latency by method and route pattern (until the response head)",
    ["method", "route"],
    LATENCY_BUCKETS,
  );
  readonly triggers = this.registry.gauge(
    "tock_triggers",
    "Stored triggers by status (counted at scrape time, see tock_triggers_counted_max)",
    ["status"],
  );
  readonly triggersCap = this.registry.gauge(
    "tock_triggers_counted_max",
    "Most triggers one scrape counts; when tock_triggers sums to this, the counts are lower bounds",
  );
  readonly overdue = this.registry.gauge(
    "tock_due_overdue",
    "Occurrences in the due index more than 1 s past their time (queue backlog)",
  );
  readonly deliveriesPending = this.registry.gauge(
    "tock_webhook_deliveries_pending",
    "Webhook deliveries waiting for an attempt or a retry (queue backlog)",
  );
  readonly schedulerLag = this.registry.gauge(
    "tock_scheduler_lag_seconds",
    "How far behind this instance's earliest due occurrence is; 0 when none is overdue",
  );
  readonly schedulerUpcoming = this.registry.gauge(
    "tock_scheduler_upcoming",
    "Occurrences this instance holds in memory (due within its horizon)",
  );
  readonly rss = this.registry.gauge(
    "process_resident_memory_bytes",
    "Resident memory of this process",
  );
  readonly heap = this.registry.gauge("tock_heap_used_bytes", "V8 heap in use");
  readonly startTime = this.registry.gauge(
    "process_start_time_seconds",
    "When this process started, in seconds since the epoch",
  );

  /** Constant 1; the labels say which Tock and which Deno answer (dashboards join on it). */
  readonly buildInfo = this.registry.gauge(
    "tock_build_info",
    "Tock's version and the Deno running it (always 1)",
    ["version", "deno"],
  );

  #deliveryBacklog: (() => Promise<number> | number) | null = null;

  constructor() {
    this.buildInfo.set({ version: VERSION, deno: Deno.version.deno }, 1);
    this.startTime.set({}, Math.round(Date.now() - performance.now()) / 1000);
    this.registry.onCollect(() => {
      const mem = Deno.memoryUsage();
      this.rss.set({}, mem.rss);
      this.heap.set({}, mem.heapUsed);
    });
    this.registry.onCollect(async () => {
      if (!this.#deliveryBacklog) return;
      this.deliveriesPending.set({}, await this.#deliveryBacklog());
    });
  }

  /** Counts every firing published on `bus`; returns the unsubscribe function. */
  attach(bus: FiringBus): () => void {
    return bus.subscribe((logs) => this.fired(logs));
  }

  /** Records committed firings (what the bus publishes). */
  fired(logs: readonly StoredLog[]): void {
    for (const log of logs) {
      this.firings.inc({ source: log.source, outcome: log.outcome });
      if (log.catchUp) this.catchUps.inc();
      else if (log.source === "schedule" && log.lateMs !== null) {
        this.lateness.observe({}, Math.max(0, log.lateMs) / 1000);
      }
    }
  }

  /**
   * For the webhook engine: one call per finished delivery series, with its final outcome, the
   * attempts it took and the last attempt's duration.
   * @example deps.metrics?.delivery("ok", 1, 12)
   */
  delivery(outcome: DeliveryOutcome, attempts: number, durationMs?: number): void {
    this.deliveries.inc({ outcome });
    this.deliveryAttempts.observe({}, attempts);
    if (durationMs !== undefined) this.deliveryDuration.observe({}, durationMs / 1000);
  }

  /** For the webhook engine: how to count deliveries still waiting, read at scrape time. */
  setDeliveryBacklog(count: () => Promise<number> | number): void {
    this.#deliveryBacklog = count;
  }

  /** Records one HTTP request. */
  request(method: string, route: string, status: number, seconds: number): void {
    this.httpRequests.inc({ method, route, status: String(status) });
    this.httpDuration.observe({ method, route }, seconds);
  }
}
