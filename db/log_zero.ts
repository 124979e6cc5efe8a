/**
 * The sweep's last step: counters that may have reached zero, and names nobody needs any more.
 * Only ids marked `["log_zero_check", id]` are looked at: the sweep marks each counter it takes
 * entries off (in the same commit), a trigger's delete marks its id. So a run costs what the
 * sweep deleted, never a read of every counter or name (100,000 triggers made that ~0.5 s a
 * minute, on KV's one thread, before the marks).
 */
import { type CounterId, keys } from "./keys.ts";
import { getManyChunked, retryLocked, signed } from "./kv.ts";
import { RECORD_OUTCOMES } from "./log_counters.ts";

/** Marks read per round. */
const MARKS_PER_ROUND = 100;
/** Counters removed per commit: three checks each, within KV's 100 per commit. */
const ZEROS_PER_COMMIT = 30;

interface Marked {
  counter: CounterId;
  mark: Deno.KvEntry<null>;
  count: Deno.KvEntryMaybe<Deno.KvU64>;
  archived: Deno.KvEntryMaybe<Deno.KvU64>;
  /** The trigger's definition key: null once the trigger is deleted ("test" has none). */
  def: Deno.KvEntryMaybe<unknown>;
  name: Deno.KvEntryMaybe<string>;
  legacyName: Deno.KvEntryMaybe<string>;
}

/**
 * Checks every marked counter: one at zero is removed with its record counts (a deleted
 * trigger's name with it; a live trigger keeps its name, moved out of the old place if it was
 * there); the mark of one above zero is just removed (only a later sweep can bring it down, and
 * that marks it again). A firing between the read and the commit fails the commit's checks and
 * leaves the mark for the next run. Answers how many ids had something removed.
 */
export async function dropZeroCounters(kv: Deno.Kv): Promise<number> {
  let removed = 0;
  let cursor: string | undefined;
  for (;;) {
    const marks: Deno.KvEntry<null>[] = [];
    const iter = kv.list<null>(
      { prefix: keys.logZeroChecksPrefix() },
      { limit: MARKS_PER_ROUND, cursor },
    );
    for await (const e of iter) marks.push(e);
    if (marks.length === 0) return removed;
    cursor = iter.cursor;
    const zero: Marked[] = [];
    const above: Marked[] = [];
    for (const m of await readMarked(kv, marks)) {
      const atZero = signed(m.count.value ?? undefined) === 0 &&
        signed(m.archived.value ?? undefined) === 0;
      (atZero ? zero : above).push(m);
    }
    if (above.length > 0) {
      const op = kv.atomic();
      for (const m of above) op.delete(m.mark.key);
      await retryLocked(() => op.commit());
    }
    for (let i = 0; i < zero.length; i += ZEROS_PER_COMMIT) {
      const group = zero.slice(i, i + ZEROS_PER_COMMIT);
      if (await commitZeros(kv, group)) removed += group.filter(hadKeys).length;
      else {
        // One of them moved (a firing): each on its own; the moved one's mark stays for the
        // next run.
        for (const m of group) if (await commitZeros(kv, [m]) && hadKeys(m)) removed++;
      }
    }
    if (marks.length < MARKS_PER_ROUND) return removed;
  }
}

async function readMarked(kv: Deno.Kv, marks: Deno.KvEntry<null>[]): Promise<Marked[]> {
  const counters = marks.map((m) => m.key[1] as CounterId);
  const got = await getManyChunked<unknown>(
    kv,
    counters.flatMap((c) => [
      keys.logCount(c),
      keys.logArchived(c),
      keys.triggerDef(c),
      keys.logCounterName(c),
      keys.logCounterNameLegacy(c),
    ]),
  );
  return counters.map((counter, i) => ({
    counter,
    mark: marks[i],
    count: got[5 * i] as Deno.KvEntryMaybe<Deno.KvU64>,
    archived: got[5 * i + 1] as Deno.KvEntryMaybe<Deno.KvU64>,
    def: got[5 * i + 2],
    name: got[5 * i + 3] as Deno.KvEntryMaybe<string>,
    legacyName: got[5 * i + 4] as Deno.KvEntryMaybe<string>,
  }));
}

function hadKeys(m: Marked): boolean {
  const gone = m.def.versionstamp === null;
  return m.count.versionstamp !== null || m.archived.versionstamp !== null ||
    m.legacyName.versionstamp !== null || (gone && m.name.versionstamp !== null);
}

/** Removes the zero counters of `group` in one commit; false when any of them moved. */
async function commitZeros(kv: Deno.Kv, group: Marked[]): Promise<boolean> {
  const op = kv.atomic();
  for (const m of group) {
    const c = m.counter;
    op.check(m.mark, m.count, m.archived)
      .delete(m.mark.key)
      .delete(keys.logCount(c))
      .delete(keys.logArchived(c));
    // Subsets of the count, hence zero too.
    for (const o of RECORD_OUTCOMES) op.delete(keys.logOutcomeCount(c, o));
    if (m.legacyName.versionstamp !== null) op.delete(keys.logCounterNameLegacy(c));
    if (m.def.versionstamp === null) op.delete(keys.logCounterName(c));
    else if (m.name.value === null && m.legacyName.value !== null) {
      op.set(keys.logCounterName(c), m.legacyName.value);
    }
  }
  return (await retryLocked(() => op.commit())).ok;
}
