// "Next 5 occurrences" for the schedule being typed, fetched after a short pause in typing.
import { markup } from "../markup.js";
import { dateTime, relative } from "../format.js";
import { useNow } from "../live.js";

const ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

/** `state` is `{ loading, occurrences, message }`, kept by the form. */
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
    <section class="preview" aria-labelledby="preview-title" aria-live="polite"
      aria-busy=${state.loading ? "true" : "false"}>
      <h3 id="preview-title">Next 5 occurrences</h3>
      ${body}
      ${state.occurrences.length > 0 && markup`<p class="hint">In your time zone, ${ZONE}</p>`}
    </section>
  `;
}
