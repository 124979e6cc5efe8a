// @ts-check
// A trigger's definition and counters, as a description list.
import { markup } from "../markup.js";
import { dateTime, scheduleWords } from "../format.js";
import { Countdown } from "./countdown.js";

/** @typedef {import("../api.js").Trigger} Trigger */

/** @param {unknown} v */
const json = (v) => JSON.stringify(v, null, 2);

/** @param {{ trigger: Trigger, counts: { active: number, archived: number } | null }} props */
export function TriggerDefinition({ trigger: t, counts }) {
  /** @type {[string, unknown][]} */
  const rows = [
    ["Type", t.type],
    ["Status", markup`<span class=${`badge status-${t.status}`}>${t.status}</span>`],
    ["Schedule", t.type === "api" ? "when called" : scheduleWords(t)],
  ];
  if (t.schedule?.cron) rows.push(["Cron", markup`<code>${t.schedule.cron}</code>`]);
  if (t.schedule?.timezone) rows.push(["Time zone", t.schedule.timezone]);
  rows.push(
    [
      "Tags",
      (t.tags || []).length ? (t.tags || []).join(", ") : markup`<span class="muted">none</span>`,
    ],
    ["Next run", t.status === "paused" ? "paused" : markup`<${Countdown} at=${t.nextRunAt} />`],
    ["Last run", markup`<${Countdown} at=${t.lastRunAt} empty="never" />`],
    ["Runs", t.runCount.toLocaleString()],
  );
  if (counts) {
    rows.push([
      "Logs kept",
      `${counts.active.toLocaleString()} active, ${counts.archived.toLocaleString()} archived`,
    ]);
  }
  rows.push(
    ["If runs are missed", t.misfire === "skip" ? "skip them" : "fire once to catch up"],
    [
      "Webhook",
      t.webhook ? markup`<code>${t.webhook.method} ${t.webhook.url}</code>` : "none",
    ],
    ["Payload", markup`<pre class="json">${json(t.payload)}</pre>`],
  );
  if (t.type === "api" && t.payloadSchema) {
    rows.push(["Payload schema", markup`<pre class="json">${json(t.payloadSchema)}</pre>`]);
  }
  rows.push(["Created", dateTime(t.createdAt)], [
    "Updated",
    `${dateTime(t.updatedAt)} (version ${t.version})`,
  ]);
  return markup`
    <dl class="definition">
      ${rows.map(([k, v]) => markup`<div><dt>${k}</dt><dd>${v}</dd></div>`)}
    </dl>
  `;
}
