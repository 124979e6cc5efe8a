// @ts-check
// Log counts per trigger (GET /api/logs/stats), busiest first, folded to the top 10 so the list
// of firings stays near the top of the page; a name filters the list by that trigger.
import { markup } from "../markup.js";

/** @typedef {import("../api.js").Stats} Stats */
/** @typedef {Stats["byTrigger"][number]} StatsRow */

/** Rows shown before "Show all". */
export const TOP = 10;

/**
 * @param {{
 *   stats: Stats | null, error: string, onPick: (triggerId: string) => void,
 *   all: boolean, onAll: (all: boolean) => void,
 * }} props `stats` holds the top rows (`triggers`: how many in all) until `all` asks for every
 *   row: at 100,000 triggers with logs the whole table is megabytes, read only on request.
 */
export function StatsTable({ stats, error, onPick, all, onAll }) {
  if (error) return markup`<p class="error-text" role="alert">Could not load stats: ${error}</p>`;
  if (!stats) return markup`<p class="muted">Loading…</p>`;
  const total = (/** @type {StatsRow} */ r) => r.active + r.archived;
  const rows = [...stats.byTrigger].sort((a, b) => total(b) - total(a));
  if (!rows.length) return markup`<p class="muted">No firings logged yet.</p>`;
  const shown = all ? rows : rows.slice(0, TOP);
  const count = stats.triggers ?? rows.length;
  const name = (/** @type {StatsRow} */ r) => {
    const id = r.triggerId;
    return id
      ? markup`
        <button type="button" class="link" title="Show only this trigger"
          onClick=${() => onPick(id)}>${r.triggerName}</button>
      `
      : markup`<span>${r.triggerName || "tests"}</span> <span class="badge test">test</span>`;
  };
  return markup`
    <table class="stats">
      <caption class="visually-hidden">Logged firings per trigger</caption>
      <thead>
        <tr>
          <th scope="col">Trigger</th>
          <th scope="col" class="num">Active</th>
          <th scope="col" class="num">Archived</th>
        </tr>
      </thead>
      <tbody>
        ${
    shown.map((r) =>
      markup`
          <tr key=${r.triggerId ?? r.triggerName}>
            <th scope="row">${name(r)}</th>
            <td class="num">${r.active}</td>
            <td class="num">${r.archived}</td>
          </tr>
        `
    )
  }
      </tbody>
      <tfoot>
        <tr>
          <th scope="row">Total</th>
          <td class="num">${stats.active}</td>
          <td class="num">${stats.archived}</td>
        </tr>
      </tfoot>
    </table>
    ${
    count > TOP && markup`
      <p class="more">
        <button type="button" class="link" aria-expanded=${all ? "true" : "false"}
          onClick=${() => onAll(!all)}>
          ${all ? `Show the top ${TOP} only` : `Show all ${count} triggers`}
        </button>
      </p>
    `
  }
  `;
}
