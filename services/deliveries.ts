/** Webhook redelivery: a new attempt series for a logged firing, then the outbox is told. */
import type { Deps } from "../core/deps.ts";
import { redeliverLog } from "../db/deliveries.ts";
import type { StoredLog } from "../core/schemas.ts";

/**
 * Starts a new delivery series for log entry `logId` (see `redeliverLog` for its errors) and
 * publishes it as due, so a running outbox starts it at once; the due poll covers the rest.
 */
export async function redeliver(deps: Deps, logId: string): Promise<StoredLog> {
  const log = await redeliverLog(deps, logId);
  deps.bus.deliveryDue([logId]);
  return log;
}
