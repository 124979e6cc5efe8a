/**
 * The in-process bus between the layers. Services publish here after their commits; the
 * runtimes (scheduler, webhook outbox) and the observers (event stream, metrics, log printer)
 * subscribe. Three topics: committed firings, trigger changes (re-arm the scheduler's timer)
 * and deliveries made due outside a firing (a redelivery).
 */
import type { StoredLog, TriggerRecord } from "./schemas.ts";

export type FiringListener = (logs: StoredLog[]) => void;
/**
 * One trigger change, for the event stream: `trigger` is the record as committed (null when
 * deleted); `remote` when another instance made it (read from the change feed).
 */
export interface TriggerChange {
  action: "created" | "updated" | "deleted";
  id: string;
  name: string;
  trigger: TriggerRecord | null;
  remote: boolean;
}
/**
 * `nextRunAtMs`: the earliest pending occurrence among the changed triggers; null when none
 * (or unknown: the scheduler re-reads). `changes`: what changed, one entry per trigger (a bulk
 * action publishes once with all of them); empty when only the scheduler needs to know.
 */
export type TriggerChangeListener = (nextRunAtMs: number | null, changes: TriggerChange[]) => void;
export type DeliveryListener = (logIds: string[]) => void;

/** Calls every listener; one that throws is reported and does not stop the others. */
function emit<T>(listeners: Set<(v: T) => void>, v: T, what: string): void {
  for (const fn of listeners) {
    try {
      fn(v);
    } catch (err) {
      console.error(`${what} listener failed:`, err);
    }
  }
}

function add<T>(listeners: Set<T>, fn: T): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/**
 * Every committed firing of this instance is published here once, after its commit.
 * Listeners must not throw; they run synchronously and should hand off slow work.
 */
export class FiringBus {
  #firings = new Set<FiringListener>();
  #changes = new Set<TriggerChangeListener>();
  #deliveries = new Set<DeliveryListener>();

  /** Listens for committed firings; returns the unsubscribe function. */
  subscribe(fn: FiringListener): () => void {
    return add(this.#firings, fn);
  }

  /** After a commit that wrote these firings' log entries. */
  publish(logs: StoredLog[]): void {
    if (logs.length > 0) emit(this.#firings, logs, "firing");
  }

  /**
   * Listens for trigger changes: this instance's, and others' as the change feed brings them
   * (the scheduler re-reads its view; the event stream sends `trigger` events).
   */
  onTriggerChange(fn: TriggerChangeListener): () => void {
    return add(this.#changes, fn);
  }

  /** After a commit (or a batch of commits) that created, changed or removed triggers. */
  triggerChanged(nextRunAtMs: number | null, changes: TriggerChange[] = []): void {
    for (const fn of this.#changes) {
      try {
        fn(nextRunAtMs, changes);
      } catch (err) {
        console.error("trigger change listener failed:", err);
      }
    }
  }

  /** Listens for deliveries made due outside a firing (the outbox starts them). */
  onDeliveryDue(fn: DeliveryListener): () => void {
    return add(this.#deliveries, fn);
  }

  /** After a commit that made these log entries' deliveries due now. */
  deliveryDue(logIds: string[]): void {
    if (logIds.length > 0) emit(this.#deliveries, logIds, "delivery");
  }
}
