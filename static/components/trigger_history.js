// @ts-check
// One trigger's firings, newest first: a page at a time from GET /api/logs?trigger=<id>,
// live firings on top, the list bounded like the Logs view's.
import { useCallback, useEffect, useState } from "preact/hooks";
import { markup } from "../markup.js";
import { api } from "../api.js";
import { problemText } from "../errors.js";
import { useFired, useResync } from "../live.js";
import { appendOlder, markFresh, prependLive } from "../log_list.js";
import { LogTable } from "./log_table.js";

/** @typedef {import("../api.js").LogEntry} LogEntry */
/** @typedef {import("../log_list.js").Older} Older */

const PAGE = 20;

/** @param {{ triggerId: string, notify: (text: string, kind?: string) => void }} props */
export function TriggerHistory({ triggerId, notify }) {
  const [state, setState] = useState(
    /** @type {{ items: LogEntry[] | null, older: Older | null, error: string }} */
    ({ items: null, older: null, error: "" }),
  );
  const [fresh, setFresh] = useState(() => /** @type {Set<string>} */ (new Set()));
  const load = useCallback(() => {
    api.logs({ trigger: triggerId, state: "all", limit: String(PAGE) }).then(
      (res) =>
        setState({
          items: res.items,
          older: res.nextCursor ? { cursor: res.nextCursor } : null,
          error: "",
        }),
      (err) => setState({ items: [], older: null, error: problemText(err) }),
    );
  }, [triggerId]);
  useEffect(load, [load]);
  useResync(load);
  useFired(useCallback((/** @type {LogEntry} */ e) => {
    if (e.triggerId !== triggerId) return;
    setState((s) => (s.items ? { ...s, ...prependLive(s.items, e, s.older) } : s));
    setFresh((f) => markFresh(f, e.id));
  }, [triggerId]));

  async function older() {
    const o = state.older;
    if (!o) return;
    /** @type {Record<string, string>} */
    const q = { trigger: triggerId, state: "all", limit: String(PAGE) };
    if (o.cursor) q.cursor = o.cursor;
    if (o.until) q.until = o.until;
    try {
      const res = await api.logs(q);
      setState((s) => ({
        items: appendOlder(s.items || [], res.items),
        older: res.nextCursor ? { cursor: res.nextCursor, until: o.until } : null,
        error: "",
      }));
    } catch (err) {
      notify(`Older firings: ${problemText(err)}`, "error");
    }
  }

  const [busyId, setBusyId] = useState(/** @type {string | null} */ (null));
  /** @param {LogEntry} entry */
  async function redeliver(entry) {
    setBusyId(entry.id);
    try {
      const updated = await api.redeliver(entry.id);
      setState((s) => ({
        ...s,
        items: s.items && s.items.map((e) => (e.id === updated.id ? updated : e)),
      }));
      notify("Redelivering the firing");
    } catch (err) {
      notify(`Redeliver: ${problemText(err)}`, "error");
    } finally {
      setBusyId(null);
    }
  }

  return markup`
    <section class="card history" aria-labelledby="history-title">
      <h2 id="history-title">Firing history</h2>
      ${state.error && markup`<p class="error-summary" role="alert">${state.error}</p>`}
      <${LogTable} items=${state.items} tab="active" fresh=${fresh} busyId=${busyId}
        onRedeliver=${redeliver} error=${state.error} />
      ${
    state.older && markup`
        <p class="more"><button type="button" id="history-older" onClick=${older}>
          Load older firings
        </button></p>
      `
  }
    </section>
  `;
}
