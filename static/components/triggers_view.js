// The triggers table and everything done to a trigger: create, edit, pause, run, delete.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { markup } from "../markup.js";
import { api } from "../api.js";
import { problemText } from "../errors.js";
import { useFired, useResync } from "../live.js";
import { TriggerRow } from "./trigger_row.js";
import { TriggerForm } from "./trigger_form.js";
import { ConfirmDialog } from "./confirm_dialog.js";
import { FireDialog } from "./fire_dialog.js";

const POLL_MS = 15_000;

export function TriggersView({ notify }) {
  const [triggers, setTriggers] = useState(null);
  const [loadError, setLoadError] = useState("");
  const [editing, setEditing] = useState(null); // null | "new" | a trigger
  const [deleting, setDeleting] = useState(null);
  const [firing, setFiring] = useState(null);
  const [busyId, setBusyId] = useState(null);
  const refreshTimer = useRef(null);

  const load = useCallback(async () => {
    try {
      const res = await api.listTriggers();
      setTriggers(res.items);
      setLoadError("");
    } catch (err) {
      setLoadError(problemText(err));
    }
  }, []);

  // Firings change runCount, lastRunAt and nextRunAt: reload soon after each, coalescing bursts.
  const refreshSoon = useCallback(() => {
    clearTimeout(refreshTimer.current);
    refreshTimer.current = setTimeout(load, 250);
  }, [load]);
  useFired(refreshSoon);
  useResync(refreshSoon);

  useEffect(() => {
    load();
    const poll = setInterval(() => document.hidden || load(), POLL_MS);
    return () => {
      clearInterval(poll);
      clearTimeout(refreshTimer.current);
    };
  }, [load]);

  const replace = (t) => setTriggers((list) => list.map((x) => (x.id === t.id ? t : x)));

  async function act(t, fn, done) {
    setBusyId(t.id);
    try {
      done(await fn());
    } catch (err) {
      notify(`${t.name}: ${problemText(err)}`, "error");
      if (err.status === 404) load();
    } finally {
      setBusyId(null);
    }
  }

  const onToggle = (t) => {
    const call = () => (t.status === "paused" ? api.resume(t.id) : api.pause(t.id));
    act(t, call, (updated) => {
      replace(updated);
      notify(`${updated.name} ${updated.status === "paused" ? "paused" : "resumed"}`);
    });
  };

  const onRun = (t) => {
    if (t.type === "api") return setFiring(t);
    act(t, () => api.fire(t.id), () => {
      notify(`${t.name} fired`);
      refreshSoon();
    });
  };

  const onDeleteConfirmed = () => {
    const t = deleting;
    act(t, () => api.deleteTrigger(t.id), () => {
      setDeleting(null);
      setTriggers((list) => list.filter((x) => x.id !== t.id));
      notify(`${t.name} deleted`);
    });
  };

  const onSaved = (saved) => {
    const isNew = editing === "new";
    setEditing(null);
    setTriggers((list) =>
      isNew ? [saved, ...list] : list.map((x) => (x.id === saved.id ? saved : x))
    );
    notify(`${saved.name} ${isNew ? "created" : "saved"}`);
  };

  const onFired = () => {
    notify(`${firing.name} fired`);
    setFiring(null);
    refreshSoon();
  };

  const table = triggers?.length > 0 && markup`
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
    triggers.map((t) =>
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
          Triggers ${triggers && markup`<span class="count">${triggers.length}</span>`}
        </h1>
        <button type="button" class="primary" onClick=${() => setEditing("new")}>
          New trigger
        </button>
      </div>
      ${
    loadError && markup`
        <p class="error-summary" role="alert">Could not load triggers: ${loadError}</p>
      `
  }
      ${triggers === null && !loadError && markup`<p class="muted">Loading…</p>`}
      ${
    triggers?.length === 0 && markup`
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
