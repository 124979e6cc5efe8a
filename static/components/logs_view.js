// @ts-check
// Firings, newest first, arriving live over SSE; tabs, filters (kept in the URL), stats and a
// per-minute chart. The list holds at most MAX_ROWS rows; older ones load on demand.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { markup } from "../markup.js";
import { api } from "../api.js";
import { problemText } from "../errors.js";
import { useFired, useResync } from "../live.js";
import {
  appendOlder,
  filterFromHash,
  hashFor,
  markFresh,
  matchesLive,
  prependLive,
  queryFor,
  withoutAged,
} from "../log_list.js";
import { LogTable } from "./log_table.js";
import { StatsTable, TOP } from "./stats_table.js";
import { FiringsCard } from "./firings_card.js";
import { useReadyMark } from "../perf.js";
import { LogFilters } from "./log_filters.js";

/** @typedef {import("../api.js").LogEntry} LogEntry */
/** @typedef {import("../api.js").Stats} Stats */
/** @typedef {import("../log_list.js").LogFilter} LogFilter */
/** @typedef {import("../log_list.js").Older} Older */
/** @typedef {{ items: LogEntry[] | null, older: Older | null, error: string }} ListState */

const PAGE = 50;
const PENDING_POLL_MS = 2000;
/** How often rows are checked for having aged between Active and Archived. */
const AGE_CHECK_MS = 20_000;
/** @type {[LogFilter["tab"], string][]} */
const TABS = [["active", "Active"], ["archived", "Archived"]];

/** @param {{ notify: (text: string, kind?: string) => void }} props */
export function LogsView({ notify }) {
  const [filter, setFilter] = useState(() => filterFromHash(location.hash));
  const [page, setPage] = useState(
    /** @type {ListState} */ ({ items: null, older: null, error: "" }),
  );
  const [fresh, setFresh] = useState(() => /** @type {Set<string>} */ (new Set()));
  const [stats, setStats] = useState({ value: /** @type {Stats | null} */ (null), error: "" });
  const [names, setNames] = useState(() => /** @type {Map<string, string>} */ (new Map()));
  const [busyId, setBusyId] = useState(/** @type {string | null} */ (null));
  // On a phone the firings matter most: the per-trigger counts start folded away.
  const [statsOpen] = useState(() => !matchMedia("(max-width: 760px)").matches);
  const [generation, setGeneration] = useState(0); // bumped to reload after a reconnect
  /** @type {import("preact").RefObject<ReturnType<typeof setTimeout>>} */
  const statsTimer = useRef(null);
  const current = useRef(filter);
  current.current = filter;

  // The filters live in the URL: a reload, a bookmark or a shared link shows the same list.
  useEffect(() => {
    const hash = hashFor(filter);
    if (location.hash !== hash) history.replaceState(null, "", hash);
  }, [filter]);

  // Firings that arrive while a listing is loading are kept and merged into it, so none is lost
  // between the listing's read and the stream's next event.
  const early = useRef(/** @type {LogEntry[]} */ ([]));
  useEffect(() => {
    let stale = false;
    early.current = [];
    setPage((p) => ({ ...p, items: null, error: "" }));
    api.logs(queryFor(filter, PAGE)).then(
      (res) => {
        if (stale) return;
        /** @type {{ items: LogEntry[], older: Older | null }} */
        let list = { items: res.items, older: res.nextCursor ? { cursor: res.nextCursor } : null };
        for (const e of early.current) list = prependLive(list.items, e, list.older);
        early.current = [];
        setPage({ ...list, error: "" });
      },
      (err) => stale || setPage({ items: [], older: null, error: problemText(err) }),
    );
    return () => void (stale = true);
  }, [filter, generation]);

  // The top rows only, unless every row was asked for (see StatsTable).
  const [statsAll, setStatsAll] = useState(false);
  const statsAllNow = useRef(false);
  const loadStats = useCallback(() => {
    api.stats({ top: statsAllNow.current ? undefined : TOP }).then(
      (value) => setStats({ value, error: "" }),
      (err) => setStats({ value: null, error: problemText(err) }),
    );
  }, []);
  const showAllStats = useCallback((/** @type {boolean} */ all) => {
    statsAllNow.current = all;
    setStatsAll(all);
    loadStats();
  }, [loadStats]);

  useEffect(() => {
    loadStats();
    // Names for the trigger filter: the first page of triggers, and the stats' rows (the
    // busiest, or every trigger with logs once all are shown).
    api.listTriggers({ limit: "500" }).then(
      (res) => setNames(new Map(res.items.map((t) => [t.id, t.name]))),
      (err) => notify(`Trigger names: ${problemText(err)}`, "error"),
    );
    return () => void (statsTimer.current && clearTimeout(statsTimer.current));
  }, []);

  useResync(useCallback(() => {
    setGeneration((g) => g + 1);
    loadStats();
  }, [loadStats]));

  useFired(useCallback((/** @type {LogEntry} */ entry) => {
    if (matchesLive(entry, current.current)) {
      setPage((p) => {
        if (!p.items) {
          early.current.push(entry);
          return p;
        }
        return { ...p, ...prependLive(p.items, entry, p.older) };
      });
      setFresh((s) => markFresh(s, entry.id));
    }
    if (statsTimer.current) clearTimeout(statsTimer.current);
    statsTimer.current = setTimeout(loadStats, 300);
  }, [loadStats]));

  // Rows age: out of Active once the newest archived entry is as old as they are, into
  // Archived as the first page of that tab gains them.
  useEffect(() => {
    const timer = setInterval(async () => {
      const f = current.current;
      try {
        if (f.tab === "active") {
          const res = await api.logs({ state: "archived", limit: "1" });
          const newest = res.items[0];
          if (newest) {
            setPage((p) => (p.items ? { ...p, items: withoutAged(p.items, newest.id) } : p));
          }
        } else {
          const res = await api.logs(queryFor(f, PAGE));
          setPage((p) => {
            if (!p.items || current.current !== f) return p;
            const have = new Set(p.items.map((e) => e.id));
            const top = p.items[0]?.id ?? "";
            const moved = res.items.filter((e) => !have.has(e.id) && e.id > top);
            return moved.length ? { ...p, items: [...moved, ...p.items] } : p;
          });
        }
      } catch { /* the stale banner and the next check cover an unreachable server */ }
    }, AGE_CHECK_MS);
    return () => clearInterval(timer);
  }, []);

  // Webhook outcomes settle after the firing: re-read entries still pending until they do.
  const pendingIds = (page.items || []).filter((e) => e.outcome === "pending").map((e) => e.id)
    .slice(0, 20);
  useEffect(() => {
    if (!pendingIds.length) return;
    const timer = setTimeout(async () => {
      const updated = await Promise.all(pendingIds.map((id) => api.log(id).catch(() => null)));
      /** @type {Map<string, LogEntry>} */
      const byId = new Map();
      for (const e of updated) if (e) byId.set(e.id, e);
      setPage((p) => ({ ...p, items: p.items && p.items.map((e) => byId.get(e.id) || e) }));
    }, PENDING_POLL_MS);
    return () => clearTimeout(timer);
  }, [pendingIds.join(","), page.items]);

  async function older() {
    const o = page.older;
    if (!o) return;
    const q = queryFor(filter, PAGE);
    if (o.until && (!q.until || o.until < q.until)) q.until = o.until;
    if (o.cursor) q.cursor = o.cursor;
    try {
      const res = await api.logs(q);
      setPage((p) => ({
        items: appendOlder(p.items || [], res.items),
        older: res.nextCursor ? { cursor: res.nextCursor, until: o.until } : null,
        error: "",
      }));
    } catch (err) {
      notify(problemText(err), "error");
    }
  }

  /** @param {LogEntry} entry */
  async function redeliver(entry) {
    setBusyId(entry.id);
    try {
      const updated = await api.redeliver(entry.id);
      setPage((p) => ({
        ...p,
        items: p.items && p.items.map((e) => (e.id === updated.id ? updated : e)),
      }));
      notify(`Redelivering the ${entry.triggerName} firing`);
    } catch (err) {
      notify(`Redeliver: ${problemText(err)}`, "error");
    } finally {
      setBusyId(null);
    }
  }

  useReadyMark("logs", page.items !== null);
  const allNames = new Map(names);
  for (const r of stats.value?.byTrigger || []) {
    if (r.triggerId) allNames.set(r.triggerId, r.triggerName);
  }
  /** @param {LogFilter["tab"]} tab */
  const setTab = (tab) => setFilter((f) => ({ ...f, tab }));
  /** @param {KeyboardEvent} e */
  const onTabKey = (e) => {
    if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
    const next = filter.tab === "active" ? "archived" : "active";
    setTab(next);
    document.getElementById(`tab-${next}`)?.focus();
  };
  const tabs = TABS.map(([value, label]) =>
    markup`
    <button type="button" role="tab" id=${`tab-${value}`} aria-controls="logs-panel"
      aria-selected=${filter.tab === value ? "true" : "false"}
      tabindex=${filter.tab === value ? 0 : -1}
      onClick=${() => setTab(value)} onKeyDown=${onTabKey}>
      ${label}${stats.value && markup` <span class="count">${stats.value[value]}</span>`}
    </button>
  `
  );

  return markup`
    <section class="view" aria-labelledby="logs-title">
      <div class="view-head"><h1 id="logs-title">Logs</h1></div>
      <div class="logs-top">
        <${FiringsCard} ranges=${["1h", "24h", "48h"]} initial="1h" title="Firings"
          titleId="chart-title" />
        <details class="card stats-card" open=${statsOpen}>
          <summary><h2>Logs per trigger</h2></summary>
          <${StatsTable} stats=${stats.value} error=${stats.error} all=${statsAll}
            onAll=${showAllStats}
            onPick=${(/** @type {string} */ id) => setFilter((f) => ({ ...f, trigger: id }))} />
        </details>
      </div>
      <div class="toolbar">
        <div role="tablist" aria-label="Log state" class="tabs">${tabs}</div>
        <${LogFilters} filter=${filter} names=${allNames} onChange=${setFilter} />
      </div>
      <div id="logs-panel" role="tabpanel" aria-labelledby=${`tab-${filter.tab}`}>
        ${
    page.error && markup`
          <p class="error-summary" role="alert">Could not load logs: ${page.error}</p>
        `
  }
        <${LogTable} items=${page.items} tab=${filter.tab} fresh=${fresh} busyId=${busyId}
          onRedeliver=${redeliver} error=${page.error} />
        ${
    page.older && markup`
          <p class="more"><button type="button" onClick=${older}>Load older</button></p>
        `
  }
      </div>
    </section>
  `;
}
