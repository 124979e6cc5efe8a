// What a "test without saving" firing did: the log entry and the next occurrences.
import { markup } from "../markup.js";
import { dateTime, timeOfDay } from "../format.js";
import { OutcomeBadge } from "./outcome_badge.js";

export function TestResult({ result, onDismiss }) {
  const { log, occurrences = [] } = result;
  const hasPayload = log.payload !== null && log.payload !== undefined;
  return markup`
    <section class="test-result" role="status" aria-labelledby="test-title">
      <div class="test-head">
        <h3 id="test-title">Test fired at ${timeOfDay(log.firedAt)}</h3>
        <button type="button" class="link" onClick=${onDismiss}>Dismiss</button>
      </div>
      <p>Nothing was saved. <${OutcomeBadge} entry=${log} /></p>
      ${hasPayload && markup`<pre class="payload">${JSON.stringify(log.payload, null, 2)}</pre>`}
      ${
    occurrences.length > 0 && markup`
        <p class="muted">Would next run: ${occurrences.slice(0, 5).map(dateTime).join(" · ")}</p>
      `
  }
    </section>
  `;
}
