// @ts-check
// The logs view's list rules, as pure functions: which live firings belong in it, how it stays
// bounded, how rows age out of the Active tab, and how its filters live in the URL.
import { ulidTime } from "./format.js";

/** @typedef {import("./api.js").LogEntry} LogEntry */
/**
 * What the logs view shows; every field is kept in the URL (`#/logs?tab=archived&…`).
 * `since`/`until` are ISO instants (inclusive/exclusive, as the API takes them) or "".
 * @typedef {{
 *   tab: "active" | "archived", trigger: string, source: string, outcome: string,
 *   since: string, until: string
 * }} LogFilter
 */
/**
 * Where older rows come from: the API's cursor, under an `until` of our own once live rows
 * pushed the bottom of the list out (the listing's own cursor then points past rows we dropped).
 * @typedef {{ cursor: string | null, until?: string }} Older
 */

/** Rows the list holds at most; live firings push the oldest out (they stay a click away). */
export const MAX_ROWS = 500;

/** @type {LogFilter} */
export const NO_FILTER = {
  tab: "active",
  trigger: "",
  source: "",
  outcome: "",
  since: "",
  until: "",
};
const KEYS = /** @type {(keyof LogFilter)[]} */ (Object.keys(NO_FILTER));

/**
 * The filter a `#/logs?…` hash describes; unknown keys and values are ignored.
 * @param {string} hash
 * @returns {LogFilter}
 */
export function filterFromHash(hash) {
  const q = new URLSearchParams(hash.split("?")[1] || "");
  /** @type {LogFilter} */
  const f = { ...NO_FILTER };
  for (const k of KEYS) {
    const v = q.get(k);
    if (v === null) continue;
    if (k === "tab") f.tab = v === "archived" ? "archived" : "active";
    else if ((k === "since" || k === "until") && Number.isNaN(Date.parse(v))) continue;
    else f[k] = v;
  }
  return f;
}

/**
 * The hash for a filter: only what differs from the default, so a plain visit stays `#/logs`.
 * @param {LogFilter} f
 */
export function hashFor(f) {
  const q = new URLSearchParams();
  for (const k of KEYS) if (f[k] !== NO_FILTER[k]) q.set(k, f[k]);
  const s = q.toString();
  return s ? `#/logs?${s}` : "#/logs";
}

/**
 * The API query for a filter (the tab is the `state`).
 * @param {LogFilter} f
 * @param {number} limit
 * @returns {Record<string, string>}
 */
export function queryFor(f, limit) {
  /** @type {Record<string, string>} */
  const q = { state: f.tab, limit: String(limit) };
  for (const k of /** @type {const} */ (["trigger", "source", "outcome", "since", "until"])) {
    if (f[k]) q[k] = f[k];
  }
  return q;
}

/**
 * Whether a live firing belongs in the list shown (new firings are always active).
 * @param {LogEntry} entry
 * @param {LogFilter} f
 */
export function matchesLive(entry, f) {
  if (f.tab !== "active") return false;
  if (f.trigger && entry.triggerId !== f.trigger && entry.triggerName !== f.trigger) return false;
  if (f.source && entry.source !== f.source) return false;
  if (f.outcome && entry.outcome !== f.outcome) return false;
  const t = ulidTime(entry.id);
  if (f.since && t < Date.parse(f.since)) return false;
  if (f.until && t >= Date.parse(f.until)) return false;
  return true;
}

/**
 * Put a live firing on top, keeping at most `max` rows. When rows fall off the bottom, older
 * pages are read below the oldest row kept (an `until` one ms past it; duplicates are dropped
 * when they arrive).
 * @param {LogEntry[]} items newest first
 * @param {LogEntry} entry
 * @param {Older | null} older
 * @param {number} [max]
 * @returns {{ items: LogEntry[], older: Older | null }}
 */
export function prependLive(items, entry, older, max = MAX_ROWS) {
  if (items.some((x) => x.id === entry.id)) return { items, older };
  const all = [entry, ...items];
  if (all.length <= max) return { items: all, older };
  const kept = all.slice(0, max);
  const oldest = kept[kept.length - 1];
  return {
    items: kept,
    older: { cursor: null, until: new Date(ulidTime(oldest.id) + 1).toISOString() },
  };
}

/**
 * Append an older page, skipping rows already shown.
 * @param {LogEntry[]} items
 * @param {LogEntry[]} page
 */
export function appendOlder(items, page) {
  const have = new Set(items.map((e) => e.id));
  return [...items, ...page.filter((e) => !have.has(e.id))];
}

/**
 * The Active tab without the rows that have aged into Archived. State counts from each id's
 * instant alone, so every row no newer than the newest archived entry is archived too.
 * @param {LogEntry[]} items
 * @param {string} newestArchivedId
 */
export function withoutAged(items, newestArchivedId) {
  const boundary = ulidTime(newestArchivedId);
  return items.filter((e) => ulidTime(e.id) > boundary);
}

/**
 * The ids marked as arrived live, with `id` added and only the newest `max` kept: the marks
 * matter for rows on screen, and a tab left open through a burst must not keep them all.
 * @param {Set<string>} ids
 * @param {string} id
 * @param {number} [max]
 */
export function markFresh(ids, id, max = MAX_ROWS) {
  const next = new Set(ids).add(id);
  for (const old of next) {
    if (next.size <= max) break;
    next.delete(old);
  }
  return next;
}
