/** The delivery record's shape and pure helpers live with their storage (db/); named here too. */
export { type DeliveryRecord, idempotencyKey, newDelivery } from "../db/delivery_record.ts";
