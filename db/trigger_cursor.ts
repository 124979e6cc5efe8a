/**
 * The opaque cursor of trigger listings: base64url JSON of the sort, the order, and the last
 * item's sort value and id. Checked on the way in: garbage, another sort's cursor or an
 * over-long one is a 400, never a 500.
 */
import { ValidationError } from "../core/errors.ts";
import type { TriggerRecord } from "../core/schemas.ts";
import { isUlid } from "../core/ulid.ts";

/** A position in a sort order: the sort value (null sorts last) and the id breaking ties. */
export interface Item {
  id: string;
  v: string | number | null;
  rec?: TriggerRecord;
}

/** Orders items by value then id, in `order`; items without a value come last either way. */
export function itemCompare(order: "asc" | "desc"): (a: Item, b: Item) => number {
  const dir = order === "asc" ? 1 : -1;
  return (a, b) => {
    if (a.v === null && b.v !== null) return 1;
    if (b.v === null && a.v !== null) return -1;
    if (a.v !== null && b.v !== null && a.v !== b.v) return (a.v < b.v ? -1 : 1) * dir;
    return a.id === b.id ? 0 : (a.id < b.id ? -1 : 1) * dir;
  };
}

function b64url(s: string): string {
  const bytes = new TextEncoder().encode(s);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The cursor after `it` in the given sort and order. */
export function encodeCursor(sort: string, order: string, it: Item): string {
  return b64url(JSON.stringify([sort, order, it.v, it.id]));
}

function invalid(message: string): ValidationError {
  return new ValidationError("Invalid cursor", [{ path: "cursor", message }]);
}

/** The position a cursor stands for; ValidationError unless it is one of ours for this sort. */
export function decodeCursor(cursor: string, sort: string, order: string): Item {
  let parsed: unknown;
  try {
    const bin = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw invalid("Not a cursor from this API");
  }
  if (!Array.isArray(parsed) || parsed.length !== 4) throw invalid("Not a cursor from this API");
  const [s, o, v, id] = parsed;
  if (s !== sort || o !== order) throw invalid(`A cursor of another sort (${s} ${o})`);
  const vOk = sort === "name"
    ? typeof v === "string"
    : sort === "createdAt"
    ? v === null
    : v === null || (typeof v === "number" && Number.isFinite(v));
  if (!vOk || typeof id !== "string" || !isUlid(id)) throw invalid("Not a cursor from this API");
  return { id, v };
}

/**
 * The first `k` items after `after` in `cmp` order, without sorting the whole set: a buffer
 * of the best candidates is cut back to `k` whenever it doubles, so a first page out of
 * 100,000 items costs one pass and a few small sorts rather than a full sort. `each` calls
 * `visit` per candidate; one probe object is reused, so a rejected candidate allocates nothing.
 */
export function firstAfter(
  each: (visit: (id: string, v: Item["v"], rec?: TriggerRecord) => void) => void,
  cmp: (a: Item, b: Item) => number,
  after: Item | null,
  k: number,
): Item[] {
  let buf: Item[] = [];
  let worst: Item | null = null; // the k-th best so far, once the buffer has been cut
  const probe: Item = { id: "", v: null };
  each((id, v, rec) => {
    probe.id = id;
    probe.v = v;
    if (after && cmp(probe, after) <= 0) return;
    if (worst && cmp(probe, worst) >= 0) return;
    buf.push(rec ? { id, v, rec } : { id, v });
    if (buf.length >= 2 * k + 64) {
      buf = buf.sort(cmp).slice(0, k);
      worst = buf[k - 1];
    }
  });
  return buf.sort(cmp).slice(0, k);
}

/** The items of `items` for firstAfter. */
export const eachItem =
  (items: Item[]) => (visit: (id: string, v: Item["v"], rec?: TriggerRecord) => void) =>
    items.forEach((it) => visit(it.id, it.v, it.rec));
