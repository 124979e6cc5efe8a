/**
 * The runtime that brings other instances' trigger changes onto this instance's bus: every
 * `pollMs` it reads the change feed (db/trigger_feed.ts) of each other instance and publishes
 * the entries as `remote` changes, so event streams here carry changes made anywhere. Its own
 * instance's entries are never read (the feed is keyed by origin first).
 *
 * Each origin is read from a point in that origin's own clock, so clock skew between
 * instances does not matter. A commit stamped earlier may land after a later-stamped one, so
 * the point is the origin's low mark when it has one (every entry it stamped before the mark
 * has landed; it writes the mark every poll: services/feed_stamps.ts), and otherwise
 * `lookbackMs` before the latest entry read from it (a commit lands within `lookbackMs` of its
 * stamp), or just after that entry once `lookbackMs` has passed on this clock since it was
 * read. Entries are remembered by key, so each is published once.
 */
import type { Deps } from "../core/deps.ts";
import { readTriggers } from "../db/due.ts";
import {
  type ChangeEntry,
  FEED_TTL_MS,
  lastChange,
  readChanges,
  readMarks,
  readOrigins,
  writeMark,
} from "../db/trigger_feed.ts";
import { stampsOf } from "./feed_stamps.ts";
import { ulidTime } from "../core/ulid.ts";
import type { FiringBus, TriggerChange } from "../core/firing_bus.ts";

/** What this instance has read of another's entries. */
interface OriginState {
  /** Where the next read starts (the origin's clock). */
  fromMs: number;
  /** The latest stamp read, and when (this clock) the read that found it ended. */
  maxMs: number;
  maxReadAt: number;
  /** Keys read at `fromMs` or later: published already. */
  seen: Set<string>;
}

/** Feed entries read (and their triggers) per page. */
const PAGE = 1_000;
type ChangePage = Awaited<ReturnType<typeof readChanges>>;

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
  readonly #origins = new Map<string, OriginState>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #polling: Promise<void> | null = null;
  #read = 0;

  constructor(deps: Deps, opts: TriggerFeedOptions = {}) {
    this.#deps = deps;
    this.#pollMs = opts.pollMs ?? 1_000;
    this.#lookbackMs = opts.lookbackMs ?? 10_000;
  }

  /**
   * Starts polling; changes made before now are not replayed: the entries other instances
   * have written so far are read first and remembered as published.
   */
  async start(): Promise<void> {
    await this.#baseline();
    this.#timer = setInterval(() => void this.poll(), this.#pollMs);
  }

  async #baseline(): Promise<void> {
    const { kv, clock } = this.#deps;
    const { others, marks } = await this.#others();
    for (const o of others) {
      const last = await lastChange(kv, o);
      if (last === null) continue;
      const maxMs = ulidTime(last);
      const st = {
        fromMs: marks.get(o) ?? maxMs - this.#lookbackMs,
        maxMs,
        maxReadAt: clock.now(),
        seen: new Set<string>(),
      };
      for await (const page of this.#pages(o, st.fromMs)) {
        for (const { key } of page) st.seen.add(key);
      }
      this.#origins.set(o, st);
    }
  }

  /**
   * The other instances' origins and the low marks of those that have one, read before any
   * entry: every entry stamped before a mark has landed, so it is there to be read.
   */
  async #others(): Promise<{ others: string[]; marks: Map<string, number> }> {
    const { kv, bus } = this.#deps;
    const mine = originOf(bus);
    const others = (await readOrigins(kv)).filter((o) => o !== mine);
    return { others, marks: await readMarks(kv, others) };
  }

  /** The entries of `origin` stamped `fromMs` or later, a page at a time, counted as read. */
  async *#pages(origin: string, fromMs: number): AsyncGenerator<ChangePage> {
    let after: string | undefined;
    for (;;) {
      const page = await readChanges(this.#deps.kv, origin, fromMs, { after, limit: PAGE });
      this.#read += page.length;
      yield page;
      if (page.length < PAGE) return;
      after = page[page.length - 1].key;
    }
  }

  /** Feed entries this instance has read so far (its own excepted): what polling costs. */
  get entriesRead(): number {
    return this.#read;
  }

  /** Writes this instance's low mark while its entries may still be read (feed_stamps.ts). */
  async #mark(): Promise<void> {
    const { kv, clock, bus } = this.#deps;
    const stamps = stampsOf(bus);
    const now = clock.now();
    if (now - stamps.lastStampAt > FEED_TTL_MS) return;
    await writeMark(kv, originOf(bus), stamps.low(now));
  }

  /** Stops polling, waits for the poll in progress, and writes the low mark a last time. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#polling;
    await this.#mark().catch(() => {});
  }

  /** One read of the feed (one at a time); failures are logged, the next poll retries. */
  poll(): Promise<void> {
    this.#polling ??= this.#pollOnce()
      .catch((err) => console.error("trigger feed poll failed:", (err as Error).message))
      .finally(() => (this.#polling = null));
    return this.#polling;
  }

  async #pollOnce(): Promise<void> {
    const { clock } = this.#deps;
    // A mark not written leaves readers at the previous one: late, never wrong.
    await this.#mark().catch((err) => console.error("trigger feed mark failed:", err?.message));
    const readAt = clock.now();
    const { others, marks } = await this.#others();
    const known = this.#origins;
    for (const o of known.keys()) if (!others.includes(o)) known.delete(o);
    for (const o of others) {
      let st = known.get(o);
      if (!st) {
        // An origin with no entries when this instance started: all of them are news.
        st = { fromMs: 0, maxMs: -Infinity, maxReadAt: 0, seen: new Set() };
        known.set(o, st);
      }
      // Each page published before the next is read: a bulk change of 100,000 triggers on
      // another instance is never held here whole.
      for await (const page of this.#pages(o, st.fromMs)) {
        const readEnd = clock.now();
        const fresh: ChangeEntry[] = [];
        for (const { key, entry } of page) {
          if (st.seen.has(key)) continue;
          st.seen.add(key);
          fresh.push(entry);
          const t = ulidTime(key);
          if (t > st.maxMs) [st.maxMs, st.maxReadAt] = [t, readEnd];
        }
        await this.#publish(fresh);
      }
      const mark = marks.get(o);
      if (mark !== undefined) {
        // Exact: everything stamped before the mark was there to read, nothing later has to be.
        st.fromMs = Math.max(st.fromMs, mark);
      } else if (st.maxMs !== -Infinity) {
        const settled = readAt - st.maxReadAt > this.#lookbackMs;
        st.fromMs = Math.max(st.fromMs, settled ? st.maxMs + 1 : st.maxMs - this.#lookbackMs);
      }
      for (const key of st.seen) if (ulidTime(key) < st.fromMs) st.seen.delete(key);
    }
  }

  /** Publishes `fresh` entries as remote changes, each with its trigger as it is now. */
  async #publish(fresh: ChangeEntry[]): Promise<void> {
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
