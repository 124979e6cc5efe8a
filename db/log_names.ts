/**
 * The names stats rows are shown with: written under `["log_names", id]` at create and rename
 * (db/triggers.ts), so they outlive the trigger for as long as its entries are retained.
 */
import type { TriggerRecord } from "../core/schemas.ts";
import { getManyChunked } from "./kv.ts";
import { type CounterId, keys } from "./keys.ts";

/**
 * Names the rows shown (so the reads grow with them, not with the triggers stored): the name
 * written at create and rename, else one an older store kept among the counters (`legacy`),
 * else the live record's (test firings' row is already "test").
 */
export async function nameRows(
  kv: Deno.Kv,
  rows: { triggerId: string | null; triggerName: string }[],
  legacy: ReadonlyMap<CounterId, string>,
): Promise<void> {
  const named = rows.filter((r) => r.triggerId !== null);
  const ids = named.map((r) => r.triggerId!);
  const names = await readNames(kv, ids);
  const missing = ids.filter((id) => !names.has(id) && !legacy.has(id));
  const recs = await getManyChunked<TriggerRecord>(kv, missing.map((id) => keys.trigger(id)));
  const fromRecord = new Map(missing.map((id, i) => [id, recs[i].value?.name]));
  for (const r of named) {
    const id = r.triggerId!;
    r.triggerName = names.get(id) ?? legacy.get(id) ?? fromRecord.get(id) ?? id;
  }
}

/** Rows up to which names are read one by one; beyond, one scan of every name costs less. */
const NAME_GETS_MAX = 1_000;

async function readNames(kv: Deno.Kv, ids: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (ids.length <= NAME_GETS_MAX) {
    const got = await getManyChunked<string>(kv, ids.map((id) => keys.logCounterName(id)));
    got.forEach((e, i) => e.value !== null && out.set(ids[i], e.value));
    return out;
  }
  const wanted = new Set(ids);
  const prefix = keys.logCounterNamesPrefix();
  for await (const e of kv.list<string>({ prefix }, { batchSize: 1000 })) {
    const id = e.key[1] as string;
    if (wanted.has(id)) out.set(id, e.value);
  }
  return out;
}
