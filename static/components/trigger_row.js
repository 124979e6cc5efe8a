// One trigger in the table, with its actions.
import { markup } from "../markup.js";
import { scheduleWords } from "../format.js";
import { Countdown } from "./countdown.js";

export function TriggerRow({ trigger: t, busy, onEdit, onToggle, onRun, onDelete }) {
  const paused = t.status === "paused";
  const toggle = paused ? "Resume" : "Pause";
  return markup`
    <tr data-trigger=${t.name} class=${`status-${t.status}`}>
      <th scope="row" data-label="Name"><span class="name">${t.name}</span></th>
      <td data-label="Type"><span class=${`badge type-${t.type}`}>${t.type}</span></td>
      <td data-label="Schedule" class="schedule">${scheduleWords(t)}</td>
      <td data-label="Next run" class="next-run">
        ${
    paused ? markup`<span class="muted">paused</span>` : markup`<${Countdown} at=${t.nextRunAt} />`
  }
      </td>
      <td data-label="Last run"><${Countdown} at=${t.lastRunAt} empty="never" /></td>
      <td data-label="Runs" class="num">${t.runCount}</td>
      <td data-label="Status"><span class=${`badge status-${t.status}`}>${t.status}</span></td>
      <td class="actions">
        <button type="button" onClick=${() => onEdit(t)} aria-label=${`Edit ${t.name}`}>
          Edit
        </button>
        ${
    t.status !== "completed" && markup`
          <button type="button" class="toggle" disabled=${busy} onClick=${() => onToggle(t)}
            aria-label=${`${toggle} ${t.name}`}>${toggle}</button>
        `
  }
        <button type="button" disabled=${busy} onClick=${() => onRun(t)}
          aria-label=${`Run ${t.name} now`}>Run now</button>
        <button type="button" class="danger" disabled=${busy} onClick=${() => onDelete(t)}
          aria-label=${`Delete ${t.name}`}>Delete</button>
      </td>
    </tr>
  `;
}
