/**
 * Per-trigger metrics for dead-man alerts (issue 17), on the shared registry: when each
 * trigger last fired, how many occurrences it missed and how many delivery series failed,
 * labelled `trigger="<name>"`. Series are this instance's view (sum or max them across
 * instances). At most `limit` triggers get series: label cardinality is what costs a
 * Prometheus server, so beyond it triggers are counted in `tock_trigger_series_dropped`.
 */
import type { FiringBus } from "./firing_bus.ts";
import type { Registry } from "./metrics.ts";
import type { StoredLog } from "./schemas.ts";

/** Most names remembered as dropped, so the dropped count itself stays bounded in memory. */
const MAX_DROPPED_TRACKED = 100_000;

/** Registers the per-trigger series on `registry`; feed it with `attach` and `settled`. */
export class TriggerMetrics {
  readonly #limit: number;
  readonly #names = new Set<string>();
  readonly #dropped = new Set<string>();
  readonly #lastFired;
  readonly #missed;
  readonly #failures;
  readonly #droppedGauge;

  constructor(registry: Registry, limit: number) {
    this.#limit = limit;
    this.#lastFired = registry.gauge(
      "tock_trigger_last_fired_timestamp_seconds",
      "Unix time of the trigger's latest firing seen by this instance (not tests, not missed)",
      ["trigger"],
    );
    this.#missed = registry.counter(
      "tock_trigger_missed_total",
      "Occurrences of the trigger recorded as missed (paused, downtime or misfire)",
      ["trigger"],
    );
    this.#failures = registry.counter(
      "tock_trigger_delivery_failures_total",
      "Webhook delivery series of the trigger that ended failed",
      ["trigger"],
    );
    this.#droppedGauge = registry.gauge(
      "tock_trigger_series_dropped",
      "Triggers without per-trigger series: beyond --metrics-trigger-limit",
    );
  }

  /** Follows firings and missed-run records on `bus`; returns the unsubscribe function. */
  attach(bus: FiringBus): () => void {
    return bus.subscribe((logs) => {
      for (const log of logs) this.#observe(log);
    });
  }

  /** For the outbox: a delivery series ended with `log` as written. */
  settled(log: StoredLog): void {
    if (log.outcome === "failed" && this.#admit(log)) {
      this.#failures.inc({ trigger: log.triggerName });
    }
  }

  #observe(log: StoredLog): void {
    if (log.test || log.triggerId === null) return;
    if (log.outcome === "missed") {
      if (this.#admit(log)) this.#missed.inc({ trigger: log.triggerName }, log.missed?.count ?? 1);
    } else if (log.outcome !== "skipped" && this.#admit(log)) {
      this.#lastFired.set({ trigger: log.triggerName }, Date.parse(log.firedAt) / 1000);
    }
  }

  /** Whether `log`'s trigger has (or may now get) series; counts it as dropped otherwise. */
  #admit(log: StoredLog): boolean {
    const name = log.triggerName;
    if (this.#names.has(name)) return true;
    if (this.#names.size < this.#limit) {
      this.#names.add(name);
      return true;
    }
    if (!this.#dropped.has(name) && this.#dropped.size < MAX_DROPPED_TRACKED) {
      this.#dropped.add(name);
      this.#droppedGauge.set({}, this.#dropped.size);
    }
    return false;
  }
}
