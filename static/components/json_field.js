// @ts-check
// A JSON text editor that says, as you type, whether the text parses.
import { markup } from "../markup.js";
import { parseJson } from "../trigger_model.js";
import { Field } from "./field.js";

/**
 * @param {{
 *   id: string, label: string, value: string, onInput: (value: string) => void,
 *   error?: string, hint?: string, rows?: number | string, placeholder?: string,
 * }} props
 */
export function JsonField({ id, label, value, onInput, error, hint, rows = 4, placeholder }) {
  const local = parseJson(value).error;
  return markup`
    <${Field} id=${id} label=${label} hint=${hint} error=${local || error} class="json-field">
      <textarea
        rows=${rows}
        spellcheck="false"
        autocomplete="off"
        placeholder=${placeholder}
        value=${value}
        onInput=${(/** @type {InputEvent & { currentTarget: HTMLTextAreaElement }} */ e) =>
    onInput(e.currentTarget.value)}
      ></textarea>
    <//>
  `;
}
