// Firings, newest first, arriving live over SSE; tabs, filters, stats and a per-minute chart.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { markup } from "../markup.js";
import { api } from "../api.js";
import { problemText } from "../errors.js";
import { useFired, useNow, useResync } from "../live.js";
import { LogRow } from "./log_row.js";
import { StatsTable } from "./stats_table.js";
import { FiringsChart } from "./firings_chart.js";
import { LogFilters } from "./log_filters.js";

const PAGE = 50;
const HOUR = 3600_000;
const PENDING_POLL_MS = 2000;
const TABS = [["active", "Active"], ["archived", "Archived"]];

/** Whether a live entry belongs in the list being shown (new firings are always active). */
function matches(entry, tab, filter) {
  if (tab !== "active") return false;
  if (filter.trigger && entry.triggerId !== filter.trigger) return false;
  if (filter.source && entry.source !== filter.source) return false;
  if (filter.outcome && entry.outcome !== filter.outcome) return false;
  return true;
}

export function LogsView({ notify }) {
  const [tab, setTab] = useState("active");
  const [filter, setFilter] = useState({ trigger: "", source: "", outcome: "" });
  const [page, setPage] = useState({ items: null, nextCursor: null, error: "" });
  const [fresh, setFresh] = useState(() => new Set());
  const [stats, setStats] = useState({ value: null, error: "" });
  const [triggers, setTriggers] = useState([]);
  const [times, setTimes] = useState([]);
  const [busyId, setBusyId] = useState(null);
  // On a phone the firings matter most: the per-trigger counts start folded away.
  const [statsOpen] = useState(() => !matchMedia("(max-width: 760px)").matches);
  const [generation, setGeneration] = useState(0); // bumped to reload after a reconnect
  const now = useNow();
  const statsTimer = useRef(null);
  const view = useRef({ tab, filter });
  view.current = { tab, filter };

  const query = (cursor) => {
    const q = { state: tab, limit: String(PAGE) };
    for (const [k, v] of Object.entries(filter)) if (v) q[k] = v;
    if (cursor) q.cursor = cursor;
    return q;
  };

  // Firings that arrive while a listing is loading are kept and merged into it, so none is lost
  // between the listing's read and the stream's next event.
  const early = useRef([]);
  useEffect(() => {
    let stale = false;
    early.current = [];
    setPage((p) => ({ ...p, items: null, error: "" }));
    api.logs(query()).then(
      (res) => {
        if (stale) return;
        const listed = new Set(res.items.map((e) => e.id));
        const missed = early.current.filter((e) => !listed.has(e.id)).reverse();
        early.current = [];
        setPage({ items: [...missed, ...res.items], nextCursor: res.nextCursor, error: "" });
      },
      (err) => stale || setPage({ items: [], nextCursor: null, error: problemText(err) }),
    );
    return () => (stale = true);
  }, [tab, filter, generation]);

  const loadStats = useCallback(() => {
    api.stats().then(
      (value) => setStats({ value, error: "" }),
      (err) => setStats({ value: null, error: problemText(err) }),
    );
  }, []);

  useEffect(() => {
    loadStats();
    api.listTriggers().then(
      (res) => setTriggers(res.items),
      (err) => notify(`Trigger names: ${problemText(err)}`, "error"),
    );
    loadLastHour().then(setTimes, (err) => notify(`Chart: ${problemText(err)}`, "error"));
    return () => clearTimeout(statsTimer.current);
  }, []);

  useResync(useCallback(() => {
    setGeneration((g) => g + 1);
    loadStats();
    loadLastHour().then(setTimes, (err) => notify(`Chart: ${problemText(err)}`, "error"));
  }, [loadStats, notify]));

  useFired(useCallback((entry) => {
    const { tab, filter } = view.current;
    if (matches(entry, tab, filter)) {
      setPage((p) => {
        if (!p.items) {
          early.current.push(entry);
          return p;
        }
        return p.items.some((x) => x.id === entry.id) ? p : { ...p, items: [entry, ...p.items] };
      });
      setFresh((s) => new Set(s).add(entry.id));
    }
    const firedAt = Date.parse(entry.firedAt);
    setTimes((ts) => [...ts.filter((t) => t > Date.now() - HOUR), firedAt]);
    clearTimeout(statsTimer.current);
    statsTimer.current = setTimeout(loadStats, 300);
  }, [loadStats]));

  // Webhook outcomes settle after the firing: re-read entries still pending until they do.
  const pendingIds = (page.items || []).filter((e) => e.outcome === "pending").map((e) => e.id)
    .slice(0, 20);
  useEffect(() => {
    if (!pendingIds.length) return;
    const timer = setTimeout(async () => {
      const updated = await Promise.all(pendingIds.map((id) => api.log(id).catch(() => null)));
      const byId = new Map(updated.filter(Boolean).map((e) => [e.id, e]));
      setPage((p) => ({ ...p, items: p.items.map((e) => byId.get(e.id) || e) }));
    }, PENDING_POLL_MS);
    return () => clearTimeout(timer);
  }, [pendingIds.join(","), page.items]);

  async function more() {
    try {
      const res = await api.logs(query(page.nextCursor));
      setPage((p) => ({
        items: [...p.items, ...res.items],
        nextCursor: res.nextCursor,
        error: "",
      }));
    } catch (err) {
      notify(problemText(err), "error");
    }
  }

  async function redeliver(entry) {
    setBusyId(entry.id);
    try {
      const updated = await api.redeliver(entry.id);
      setPage((p) => ({ ...p, items: p.items.map((e) => (e.id === updated.id ? updated : e)) }));
      notify(`Redelivering the ${entry.triggerName} firing`);
    } catch (err) {
      notify(`Redeliver: ${problemText(err)}`, "error");
    } finally {
      setBusyId(null);
    }
  }

  const names = new Map(triggers.map((t) => [t.id, t.name]));
  for (const r of stats.value?.byTrigger || []) {
    if (r.triggerId) names.set(r.triggerId, r.triggerName);
  }
  const onTabKey = (e) => {
    if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
    const next = tab === "active" ? "archived" : "active";
    setTab(next);
    document.getElementById(`tab-${next}`)?.focus();
  };
  const tabs = TABS.map(([value, label]) =>
    markup`
    <button type="button" role="tab" id=${`tab-${value}`} aria-controls="logs-panel"
      aria-selected=${tab === value ? "true" : "false"} tabindex=${tab === value ? 0 : -1}
      onClick=${() => setTab(value)} onKeyDown=${onTabKey}>
      ${label}${stats.value && markup` <span class="count">${stats.value[value]}</span>`}
    </button>
  `
  );

  let list;
  if (page.items === null) list = markup`<p class="muted">Loading…</p>`;
  else if (page.items.length === 0 && !page.error) {
    list = markup`
      <p class="empty muted">
        ${
      tab === "active"
        ? "No firings yet. New ones appear here as they happen."
        : "Nothing archived."
    }
      </p>
    `;
  } else if (page.items.length) {
    list = markup`
      <div class="table-wrap">
        <table class="cards logs">
          <thead>
            <tr>
              <th scope="col">Fired</th>
              <th scope="col">Trigger</th>
              <th scope="col">Source</th>
              <th scope="col">Lateness</th>
              <th scope="col">Outcome</th>
              <th scope="col">Payload</th>
              <th scope="col"><span class="visually-hidden">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            ${
      page.items.map((e) =>
        markup`
              <${LogRow} key=${e.id} entry=${e} fresh=${fresh.has(e.id)} busy=${busyId === e.id}
                onRedeliver=${redeliver} />
            `
      )
    }
          </tbody>
        </table>
      </div>
    `;
  }

  return markup`
    <section class="view" aria-labelledby="logs-title">
      <div class="view-head"><h1 id="logs-title">Logs</h1></div>
      <div class="logs-top">
        <section class="card" aria-labelledby="chart-title">
          <h2 id="chart-title">Firings per minute</h2>
          <${FiringsChart} times=${times} now=${now} />
        </section>
        <details class="card stats-card" open=${statsOpen}>
          <summary><h2>Logs per trigger</h2></summary>
          <${StatsTable} stats=${stats.value} error=${stats.error}
            onPick=${(id) => setFilter((f) => ({ ...f, trigger: id }))} />
        </details>
      </div>
      <div class="toolbar">
        <div role="tablist" aria-label="Log state" class="tabs">${tabs}</div>
        <${LogFilters} filter=${filter} names=${names} onChange=${setFilter} />
      </div>
      <div id="logs-panel" role="tabpanel" aria-labelledby=${`tab-${tab}`}>
        ${
    page.error && markup`
          <p class="error-summary" role="alert">Could not load logs: ${page.error}</p>
        `
  }
        ${list}
        ${
    page.nextCursor && markup`
          <p class="more"><button type="button" onClick=${more}>Load more</button></p>
        `
  }
      </div>
    </section>
  `;
}

/** firedAt of every firing in the last hour (all states and sources), for the chart. */
async function loadLastHour() {
  const since = new Date(Date.now() - HOUR).toISOString();
  const times = [];
  let cursor = null;
  for (let i = 0; i < 10; i++) {
    const q = { state: "all", since, limit: "500" };
    if (cursor) q.cursor = cursor;
    const res = await api.logs(q);
    for (const e of res.items) times.push(Date.parse(e.firedAt));
    cursor = res.nextCursor;
    if (!cursor) break;
  }
  return times;
}
