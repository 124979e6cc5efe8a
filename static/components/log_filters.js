// @ts-check
// Filters for the logs list: trigger, source, outcome and a time range.
import { markup } from "../markup.js";
import { fromLocalInput, toLocalInput } from "../format.js";

/** @typedef {import("../log_list.js").LogFilter} LogFilter */

const SOURCES = ["schedule", "api", "manual", "test"];
const OUTCOMES = ["ok", "pending", "failed"];

/**
 * @param {{
 *   filter: LogFilter, names: Map<string, string>,
 *   onChange: (update: (f: LogFilter) => LogFilter) => void,
 * }} props `names` maps trigger ids to names; `onChange` receives a state updater
 */
export function LogFilters({ filter, names, onChange }) {
  /** @param {"trigger" | "source" | "outcome"} key */
  const pick = (key) => (/** @type {Event & { currentTarget: HTMLSelectElement }} */ e) => {
    const value = e.currentTarget.value;
    onChange((f) => ({ ...f, [key]: value }));
  };
  /** @param {"since" | "until"} key */
  const time = (key) => (/** @type {Event & { currentTarget: HTMLInputElement }} */ e) => {
    const value = fromLocalInput(e.currentTarget.value);
    onChange((f) => ({ ...f, [key]: value }));
  };
  const options = (/** @type {string[]} */ values) =>
    values.map((v) => markup`<option value=${v}>${v}</option>`);
  const ranged = filter.since || filter.until;
  return markup`
    <div class="filters">
      <label>Trigger
        <select value=${filter.trigger} onChange=${pick("trigger")}>
          <option value="">All</option>
          ${[...names].map(([id, name]) => markup`<option value=${id}>${name}</option>`)}
        </select>
      </label>
      <label>Source
        <select value=${filter.source} onChange=${pick("source")}>
          <option value="">All</option>
          ${options(SOURCES)}
        </select>
      </label>
      <label>Outcome
        <select value=${filter.outcome} onChange=${pick("outcome")}>
          <option value="">All</option>
          ${options(OUTCOMES)}
        </select>
      </label>
      <label>From
        <input type="datetime-local" step="1" value=${toLocalInput(filter.since)}
          onChange=${time("since")} />
      </label>
      <label>Until
        <input type="datetime-local" step="1" value=${toLocalInput(filter.until)}
          onChange=${time("until")} />
      </label>
      ${
    ranged && markup`
        <button type="button" class="link small"
          onClick=${() => onChange((f) => ({ ...f, since: "", until: "" }))}>Any time</button>
      `
  }
    </div>
  `;
}
