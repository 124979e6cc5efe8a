// @ts-check
// The triggers list and everything done to triggers from it: search, filter and sort on the
// server (state in the URL), paging ("Load more") with the matching total, create, edit, pause,
// run, delete, and the same actions on many at once.
import { useCallback, useEffect, useState } from "preact/hooks";
import { markup } from "../markup.js";
import { api } from "../api.js";
import { problemText } from "../errors.js";
import { useTriggerList } from "../trigger_list.js";
import { bulkFilter, hashOfQuery, queryFromHash } from "../trigger_query.js";
import { TriggerRow } from "./trigger_row.js";
import { TriggerForm } from "./trigger_form.js";
import { ConfirmDialog } from "./confirm_dialog.js";
import { FireDialog } from "./fire_dialog.js";
import { TriggersCount } from "./triggers_count.js";
import { TriggerFilters } from "./trigger_filters.js";
import { BulkBar } from "./bulk_bar.js";
import { useReadyMark } from "../perf.js";

/** @typedef {import("../api.js").Trigger} Trigger */
/** @typedef {import("./bulk_bar.js").Selection} Selection */
/** @typedef {import("./bulk_bar.js").Outcome} Outcome */

/** @type {Selection} */
const NOTHING = { all: false, ids: new Set() };

/** @param {{ notify: (text: string, kind?: string) => void }} props */
export function TriggersView({ notify }) {
  const [query, setQuery] = useState(() => queryFromHash(location.hash));
  const { list, error, more, moreBusy, reload, applyLocal } = useTriggerList(query, notify);
  const [editing, setEditing] = useState(/** @type {"new" | Trigger | null} */ (null));
  const [deleting, setDeleting] = useState(/** @type {Trigger | null} */ (null));
  const [firing, setFiring] = useState(/** @type {Trigger | null} */ (null));
  const [busyId, setBusyId] = useState(/** @type {string | null} */ (null));
  const [selection, setSelection] = useState(NOTHING);
  const [bulk, setBulk] = useState(
    /** @type {{ busy: boolean, confirm: boolean, outcome: Outcome }} */
    ({ busy: false, confirm: false, outcome: null }),
  );

  // The query lives in the URL: a reload, a bookmark, the back button show the same list.
  useEffect(() => {
    const hash = hashOfQuery(query);
    if (location.hash !== hash) history.replaceState(null, "", hash);
    setSelection(NOTHING);
  }, [hashOfQuery(query)]);
  useEffect(() => {
    const onHash = () => {
      if (!location.hash.startsWith("#/triggers") || location.hash.startsWith("#/triggers/")) {
        return;
      }
      const next = queryFromHash(location.hash);
      setQuery((q) => (hashOfQuery(q) === hashOfQuery(next) ? q : next));
    };
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);

  const shown = [...(list?.pinned || []), ...(list?.items || [])];
  useReadyMark("triggers", list !== null);

  /**
   * Run an action on a row; errors become notices. Focus stays in the row (its buttons are
   * never disabled), so keyboard users keep their place.
   * @template T
   * @param {Trigger} t
   * @param {() => Promise<T>} fn
   * @param {(result: T) => void} done
   */
  async function act(t, fn, done) {
    setBusyId(t.id);
    try {
      done(await fn());
    } catch (err) {
      notify(`${t.name}: ${problemText(err)}`, "error");
      if (/** @type {{ status?: number }} */ (err).status === 404) reload();
    } finally {
      setBusyId(null);
    }
  }

  /** @param {Trigger} t */
  const onToggle = (t) => {
    const call = () => (t.status === "paused" ? api.resume(t.id) : api.pause(t.id));
    act(t, call, (updated) => {
      applyLocal("updated", updated);
      notify(`${updated.name} ${updated.status === "paused" ? "paused" : "resumed"}`);
    });
  };

  /** @param {Trigger} t */
  const onRun = (t) => {
    if (t.type === "api") return setFiring(t);
    act(t, () => api.fire(t.id), () => notify(`${t.name} fired`));
  };

  const onDeleteConfirmed = () => {
    const t = deleting;
    if (!t) return;
    // Where focus goes once the row is gone: the next row, else the previous, else "New".
    const at = shown.findIndex((x) => x.id === t.id);
    const neighbour = shown[at + 1] || shown[at - 1];
    act(t, () => api.deleteTrigger(t.id), () => {
      setDeleting(null);
      applyLocal("deleted", t);
      notify(`${t.name} deleted`);
      focusLater(
        neighbour ? `tr[data-id="${neighbour.id}"] button.edit` : "#new-trigger",
      );
    });
  };

  /** @param {Trigger} saved */
  const onSaved = (saved) => {
    const isNew = editing === "new";
    setEditing(null);
    applyLocal(isNew ? "created" : "updated", saved);
    notify(`${saved.name} ${isNew ? "created" : "saved"}`);
  };

  const onFired = () => {
    notify(`${firing?.name} fired`);
    setFiring(null);
  };

  const onSelect = useCallback((/** @type {Trigger} */ t, /** @type {boolean} */ on) => {
    setSelection((s) => {
      const ids = new Set(s.all ? [] : s.ids);
      if (on) ids.add(t.id);
      else ids.delete(t.id);
      return { all: false, ids };
    });
  }, []);
  const allShownSelected = shown.length > 0 &&
    (selection.all || shown.every((t) => selection.ids.has(t.id)));
  /** @param {Event & { currentTarget: HTMLInputElement }} e */
  const onSelectShown = (e) => {
    const on = e.currentTarget.checked;
    setSelection(on ? { all: false, ids: new Set(shown.map((t) => t.id)) } : NOTHING);
  };
  /** @param {string} tag */
  const onTag = (tag) =>
    setQuery((q) => (q.tags.includes(tag) ? q : { ...q, tags: [...q.tags, tag] }));

  /** @param {"pause" | "resume" | "delete"} action */
  async function runBulk(action) {
    const body = selection.all
      ? { action, filter: bulkFilter(query) }
      : { action, ids: [...selection.ids] };
    setBulk({ busy: true, confirm: false, outcome: null });
    try {
      const result = await api.bulk(body);
      setBulk({ busy: false, confirm: false, outcome: { action, result } });
      setSelection(NOTHING);
      reload();
    } catch (err) {
      setBulk({ busy: false, confirm: false, outcome: null });
      notify(`Bulk ${action}: ${problemText(err)}`, "error");
    }
    focusLater(`.bulk-bar [data-bulk="${action === "delete" ? "pause" : action}"]`);
  }
  /** @param {"pause" | "resume" | "delete"} action */
  const onBulk = (action) =>
    action === "delete" ? setBulk((b) => ({ ...b, confirm: true })) : runBulk(action);
  const bulkCount = selection.all ? list?.total ?? shown.length : selection.ids.size;

  const table = shown.length > 0 && markup`
    <div class="table-wrap">
      <table class="cards triggers">
        <thead>
          <tr>
            <th scope="col" class="select">
              <input type="checkbox" aria-label="Select all shown" checked=${allShownSelected}
                onChange=${onSelectShown} />
            </th>
            <th scope="col">Name</th>
            <th scope="col">Type</th>
            <th scope="col">Schedule</th>
            <th scope="col">Next run</th>
            <th scope="col">Last run</th>
            <th scope="col" class="num">Runs</th>
            <th scope="col">Status</th>
            <th scope="col"><span class="visually-hidden">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          ${
    shown.map((t) =>
      markup`
            <${TriggerRow} key=${t.id} trigger=${t} busy=${busyId === t.id}
              selected=${selection.all || selection.ids.has(t.id)} onSelect=${onSelect}
              onTag=${onTag} onEdit=${setEditing} onToggle=${onToggle} onRun=${onRun}
              onDelete=${setDeleting} />
          `
    )
  }
        </tbody>
      </table>
    </div>
  `;
  const filtered = hashOfQuery({ ...query, sort: "createdAt", order: "asc" }) !== "#/triggers";

  return markup`
    <section class="view" aria-labelledby="triggers-title">
      <div class="view-head">
        <h1 id="triggers-title">
          Triggers ${list && markup`<${TriggersCount} list=${list} extra=${list.pinned.length} />`}
        </h1>
        <button type="button" id="new-trigger" class="primary" onClick=${() => setEditing("new")}>
          New trigger
        </button>
      </div>
      <${TriggerFilters} query=${query} onChange=${setQuery} />
      <${BulkBar} selection=${selection} total=${list?.total ?? null} loaded=${shown.length}
        busy=${bulk.busy} outcome=${bulk.outcome} onAct=${onBulk}
        onSelectAll=${() => setSelection({ all: true, ids: new Set() })}
        onClear=${() => setSelection(NOTHING)} />
      ${
    error && markup`
        <p class="error-summary" role="alert">Could not load triggers: ${error}</p>
      `
  }
      ${list === null && !error && markup`<p class="muted">Loading…</p>`}
      ${
    list && shown.length === 0 &&
    (filtered ? markup`<p class="empty muted">No trigger matches these filters.</p>` : markup`
        <div class="empty">
          <p>No triggers yet.</p>
          <p class="muted">
            A trigger fires on a schedule or when called, and every firing lands in the logs.
          </p>
        </div>
      `)
  }
      ${table}
      ${
    list?.nextCursor && markup`
        <p class="more">
          <button type="button" id="load-more" onClick=${more}
            aria-disabled=${moreBusy ? "true" : undefined}>
            Load more triggers
          </button>
        </p>
      `
  }
      ${
    editing && markup`
        <${TriggerForm} trigger=${editing === "new" ? null : editing}
          onClose=${() => setEditing(null)} onSaved=${onSaved} />
      `
  }
      ${
    deleting && markup`
        <${ConfirmDialog} title=${`Delete ${deleting.name}?`} confirmLabel="Delete trigger"
          busy=${busyId === deleting.id}
          message="It will not fire again. Its logs stay until their retention ends."
          onConfirm=${onDeleteConfirmed} onCancel=${() => setDeleting(null)} />
      `
  }
      ${
    bulk.confirm && markup`
        <${ConfirmDialog} title=${`Delete ${bulkCount.toLocaleString()} triggers?`}
          confirmLabel="Delete triggers" busy=${bulk.busy}
          message="They will not fire again. Their logs stay until their retention ends."
          onConfirm=${() => runBulk("delete")}
          onCancel=${() => setBulk((b) => ({ ...b, confirm: false }))} />
      `
  }
      ${
    firing && markup`
        <${FireDialog} trigger=${firing} onClose=${() => setFiring(null)} onFired=${onFired} />
      `
  }
    </section>
  `;
}

/**
 * Focus an element once Preact has rendered (and a closing dialog has handed focus back).
 * @param {string} selector
 */
function focusLater(selector) {
  setTimeout(() => {
    const el = document.querySelector(selector);
    if (el instanceof HTMLElement) el.focus();
  }, 0);
}
