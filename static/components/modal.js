// @ts-check
// A native <dialog> shown modal: focus is trapped and Escape closes it, for free.
import { useEffect, useRef } from "preact/hooks";
import { markup } from "../markup.js";

let seq = 0;

/** What a dialog focuses first: an [autofocus] control, else the body's first form control. */
const FIRST = "[autofocus], .modal-body input, .modal-body select, .modal-body textarea";

/**
 * Header with the title and a close button; `children` are a `.modal-body` and a footer.
 * Focus goes to the first input (not the close button) and back to the opener on close.
 * @param {{
 *   title: string, onClose?: () => void, class?: string,
 *   children: import("preact").ComponentChildren,
 * }} props
 */
export function Modal({ title, onClose, children, class: cls }) {
  /** @type {import("preact").RefObject<HTMLDialogElement>} */
  const ref = useRef(null);
  const titleId = useRef(`modal-title-${++seq}`).current;
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const opener = document.activeElement;
    if (!dialog.open) dialog.showModal();
    const first = dialog.querySelector(FIRST);
    if (first instanceof HTMLElement) first.focus();
    /** @param {Event} e */
    const onCancel = (e) => {
      e.preventDefault();
      onClose?.();
    };
    // Chrome may close a dialog on a repeated Escape even when `cancel` is prevented: treat
    // that as closing, or reopen a dialog that must be answered (the API key prompt).
    const onNativeClose = () => (onClose ? onClose() : dialog.showModal());
    dialog.addEventListener("cancel", onCancel);
    dialog.addEventListener("close", onNativeClose);
    return () => {
      dialog.removeEventListener("cancel", onCancel);
      dialog.removeEventListener("close", onNativeClose);
      if (dialog.open) dialog.close();
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
    };
  }, []);
  return markup`
    <dialog ref=${ref} class=${"modal " + (cls || "")} aria-labelledby=${titleId}>
      <header class="modal-head">
        <h2 id=${titleId}>${title}</h2>
        ${
    onClose && markup`
          <button type="button" class="icon" aria-label="Close" onClick=${onClose}>✕</button>
        `
  }
      </header>
      ${children}
    </dialog>
  `;
}
