/**
 * The scheduler of one instance. KV's due index is the truth; this keeps the part of it that
 * falls within a short horizon in memory, sorted, and aims one timer at the earliest entry for
 * millisecond precision. A poll (every `pollMs`) refreshes that view, so triggers written by
 * other instances, or left by an instance that died, are picked up within about a second.
 *
 * ```
 *   KV ["due", atMs, id] ──poll 1 s──▶ items (sorted, ≤ horizon) ──▶ one setTimeout(earliest)
 *          ▲                                                            │ fires
 *          └──── one atomic commit per batch: check record versionstamp, ◀┘
 *                write log, advance record, move due entry
 * ```
 */
import type { SchedulerStatus } from "../core/request_schemas.ts";
import type { Deps } from "../core/deps.ts";
import { listDue } from "../db/due.ts";
import { retryLocked } from "../db/kv.ts";
import { claimBatch, type DueItem, MAX_BATCH } from "./claim.ts";
import { createdWithNothingDue, isStale, loadRecords, type RecordCache } from "./records.ts";
import { setTimeout as delay } from "node:timers/promises";

export interface SchedulerOptions {
  /** How far ahead the in-memory view reaches. */
  horizonMs?: number;
  /** How often the view is refreshed from KV. */
  pollMs?: number;
  /** Most due entries held in memory; the rest wait for a later poll. */
  maxHeld?: number;
  /** Claim commits in flight at once (two overlap building one batch with writing another). */
  concurrency?: number;
}

/**
 * A runtime: `start()` subscribes to trigger changes on the bus (re-reading its view when one
 * falls inside the horizon) and publishes the firings it claims; `stop()` undoes both.
 */
export class Scheduler {
  readonly #deps: Deps;
  readonly #horizonMs: number;
  readonly #pollMs: number;
  readonly #maxHeld: number;
  readonly #concurrency: number;
  /** Due items within the horizon, sorted by time. */
  #items: DueItem[] = [];
  #cache: RecordCache = new Map();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Infinity;
  #pollTimer: ReturnType<typeof setInterval> | undefined;
  /** Items this instance rescheduled, by sequence, so a poll that read KV earlier keeps them. */
  #recent: { seq: number; item: DueItem }[] = [];
  #seq = 0;
  /** Items being claimed right now, which a poll read before the commit must not bring back. */
  #inFlight = new Set<string>();
  #running = false;
  #claiming: Promise<void> | null = null;
  #claimingSince: number | null = null;
  /** The earliest occurrence being claimed right now, for the lag in `status()`. */
  #claimingOldest = Infinity;
  #again = false;
  #lastPollAt: number | null = null;
  #firedTotal = 0;
  #lostTotal = 0;
  #polling: Promise<void> | null = null;
  /** A poll queued behind the running one; further requests share it. */
  #pollQueued: Promise<void> | null = null;
  #prefetching: Promise<void> | null = null;
  #unsubscribe: (() => void) | null = null;
  /** When this scheduler started: occurrences missed before it were missed while down. */
  #startedAtMs = 0;

  constructor(deps: Deps, opts: SchedulerOptions = {}) {
    this.#deps = deps;
    this.#horizonMs = opts.horizonMs ?? 5_000;
    this.#pollMs = opts.pollMs ?? 1_000;
    this.#maxHeld = opts.maxHeld ?? 50_000;
    this.#concurrency = opts.concurrency ?? 2;
  }

  /** Loads what is due (including what was missed while down) and starts the timer and poll. */
  async start(): Promise<void> {
    this.#running = true;
    this.#startedAtMs = this.#deps.clock.now();
    this.#unsubscribe = this.#deps.bus.onTriggerChange((next, changes) => {
      if (!createdWithNothingDue(changes)) this.notify(next);
    });
    await this.poll();
    this.#pollTimer = setInterval(() => {
      // A claim burst under way holds the due entries it needs; re-listing them all now
      // would only compete with it. Skip a beat, but never for long (other instances' news).
      const busy = this.#claimingSince !== null &&
        this.#deps.clock.now() - this.#claimingSince < 2 * this.#pollMs;
      if (!busy) void this.poll();
    }, this.#pollMs);
  }

  /** Stops claiming; resolves once the commits in flight have finished. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    clearInterval(this.#pollTimer);
    clearTimeout(this.#timer);
    this.#timerAt = Infinity;
    await this.#pollQueued;
    await this.#polling;
    await this.#prefetching;
    await this.#claiming;
  }

  /** A local change: re-read the view now if the new occurrence falls inside the horizon. */
  notify(nextRunAtMs: number | null): void {
    if (!this.#running) return;
    if (nextRunAtMs === null || nextRunAtMs <= this.#deps.clock.now() + this.#horizonMs) {
      void this.poll();
    }
  }

  status(): SchedulerStatus {
    const now = this.#deps.clock.now();
    const first = this.#items[0];
    return {
      running: this.#running,
      upcoming: this.#items.length,
      nextDueAt: first ? new Date(first.atMs).toISOString() : null,
      lagMs: Math.max(0, now - Math.min(first?.atMs ?? Infinity, this.#claimingOldest)),
      lastPollAt: this.#lastPollAt === null ? null : new Date(this.#lastPollAt).toISOString(),
      firedTotal: this.#firedTotal,
      lostTotal: this.#lostTotal,
    };
  }

  /**
   * Re-reads the due index up to the horizon and re-arms the timer. Calls made while a poll
   * runs share one follow-up poll, so a burst of changes costs two reads, not one each.
   */
  poll(): Promise<void> {
    if (!this.#polling) {
      const p = this.#pollOnce().finally(() => {
        if (this.#polling === p) this.#polling = null;
      });
      this.#polling = p;
      return p;
    }
    if (this.#pollQueued) return this.#pollQueued;
    const queued = this.#polling.then(() => {
      this.#pollQueued = null;
      return this.poll();
    });
    this.#pollQueued = queued;
    return queued;
  }

  async #pollOnce(): Promise<void> {
    if (!this.#running) return;
    const now = this.#deps.clock.now();
    const startSeq = this.#seq;
    let items: DueItem[];
    try {
      items = await retryLocked(() => this.#readDue(now));
    } catch (err) {
      console.error("scheduler poll failed:", (err as Error).message);
      return;
    }
    // Merge what was rescheduled locally while the poll read, drop what is being claimed or
    // what a claim already moved on (the cache holds a newer record version).
    this.#recent = this.#recent.filter((r) => r.seq > startSeq);
    const seen = new Set(items.map(itemKey));
    for (const { item } of this.#recent) {
      if (!seen.has(itemKey(item))) items.push(item);
    }
    this.#items = items.filter((it) =>
      !this.#inFlight.has(itemKey(it)) && !isStale(it, this.#cache)
    )
      .sort((a, b) => a.atMs - b.atMs);
    this.#lastPollAt = now;
    // Forget records that left the horizon, so memory follows the view.
    if (this.#cache.size > 2 * items.length + 1000) {
      const held = new Set(items.map((i) => i.id));
      for (const id of this.#cache.keys()) if (!held.has(id)) this.#cache.delete(id);
    }
    this.#arm();
    this.#prefetch();
  }

  #readDue(now: number): Promise<DueItem[]> {
    return listDue(this.#deps.kv, now + this.#horizonMs, this.#maxHeld);
  }

  /** Reads ahead the records of held items, so a claim at fire time is a single commit. */
  #prefetch(): void {
    if (this.#prefetching) return;
    const p = loadRecords(this.#deps, this.#items.slice(), this.#cache)
      .catch((err) => console.error("scheduler prefetch failed:", (err as Error).message))
      .finally(() => {
        this.#prefetching = null;
      });
    this.#prefetching = p;
  }

  #arm(): void {
    if (!this.#running) return;
    const first = this.#items[0];
    const at = first ? first.atMs : Infinity;
    if (at === this.#timerAt) return;
    clearTimeout(this.#timer);
    this.#timerAt = at;
    if (at === Infinity) return;
    const delay = Math.max(0, at - this.#deps.clock.now());
    this.#timer = setTimeout(() => {
      this.#timerAt = Infinity;
      this.#tick();
    }, delay);
  }

  #tick(): void {
    if (this.#claiming) {
      this.#again = true;
      return;
    }
    this.#claimingSince = this.#deps.clock.now();
    this.#claiming = this.#claimLoop().finally(() => {
      this.#claiming = null;
      this.#claimingSince = null;
      this.#arm();
    });
  }

  async #claimLoop(): Promise<void> {
    do {
      this.#again = false;
      if (!this.#running) return;
      const now = this.#deps.clock.now();
      let n = 0;
      while (n < this.#items.length && this.#items[n].atMs <= now) n++;
      if (n === 0) continue;
      const due = this.#items.splice(0, n);
      this.#claimingOldest = due[0].atMs;
      for (const it of due) this.#inFlight.add(itemKey(it));
      // A few batches in flight at once: while one commit waits on storage the next is built.
      let next = 0;
      const worker = async () => {
        while (next < due.length && this.#running) {
          const chunk = due.slice(next, next + MAX_BATCH);
          next += MAX_BATCH;
          await this.#claimChunk(chunk);
        }
      };
      await Promise.all(Array.from({ length: this.#concurrency }, worker));
      // Stopped midway: what was not claimed stays in KV for the next start or another instance.
      for (const it of due) this.#inFlight.delete(itemKey(it));
      this.#claimingOldest = Infinity;
      this.#again ||= this.#items.length > 0 && this.#items[0].atMs <= this.#deps.clock.now();
    } while (this.#again && this.#running);
  }

  async #claimChunk(chunk: DueItem[]): Promise<void> {
    try {
      const result = await claimBatch(this.#deps, chunk, this.#cache, {
        startedAtMs: this.#startedAtMs,
      });
      this.#firedTotal += result.fired.length;
      this.#lostTotal += result.lost;
      for (const { item } of result.rescheduled) this.#insert(item);
      // Observers and the webhook outbox follow the bus.
      this.#deps.bus.publish(result.missed.concat(result.fired));
    } catch (err) {
      // KV trouble beyond the locked-retry: put the items back; the next poll re-reads the truth.
      console.error("scheduler claim failed:", (err as Error).message);
      for (const it of chunk) this.#insert(it);
      await delay(200);
    }
  }

  #insert(item: DueItem): void {
    if (item.atMs > this.#deps.clock.now() + this.#horizonMs) return;
    if (this.#polling) this.#recent.push({ seq: ++this.#seq, item });
    const items = this.#items;
    let lo = 0, hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (items[mid].atMs <= item.atMs) lo = mid + 1;
      else hi = mid;
    }
    items.splice(lo, 0, item);
  }
}

function itemKey(it: DueItem): string {
  return `${it.id}@${it.atMs}`;
}
