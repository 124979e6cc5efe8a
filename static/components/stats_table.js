// Log counts per trigger (GET /api/logs/stats); a name filters the list by that trigger.
import { html } from "../html.js";

export function StatsTable({ stats, onPick }) {
  if (!stats) return html`<p class="muted">Loading…</p>`;
  const rows = [...stats.byTrigger].sort((a, b) => b.active + b.archived - a.active - a.archived);
  return html`
    <table class="stats">
      <caption class="visually-hidden">Firings per trigger</caption>
      <thead>
        <tr>
          <th scope="col">Trigger</th>
          <th scope="col" class="num">Active</th>
          <th scope="col" class="num">Archived</th>
        </tr>
      </thead>
      <tbody>
        ${rows.map((r) =>
          html`
            <tr key=${r.triggerId ?? r.triggerName}>
              <th scope="row">
                ${r.triggerId
                  ? html`
                    <button type="button" class="link" onClick=${() => onPick(r.triggerId)}
                      title="Show only this trigger">${r.triggerName}</button>
                  `
                  : r.triggerName || html`<span class="muted">tests</span>`}
              </th>
              <td class="num">${r.active}</td>
              <td class="num">${r.archived}</td>
            </tr>
          `
        )}
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
