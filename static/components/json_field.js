// A JSON text editor that says, as you type, whether the text parses.
import { markup } from "../markup.js";
import { parseJson } from "../trigger_model.js";
import { Field } from "./field.js";

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
        onInput=${(e) => onInput(e.currentTarget.value)}
      ></textarea>
    <//>
  `;
}
