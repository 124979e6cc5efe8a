/**
 * Many deadlines of one length on one interval, instead of a timer armed and cleared per
 * request (a `setTimeout` + `clearTimeout` pair cost ~3 us each on the fire path). Every
 * deadline is `ms` after it was added, so deadlines expire in the order they were added: the
 * sweep walks from the oldest and stops at the first still ahead. A deadline is never cut
 * short; it may run late by up to one tick (a twentieth of `ms`, 5 ms to 1 s).
 *
 * The interval outlives the last deadline by up to one tick (the sweep that finds nothing
 * stops it): stopping it on every cancel re-created it per request whenever requests did not
 * overlap, which cost more than the per-request timers it replaces. It keeps the process
 * alive only while a deadline is pending (ref'd then, unref'd when the last is cancelled).
 */
const NOOP = () => {};

export class FifoDeadlines {
  readonly ms: number;
  readonly #tickMs: number;
  readonly #pending = new Map<number, { at: number; expire: () => void }>();
  #seq = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(ms: number) {
    this.ms = ms;
    this.#tickMs = Math.max(5, Math.min(1_000, Math.floor(ms / 20)));
  }

  /** Calls `expire` once `ms` have passed, unless `cancel` is called with the id first. */
  add(expire: () => void): number {
    const id = this.#seq++;
    this.#pending.set(id, { at: performance.now() + this.ms, expire });
    if (this.#timer === undefined) this.#timer = setInterval(() => this.#sweep(), this.#tickMs);
    else if (this.#pending.size === 1) Deno.refTimer(this.#timer);
    return id;
  }

  cancel(id: number): void {
    const entry = this.#pending.get(id);
    if (entry === undefined) return;
    // The closure usually reaches a whole request (a race's `reject`, its promise, the
    // context). Something kept cancelled entries reachable until the next full GC (a heap
    // snapshot, which collects first, finds only the pending ones): while they held the
    // closure, every fire request's objects survived two scavenges and were promoted, ~6 KiB
    // each (heap +4 MB per scavenge at 10,000 fires/s, scavenges of 4-5 ms, a mark-compact a
    // second). Let go of it here: +0.6 MB per scavenge, 1.4 ms scavenges.
    entry.expire = NOOP;
    this.#pending.delete(id);
    if (this.#pending.size === 0 && this.#timer !== undefined) Deno.unrefTimer(this.#timer);
  }

  /**
   * `work`, or a rejection with `error()` if it has not settled within `ms`. The work itself
   * goes on (it cannot be cancelled from here); its late result is dropped. One promise per
   * call (no async wrapper, no `Promise.race` array): it runs once per request.
   */
  race<T>(work: Promise<T>, error: () => Error): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const id = this.add(() => reject(error()));
      work.then(
        (v) => (this.cancel(id), resolve(v)),
        (e) => (this.cancel(id), reject(e)),
      );
    });
  }

  #sweep(): void {
    const now = performance.now();
    for (const [id, p] of this.#pending) {
      if (p.at > now) break;
      this.#pending.delete(id);
      p.expire();
    }
    if (this.#pending.size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }
}
