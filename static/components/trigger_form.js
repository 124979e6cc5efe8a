// @ts-check
// Create or edit a trigger, with a live occurrence preview and "test without saving".
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { markup } from "../markup.js";
import { api, ApiError } from "../api.js";
import { placeErrors, problemText } from "../errors.js";
import {
  definitionOf,
  dropErrorsOf,
  FIELD_PATHS,
  formState,
  patchOf,
  sameJson,
  scheduleOf,
  touchedErrors,
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
/** @typedef {import("../api.js").Trigger} Trigger */
/** @typedef {import("../trigger_model.js").FormState} FormState */
/** @typedef {import("../errors.js").PlacedErrors} PlacedErrors */

/** @type {PlacedErrors} */
const NO_ERRORS = { fields: {}, general: [] };
const SCHEDULE_PATHS = FIELD_PATHS.filter((p) => p.startsWith("schedule"));

/**
 * `trigger` is null for a new one. `onSaved(trigger)` after a successful create or update.
 * Errors show only for inputs the person has touched (all of them after a submit), and an
 * input's error goes as soon as it is edited.
 * @param {{ trigger: Trigger | null, onClose: () => void, onSaved: (t: Trigger) => void }} props
 */
export function TriggerForm({ trigger, onClose, onSaved }) {
  const [form, setForm] = useState(() => formState(trigger));
  const [errors, setErrors] = useState(NO_ERRORS);
  const [busy, setBusy] = useState(false);
  const [testResult, setTestResult] = useState(
    /** @type {{ log: import("../api.js").LogEntry, occurrences: string[] } | null} */ (null),
  );
  const [preview, setPreview] = useState({
    loading: false,
    occurrences: /** @type {string[]} */ ([]),
    message: "",
  });
  const [previewErrors, setPreviewErrors] = useState(/** @type {Record<string, string>} */ ({}));
  const [touched, setTouched] = useState(() => /** @type {Set<string>} */ (new Set()));
  const [submitted, setSubmitted] = useState(false);
  const original = useMemo(() => trigger && definitionOf(formState(trigger)).def, [trigger]);
  /** @param {Partial<FormState>} patch */
  const set = (patch) => {
    const keys = Object.keys(patch);
    setForm((f) => ({ ...f, ...patch }));
    setTouched((t) => new Set([...t, ...keys]));
    setErrors((e) => ({ ...e, fields: dropErrorsOf(e.fields, keys) }));
  };

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
      const unchanged = trigger?.type === "scheduled" && sameJson(original?.schedule, schedule);
      try {
        const res = unchanged && trigger
          ? await api.preview(trigger.id)
          : await api.previewDefinition({
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
        else if (Object.keys(placed.fields).length) message = "Complete the schedule to see it.";
        setPreview({ loading: false, occurrences: [], message });
      }
    }, PREVIEW_DELAY_MS);
    return () => clearTimeout(timer);
  }, [scheduleKey]);

  /** @type {Record<string, string | undefined>} */
  const fieldErrors = { ...touchedErrors(previewErrors, touched, submitted), ...errors.fields };

  function build() {
    setSubmitted(true);
    const built = definitionOf(form);
    if (built.errors) {
      setErrors({ fields: built.errors, general: [] });
      focusFirstError();
      return null;
    }
    if (built.def.type === "api") delete built.def.schedule;
    return built.def;
  }

  /** @param {unknown} err */
  function showError(err) {
    setErrors(placeErrors(err, FIELD_PATHS));
    focusFirstError();
  }

  /** @param {Event} e */
  async function save(e) {
    e.preventDefault();
    if (busy) return;
    const def = build();
    if (!def) return;
    setBusy(true);
    setErrors(NO_ERRORS);
    try {
      if (!trigger || !original) onSaved(await api.createTrigger(def));
      else {
        // Only what changed: an untouched schedule is not sent, so it is not restarted.
        const patch = patchOf(original, def);
        onSaved(Object.keys(patch).length ? await api.updateTrigger(trigger.id, patch) : trigger);
      }
    } catch (err) {
      showError(err);
    } finally {
      setBusy(false);
    }
  }

  async function test() {
    if (busy) return;
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

  /** @param {Event & { currentTarget: HTMLInputElement }} e */
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
          value=${form.payloadSchema}
          onInput=${(/** @type {string} */ v) => set({ payloadSchema: v })}
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
                onChange=${(/** @type {Event & { currentTarget: HTMLSelectElement }} */ e) =>
    set({ type: e.currentTarget.value === "api" ? "api" : "scheduled" })}>
                <option value="scheduled">Scheduled</option>
                <option value="api">API (fired by a call)</option>
              </select>
            <//>
          </div>
          <${Field} id="f-tags" label="Tags (optional)" error=${fieldErrors.tags}
            hint="Separated by commas or spaces; a-z, 0-9 and _ . : / -">
            <input type="text" autocomplete="off" spellcheck="false" value=${form.tags}
              placeholder="billing, nightly"
              onInput=${(/** @type {Event & { currentTarget: HTMLInputElement }} */ e) =>
    set({ tags: e.currentTarget.value })} />
          <//>
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
                  onInput=${(/** @type {string} */ v) =>
    set({ payload: v })} error=${fieldErrors.payload} />
              </fieldset>
              <${WebhookFields} form=${form} set=${set} errors=${fieldErrors} />
            </div>
          </div>
        </div>
        <footer class="form-actions">
          <button type="submit" class="primary" aria-disabled=${busy ? "true" : undefined}>
            ${trigger ? "Save changes" : "Create trigger"}
          </button>
          <button type="button" onClick=${test} aria-disabled=${busy ? "true" : undefined}>
            Test without saving
          </button>
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
    if (!(el instanceof HTMLElement)) return;
    if (el.classList.contains("error-summary")) el.setAttribute("tabindex", "-1");
    el.focus();
  }, 0);
}
