// @ts-check
// One trigger in the table, with its selection box, tags and actions; the name opens its page.
import { markup } from "../markup.js";
import { scheduleWords } from "../format.js";
import { Countdown } from "./countdown.js";
import { CallExample } from "./call_example.js";

/** @typedef {import("../api.js").Trigger} Trigger */

/**
 * Busy buttons are `aria-disabled`, not `disabled`: a disabled button drops keyboard focus to
 * the page body, and the person would lose their place in a long table.
 * @param {{
 *   trigger: Trigger, busy: boolean, onEdit: (t: Trigger) => void,
 *   onToggle: (t: Trigger) => void, onRun: (t: Trigger) => void,
 *   onDelete: (t: Trigger) => void, selected: boolean,
 *   onSelect: (t: Trigger, on: boolean) => void, onTag: (tag: string) => void,
 * }} props `onTag` filters the list by a tag clicked on the row
 */
export function TriggerRow(
  { trigger: t, busy, onEdit, onToggle, onRun, onDelete, selected, onSelect, onTag },
) {
  const paused = t.status === "paused";
  const toggle = paused ? "Resume" : "Pause";
  const off = busy ? "true" : undefined;
  /** @param {(t: Trigger) => void} fn */
  const guard = (fn) => () => busy || fn(t);
  return markup`
    <tr data-trigger=${t.name} data-id=${t.id} class=${`status-${t.status}`}>
      <td class="select">
        <input type="checkbox" checked=${selected} aria-label=${`Select ${t.name}`}
          onChange=${(/** @type {Event & { currentTarget: HTMLInputElement }} */ e) =>
    onSelect(t, e.currentTarget.checked)} />
      </td>
      <th scope="row" data-label="Name">
        <a class="name" href=${`#/triggers/${encodeURIComponent(t.id)}`}>${t.name}</a>
        ${
    (t.tags || []).length > 0 && markup`
          <span class="tags">${
      (t.tags || []).map((tag) =>
        markup`<button type="button" class="tag" onClick=${() => onTag(tag)}
            aria-label=${`Filter by tag ${tag}`}>${tag}</button>`
      )
    }</span>
        `
  }
      </th>
      <td data-label="Type"><span class=${`badge type-${t.type}`}>${t.type}</span></td>
      <td data-label="Schedule" class="schedule">
        <span class="words">${scheduleWords(t)}</span>
        ${t.type === "api" && markup`<${CallExample} trigger=${t} />`}
      </td>
      <td data-label="Next run" class="next-run">
        ${
    paused ? markup`<span class="muted">paused</span>` : markup`<${Countdown} at=${t.nextRunAt} />`
  }
      </td>
      <td data-label="Last run"><${Countdown} at=${t.lastRunAt} empty="never" /></td>
      <td data-label="Runs" class="num">${t.runCount}</td>
      <td data-label="Status"><span class=${`badge status-${t.status}`}>${t.status}</span></td>
      <td class="actions">
        <button type="button" class="edit" onClick=${() => onEdit(t)}
          aria-label=${`Edit ${t.name}`}>Edit</button>
        ${
    t.status !== "completed" && markup`
          <button type="button" class="toggle" aria-disabled=${off} onClick=${guard(onToggle)}
            aria-label=${`${toggle} ${t.name}`}>${toggle}</button>
        `
  }
        <button type="button" class="run" aria-disabled=${off} onClick=${guard(onRun)}
          aria-label=${`Run now: ${t.name}`}>Run now</button>
        <button type="button" class="danger" aria-disabled=${off} onClick=${guard(onDelete)}
          aria-label=${`Delete ${t.name}`}>Delete</button>
      </td>
    </tr>
  `;
}
