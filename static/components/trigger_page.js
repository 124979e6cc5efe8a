// @ts-check
// A page per trigger (#/triggers/<id>): its definition and counts, the next 10 runs, a 24 h
// chart of its firings, its firing history, and for api triggers how to call it. Live events
// keep it current; a deletion made elsewhere says so instead of showing stale data.
import { useCallback, useEffect, useState } from "preact/hooks";
import { markup } from "../markup.js";
import { api } from "../api.js";
import { problemText } from "../errors.js";
import { useResync, useTriggerChange } from "../live.js";
import { dateTime } from "../format.js";
import { TriggerDefinition } from "./trigger_definition.js";
import { TriggerHistory } from "./trigger_history.js";
import { FiringsCard } from "./firings_card.js";
import { CallCommands } from "./call_commands.js";
import { TriggerForm } from "./trigger_form.js";
import { FireDialog } from "./fire_dialog.js";
import { ConfirmDialog } from "./confirm_dialog.js";
import { useReadyMark } from "../perf.js";

/** @typedef {import("../api.js").Trigger} Trigger */

/** @param {{ id: string, notify: (text: string, kind?: string) => void }} props */
export function TriggerPage({ id, notify }) {
  const [trigger, setTrigger] = useState(/** @type {Trigger | null} */ (null));
  const [error, setError] = useState("");
  const [gone, setGone] = useState(false);
  const [runs, setRuns] = useState(/** @type {string[] | null} */ (null));
  const [counts, setCounts] = useState(
    /** @type {{ active: number, archived: number } | null} */ (null),
  );
  const [dialog, setDialog] = useState(/** @type {"edit" | "fire" | "delete" | null} */ (null));
  const [busy, setBusy] = useState(false);

  const load = useCallback(() => {
    api.getTrigger(id).then((t) => {
      setTrigger(t);
      setError("");
    }, (err) => {
      if (/** @type {{ status?: number }} */ (err).status === 404) setGone(true);
      else setError(problemText(err));
    });
    api.stats({ trigger: id }).then((s) => {
      const row = s.byTrigger.find((r) => r.triggerId === id);
      setCounts({ active: row?.active ?? 0, archived: row?.archived ?? 0 });
    }, () => setCounts(null));
  }, [id]);
  useEffect(load, [load]);
  useResync(load);
  useTriggerChange(useCallback((/** @type {import("../live.js").TriggerChange} */ c) => {
    if (c.trigger.id !== id) return;
    if (c.action === "deleted") setGone(true);
    else setTrigger((t) => (t && t.version > c.trigger.version ? t : c.trigger));
  }, [id]));

  // The next runs follow the definition: re-read when its version or next run changes.
  const scheduled = trigger?.type === "scheduled";
  useEffect(() => {
    if (!trigger || !scheduled) return;
    api.preview(id, 10).then((r) => setRuns(r.occurrences), () => setRuns([]));
  }, [id, scheduled, trigger?.version, trigger?.nextRunAt]);

  useReadyMark("trigger", trigger !== null);
  useEffect(() => {
    if (trigger) document.title = `${trigger.name} · Tock`;
  }, [trigger?.name]);

  if (gone) {
    return markup`
      <section class="view" aria-labelledby="trigger-title">
        <h1 id="trigger-title">Trigger not found</h1>
        <p>It was deleted, or the link is wrong. Its logs stay until their retention ends.</p>
        <p><a href="#/triggers">All triggers</a> · <a href=${`#/logs?trigger=${
      encodeURIComponent(id)
    }`}>Its logs</a></p>
      </section>
    `;
  }
  if (!trigger) {
    return markup`
      <section class="view">
        ${
      error
        ? markup`<p class="error-summary" role="alert">Could not load the trigger: ${error}</p>`
        : markup`<p class="muted">Loading…</p>`
    }
      </section>
    `;
  }
  const t = trigger;
  const paused = t.status === "paused";
  const toggle = async () => {
    setBusy(true);
    try {
      setTrigger(await (paused ? api.resume(t.id) : api.pause(t.id)));
      notify(`${t.name} ${paused ? "resumed" : "paused"}`);
    } catch (err) {
      notify(`${t.name}: ${problemText(err)}`, "error");
    } finally {
      setBusy(false);
    }
  };
  const run = async () => {
    if (t.type === "api") return setDialog("fire");
    try {
      await api.fire(t.id);
      notify(`${t.name} fired`);
    } catch (err) {
      notify(`${t.name}: ${problemText(err)}`, "error");
    }
  };
  const remove = async () => {
    setBusy(true);
    try {
      await api.deleteTrigger(t.id);
      notify(`${t.name} deleted`);
      location.hash = "#/triggers";
    } catch (err) {
      notify(`${t.name}: ${problemText(err)}`, "error");
      setBusy(false);
    }
  };
  const off = busy ? "true" : undefined;
  return markup`
    <section class="view trigger-page" aria-labelledby="trigger-title">
      <p class="crumbs"><a href="#/triggers">All triggers</a></p>
      <div class="view-head">
        <h1 id="trigger-title">${t.name}</h1>
        <div class="actions">
          <button type="button" class="edit" onClick=${() => setDialog("edit")}>Edit</button>
          ${
    t.status !== "completed" && markup`
            <button type="button" class="toggle" aria-disabled=${off}
              onClick=${() => busy || toggle()}>${paused ? "Resume" : "Pause"}</button>
          `
  }
          <button type="button" class="run" onClick=${run}>Run now</button>
          <button type="button" class="danger" onClick=${() => setDialog("delete")}>Delete</button>
        </div>
      </div>
      <div class="trigger-grid">
        <section class="card" aria-labelledby="definition-title">
          <h2 id="definition-title">Definition</h2>
          <${TriggerDefinition} trigger=${t} counts=${counts} />
        </section>
        <div class="trigger-side">
          ${t.type === "api" && markup`<${CallCommands} trigger=${t} />`}
          ${
    scheduled && markup`
            <section class="card" aria-labelledby="runs-title">
              <h2 id="runs-title">Next 10 runs</h2>
              ${
      runs === null
        ? markup`<p class="muted">Loading…</p>`
        : runs.length === 0
        ? markup`<p class="muted">No further runs</p>`
        : markup`<ol class="runs">${
          runs.map((o) => markup`<li><time datetime=${o}>${dateTime(o)}</time></li>`)
        }</ol>`
    }
            </section>
          `
  }
          <${FiringsCard} ranges=${["24h"]} initial="24h" trigger=${t.id}
            title="Firings in the last 24 h" titleId="trigger-chart-title" />
        </div>
      </div>
      <${TriggerHistory} triggerId=${t.id} notify=${notify} />
      ${
    dialog === "edit" && markup`
        <${TriggerForm} trigger=${t} onClose=${() => setDialog(null)}
          onSaved=${(/** @type {Trigger} */ saved) => {
      setTrigger(saved);
      setDialog(null);
      notify(`${saved.name} saved`);
    }} />
      `
  }
      ${
    dialog === "fire" && markup`
        <${FireDialog} trigger=${t} onClose=${() => setDialog(null)}
          onFired=${() => {
      setDialog(null);
      notify(`${t.name} fired`);
    }} />
      `
  }
      ${
    dialog === "delete" && markup`
        <${ConfirmDialog} title=${`Delete ${t.name}?`} confirmLabel="Delete trigger" busy=${busy}
          message="It will not fire again. Its logs stay until their retention ends."
          onConfirm=${remove} onCancel=${() => setDialog(null)} />
      `
  }
    </section>
  `;
}
