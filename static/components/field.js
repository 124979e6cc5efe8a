// @ts-check
// A labelled form control with its hint and its error, wired for screen readers.
import { cloneElement } from "preact";
import { markup } from "../markup.js";

/**
 * `children` is one control (a VNode); it gets `id`, `aria-invalid` and `aria-describedby` from here so the
 * error is read out with the field.
 * @param {{
 *   id: string, label: string, hint?: string, error?: string, class?: string,
 *   children: import("preact").ComponentChildren,
 * }} props
 */
export function Field({ id, label, hint, error, children, class: cls }) {
  const describedBy = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(" ");
  const only = Array.isArray(children) ? children[0] : children;
  const control = cloneElement(/** @type {import("preact").VNode<any>} */ (only), {
    id,
    "aria-invalid": error ? "true" : undefined,
    "aria-describedby": describedBy || undefined,
  });
  const classes = ["field", error && "has-error", cls].filter(Boolean).join(" ");
  return markup`
    <div class=${classes}>
      <label for=${id}>${label}</label>
      ${control}
      ${hint && markup`<small id=${`${id}-hint`} class="hint">${hint}</small>`}
      ${error && markup`<small id=${`${id}-error`} class="error" role="alert">${error}</small>`}
    </div>
  `;
}
