// Short-lived messages about what just happened ("… created", errors that belong to no field).
import { html } from "../html.js";

export function Notices({ items, onDismiss }) {
  return html`
    <div class="notices" role="status" aria-live="polite">
      ${items.map((n) =>
        html`
          <div key=${n.id} class=${`notice notice-${n.kind}`} role=${n.kind === "error"
            ? "alert"
            : undefined}>
            <span>${n.text}</span>
            <button type="button" class="icon" aria-label="Dismiss" onClick=${() =>
              onDismiss(n.id)}>✕</button>
          </div>
        `
      )}
    </div>
  `;
}
