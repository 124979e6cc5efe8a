// @ts-check
// The triggers table and everything done to a trigger: create, edit, pause, run, delete.
// Triggers are read a page at a time with the API's cursor ("Load more"), never capped silently.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { markup } from "../markup.js";
import { api } from "../api.js";
import { problemText } from "../errors.js";
import { useFired, useResync } from "../live.js";
import { TriggerRow } from "./trigger_row.js";
import { TriggerForm } from "./trigger_form.js";
import { ConfirmDialog } from "./confirm_dialog.js";
import { FireDialog } from "./fire_dialog.js";
import { TriggersCount } from "./triggers_count.js";

/** @typedef {import("../api.js").Trigger} Trigger */
/** @typedef {{ items: Trigger[], nextCursor: string | null, total?: number }} Listing */

const POLL_MS = 15_000;
/** Triggers per request: a page of the table. */
export const PAGE = 100;
/** The API's own ceiling on `limit`. */
const MAX_LIMIT = 500;

/**
 * Read at least `count` triggers from the start (fewer when there are fewer), page by page.
 * @param {number} count
 * @returns {Promise<Listing>}
 */
async function readFirst(count) {
  /** @type {Trigger[]} */
  const items = [];
  /** @type {string | null} */
  let cursor = null;
  /** @type {number | undefined} */
  let total;
  do {
    const limit = String(Math.min(MAX_LIMIT, Math.max(1, count - items.length)));
    const res = await api.listTriggers(cursor ? { limit, cursor } : { limit });
    items.push(...res.items);
    cursor = res.nextCursor;
    if (typeof res.total === "number") total = res.total;
  } while (cursor && items.length < count);
  return { items, nextCursor: cursor, total };
}

/** @param {{ notify: (text: string, kind?: string) => void }} props */
export function TriggersView({ notify }) {
  const [list, setList] = useState(/** @type {Listing | null} */ (null));
  // Created here but not yet inside the loaded pages (the list is in creation order, so a new
  // trigger is on the last page): kept on top until a refresh reaches it.
  const [local, setLocal] = useState(/** @type {Trigger[]} */ ([]));
  const [loadError, setLoadError] = useState("");
  const [editing, setEditing] = useState(/** @type {"new" | Trigger | null} */ (null));
  const [deleting, setDeleting] = useState(/** @type {Trigger | null} */ (null));
  const [firing, setFiring] = useState(/** @type {Trigger | null} */ (null));
  const [busyId, setBusyId] = useState(/** @type {string | null} */ (null));
  const [moreBusy, setMoreBusy] = useState(false);
  /** @type {import("preact").RefObject<ReturnType<typeof setTimeout>>} */
  const refreshTimer = useRef(null);
  const loaded = useRef(PAGE); // how many the person has paged to; a refresh re-reads as many

  const load = useCallback(async () => {
    try {
      const res = await readFirst(loaded.current);
      setList(res);
      const ids = new Set(res.items.map((t) => t.id));
      // Kept until listed, or until the whole list is loaded without it (deleted elsewhere).
      setLocal((ls) => res.nextCursor ? ls.filter((t) => !ids.has(t.id)) : []);
      setLoadError("");
    } catch (err) {
      setLoadError(problemText(err));
    }
  }, []);

  // Firings change runCount, lastRunAt and nextRunAt: reload soon after each, coalescing bursts.
  const refreshSoon = useCallback(() => {
    if (refreshTimer.current) clearTimeout(refreshTimer.current);
    refreshTimer.current = setTimeout(load, 250);
  }, [load]);
  useFired(refreshSoon);
  useResync(refreshSoon);

  useEffect(() => {
    load();
    const poll = setInterval(() => document.hidden || load(), POLL_MS);
    return () => {
      clearInterval(poll);
      if (refreshTimer.current) clearTimeout(refreshTimer.current);
    };
  }, [load]);

  async function more() {
    if (!list?.nextCursor || moreBusy) return;
    setMoreBusy(true);
    try {
      const res = await api.listTriggers({ limit: String(PAGE), cursor: list.nextCursor });
      setList((l) => {
        const have = new Set((l?.items || []).map((t) => t.id));
        const items = [...(l?.items || []), ...res.items.filter((t) => !have.has(t.id))];
        loaded.current = items.length;
        return { items, nextCursor: res.nextCursor, total: res.total ?? l?.total };
      });
      const ids = new Set(res.items.map((t) => t.id));
      setLocal((ls) => ls.filter((t) => !ids.has(t.id)));
    } catch (err) {
      notify(`Load more: ${problemText(err)}`, "error");
    } finally {
      setMoreBusy(false);
    }
  }

  /** @param {Trigger} t */
  const replace = (t) => {
    setList((l) => l && { ...l, items: l.items.map((x) => (x.id === t.id ? t : x)) });
    setLocal((ls) => ls.map((x) => (x.id === t.id ? t : x)));
  };
  /** @param {string} id */
  const remove = (id) => {
    setList((l) => l && { ...l, items: l.items.filter((x) => x.id !== id) });
    setLocal((ls) => ls.filter((x) => x.id !== id));
  };

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
      if (/** @type {{ status?: number }} */ (err).status === 404) load();
    } finally {
      setBusyId(null);
    }
  }

  /** @param {Trigger} t */
  const onToggle = (t) => {
    const call = () => (t.status === "paused" ? api.resume(t.id) : api.pause(t.id));
    act(t, call, (updated) => {
      replace(updated);
      notify(`${updated.name} ${updated.status === "paused" ? "paused" : "resumed"}`);
    });
  };

  /** @param {Trigger} t */
  const onRun = (t) => {
    if (t.type === "api") return setFiring(t);
    act(t, () => api.fire(t.id), () => {
      notify(`${t.name} fired`);
      refreshSoon();
    });
  };

  const shown = [...local, ...(list?.items || [])];

  const onDeleteConfirmed = () => {
    const t = deleting;
    if (!t) return;
    // Where focus goes once the row is gone: the next row, else the previous, else "New".
    const at = shown.findIndex((x) => x.id === t.id);
    const neighbour = shown[at + 1] || shown[at - 1];
    act(t, () => api.deleteTrigger(t.id), () => {
      setDeleting(null);
      remove(t.id);
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
    if (isNew) setLocal((ls) => [saved, ...ls]);
    else replace(saved);
    notify(`${saved.name} ${isNew ? "created" : "saved"}`);
  };

  const onFired = () => {
    notify(`${firing?.name} fired`);
    setFiring(null);
    refreshSoon();
  };

  const table = shown.length > 0 && markup`
    <div class="table-wrap">
      <table class="cards triggers">
        <thead>
          <tr>
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
              onEdit=${setEditing} onToggle=${onToggle} onRun=${onRun} onDelete=${setDeleting} />
          `
    )
  }
        </tbody>
      </table>
    </div>
  `;

  return markup`
    <section class="view" aria-labelledby="triggers-title">
      <div class="view-head">
        <h1 id="triggers-title">
          Triggers ${list && markup`<${TriggersCount} list=${list} extra=${local.length} />`}
        </h1>
        <button type="button" id="new-trigger" class="primary" onClick=${() => setEditing("new")}>
          New trigger
        </button>
      </div>
      ${
    loadError && markup`
        <p class="error-summary" role="alert">Could not load triggers: ${loadError}</p>
      `
  }
      ${list === null && !loadError && markup`<p class="muted">Loading…</p>`}
      ${
    list && shown.length === 0 && markup`
        <div class="empty">
          <p>No triggers yet.</p>
          <p class="muted">
            A trigger fires on a schedule or when called, and every firing lands in the logs.
          </p>
        </div>
      `
  }
      ${table}
      ${
    list?.nextCursor && markup`
        <p class="more">
          <button type="button" onClick=${more} aria-disabled=${moreBusy ? "true" : undefined}>
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
