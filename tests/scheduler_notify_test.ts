/**
 * Which trigger changes make the scheduler re-read its view: creating a trigger with nothing
 * due (an api trigger, a trigger created paused) adds no occurrence and removes none, so a
 * stream of such creates no longer keeps the scheduler re-listing the due index.
 */
import assert from "node:assert/strict";
import { createdWithNothingDue } from "../scheduler/records.ts";
import { buildDefinition, newTriggerRecord } from "../scheduler/definition.ts";
import { changeOf as change } from "../services/triggers.ts";
import type { TriggerCreate, TriggerRecord } from "../core/schemas.ts";

const NOW = Date.UTC(2026, 10, 29, 12);

function record(body: TriggerCreate, status: "active" | "paused" = "active"): TriggerRecord {
  return newTriggerRecord(buildDefinition(body, NOW, null), NOW, { status });
}

Deno.test("creates with nothing due leave the scheduler's view alone; anything else re-reads it", () => {
  const api = record({ name: "api", type: "api" });
  const pausedCron = record({ name: "paused", schedule: { cron: "* * * * *" } }, "paused");
  const soon = record({ name: "soon", schedule: { delaySeconds: 1 } });
  assert.equal(createdWithNothingDue([change("created", api)]), true);
  assert.equal(
    createdWithNothingDue([change("created", api), change("created", pausedCron)]),
    true,
  );
  // A created schedule adds an occurrence: the view must see it.
  assert.equal(createdWithNothingDue([change("created", soon)]), false);
  assert.equal(createdWithNothingDue([change("created", api), change("created", soon)]), false);
  // An update or a delete may have removed an occurrence the view holds.
  assert.equal(createdWithNothingDue([change("updated", api)]), false);
  assert.equal(createdWithNothingDue([change("deleted", api)]), false);
  // No changes: a publisher that only wants the scheduler to look.
  assert.equal(createdWithNothingDue([]), false);
});
