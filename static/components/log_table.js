// @ts-check
// The list of firings: a table of LogRows, or what to say when there are none.
import { markup } from "../markup.js";
import { LogRow } from "./log_row.js";

/** @typedef {import("../api.js").LogEntry} LogEntry */

/**
 * @param {{
 *   items: LogEntry[] | null, tab: string, fresh: Set<string>, busyId: string | null,
 *   onRedeliver: (e: LogEntry) => void, error: string,
 * }} props `fresh`: ids that arrived live, not with the listing
 */
export function LogTable({ items, tab, fresh, busyId, onRedeliver, error }) {
  if (items === null) return markup`<p class="muted">Loading…</p>`;
  if (items.length === 0) {
    if (error) return null;
    return markup`
      <p class="empty muted">
        ${
      tab === "active"
        ? "No firings yet. New ones appear here as they happen."
        : "Nothing archived."
    }
      </p>
    `;
  }
  return markup`
    <div class="table-wrap">
      <table class="cards logs">
        <thead>
          <tr>
            <th scope="col">Fired</th>
            <th scope="col">Trigger</th>
            <th scope="col">Source</th>
            <th scope="col">Lateness</th>
            <th scope="col">Outcome</th>
            <th scope="col">Payload</th>
            <th scope="col"><span class="visually-hidden">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          ${
    items.map((e) =>
      markup`
            <${LogRow} key=${e.id} entry=${e} fresh=${fresh.has(e.id)} busy=${busyId === e.id}
              onRedeliver=${onRedeliver} />
          `
    )
  }
        </tbody>
      </table>
    </div>
  `;
}
