// "Next 5 occurrences" for the schedule being typed, fetched after a short pause in typing.
import { html } from "../html.js";
import { dateTime, relative } from "../format.js";
import { useNow } from "../live.js";

/** `state` is `{ loading, occurrences, message }`, kept by the form. */
export function OccurrencePreview({ state }) {
  const now = useNow();
  return html`
    <section class="preview" aria-labelledby="preview-title" aria-live="polite" aria-busy=${state
        .loading
      ? "true"
      : "false"}>
      <h3 id="preview-title">Next 5 occurrences</h3>
      ${state.message
        ? html`<p class="muted">${state.message}</p>`
        : state.occurrences.length
        ? html`<ol>${
          state.occurrences.map((o) =>
            html`
              <li><time datetime=${o}>${dateTime(o)}</time> <span class="muted">${relative(
                o,
                now,
              )}</span></li>
            `
          )
        }</ol>`
        : html`<p class="muted">${state.loading ? "Calculating…" : "No further occurrences"}</p>`}
    </section>
  `;
}
