/**
 * A tiny Prometheus registry: counters, gauges and histograms with labels, in the text format
 * 0.0.4. No dependency: the exposition format is a page of rules. (prom-client 15.1.3 runs
 * cleanly under Deno, but brings two dependencies for what these ~160 lines do.)
 */

/** Label names to values. */
export type Labels = Record<string, string>;

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
