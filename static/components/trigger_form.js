// Create or edit a trigger, with a live occurrence preview and "test without saving".
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { markup } from "../markup.js";
import { api, ApiError } from "../api.js";
import { placeErrors, problemText } from "../errors.js";
import {
  definitionOf,
  FIELD_PATHS,
  formState,
  patchOf,
  sameJson,
  scheduleOf,
} from "../trigger_model.js";
import { Modal } from "./modal.js";
import { Field } from "./field.js";
import { ErrorSummary } from "./error_summary.js";
import { ScheduleFields } from "./schedule_fields.js";
import { WebhookFields } from "./webhook_fields.js";
import { JsonField } from "./json_field.js";
import { OccurrencePreview } from "./occurrence_preview.js";
import { TestResult } from "./test_result.js";

const PREVIEW_DELAY_MS = 350;
const NO_ERRORS = { fields: {}, general: [] };
const SCHEDULE_PATHS = FIELD_PATHS.filter((p) => p.startsWith("schedule"));

/** `trigger` is null for a new one. `onSaved(trigger)` after a successful create or update. */
export function TriggerForm({ trigger, onClose, onSaved }) {
  const [form, setForm] = useState(() => formState(trigger));
  const [errors, setErrors] = useState(NO_ERRORS);
  const [busy, setBusy] = useState(false);
  const [testResult, setTestResult] = useState(null);
  const [preview, setPreview] = useState({ loading: false, occurrences: [], message: "" });
  const [previewErrors, setPreviewErrors] = useState({});
  const original = useMemo(() => trigger && definitionOf(formState(trigger)).def, [trigger]);
  const set = (patch) => setForm((f) => ({ ...f, ...patch }));

  // The live preview: the saved trigger's own preview while its schedule is untouched, else
  // POST /api/preview with the definition being typed. Stale answers are dropped.
  const previewSeq = useRef(0);
  const schedule = form.type === "scheduled" ? scheduleOf(form) : null;
  const scheduleKey = JSON.stringify(schedule);
  useEffect(() => {
    const seq = ++previewSeq.current;
    if (!schedule) {
      setPreview({ loading: false, occurrences: [], message: "API triggers run when called." });
      setPreviewErrors({});
      return;
    }
    setPreview((p) => ({ ...p, loading: true }));
    const timer = setTimeout(async () => {
      const unchanged = trigger?.type === "scheduled" && sameJson(original.schedule, schedule);
      try {
        const res = unchanged ? await api.preview(trigger.id) : await api.previewDefinition({
          name: form.name.trim() || "preview",
          type: "scheduled",
          schedule,
          misfire: form.misfire,
        });
        if (seq !== previewSeq.current) return;
        setPreview({ loading: false, occurrences: res.occurrences || [], message: "" });
        setPreviewErrors({});
      } catch (err) {
        if (seq !== previewSeq.current) return;
        const placed = placeErrors(err, SCHEDULE_PATHS);
        const missing = err instanceof ApiError && (err.status === 404 || err.status === 405);
        setPreviewErrors(missing ? {} : placed.fields);
        let message = problemText(err);
        if (missing) message = "Preview is not available from this server.";
        else if (Object.keys(placed.fields).length) message = "Fix the schedule to see it.";
        setPreview({ loading: false, occurrences: [], message });
      }
    }, PREVIEW_DELAY_MS);
    return () => clearTimeout(timer);
  }, [scheduleKey]);

  const fieldErrors = { ...previewErrors, ...errors.fields };

  function build() {
    const built = definitionOf(form);
    if (built.errors) {
      setErrors({ fields: built.errors, general: [] });
      focusFirstError();
      return null;
    }
    if (built.def.type === "api") delete built.def.schedule;
    return built.def;
  }

  function showError(err) {
    setErrors(placeErrors(err, FIELD_PATHS));
    focusFirstError();
  }

  async function save(e) {
    e.preventDefault();
    const def = build();
    if (!def) return;
    setBusy(true);
    setErrors(NO_ERRORS);
    try {
      let saved = trigger;
      if (!trigger) saved = await api.createTrigger(def);
      else {
        const patch = patchOf(original, def);
        if (Object.keys(patch).length) saved = await api.updateTrigger(trigger.id, patch);
      }
      onSaved(saved);
    } catch (err) {
      showError(err);
    } finally {
      setBusy(false);
    }
  }

  async function test() {
    const def = build();
    if (!def) return;
    setBusy(true);
    setErrors(NO_ERRORS);
    setTestResult(null);
    try {
      setTestResult(await api.test(def));
    } catch (err) {
      showError(err);
    } finally {
      setBusy(false);
    }
  }

  const bindName = (e) => set({ name: e.currentTarget.value });
  const title = trigger ? `Edit ${trigger.name}` : "New trigger";
  const payloadLabel = form.type === "api"
    ? "Default payload (JSON, optional)"
    : "Payload (JSON, optional)";
  const kindFields = form.type === "scheduled"
    ? markup`<${ScheduleFields} form=${form} set=${set} errors=${fieldErrors} />`
    : markup`
      <fieldset class="group">
        <legend>Payload schema</legend>
        <${JsonField} id="f-schema" label="JSON Schema (optional)" rows="4"
          hint="Payloads sent when firing must satisfy it"
          placeholder='{ "type": "object", "required": ["id"] }'
          value=${form.payloadSchema} onInput=${(v) => set({ payloadSchema: v })}
          error=${fieldErrors.payloadSchema} />
      </fieldset>
    `;
  return markup`
    <${Modal} title=${title} onClose=${onClose} class="wide">
      <form class="trigger-form" onSubmit=${save} novalidate>
        <div class="modal-body">
          <${ErrorSummary} messages=${errors.general} />
          <div class="row">
            <${Field} id="f-name" label="Name" class="grow" error=${fieldErrors.name}>
              <input type="text" required maxlength="128" autocomplete="off" spellcheck="false"
                autofocus value=${form.name} onInput=${bindName} />
            <//>
            <${Field} id="f-type" label="Type" error=${fieldErrors.type}>
              <select value=${form.type} disabled=${Boolean(trigger)}
                onChange=${(e) => set({ type: e.currentTarget.value })}>
                <option value="scheduled">Scheduled</option>
                <option value="api">API (fired by a call)</option>
              </select>
            <//>
          </div>
          <div class="form-columns">
            <div class="kind">${kindFields}</div>
            <aside class="side">
              <${OccurrencePreview} state=${preview} />
              ${
    testResult && markup`
                <${TestResult} result=${testResult} onDismiss=${() => setTestResult(null)} />
              `
  }
            </aside>
            <div class="rest">
              <fieldset class="group">
                <legend>Payload</legend>
                <${JsonField} id="f-payload" rows="4" label=${payloadLabel}
                  placeholder='{ "report": "nightly" }' value=${form.payload}
                  onInput=${(v) => set({ payload: v })} error=${fieldErrors.payload} />
              </fieldset>
              <${WebhookFields} form=${form} set=${set} errors=${fieldErrors} />
            </div>
          </div>
        </div>
        <footer class="form-actions">
          <button type="submit" class="primary" disabled=${busy}>
            ${trigger ? "Save changes" : "Create trigger"}
          </button>
          <button type="button" onClick=${test} disabled=${busy}>Test without saving</button>
          <button type="button" class="link" onClick=${onClose}>Cancel</button>
        </footer>
      </form>
    <//>
  `;
}

/** After Preact has rendered the messages, move focus to the first field in error. */
function focusFirstError() {
  setTimeout(() => {
    const el = document.querySelector(
      '.trigger-form [aria-invalid="true"], .trigger-form .error-summary',
    );
    if (!el) return;
    if (el.classList.contains("error-summary")) el.setAttribute("tabindex", "-1");
    el.focus();
  }, 0);
}
