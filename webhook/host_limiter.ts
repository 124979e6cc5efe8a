/**
 * Bounded concurrency per destination: at most `perHost` requests in flight to one host (and
 * port); the rest wait in line, first come first served. A receiver that hangs therefore holds
 * a few slots of its own and never the deliveries to anyone else.
 */
export class HostLimiter {
  readonly perHost: number;
  #active = new Map<string, number>();
  #waiting = new Map<string, (() => void)[]>();

  constructor(perHost = 4) {
    this.perHost = perHost;
  }

  /** A release function if a slot for `host` is free right now, else null. */
  tryAcquire(host: string): (() => void) | null {
    const active = this.#active.get(host) ?? 0;
    if (active >= this.perHost) return null;
    this.#active.set(host, active + 1);
    return this.#releaser(host);
  }

  /**
   * Resolves with a release function once a slot for `host` is free; call it exactly once.
   * Rejects with the signal's reason if `signal` aborts while waiting.
   */
  acquire(host: string, signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    const now = this.tryAcquire(host);
    if (now) return Promise.resolve(now);
    const { promise, resolve, reject } = Promise.withResolvers<() => void>();
    const queue = this.#waiting.get(host) ?? [];
    this.#waiting.set(host, queue);
    const grant = () => {
      signal?.removeEventListener("abort", onAbort);
      resolve(this.#releaser(host));
    };
    const onAbort = () => {
      const i = queue.indexOf(grant);
      if (i >= 0) queue.splice(i, 1);
      if (queue.length === 0 && this.#waiting.get(host) === queue) this.#waiting.delete(host);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    queue.push(grant);
    return promise;
  }

  /** Requests in flight and waiting, over all hosts. */
  counts(): { active: number; waiting: number } {
    let active = 0, waiting = 0;
    for (const n of this.#active.values()) active += n;
    for (const q of this.#waiting.values()) waiting += q.length;
    return { active, waiting };
  }

  #releaser(host: string): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const queue = this.#waiting.get(host);
      const next = queue?.shift();
      if (queue && queue.length === 0) this.#waiting.delete(host);
      // Hand the slot straight to the next in line; the count stays the same.
      if (next) next();
      else {
        const n = (this.#active.get(host) ?? 1) - 1;
        if (n <= 0) this.#active.delete(host);
        else this.#active.set(host, n);
      }
    };
  }
}
