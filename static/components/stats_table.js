// Log counts per trigger (GET /api/logs/stats); a name filters the list by that trigger.
import { markup } from "../markup.js";

export function StatsTable({ stats, error, onPick }) {
  if (error) return markup`<p class="error-text" role="alert">Could not load stats: ${error}</p>`;
  if (!stats) return markup`<p class="muted">Loading…</p>`;
  const total = (r) => r.active + r.archived;
  const rows = [...stats.byTrigger].sort((a, b) => total(b) - total(a));
  if (!rows.length) return markup`<p class="muted">No firings logged yet.</p>`;
  const name = (r) =>
    r.triggerId
      ? markup`
        <button type="button" class="link" title="Show only this trigger"
          onClick=${() => onPick(r.triggerId)}>${r.triggerName}</button>
      `
      : markup`<span>${r.triggerName || "tests"}</span> <span class="badge test">test</span>`;
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
    rows.map((r) =>
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
  `;
}
