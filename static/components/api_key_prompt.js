// @ts-check
// Asks for the API key when the server answers 401; the key is then kept in localStorage.
import { useState } from "preact/hooks";
import { markup } from "../markup.js";
import { Modal } from "./modal.js";
import { Field } from "./field.js";

/** @param {{ rejected: boolean, onSubmit: (key: string) => void }} props */
export function ApiKeyPrompt({ rejected, onSubmit }) {
  const [key, setKey] = useState("");
  const [error, setError] = useState("");
  /** @param {Event} e */
  const submit = (e) => {
    e.preventDefault();
    if (!key.trim()) return setError("Enter the key Tock was started with");
    onSubmit(key.trim());
  };
  /** @param {Event & { currentTarget: HTMLInputElement }} e */
  const onInput = (e) => {
    setKey(e.currentTarget.value);
    setError("");
  };
  const shown = error || (rejected ? "That key was not accepted. Try again." : "");
  return markup`
    <${Modal} title="API key required" class="narrow">
      <form onSubmit=${submit} class="key-form" novalidate>
        <div class="modal-body">
          <p>
            This Tock server is protected by an API key (<code>--api-key</code>). It is kept in
            this browser's local storage and sent in an <code>Authorization: Bearer</code> header.
          </p>
          <${Field} id="api-key" label="API key" error=${shown}>
            <input type="password" autocomplete="current-password" autofocus value=${key}
              onInput=${onInput} />
          <//>
        </div>
        <footer class="form-actions">
          <button type="submit" class="primary">Use this key</button>
        </footer>
      </form>
    <//>
  `;
}
