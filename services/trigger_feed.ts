/**
 * The runtime that brings other instances' trigger changes onto this instance's bus: every
 * `pollMs` it reads the change feed (db/trigger_feed.ts) and publishes the entries another
 * instance wrote as `remote` changes, so event streams here carry changes made anywhere.
 * Entries are read again for `lookbackMs` (an entry whose commit landed after a later-stamped
 * one, or from a clock a little behind, is still seen) and remembered by key, so each is
 * published once.
 */
import type { Deps } from "../core/deps.ts";
import { readTriggers } from "../db/due.ts";
import { type ChangeEntry, readChanges } from "../db/trigger_feed.ts";
import { ulidTime } from "../core/ulid.ts";
import type { FiringBus, TriggerChange } from "../core/firing_bus.ts";

const origins = new WeakMap<FiringBus, string>();

/** The origin id of the instance that owns `bus`: its own feed entries carry it. */
export function originOf(bus: FiringBus): string {
  let id = origins.get(bus);
  if (!id) {
    id = crypto.randomUUID();
    origins.set(bus, id);
  }
  return id;
}

export interface TriggerFeedOptions {
  pollMs?: number;
  lookbackMs?: number;
}

/** Polls the change feed while started; `stop()` waits for the poll in progress. */
export class TriggerFeed {
  readonly #deps: Deps;
  readonly #pollMs: number;
  readonly #lookbackMs: number;
  #seen = new Set<string>();
  #startedAt = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #polling: Promise<void> | null = null;

  constructor(deps: Deps, opts: TriggerFeedOptions = {}) {
    this.#deps = deps;
    this.#pollMs = opts.pollMs ?? 1_000;
    this.#lookbackMs = opts.lookbackMs ?? 10_000;
  }

  /** Starts polling; changes made before now are not replayed. */
  start(): void {
    this.#startedAt = this.#deps.clock.now();
    this.#timer = setInterval(() => void this.poll(), this.#pollMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#polling;
  }

  /** One read of the feed (one at a time); failures are logged, the next poll retries. */
  poll(): Promise<void> {
    this.#polling ??= this.#pollOnce()
      .catch((err) => console.error("trigger feed poll failed:", (err as Error).message))
      .finally(() => (this.#polling = null));
    return this.#polling;
  }

  async #pollOnce(): Promise<void> {
    const from = Math.max(this.#startedAt, this.#deps.clock.now() - this.#lookbackMs);
    const entries = await readChanges(this.#deps.kv, from);
    const mine = originOf(this.#deps.bus);
    const fresh: ChangeEntry[] = [];
    for (const { key, entry } of entries) {
      if (this.#seen.has(key)) continue;
      this.#seen.add(key);
      if (entry.origin !== mine) fresh.push(entry);
    }
    for (const key of this.#seen) if (ulidTime(key) < from) this.#seen.delete(key);
    if (fresh.length === 0) return;
    // The record as it is now: a later change is published in its own turn anyway.
    const recs = await readTriggers(this.#deps.kv, fresh.map((e) => e.id));
    const changes: TriggerChange[] = fresh.flatMap((e, i) => {
      const trigger = e.action === "deleted" ? null : recs[i].value;
      // Created or changed, then deleted since: the deletion's own entry tells the rest.
      if (e.action !== "deleted" && trigger === null) return [];
      return [{ action: e.action, id: e.id, name: e.name, trigger, remote: true }];
    });
    if (changes.length) this.#deps.bus.triggerChanged(null, changes);
  }
}
