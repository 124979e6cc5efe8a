/** The reference design's routes in Tock's route table (answers `{ error }`). */
import { z } from "zod";
import {
  anyJson,
  body,
  legacyError,
  LegacyLog,
  LegacyTrigger,
  type TockRoute,
} from "./api_shapes.ts";

/** `/schedule_trigger` and its siblings, in API.md's order. */
export const REFERENCE_ROUTES: TockRoute[] = [
  {
    method: "post",
    path: "/schedule_trigger",
    summary: "Reference design: create a trigger",
    tag: "reference",
    auth: true,
    body: body("LegacyScheduleBody"),
    responses: {
      "200": {
        description: "Created",
        schema: z.object({ message: z.string(), trigger: LegacyTrigger }),
      },
      "400": legacyError("Invalid"),
      "409": legacyError("Name taken, or the store holds --max-triggers triggers"),
    },
  },
  {
    method: "get",
    path: "/list_triggers",
    summary:
      "Reference design: the first ?limit= triggers in creation order (default and most 5,000); X-Total-Count says how many exist",
    tag: "reference",
    auth: true,
    queryParams: [{ name: "limit", required: false, description: "1-5000, default 5000" }],
    responses: {
      "200": { description: "Triggers", schema: z.array(LegacyTrigger) },
      "400": legacyError("Invalid limit"),
    },
  },
  {
    method: "post",
    path: "/remove_trigger",
    summary: "Reference design: delete a trigger by name",
    tag: "reference",
    auth: true,
    body: body("LegacyRemoveBody"),
    responses: {
      "200": { description: "Removed", schema: z.object({ message: z.string() }) },
      "400": legacyError("Invalid"),
      "404": legacyError("No such trigger"),
    },
  },
  {
    method: "post",
    path: "/trigger_api",
    summary: "Reference design: fire a trigger by name; the body is the payload",
    tag: "reference",
    auth: true,
    queryParams: [{ name: "trigger_name", required: true, description: "The trigger's name" }],
    body: { name: "Payload", schema: anyJson, required: false },
    responses: {
      "200": {
        description: "Fired",
        schema: z.object({ message: z.string(), log: LegacyLog }),
      },
      "400": legacyError("Invalid JSON, Idempotency-Key or Tock-Hops"),
      "404": legacyError("No such trigger"),
      "409": legacyError("The Idempotency-Key's original entry is past retention"),
      "422": legacyError("The payload fails the payloadSchema, or the key was reused"),
      "508": legacyError("Loop detected: 8 or more webhook hops"),
    },
  },
  {
    method: "get",
    path: "/list_logs",
    summary:
      "Reference design: the newest ?limit= log entries (default 500, at most 5,000); X-Total-Count says how many exist",
    tag: "reference",
    auth: true,
    queryParams: [{ name: "limit", required: false, description: "1-5000, default 500" }],
    responses: {
      "200": { description: "Log entries", schema: z.array(LegacyLog) },
      "400": legacyError("Invalid limit"),
    },
  },
  {
    method: "post",
    path: "/test_trigger",
    summary: "Reference design: fire a definition once (after delay_seconds), saving nothing",
    tag: "reference",
    auth: true,
    body: body("LegacyScheduleBody"),
    responses: {
      "200": {
        description: "Fired",
        schema: z.object({ message: z.string(), log: LegacyLog.nullable() }),
      },
      "400": legacyError("Invalid"),
    },
  },
];
