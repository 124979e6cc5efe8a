// A native <dialog> shown modal: focus is trapped and Escape closes it, for free.
import { useEffect, useRef } from "preact/hooks";
import { html } from "../html.js";

let seq = 0;

export function Modal({ title, onClose, children, class: cls }) {
  const ref = useRef(null);
  const titleId = useRef(`modal-title-${++seq}`).current;
  useEffect(() => {
    const dialog = ref.current;
    const opener = document.activeElement;
    if (!dialog.open) dialog.showModal();
    const onCancel = (e) => {
      e.preventDefault();
      onClose?.();
    };
    dialog.addEventListener("cancel", onCancel);
    return () => {
      dialog.removeEventListener("cancel", onCancel);
      if (dialog.open) dialog.close();
      if (opener && opener.isConnected) opener.focus();
    };
  }, []);
  return html`
    <dialog ref=${ref} class=${"modal" + (cls ? " " + cls : "")} aria-labelledby=${titleId}>
      <header class="modal-head">
        <h2 id=${titleId}>${title}</h2>
        ${onClose && html`
          <button type="button" class="icon" aria-label="Close" onClick=${onClose}>✕</button>
        `}
      </header>
      ${children}
    </dialog>
  `;
}
