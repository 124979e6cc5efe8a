/**
 * A tiny Prometheus registry (counters, gauges, histograms with labels; text format 0.0.4) and
 * Tock's own metrics on top of it. No dependency: the exposition format is a page of rules.
 */
import { VERSION } from "./version.ts";
import type { FiringBus } from "./events.ts";
import type { StoredLog } from "./schemas.ts";

type Labels = Record<string, string>;

/** Escapes a label value as the text format asks: backslash, double quote, newline. */
function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function labelText(names: readonly string[], values: readonly string[], extra = ""): string {
  const parts = names.map((n, i) => `${n}="${escapeLabel(values[i])}"`);
  if (extra) parts.push(extra);
  return parts.length ? `{${parts.join(",")}}` : "";
}

function num(v: number): string {
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return Number.isNaN(v) ? "NaN" : String(v);
}

interface Metric {
  readonly name: string;
  init(): void;
  render(out: string[]): void;
}

abstract class Labelled<T> implements Metric {
  protected readonly series = new Map<string, { values: string[]; data: T }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: "counter" | "gauge" | "histogram",
    readonly labelNames: readonly string[],
  ) {}

  /** Without labels, the one series exists from the start, so a scrape shows its zero. */
  init(): void {
    if (this.labelNames.length === 0) this.slot({});
  }

  protected abstract fresh(): T;

  protected slot(labels: Labels): T {
    const values = this.labelNames.map((n) => labels[n] ?? "");
    const key = values.join("\u0000");
    let s = this.series.get(key);
    if (!s) {
      s = { values, data: this.fresh() };
      this.series.set(key, s);
    }
    return s.data;
  }

  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`);
    out.push(`# TYPE ${this.name} ${this.type}`);
    for (const { values, data } of this.series.values()) this.renderSeries(out, values, data);
  }

  protected abstract renderSeries(out: string[], values: string[], data: T): void;
}

/** A monotonically increasing count. */
export class Counter extends Labelled<{ v: number }> {
  protected fresh() {
    return { v: 0 };
  }
  inc(labels: Labels = {}, by = 1): void {
    this.slot(labels).v += by;
  }
  get(labels: Labels = {}): number {
    return this.slot(labels).v;
  }
  protected renderSeries(out: string[], values: string[], d: { v: number }) {
    out.push(`${this.name}${labelText(this.labelNames, values)} ${num(d.v)}`);
  }
}

/** A value that goes up and down; `set` replaces it, `reset` forgets every series. */
export class Gauge extends Labelled<{ v: number }> {
  protected fresh() {
    return { v: 0 };
  }
  set(labels: Labels, v: number): void {
    this.slot(labels).v = v;
  }
  reset(): void {
    this.series.clear();
    this.init();
  }
  protected renderSeries(out: string[], values: string[], d: { v: number }) {
    out.push(`${this.name}${labelText(this.labelNames, values)} ${num(d.v)}`);
  }
}

interface HistogramData {
  counts: number[];
  sum: number;
  count: number;
}

/** Observations counted into cumulative `le` buckets, with `_sum` and `_count`. */
export class Histogram extends Labelled<HistogramData> {
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    readonly buckets: readonly number[],
  ) {
    super(name, help, "histogram", labelNames);
  }
  protected fresh(): HistogramData {
    return { counts: this.buckets.map(() => 0), sum: 0, count: 0 };
  }
  observe(labels: Labels, v: number): void {
    const d = this.slot(labels);
    for (let i = 0; i < this.buckets.length; i++) if (v <= this.buckets[i]) d.counts[i]++;
    d.sum += v;
    d.count++;
  }
  protected renderSeries(out: string[], values: string[], d: HistogramData) {
    this.buckets.forEach((b, i) => {
      out.push(
        `${this.name}_bucket${labelText(this.labelNames, values, `le="${num(b)}"`)} ${d.counts[i]}`,
      );
    });
    out.push(`${this.name}_bucket${labelText(this.labelNames, values, 'le="+Inf"')} ${d.count}`);
    out.push(`${this.name}_sum${labelText(this.labelNames, values)} ${num(d.sum)}`);
    out.push(`${this.name}_count${labelText(this.labelNames, values)} ${d.count}`);
  }
}

/** Holds metrics in registration order; `collect` hooks refresh gauges just before a scrape. */
export class Registry {
  #metrics: Metric[] = [];
  #hooks: (() => Promise<void> | void)[] = [];

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.#add(new Counter(name, help, "counter", labelNames));
  }
  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.#add(new Gauge(name, help, "gauge", labelNames));
  }
  histogram(
    name: string,
    help: string,
    labelNames: readonly string[],
    buckets: readonly number[],
  ): Histogram {
    return this.#add(new Histogram(name, help, labelNames, buckets));
  }
  onCollect(hook: () => Promise<void> | void): void {
    this.#hooks.push(hook);
  }

  /** The whole registry in the Prometheus text format, after running the collect hooks. */
  async render(): Promise<string> {
    for (const hook of this.#hooks) {
      try {
        await hook();
      } catch (err) {
        console.error("metrics collector failed:", (err as Error).message);
      }
    }
    const out: string[] = [];
    for (const m of this.#metrics) m.render(out);
    return out.join("\n") + "\n";
  }

  #add<M extends Metric>(m: M): M {
    if (this.#metrics.some((x) => x.name === m.name)) throw new Error(`duplicate metric ${m.name}`);
    m.init();
    this.#metrics.push(m);
    return m;
  }
}

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
