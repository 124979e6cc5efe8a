/**
 * The outbox's local wake-ups (a retry's backoff, an early wake, a lease to wait out): one
 * timer per delivery, the earliest kept, at most `max` held. Past that, a delivery's due
 * record in KV still wakes it at the next due poll, at most a poll interval late.
 */
export class WakeTimers {
  readonly #timers = new Map<string, { atMs: number; timer: ReturnType<typeof setTimeout> }>();
  readonly #max: number;
  readonly #wake: (id: string) => void;

  constructor(max: number, wake: (id: string) => void) {
    this.#max = max;
    this.#wake = wake;
  }

  /** Timers held. */
  get size(): number {
    return this.#timers.size;
  }

  /** Wakes `id` at `atMs` (`delayMs` from `nowMs`) unless an earlier wake-up is held. */
  set(id: string, nowMs: number, delayMs: number): void {
    const atMs = nowMs + delayMs;
    const held = this.#timers.get(id);
    if (held && held.atMs <= atMs) return;
    if (!held && this.#timers.size >= this.#max) return;
    if (held) clearTimeout(held.timer);
    const timer = setTimeout(() => {
      this.#timers.delete(id);
      this.#wake(id);
    }, Math.max(0, delayMs));
    this.#timers.set(id, { atMs, timer });
  }

  /** Drops every timer. */
  clear(): void {
    for (const { timer } of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}
