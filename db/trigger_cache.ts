/**
 * Trigger definitions in memory for the fire path, kept exact by versionstamp checks.
 *
 * Every trigger write made by the services (create, patch, pause, resume, delete) also writes
 * `["trigger_def", id]` (db/triggers.ts `addDefWrite`); scheduled claims and firings never
 * do. A cached definition remembers that key's versionstamp, and a firing made from it adds
 * `check(["trigger_def", id], stamp)` to its commit: if any instance changed or deleted the
 * trigger since the cache loaded it, the commit fails its check and the caller reloads and
 * retries (or answers 404/422 as the new definition says). Checks on a key no firing writes
 * can share one group commit (db/group_commit.ts), so the check costs no extra commit.
 * Names resolve the same way: `["trigger_names", name]` is written only at create, rename and
 * delete, so its versionstamp is checked as cached.
 */
import { NotFoundError } from "../core/errors.ts";
import { MAX_NAME_LENGTH, type TriggerRecord } from "../core/schemas.ts";
import { keys } from "./keys.ts";
import { retryLocked } from "./kv.ts";
import { isUlid } from "../core/ulid.ts";

/** A definition as cached, with the checks a firing of it must carry. */
export interface CachedTrigger {
  rec: TriggerRecord;
  /** The versionstamp of `["trigger_def", id]` the definition was read with. */
  stamp: string;
}

/** A name resolved to an id, with the versionstamp of its name key. */
interface CachedName {
  id: string;
  stamp: string;
}

/** Most definitions (and names) kept; the oldest loaded leaves first. */
const MAX_ENTRIES = 10_000;

/** Reads one definition with its def-key versionstamp; older data gets its def key written. */
async function loadDefinition(kv: Deno.Kv, id: string): Promise<CachedTrigger> {
  if (!isUlid(id)) throw new NotFoundError(`No trigger with id "${id}"`);
  for (let attempt = 0; attempt < 10; attempt++) {
    // One getMany is one snapshot: the record and its def key as of the same instant.
    const [t, d] = await retryLocked(() =>
      kv.getMany<[TriggerRecord, number]>([keys.trigger(id), keys.triggerDef(id)])
    );
    if (t.value === null) throw new NotFoundError(`No trigger with id "${id}"`);
    if (d.versionstamp !== null) return { rec: t.value, stamp: d.versionstamp };
    // Stored before def keys existed: write it now, checked against the record as read, so a
    // delete can never leave a def key absent both before and after (which a check can't see).
    await retryLocked(() =>
      kv.atomic().check(t).check({ key: keys.triggerDef(id), versionstamp: null })
        .set(keys.triggerDef(id), t.value!.version).commit()
    );
  }
  throw new NotFoundError(`No trigger with id "${id}"`);
}

/** Adds the checks that make a firing of `t` fail if its definition changed since it was read. */
export function addDefCheck(op: Deno.AtomicOperation, t: CachedTrigger, name?: CachedName): void {
  op.check({ key: keys.triggerDef(t.rec.id), versionstamp: t.stamp });
  if (name) op.check({ key: keys.triggerName(t.rec.name), versionstamp: name.stamp });
}

/** Whether the definition `t` was read from is still the stored one (one KV read). */
export async function isCurrent(kv: Deno.Kv, t: CachedTrigger): Promise<boolean> {
  const d = await retryLocked(() => kv.get(keys.triggerDef(t.rec.id)));
  return d.versionstamp === t.stamp;
}

/**
 * One instance's cache. Concurrent misses of one id (or name) share one load. `forget` drops
 * what a change made stale; correctness never depends on it (the checks do that), it only
 * spares the failed commit.
 */
export class TriggerCache {
  readonly #kv: Deno.Kv;
  #defs = new Map<string, CachedTrigger>();
  #names = new Map<string, CachedName>();
  #loading = new Map<string, Promise<CachedTrigger>>();
  #loadingNames = new Map<string, Promise<CachedName>>();

  constructor(kv: Deno.Kv) {
    this.#kv = kv;
  }

  /** The definition of `id`, from memory when cached; NotFoundError when it does not exist. */
  byId(id: string): CachedTrigger | Promise<CachedTrigger> {
    const hit = this.#defs.get(id);
    if (hit) return hit;
    let p = this.#loading.get(id);
    if (!p) {
      p = loadDefinition(this.#kv, id).then((t) => {
        // A change between the load starting and now may have been forgotten already: keep
        // only if no one dropped the load meanwhile (the check would catch it anyway).
        if (this.#loading.get(id) === p) put(this.#defs, id, t);
        return t;
      }).finally(() => {
        if (this.#loading.get(id) === p) this.#loading.delete(id);
      });
      this.#loading.set(id, p);
    }
    return p;
  }

  /** The definition named `name` and the name's check; NotFoundError when no trigger has it. */
  async byName(name: string): Promise<{ t: CachedTrigger; name: CachedName }> {
    const n = this.#names.get(name) ?? await this.#loadName(name);
    const t = await this.byId(n.id);
    // The record was renamed after the name was read: the name's check fails; read afresh.
    if (t.rec.name !== name) {
      this.forget(n.id, name);
      const again = await this.#loadName(name);
      return { t: await this.byId(again.id), name: again };
    }
    return { t, name: n };
  }

  #loadName(name: string): Promise<CachedName> {
    let p = this.#loadingNames.get(name);
    if (!p) {
      p = (async () => {
        const miss = new NotFoundError(`No trigger named "${name}"`);
        // No stored name is longer; a longer one would only make KV refuse the key.
        if (name.length > MAX_NAME_LENGTH) throw miss;
        const e = await retryLocked(() => this.#kv.get<string>(keys.triggerName(name)));
        if (e.value === null || e.versionstamp === null) throw miss;
        const n = { id: e.value, stamp: e.versionstamp };
        if (this.#loadingNames.get(name) === p) put(this.#names, name, n);
        return n;
      })().finally(() => {
        if (this.#loadingNames.get(name) === p) this.#loadingNames.delete(name);
      });
      this.#loadingNames.set(name, p);
    }
    return p;
  }

  /** Drops what is cached of `id` (and of `name`), including loads in progress. */
  forget(id: string, name?: string): void {
    const t = this.#defs.get(id);
    this.#defs.delete(id);
    this.#loading.delete(id);
    for (const n of [name, t?.rec.name]) {
      if (n === undefined) continue;
      this.#names.delete(n);
      this.#loadingNames.delete(n);
    }
  }

  /** How many definitions are cached (tests, metrics). */
  get size(): number {
    return this.#defs.size;
  }
}

function put<V>(m: Map<string, V>, k: string, v: V): void {
  m.delete(k);
  m.set(k, v);
  if (m.size > MAX_ENTRIES) m.delete(m.keys().next().value!);
}
