// @ts-check
// The triggers list as a hook: pages read from the server for the current query (search,
// tags, status, sort), "load more" along its cursor, and kept current by live events: trigger
// changes (made anywhere) apply at once; firings refresh the rows they touched.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { api } from "./api.js";
import { problemText } from "./errors.js";
import { useFired, useResync, useTriggerChange } from "./live.js";
import { applyChange, listQuery } from "./trigger_query.js";

/** @typedef {import("./api.js").Trigger} Trigger */
/** @typedef {import("./trigger_query.js").TriggerQuery} TriggerQuery */
/** @typedef {import("./trigger_query.js").ListState} ListState */

/** Triggers per request: a page of the table. */
export const PAGE = 100;
/** The API's own ceiling on `limit`. */
const MAX_LIMIT = 500;
/** A safety net only: live events keep the list current, so polling is rare. */
const POLL_MS = 60_000;
/** Rows touched by firings are re-read one by one up to this many; beyond, the list reloads. */
const REREAD_MAX = 20;

/**
 * Read at least `count` triggers from the start (fewer when there are fewer), page by page.
 * @param {number} count
 * @param {Record<string, string | string[]>} query
 * @returns {Promise<Omit<ListState, "pinned">>}
 */
async function readFirst(count, query) {
  /** @type {Trigger[]} */
  const items = [];
  /** @type {string | null} */
  let cursor = null;
  /** @type {number | undefined} */
  let total;
  do {
    const limit = String(Math.min(MAX_LIMIT, Math.max(1, count - items.length)));
    const res = await api.listTriggers(cursor ? { ...query, limit, cursor } : { ...query, limit });
    items.push(...res.items);
    cursor = res.nextCursor;
    if (typeof res.total === "number") total = res.total;
  } while (cursor && items.length < count);
  return { items, nextCursor: cursor, total };
}

/**
 * @param {TriggerQuery} query
 * @param {(text: string, kind?: string) => void} notify
 */
export function useTriggerList(query, notify) {
  const [list, setList] = useState(/** @type {ListState | null} */ (null));
  const [error, setError] = useState("");
  const [moreBusy, setMoreBusy] = useState(false);
  const loaded = useRef(PAGE); // how many the person has paged to; a reload re-reads as many
  const seq = useRef(0); // a newer read makes every older answer moot
  const current = useRef(query);
  current.current = query;
  const key = JSON.stringify(listQuery(query));

  const load = useCallback(async () => {
    const mine = ++seq.current;
    try {
      const res = await readFirst(loaded.current, listQuery(current.current));
      if (mine !== seq.current) return;
      const ids = new Set(res.items.map((t) => t.id));
      // Pinned until a page holds them, or until the whole list is read without them.
      setList((l) => ({
        ...res,
        pinned: res.nextCursor ? (l?.pinned || []).filter((t) => !ids.has(t.id)) : [],
      }));
      setError("");
    } catch (err) {
      if (mine === seq.current) setError(problemText(err));
    }
  }, []);

  useEffect(() => {
    loaded.current = PAGE;
    setList(null);
    load();
  }, [key]);
  useEffect(() => {
    const poll = setInterval(() => document.hidden || load(), POLL_MS);
    return () => clearInterval(poll);
  }, [load]);

  const reloadTimer = useRef(/** @type {ReturnType<typeof setTimeout> | undefined} */ (undefined));
  const reloadSoon = useCallback(() => {
    clearTimeout(reloadTimer.current);
    reloadTimer.current = setTimeout(load, 500);
  }, [load]);
  useResync(reloadSoon);

  useTriggerChange(useCallback((/** @type {import("./live.js").TriggerChange} */ c) => {
    let unplaced = false;
    setList((l) => {
      if (!l) return l;
      const r = applyChange(l, c.action, c.trigger, current.current);
      unplaced = r.unplaced;
      return r.list;
    });
    if (unplaced) reloadSoon();
  }, [reloadSoon]));

  // Firings change runCount, lastRunAt and nextRunAt, which trigger events do not carry:
  // re-read the rows that fired, coalescing bursts.
  const firedIds = useRef(/** @type {Set<string>} */ (new Set()));
  const rereadTimer = useRef(/** @type {ReturnType<typeof setTimeout> | undefined} */ (undefined));
  const shownIds = useRef(/** @type {Set<string>} */ (new Set()));
  shownIds.current = new Set([...(list?.pinned || []), ...(list?.items || [])].map((t) => t.id));
  useFired(useCallback((/** @type {import("./api.js").LogEntry} */ e) => {
    if (!e.triggerId || !shownIds.current.has(e.triggerId)) return;
    firedIds.current.add(e.triggerId);
    clearTimeout(rereadTimer.current);
    rereadTimer.current = setTimeout(async () => {
      const ids = [...firedIds.current];
      firedIds.current.clear();
      if (ids.length > REREAD_MAX) return load();
      const fresh = await Promise.all(ids.map((id) => api.getTrigger(id).catch(() => null)));
      /** @type {Map<string, Trigger>} */
      const byId = new Map();
      for (const t of fresh) if (t) byId.set(t.id, t);
      const swap = (/** @type {Trigger[]} */ xs) => xs.map((x) => byId.get(x.id) || x);
      setList((l) => l && { ...l, items: swap(l.items), pinned: swap(l.pinned) });
    }, 400);
  }, [load]));
  useEffect(() => () => {
    clearTimeout(reloadTimer.current);
    clearTimeout(rereadTimer.current);
  }, []);

  const more = useCallback(async () => {
    const cursor = list?.nextCursor;
    if (!cursor || moreBusy) return;
    const mine = seq.current;
    setMoreBusy(true);
    try {
      const res = await api.listTriggers({
        ...listQuery(current.current),
        limit: String(PAGE),
        cursor,
      });
      if (mine !== seq.current) return;
      const ids = new Set(res.items.map((t) => t.id));
      setList((l) => {
        const have = new Set((l?.items || []).map((t) => t.id));
        const items = [...(l?.items || []), ...res.items.filter((t) => !have.has(t.id))];
        loaded.current = items.length;
        return {
          items,
          nextCursor: res.nextCursor,
          total: res.total ?? l?.total,
          pinned: (l?.pinned || []).filter((t) => !ids.has(t.id)),
        };
      });
    } catch (err) {
      notify(`Load more: ${problemText(err)}`, "error");
    } finally {
      setMoreBusy(false);
    }
  }, [list?.nextCursor, moreBusy, notify]);

  /** Apply a change made from this tab at once (its live event follows and is idempotent). */
  const applyLocal = useCallback(
    (/** @type {"created" | "updated" | "deleted"} */ action, /** @type {Trigger} */ t) => {
      setList((l) => l && applyChange(l, action, t, current.current).list);
    },
    [],
  );

  return { list, error, more, moreBusy, reload: load, applyLocal };
}
