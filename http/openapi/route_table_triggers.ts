/** The `/api/triggers` routes in Tock's route table, in API.md's order. */
import { PreviewQuery, TriggerListQuery } from "../../core/request_schemas.ts";
import { anyJson, body, logReply, problem, type TockRoute, triggerReply } from "./api_shapes.ts";

export const bad = problem("The request does not fit the contract (field errors in `errors`)");
export const missing = problem("No such trigger or log entry");

/** Create, list, bulk, read, change, delete, pause, resume, backfill, fire, preview. */
export const TRIGGER_ROUTES: TockRoute[] = [
  {
    method: "post",
    path: "/api/triggers",
    summary: "Create a trigger",
    tag: "triggers",
    auth: true,
    body: body("TriggerCreate"),
    responses: {
      "201": triggerReply("The trigger as stored"),
      "400": bad,
      "409": problem("The name is taken, or the store holds --max-triggers triggers"),
    },
  },
  {
    method: "get",
    path: "/api/triggers",
    summary: "List triggers",
    tag: "triggers",
    auth: true,
    query: TriggerListQuery,
    responses: { "200": { description: "One page", name: "TriggerPage" }, "400": bad },
  },
  {
    method: "post",
    path: "/api/triggers/bulk",
    summary: "Pause, resume or delete the triggers given by ids or matching a filter (<= 10,000)",
    tag: "triggers",
    auth: true,
    body: body("BulkRequest"),
    responses: { "200": { description: "What changed", name: "BulkResult" }, "400": bad },
  },
  {
    method: "get",
    path: "/api/triggers/{id}",
    summary: "Get a trigger",
    tag: "triggers",
    auth: true,
    responses: { "200": triggerReply("The trigger"), "404": missing },
  },
  {
    method: "patch",
    path: "/api/triggers/{id}",
    summary: "Change a trigger (a schedule change reschedules at once)",
    tag: "triggers",
    auth: true,
    body: body("TriggerPatch"),
    responses: {
      "200": triggerReply("The trigger as now stored"),
      "400": bad,
      "404": missing,
      "409": problem("The new name is taken"),
    },
  },
  {
    method: "delete",
    path: "/api/triggers/{id}",
    summary: "Delete a trigger (its logs stay until retention ends)",
    tag: "triggers",
    auth: true,
    responses: { "204": { description: "Deleted" }, "404": missing },
  },
  {
    method: "post",
    path: "/api/triggers/{id}/pause",
    summary: "Pause a trigger, optionally with a reason and an end (it resumes by itself then)",
    tag: "triggers",
    auth: true,
    body: body("PauseBody", false),
    responses: { "200": triggerReply("The paused trigger"), "400": bad, "404": missing },
  },
  {
    method: "post",
    path: "/api/triggers/{id}/resume",
    summary: "Resume a trigger (the misfire policy applies to what was missed)",
    tag: "triggers",
    auth: true,
    responses: { "200": triggerReply("The active trigger"), "404": missing },
  },
  {
    method: "post",
    path: "/api/triggers/{id}/backfill",
    summary: "Fire each occurrence of a past window once, oldest first, paced",
    tag: "triggers",
    auth: true,
    body: body("BackfillBody"),
    responses: {
      "200": { description: "What was found and queued", name: "BackfillResult" },
      "400": bad,
      "404": missing,
    },
  },
  {
    method: "post",
    path: "/api/triggers/{id}/fire",
    summary: "Fire a trigger now; the body is the payload (default: the trigger's payload)",
    tag: "triggers",
    auth: true,
    body: { name: "Payload", schema: anyJson, required: false },
    responses: {
      "202": logReply("The log entry of the firing"),
      "200": logReply("A repeat with the same Idempotency-Key: the original entry, nothing fired"),
      "400": problem("Invalid JSON, Idempotency-Key or Tock-Hops"),
      "404": missing,
      "409": problem("The Idempotency-Key's original entry is past retention"),
      "422": problem("The payload fails the payloadSchema (or its budget), or the key was reused"),
      "508": problem("Loop detected: the request came through 8 or more webhook hops"),
    },
  },
  {
    method: "get",
    path: "/api/triggers/{id}/preview",
    summary: "Next occurrences of a trigger",
    tag: "triggers",
    auth: true,
    query: PreviewQuery,
    responses: {
      "200": { description: "Occurrences", name: "Occurrences" },
      "400": bad,
      "404": missing,
    },
  },
];
