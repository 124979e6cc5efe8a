// @ts-check
// The optional webhook a firing is delivered to.
import { markup } from "../markup.js";
import { Field } from "./field.js";
import { JsonField } from "./json_field.js";

const METHODS = ["POST", "PUT", "PATCH", "GET", "DELETE"];

/** @typedef {import("../trigger_model.js").FormState} FormState */

/**
 * @param {{
 *   form: FormState, set: (patch: Partial<FormState>) => void,
 *   errors: Record<string, string | undefined>,
 * }} props
 */
export function WebhookFields({ form, set, errors }) {
  /** @param {"url" | "timeoutMs" | "retries"} key */
  const bind = (key) => ({
    value: form[key],
    onInput: (/** @type {Event & { currentTarget: HTMLInputElement }} */ e) =>
      set({ [key]: e.currentTarget.value }),
  });
  const number = { type: "number", step: "1", inputmode: "numeric" };
  return markup`
    <fieldset class="group">
      <legend>Webhook</legend>
      <label class="check">
        <input type="checkbox" checked=${form.hook}
          onChange=${(/** @type {Event & { currentTarget: HTMLInputElement }} */ e) =>
    set({ hook: e.currentTarget.checked })} />
        Deliver each firing to a URL
      </label>
      ${errors.webhook && markup`<small class="error" role="alert">${errors.webhook}</small>`}
      ${
    form.hook && markup`
        <div class="row">
          <${Field} id="f-method" label="Method" error=${errors["webhook.method"]}>
            <select value=${form.method} onChange=${(
      /** @type {Event & { currentTarget: HTMLSelectElement }} */ e,
    ) => set({ method: e.currentTarget.value })}>
              ${METHODS.map((m) => markup`<option>${m}</option>`)}
            </select>
          <//>
          <${Field} id="f-url" label="URL" class="grow" error=${errors["webhook.url"]}>
            <input type="url" required placeholder="https://example.com/hook" spellcheck="false"
              ...${bind("url")} />
          <//>
        </div>
        <div class="row">
          <${Field} id="f-timeout" label="Timeout (ms)" error=${errors["webhook.timeoutMs"]}>
            <input min="1" ...${number} ...${bind("timeoutMs")} />
          <//>
          <${Field} id="f-retries" label="Retries" error=${errors["webhook.retries"]}>
            <input min="0" ...${number} ...${bind("retries")} />
          <//>
        </div>
        <${JsonField} id="f-headers" label="Headers (JSON object, optional)" rows="2"
          placeholder='{ "X-Token": "…" }' value=${form.headers}
          onInput=${(/** @type {string} */ v) => set({ headers: v })} error=${
      errors["webhook.headers"]
    } />
      `
  }
    </fieldset>
  `;
}
