// @ts-check
// "Next 5 occurrences" for the schedule being typed, fetched after a short pause in typing.
// The list's relative times tick every second, so the list itself is not a live region: a
// separate polite summary changes only when the occurrences do.
import { markup } from "../markup.js";
import { dateTime, previewSummary, relative } from "../format.js";
import { useNow } from "../live.js";

const ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

/** @typedef {import("../format.js").PreviewState} PreviewState */

/** @param {{ state: PreviewState }} props kept by the form */
export function OccurrencePreview({ state }) {
  const now = useNow();
  let body;
  if (state.message) body = markup`<p class="muted">${state.message}</p>`;
  else if (state.occurrences.length) {
    body = markup`
      <ol>
        ${
      state.occurrences.map((o) =>
        markup`
          <li>
            <time datetime=${o}>${dateTime(o)}</time>
            <small class="muted block">${relative(o, now)}</small>
          </li>
        `
      )
    }
      </ol>
    `;
  } else {
    body = markup`<p class="muted">${
      state.loading ? "Calculating…" : "No further occurrences"
    }</p>`;
  }
  return markup`
    <section class="preview" aria-labelledby="preview-title"
      aria-busy=${state.loading ? "true" : "false"}>
      <h3 id="preview-title">Next 5 occurrences</h3>
      <p class="visually-hidden" aria-live="polite" id="preview-summary">${
    previewSummary(state)
  }</p>
      ${body}
      ${state.occurrences.length > 0 && markup`<p class="hint">In your time zone, ${ZONE}</p>`}
    </section>
  `;
}
