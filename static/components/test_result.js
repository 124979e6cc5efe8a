// @ts-check
// What a "test without saving" firing did: the log entry, followed until its webhook outcome
// settles, and the next occurrences.
import { useEffect, useState } from "preact/hooks";
import { markup } from "../markup.js";
import { api } from "../api.js";
import { dateTime, timeOfDay } from "../format.js";
import { OutcomeBadge } from "./outcome_badge.js";

/** @typedef {import("../api.js").LogEntry} LogEntry */

/** Re-reads of a pending entry before giving up (the delay grows to 2 s: about a minute). */
const MAX_POLLS = 35;

/**
 * The entry, re-read while its outcome is `pending` (bounded), so the result shows the webhook's
 * answer when it arrives.
 * @param {LogEntry} initial
 */
function useSettled(initial) {
  const [entry, setEntry] = useState(initial);
  useEffect(() => {
    setEntry(initial);
    if (initial.outcome !== "pending") return;
    let stopped = false;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let timer;
    /** @param {number} n @param {number} delay */
    const poll = (n, delay) => {
      timer = setTimeout(async () => {
        try {
          const next = await api.log(initial.id);
          if (stopped) return;
          setEntry(next);
          if (next.outcome !== "pending") return;
        } catch { /* try again: the delivery may still be running */ }
        if (!stopped && n + 1 < MAX_POLLS) poll(n + 1, Math.min(delay * 2, 2000));
      }, delay);
    };
    poll(0, 250);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [initial.id]);
  return entry;
}

/**
 * @param {{
 *   result: { log: LogEntry, occurrences?: string[] }, onDismiss: () => void,
 * }} props
 */
export function TestResult({ result, onDismiss }) {
  const { occurrences = [] } = result;
  const log = useSettled(result.log);
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
