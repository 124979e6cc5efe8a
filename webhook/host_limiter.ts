/**
 * Bounded concurrency per destination and per trigger: at most `perTrigger` requests of one
 * trigger in flight, and at most `perHost` to one host (and port); the rest wait in line, first
 * come first served. The trigger slot is taken before the host slot, so a receiver path that
 * hangs holds at most `perTrigger` of its host's slots and other triggers' deliveries to that
 * host keep going.
 */

/** The limiter key of a delivery: its trigger (lane) and its URL's host and port. */
export function laneKey(lane: string, url: string): string {
  let host = "";
  try {
    host = new URL(url).host;
  } catch { /* stored URLs were validated; an odd one just shares the "" line */ }
  return `${lane}\u0000${host}`;
}

/** Counting semaphores by key, first come first served. */
class Slots {
  #active = new Map<string, number>();
  #waiting = new Map<string, (() => void)[]>();

  constructor(readonly limit: number) {}

  tryAcquire(key: string): (() => void) | null {
    const active = this.#active.get(key) ?? 0;
    if (active >= this.limit) return null;
    this.#active.set(key, active + 1);
    return this.#releaser(key);
  }

  acquire(key: string, signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    const now = this.tryAcquire(key);
    if (now) return Promise.resolve(now);
    const { promise, resolve, reject } = Promise.withResolvers<() => void>();
    const queue = this.#waiting.get(key) ?? [];
    this.#waiting.set(key, queue);
    const grant = () => {
      signal?.removeEventListener("abort", onAbort);
      resolve(this.#releaser(key));
    };
    const onAbort = () => {
      const i = queue.indexOf(grant);
      if (i >= 0) queue.splice(i, 1);
      if (queue.length === 0 && this.#waiting.get(key) === queue) this.#waiting.delete(key);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    queue.push(grant);
    return promise;
  }

  counts(): { active: number; waiting: number } {
    let active = 0, waiting = 0;
    for (const n of this.#active.values()) active += n;
    for (const q of this.#waiting.values()) waiting += q.length;
    return { active, waiting };
  }

  #releaser(key: string): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const queue = this.#waiting.get(key);
      const next = queue?.shift();
      if (queue && queue.length === 0) this.#waiting.delete(key);
      // Hand the slot straight to the next in line; the count stays the same.
      if (next) next();
      else {
        const n = (this.#active.get(key) ?? 1) - 1;
        if (n <= 0) this.#active.delete(key);
        else this.#active.set(key, n);
      }
    };
  }
}

export class HostLimiter {
  readonly perHost: number;
  readonly perTrigger: number;
  #hosts: Slots;
  #lanes: Slots;

  constructor(perHost = 4, perTrigger = 2) {
    this.perHost = perHost;
    this.perTrigger = perTrigger;
    this.#hosts = new Slots(perHost);
    this.#lanes = new Slots(perTrigger);
  }

  /** A release function if both slots of `key` (a laneKey, or a bare host) are free now. */
  tryAcquire(key: string): (() => void) | null {
    const { lane, host } = split(key);
    const releaseLane = lane === null ? noop : this.#lanes.tryAcquire(lane);
    if (!releaseLane) return null;
    const releaseHost = this.#hosts.tryAcquire(host);
    if (!releaseHost) {
      releaseLane();
      return null;
    }
    return both(releaseHost, releaseLane);
  }

  /**
   * Resolves with a release function once the trigger's slot and then the host's slot are
   * free; call it exactly once. Rejects with the signal's reason if `signal` aborts meanwhile.
   */
  async acquire(key: string, signal?: AbortSignal): Promise<() => void> {
    const { lane, host } = split(key);
    const releaseLane = lane === null ? noop : await this.#lanes.acquire(lane, signal);
    try {
      return both(await this.#hosts.acquire(host, signal), releaseLane);
    } catch (err) {
      releaseLane();
      throw err;
    }
  }

  /** Requests in flight, and waiting for a trigger or host slot, over all hosts. */
  counts(): { active: number; waiting: number } {
    const hosts = this.#hosts.counts();
    return { active: hosts.active, waiting: hosts.waiting + this.#lanes.counts().waiting };
  }
}

function noop(): void {}

function both(a: () => void, b: () => void): () => void {
  return () => {
    a();
    b();
  };
}

function split(key: string): { lane: string | null; host: string } {
  const i = key.indexOf("\u0000");
  return i < 0 ? { lane: null, host: key } : { lane: key.slice(0, i), host: key.slice(i + 1) };
}
