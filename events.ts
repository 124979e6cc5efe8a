/** In-process fan-out of firings to the event stream, metrics and the log printer. */
import type { StoredLog } from "./schemas.ts";

export type FiringListener = (logs: StoredLog[]) => void;

/**
 * Every committed firing of this instance is published here once, after its commit.
 * Listeners must not throw; they run synchronously and should hand off slow work.
 */
export class FiringBus {
  #listeners = new Set<FiringListener>();

  subscribe(fn: FiringListener): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  publish(logs: StoredLog[]): void {
    if (logs.length === 0) return;
    for (const fn of this.#listeners) {
      try {
        fn(logs);
      } catch (err) {
        console.error("firing listener failed:", err);
      }
    }
  }
}
