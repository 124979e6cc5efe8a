// Filters for the logs list: trigger, source, outcome.
import { markup } from "../markup.js";

const SOURCES = ["schedule", "api", "manual", "test"];
const OUTCOMES = ["ok", "pending", "failed"];

/** `names` maps trigger ids to names; `onChange` receives a state updater. */
export function LogFilters({ filter, names, onChange }) {
  const pick = (key) => (e) => {
    const value = e.currentTarget.value;
    onChange((f) => ({ ...f, [key]: value }));
  };
  const options = (values) => values.map((v) => markup`<option value=${v}>${v}</option>`);
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
    </div>
  `;
}
