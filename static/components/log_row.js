// One firing in the logs list.
import { html } from "../html.js";
import { dateTime, lateness, timeOfDay } from "../format.js";
import { Countdown } from "./countdown.js";
import { OutcomeBadge } from "./outcome_badge.js";

export function LogRow({ entry: e, fresh, busy, onRedeliver }) {
  const hasPayload = e.payload !== null && e.payload !== undefined;
  return html`
    <tr data-log=${e.id} data-trigger=${e.triggerName} class=${fresh ? "fresh" : ""}>
      <td data-label="Fired">
        <time datetime=${e.firedAt} title=${dateTime(e.firedAt)}>${timeOfDay(e.firedAt)}</time>
        <small class="muted block"><${Countdown} at=${e.firedAt} /></small>
      </td>
      <th scope="row" data-label="Trigger">
        <span class="name">${e.triggerName}</span>
        ${e.test && html`
          <span class="badge test">test</span>
        `}
        ${e.catchUp && html`
          <span class="badge catch-up" title="Stands for missed occurrences">catch-up</span>
        `}
      </th>
      <td data-label="Source"><span class=${`badge source-${e.source}`}>${e.source}</span></td>
      <td data-label="Lateness">
        ${e.scheduledFor
          ? html`<span title=${`Scheduled for ${dateTime(e.scheduledFor)}`}>${
            lateness(e.lateMs)
          }</span>`
          : html`<span class="muted">—</span>`}
      </td>
      <td data-label="Outcome">
        <${OutcomeBadge} entry=${e} />
      </td>
      <td data-label="Payload" class="payload-cell">
        ${hasPayload
          ? html`
            <details>
              <summary>payload</summary>
              <pre class="payload">${JSON.stringify(e.payload, null, 2)}</pre>
            </details>
          `
          : html`<span class="muted">none</span>`}
      </td>
      <td class="actions">
        ${e.outcome === "failed" && html`
          <button type="button" disabled=${busy} onClick=${() => onRedeliver(e)}
            aria-label=${`Redeliver ${e.triggerName} firing`}>Redeliver</button>
        `}
      </td>
    </tr>
  `;
}
