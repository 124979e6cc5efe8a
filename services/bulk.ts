/**
 * Bulk actions: pause, resume or delete many triggers, chosen by ids or by a filter. Each
 * trigger changes in its own atomic commit through the same functions as the single actions
 * (services/triggers.ts); the bus hears of the whole batch once.
 */
import type { Deps } from "../core/deps.ts";
import { ValidationError } from "../core/errors.ts";
import { matchingIds } from "../db/trigger_query.ts";
import type { TriggerChange } from "../core/firing_bus.ts";
import { BULK_MAX, type BulkRequest } from "../core/request_schemas.ts";
import { deleteOne, pauseOne, publishChanges, resumeOne, type Unpublished } from "./triggers.ts";

/** What a bulk action did: ids matched, triggers changed, and the failures by id. */
export interface BulkOutcome {
  matched: number;
  changed: number;
  failed: { id: string; error: string }[];
}

/** Commits in flight at once: enough to overlap KV round trips, few enough to stay fair. */
const CONCURRENCY = 16;

const ACTIONS: Record<BulkRequest["action"], (deps: Deps, id: string) => Promise<Unpublished>> = {
  pause: pauseOne,
  resume: resumeOne,
  delete: deleteOne,
};

/**
 * Applies `req.action` to every matched trigger. More than BULK_MAX matched is a
 * ValidationError before anything changes. A trigger that cannot take the action (unknown,
 * completed, deleted meanwhile) is listed in `failed`; the others still change.
 */
export async function bulkAction(deps: Deps, req: BulkRequest): Promise<BulkOutcome> {
  const ids = req.ids ? [...new Set(req.ids)] : await matchingIds(deps.kv, req.filter!, BULK_MAX);
  if (ids.length > BULK_MAX) {
    throw new ValidationError(`The filter matches more than ${BULK_MAX} triggers`, [{
      path: "filter",
      message: `Matches more than ${BULK_MAX} triggers; narrow it`,
    }]);
  }
  const act = ACTIONS[req.action];
  const changes: TriggerChange[] = [];
  const failed: BulkOutcome["failed"] = [];
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++];
      try {
        const { change } = await act(deps, id);
        if (change) changes.push(change);
      } catch (err) {
        failed.push({ id, error: (err as Error).message });
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  publishChanges(deps, changes);
  return { matched: ids.length, changed: changes.length, failed };
}
