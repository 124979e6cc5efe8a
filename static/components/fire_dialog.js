// @ts-check
// "Run now" for an API trigger: edit the payload, see schema errors next to it.
import { useState } from "preact/hooks";
import { markup } from "../markup.js";
import { api, ApiError } from "../api.js";
import { plainMessage, problemText } from "../errors.js";
import { parseJson } from "../trigger_model.js";
import { Modal } from "./modal.js";
import { JsonField } from "./json_field.js";
import { ErrorSummary } from "./error_summary.js";

/** @type {import("../errors.js").PlacedErrors} */
const NO_ERRORS = { fields: {}, general: [] };

/**
 * @param {{
 *   trigger: import("../api.js").Trigger, onClose: () => void,
 *   onFired: (entry: import("../api.js").LogEntry) => void,
 * }} props
 */
export function FireDialog({ trigger, onClose, onFired }) {
  const initial = trigger.payload === null || trigger.payload === undefined
    ? ""
    : JSON.stringify(trigger.payload, null, 2);
  const [text, setText] = useState(initial);
  const [errors, setErrors] = useState(NO_ERRORS);
  const [busy, setBusy] = useState(false);
  const parsed = parseJson(text);

  /** @param {Event} e */
  async function fire(e) {
    e.preventDefault();
    if (parsed.error || busy) return;
    setBusy(true);
    setErrors(NO_ERRORS);
    try {
      onFired(await api.fire(trigger.id, text.trim() ? parsed.value : undefined));
    } catch (err) {
      // Schema violations name paths inside the payload; they all belong next to the editor.
      if (err instanceof ApiError && err.errors.length) {
        const message = err.errors.map((/** @type {import("../api.js").ProblemError} */ e) => {
          const path = String(e.path ?? "").replace(/^payload\.?/, "");
          const words = plainMessage(e.message || "Invalid value");
          return path ? `${path}: ${words}` : words;
        }).join("; ");
        setErrors({ fields: { payload: message }, general: [] });
      } else setErrors({ fields: {}, general: [problemText(err)] });
    } finally {
      setBusy(false);
    }
  }

  const hint = trigger.payloadSchema ? "Must satisfy the trigger's payload schema" : undefined;
  return markup`
    <${Modal} title=${`Run ${trigger.name} now`} onClose=${onClose}>
      <form onSubmit=${fire} class="fire-form" novalidate>
        <div class="modal-body">
          <${ErrorSummary} messages=${errors.general} />
          <${JsonField} id="fire-payload" label="Payload (JSON, optional)" rows="6" hint=${hint}
            value=${text} onInput=${setText} error=${errors.fields.payload} />
        </div>
        <footer class="form-actions">
          <button type="submit" class="primary" disabled=${Boolean(parsed.error)}
            aria-disabled=${busy ? "true" : undefined}>
            Fire
          </button>
          <button type="button" class="link" onClick=${onClose}>Cancel</button>
        </footer>
      </form>
    <//>
  `;
}
