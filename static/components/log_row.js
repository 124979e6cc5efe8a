// @ts-check
// One firing in the logs list.
import { markup } from "../markup.js";
import { dateTime, lateness, shortDateTime } from "../format.js";
import { Countdown } from "./countdown.js";
import { OutcomeBadge } from "./outcome_badge.js";

/**
 * @param {{
 *   entry: import("../api.js").LogEntry, fresh: boolean, busy: boolean,
 *   onRedeliver: (e: import("../api.js").LogEntry) => void,
 * }} props
 */
export function LogRow({ entry: e, fresh, busy, onRedeliver }) {
  const hasPayload = e.payload !== null && e.payload !== undefined;
  const scheduled = e.scheduledFor && `Scheduled for ${dateTime(e.scheduledFor)}`;
  return markup`
    <tr data-log=${e.id} data-trigger=${e.triggerName} class=${fresh ? "fresh" : ""}>
      <td data-label="Fired">
        <span class="fired">
          <time datetime=${e.firedAt} title=${dateTime(e.firedAt)}>${
    shortDateTime(e.firedAt)
  }</time>
          <small class="muted"><${Countdown} at=${e.firedAt} /></small>
        </span>
      </td>
      <th scope="row" data-label="Trigger">
        <span class="name">${e.triggerName}</span>
        ${e.test && markup` <span class="badge test">test</span>`}
        ${
    e.catchUp && markup`
          <span class="badge catch-up" title="Stands for missed occurrences">catch-up</span>
        `
  }
      </th>
      <td data-label="Source"><span class=${`badge source-${e.source}`}>${e.source}</span></td>
      <td data-label="Lateness">
        ${
    scheduled
      ? markup`<span title=${scheduled}>${lateness(e.lateMs)}</span>`
      : markup`<span class="muted">—</span>`
  }
      </td>
      <td data-label="Outcome"><${OutcomeBadge} entry=${e} /></td>
      <td data-label="Payload" class="payload-cell">
        ${
    hasPayload
      ? markup`
            <details>
              <summary>payload</summary>
              <pre class="payload">${JSON.stringify(e.payload, null, 2)}</pre>
            </details>
          `
      : markup`<span class="muted">none</span>`
  }
      </td>
      <td class="actions">
        ${
    e.outcome === "failed" && markup`
          <button type="button" aria-disabled=${busy ? "true" : undefined}
            onClick=${() => busy || onRedeliver(e)}
            aria-label=${`Redeliver ${e.triggerName} firing`}>Redeliver</button>
        `
  }
      </td>
    </tr>
  `;
}
