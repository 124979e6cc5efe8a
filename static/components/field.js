// A labelled form control with its hint and its error, wired for screen readers.
import { cloneElement } from "preact";
import { html } from "../html.js";

/**
 * `children` is one control; it gets `id`, `aria-invalid` and `aria-describedby` from here so the
 * error is read out with the field.
 */
export function Field({ id, label, hint, error, children, class: cls }) {
  const describedBy = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(" ");
  const only = Array.isArray(children) ? children[0] : children;
  const control = cloneElement(only, {
    id,
    "aria-invalid": error ? "true" : undefined,
    "aria-describedby": describedBy || undefined,
  });
  return html`
    <div class=${"field" + (error ? " has-error" : "") + (cls ? " " + cls : "")}>
      <label for=${id}>${label}</label>
      ${control}
      ${hint && html`<small id=${`${id}-hint`} class="hint">${hint}</small>`}
      ${error && html`<small id=${`${id}-error`} class="error" role="alert">${error}</small>`}
    </div>
  `;
}
