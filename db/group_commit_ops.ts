/**
 * The recording half of the group committer: a stand-in for `Deno.AtomicOperation` that records
 * one writer's calls (sizing them before they join a batch), and the merge that replays several
 * writers' records into one real operation.
 */

/**
 * One recorded call on an operation. `id` (`ids` of a mutate, `pairs` of a check) is `keyId`
 * of its key(s), computed once when recorded: batching (conflicts) and merging both compare
 * keys, each of them per member.
 */
export type Rec =
  | { kind: "set"; key: Deno.KvKey; id: string; value: unknown; options?: { expireIn?: number } }
  | { kind: "delete"; key: Deno.KvKey; id: string }
  | { kind: "sum" | "min" | "max"; key: Deno.KvKey; id: string; n: bigint }
  | { kind: "check"; checks: Deno.AtomicCheck[]; pairs: string[] }
  | { kind: "mutate"; mutations: Deno.KvMutation[]; ids: string[] }
  | {
    kind: "enqueue";
    value: unknown;
    options?: { delay?: number; keysIfUndelivered?: Deno.KvKey[]; backoffSchedule?: number[] };
  };

const NON_ASCII = /[^ -~]/; // anything outside printable ASCII may take more bytes
const encoder = new TextEncoder();
const U64 = (1n << 64n) - 1n;

/** Upper bound of a key's encoded size (tuple encoding adds a byte or two per part). */
export function keySize(key: Deno.KvKey): number {
  let n = 0;
  for (const part of key) {
    if (typeof part === "string") {
      n += 2 + (NON_ASCII.test(part) ? encoder.encode(part).length : part.length);
    } else if (part instanceof Uint8Array) n += 2 + part.length;
    else n += 10; // number, bigint, boolean
  }
  return n;
}

/** A string that is equal for equal keys and different for different ones. */
export function keyId(key: Deno.KvKey): string {
  for (const part of key) if (typeof part !== "string") return taggedKeyId(key);
  return JSON.stringify(key); // the common case, and native: starts with "["
}

function taggedKeyId(key: Deno.KvKey): string {
  let id = "\u0000";
  for (const part of key) {
    if (typeof part === "string") id += `s${JSON.stringify(part)}\u0000`;
    else if (part instanceof Uint8Array) id += `u${part.join(",")}\u0000`;
    else id += `${(typeof part)[0]}${String(part)}\u0000`;
  }
  return id;
}

/**
 * Records what a writer adds, so its size is known before it joins a batch and its calls
 * can be replayed into whichever commit carries it.
 */
export class Recorder {
  recs: Rec[] = [];
  mutations = 0;
  checks = 0;
  keyBytes = 0;
  /** Ids of the keys checked, in order. */
  checkIds: string[] = [];
  /** Each check as versionstamp and key id: equal checks of several writers count once. */
  checkPairs: string[] = [];
  /** Ids of the keys written (enqueues write none of their own). */
  writeIds: string[] = [];

  check(...checks: Deno.AtomicCheck[]): this {
    const pairs: string[] = [];
    for (const c of checks) {
      this.keyBytes += keySize(c.key);
      const id = keyId(c.key);
      this.checkIds.push(id);
      pairs.push(`${c.versionstamp}\u0001${id}`);
    }
    this.checks += checks.length;
    this.checkPairs.push(...pairs);
    this.recs.push({ kind: "check", checks, pairs });
    return this;
  }
  mutate(...mutations: Deno.KvMutation[]): this {
    for (const m of mutations) this.keyBytes += keySize(m.key);
    this.mutations += mutations.length;
    const ids = mutations.map((m) => keyId(m.key));
    this.writeIds.push(...ids);
    this.recs.push({ kind: "mutate", mutations, ids });
    return this;
  }
  sum(key: Deno.KvKey, n: bigint): this {
    return this.#keyed({ kind: "sum", key, id: keyId(key), n });
  }
  min(key: Deno.KvKey, n: bigint): this {
    return this.#keyed({ kind: "min", key, id: keyId(key), n });
  }
  max(key: Deno.KvKey, n: bigint): this {
    return this.#keyed({ kind: "max", key, id: keyId(key), n });
  }
  set(key: Deno.KvKey, value: unknown, options?: { expireIn?: number }): this {
    return this.#keyed({ kind: "set", key, id: keyId(key), value, options });
  }
  delete(key: Deno.KvKey): this {
    return this.#keyed({ kind: "delete", key, id: keyId(key) });
  }
  enqueue(
    value: unknown,
    options?: { delay?: number; keysIfUndelivered?: Deno.KvKey[]; backoffSchedule?: number[] },
  ): this {
    for (const k of options?.keysIfUndelivered ?? []) this.keyBytes += keySize(k);
    this.mutations++;
    this.recs.push({ kind: "enqueue", value, options });
    return this;
  }
  commit(): never {
    throw new Error("A grouped write is committed by its GroupCommitter, not by itself");
  }
  #keyed(r: Rec & { key: Deno.KvKey; id: string }): this {
    this.keyBytes += keySize(r.key);
    this.mutations++;
    this.writeIds.push(r.id);
    this.recs.push(r);
    return this;
  }
}

function apply(op: Deno.AtomicOperation, r: Rec): void {
  switch (r.kind) {
    case "set":
      op.set(r.key, r.value, r.options);
      break;
    case "delete":
      op.delete(r.key);
      break;
    case "sum":
      op.sum(r.key, r.n);
      break;
    case "min":
      op.min(r.key, r.n);
      break;
    case "max":
      op.max(r.key, r.n);
      break;
    case "check":
      op.check(...r.checks);
      break;
    case "mutate":
      op.mutate(...r.mutations);
      break;
    case "enqueue":
      op.enqueue(r.value, r.options);
      break;
  }
}

/**
 * Builds one operation from several writers' calls, merging what lands on the same key: the
 * sums of a key become one sum, its maxima one max, its minima one min, and of several sets of
 * a key only the last is kept. A key touched in more than one way keeps every call, in order.
 * The committed state is the same (a commit is applied as a whole); KV just does less work,
 * which matters because many firings of one trigger all bump that trigger's counters.
 */
export function buildMerged(op: Deno.AtomicOperation, recLists: Rec[][]): void {
  if (recLists.length === 1) {
    for (const r of recLists[0]) apply(op, r);
    return;
  }
  /** Per key: the merged call, or null once the key is touched in mixed ways. */
  const merged = new Map<string, Rec | null>();
  /** Checks already added: many writers checking one key at one versionstamp check it once. */
  const checks = new Set<string>();
  let asRecorded = false;
  for (const list of recLists) {
    for (const r of list) {
      if (r.kind === "check" || r.kind === "enqueue" || r.kind === "mutate") {
        if (r.kind === "mutate") { for (const id of r.ids) merged.set(id, null); }
        asRecorded = true;
        continue;
      }
      const id = r.id;
      const prev = merged.get(id);
      if (prev === undefined) {
        merged.set(id, r.kind === "sum" || r.kind === "min" || r.kind === "max" ? { ...r } : r);
      } else if (prev === null || prev.kind !== r.kind || r.kind === "delete") {
        merged.set(id, null);
        asRecorded = true;
      } else if (r.kind === "set") {
        merged.set(id, r);
      } else {
        const p = prev as { n: bigint };
        if (r.kind === "sum") p.n = (p.n + r.n) & U64;
        else if (r.kind === "max") p.n = r.n > p.n ? r.n : p.n;
        else p.n = r.n < p.n ? r.n : p.n;
      }
    }
  }
  for (const r of merged.values()) if (r !== null) apply(op, r);
  if (!asRecorded) return;
  // Checks, enqueues, raw mutations and keys touched in mixed ways go in as recorded, in order.
  for (const list of recLists) {
    for (const r of list) {
      if (r.kind === "check") {
        for (let i = 0; i < r.checks.length; i++) {
          if (checks.has(r.pairs[i])) continue;
          checks.add(r.pairs[i]);
          op.check(r.checks[i]);
        }
      } else if (r.kind === "enqueue" || r.kind === "mutate") apply(op, r);
      else if (merged.get(r.id) === null) apply(op, r);
    }
  }
}
