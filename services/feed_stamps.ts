/**
 * This instance's side of the change feed's low mark: the stamps of its feed entries whose
 * commits have not settled. An entry is stamped when its commit is built and lands when the
 * commit does, so a later-stamped entry can land first; readers used to re-read a whole
 * lookback window (10 s of entries) every poll to catch such late landers. With the low mark
 * (`low`) written to KV each poll, they start at it instead: every entry stamped before it has
 * landed or never will.
 */
import type { FiringBus } from "../core/firing_bus.ts";
import type { ChangeAction, ChangeNote } from "../db/trigger_feed.ts";
import type { TriggerRecord } from "../core/schemas.ts";

/** Stamps in flight, and a floor no stamp or mark given out from here on goes under. */
export class FeedStamps {
  /** Stamps held (commit not settled), with how many entries hold each. */
  readonly #held = new Map<number, number>();
  /** The highest stamp or mark given out: later ones never go below it, whatever the clock. */
  #floor = -Infinity;
  /** When (this clock) the latest stamp was given out; -Infinity before the first. */
  lastStampAt = -Infinity;

  /** A stamp for an entry about to be committed at `nowMs`, held until `release`. */
  hold(nowMs: number): number {
    const ms = Math.max(nowMs, this.#floor);
    this.#floor = ms;
    this.#held.set(ms, (this.#held.get(ms) ?? 0) + 1);
    this.lastStampAt = nowMs;
    return ms;
  }

  /** The commit of an entry stamped `ms` settled (landed, failed or never sent). */
  release(ms: number): void {
    const n = (this.#held.get(ms) ?? 0) - 1;
    if (n > 0) this.#held.set(ms, n);
    else this.#held.delete(ms);
  }

  /** The low mark at `nowMs`: every entry stamped before it has settled. */
  low(nowMs: number): number {
    let ms = Math.max(nowMs, this.#floor);
    for (const held of this.#held.keys()) ms = Math.min(ms, held);
    this.#floor = Math.max(this.#floor, ms);
    return ms;
  }
}

const stamps = new WeakMap<FiringBus, FeedStamps>();

/** The stamps of the instance that owns `bus`. */
export function stampsOf(bus: FiringBus): FeedStamps {
  let s = stamps.get(bus);
  if (!s) {
    s = new FeedStamps();
    stamps.set(bus, s);
  }
  return s;
}

/**
 * Runs `write` with a factory of feed notes of `action` from `origin`; each note's stamp is
 * held until `write` settles, so the low mark never passes an entry still being committed.
 */
export async function withNotes<T>(
  bus: FiringBus,
  origin: string,
  nowMs: () => number,
  action: ChangeAction,
  write: (note: (rec: TriggerRecord) => ChangeNote) => Promise<T>,
): Promise<T> {
  const s = stampsOf(bus);
  const held: number[] = [];
  const note = (rec: TriggerRecord): ChangeNote => {
    const atMs = s.hold(nowMs());
    held.push(atMs);
    return { id: rec.id, name: rec.name, action, origin, atMs };
  };
  try {
    return await write(note);
  } finally {
    for (const ms of held) s.release(ms);
  }
}
