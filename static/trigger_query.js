// @ts-check
// The triggers view's state as pure functions: the route (#/triggers, #/triggers/<id>, #/logs),
// the list's search/filter/sort kept in the URL, the API query it makes, and whether a trigger
// changed live still belongs in the list shown.

/** @typedef {import("./api.js").Trigger} Trigger */
/**
 * What the triggers list shows; every field lives in the URL (`#/triggers?q=…&tag=a&tag=b`).
 * @typedef {{
 *   q: string, tags: string[], status: "" | "active" | "paused" | "completed",
 *   type: "" | "scheduled" | "api", sort: SortKey, order: "asc" | "desc"
 * }} TriggerQuery
 */
/** @typedef {"createdAt" | "name" | "nextRunAt" | "lastRunAt"} SortKey */
/**
 * @typedef {{ view: "triggers" } | { view: "logs" } | { view: "trigger", id: string }} Route
 */

/** @type {[SortKey, string][]} */
export const SORTS = [
  ["createdAt", "Created"],
  ["name", "Name"],
  ["nextRunAt", "Next run"],
  ["lastRunAt", "Last run"],
];
const SORT_KEYS = SORTS.map(([k]) => k);
const STATUSES = ["active", "paused", "completed"];
/** The API's rule for a tag; the form checks it before sending. */
export const TAG_RE = /^[a-z0-9_.:/-]{1,64}$/;
/** The API's cap on tags per trigger. */
export const MAX_TAGS = 16;

/** @type {TriggerQuery} */
export const NO_QUERY = { q: "", tags: [], status: "", type: "", sort: "createdAt", order: "asc" };

/**
 * The view a hash names; anything unknown is the triggers list.
 * @param {string} hash
 * @returns {Route}
 */
export function routeOf(hash) {
  const path = hash.replace(/^#/, "").split("?")[0];
  if (path.startsWith("/logs")) return { view: "logs" };
  const m = /^\/triggers\/([^/]+)$/.exec(path);
  if (m) return { view: "trigger", id: decodeURIComponent(m[1]) };
  return { view: "triggers" };
}

/**
 * The list query a `#/triggers?…` hash describes; unknown keys and values are ignored.
 * @param {string} hash
 * @returns {TriggerQuery}
 */
export function queryFromHash(hash) {
  const p = new URLSearchParams(hash.split("?")[1] || "");
  /** @type {TriggerQuery} */
  const q = { ...NO_QUERY, tags: [] };
  q.q = p.get("q") || "";
  q.tags = parseTags(p.getAll("tag").join(",")).tags;
  const status = p.get("status") || "";
  if (STATUSES.includes(status)) q.status = /** @type {TriggerQuery["status"]} */ (status);
  const type = p.get("type") || "";
  if (type === "scheduled" || type === "api") q.type = type;
  const sort = /** @type {SortKey} */ (p.get("sort") || "");
  if (SORT_KEYS.includes(sort)) q.sort = sort;
  if (p.get("order") === "desc") q.order = "desc";
  return q;
}

/**
 * The hash for a query: only what differs from the default, so a plain visit stays `#/triggers`.
 * @param {TriggerQuery} q
 */
export function hashOfQuery(q) {
  const p = new URLSearchParams();
  if (q.q) p.set("q", q.q);
  for (const t of q.tags) p.append("tag", t);
  if (q.status) p.set("status", q.status);
  if (q.type) p.set("type", q.type);
  if (q.sort !== NO_QUERY.sort) p.set("sort", q.sort);
  if (q.order !== NO_QUERY.order) p.set("order", q.order);
  const s = p.toString();
  return s ? `#/triggers?${s}` : "#/triggers";
}

/**
 * The GET /api/triggers query for a list query (without limit and cursor).
 * @param {TriggerQuery} q
 * @returns {Record<string, string | string[]>}
 */
export function listQuery(q) {
  // The default order is the listing's own (creation order), so it is not spelled out.
  /** @type {Record<string, string | string[]>} */
  const out = {};
  if (q.sort !== NO_QUERY.sort || q.order !== NO_QUERY.order) {
    out.sort = q.sort;
    out.order = q.order;
  }
  if (q.q.trim()) out.q = q.q.trim();
  if (q.tags.length) out.tag = q.tags;
  if (q.status) out.status = q.status;
  if (q.type) out.type = q.type;
  return out;
}

/**
 * The `filter` of POST /api/triggers/bulk that selects what the list query matches.
 * @param {TriggerQuery} q
 */
export function bulkFilter(q) {
  /** @type {{ q?: string, tag?: string[], status?: string, type?: string }} */
  const f = {};
  if (q.q.trim()) f.q = q.q.trim();
  if (q.tags.length) f.tag = q.tags;
  if (q.status) f.status = q.status;
  if (q.type) f.type = q.type;
  return f;
}

/**
 * Tags typed as text ("billing, nightly"): the list, and the ones the API would refuse.
 * @param {string} text
 * @returns {{ tags: string[], invalid: string[] }}
 */
export function parseTags(text) {
  /** @type {string[]} */
  const tags = [];
  /** @type {string[]} */
  const invalid = [];
  for (const raw of text.split(/[\s,]+/)) {
    const t = raw.trim().toLowerCase();
    if (!t) continue;
    if (!TAG_RE.test(t)) invalid.push(raw.trim());
    else if (!tags.includes(t)) tags.push(t);
  }
  return { tags, invalid };
}

/**
 * Whether a trigger belongs in the list a query shows, judged in the browser for live changes
 * (the same rules as the server: case-insensitive name substring, every tag, status, type).
 * @param {Trigger} t
 * @param {TriggerQuery} q
 */
export function matchesQuery(t, q) {
  if (q.q.trim() && !t.name.toLowerCase().includes(q.q.trim().toLowerCase())) return false;
  const tags = t.tags || [];
  if (q.tags.some((tag) => !tags.includes(tag))) return false;
  if (q.status && t.status !== q.status) return false;
  if (q.type && t.type !== q.type) return false;
  return true;
}

/**
 * The loaded list: server pages (`items`), triggers created live that no loaded page holds yet
 * (`pinned`, shown on top until a reload places them), and the server's matching count.
 * @typedef {{ items: Trigger[], pinned: Trigger[], nextCursor: string | null, total?: number | null }} ListState
 */

/**
 * A live `trigger` event applied to the loaded list: an update replaces its row in place (or
 * drops it when it no longer matches), a deletion drops it, a matching creation is pinned on
 * top. `unplaced` says no loaded row holds the trigger changed: only a reload can place it and
 * keep `total` exact.
 * @param {ListState} list
 * @param {"created" | "updated" | "deleted"} action
 * @param {Trigger} t
 * @param {TriggerQuery} q
 * @returns {{ list: ListState, unplaced: boolean }}
 */
export function applyChange(list, action, t, q) {
  const matches = action !== "deleted" && matchesQuery(t, q);
  const known = list.items.find((x) => x.id === t.id) || list.pinned.find((x) => x.id === t.id);
  const total = (/** @type {number} */ delta) =>
    typeof list.total === "number" ? Math.max(0, list.total + delta) : list.total;
  if (!known) {
    if (action === "created" && matches) {
      return { list: { ...list, pinned: [t, ...list.pinned], total: total(1) }, unplaced: false };
    }
    // Not loaded: whether it counted in `total` before is unknown (a deletion this tab already
    // applied, a trigger just entering the filter), so only a reload can say.
    return { list, unplaced: action !== "created" };
  }
  // An older version arriving late (another instance's event) never overwrites a newer one.
  if (action !== "deleted" && (known.version ?? 0) > (t.version ?? 0)) {
    return { list, unplaced: false };
  }
  if (!matches) {
    const drop = (/** @type {Trigger[]} */ xs) => xs.filter((x) => x.id !== t.id);
    return {
      list: { ...list, items: drop(list.items), pinned: drop(list.pinned), total: total(-1) },
      unplaced: false,
    };
  }
  const swap = (/** @type {Trigger[]} */ xs) => xs.map((x) => (x.id === t.id ? t : x));
  return { list: { ...list, items: swap(list.items), pinned: swap(list.pinned) }, unplaced: false };
}
