/** The filters and the query of a trigger listing, and the check of one record against them. */
import type { TriggerListQuery } from "../core/request_schemas.ts";
import type { TriggerRecord } from "../core/schemas.ts";
import { tagsOf } from "./trigger_index.ts";

export type Sort = TriggerListQuery["sort"];
/** The filters of a listing or a bulk action. */
export type Filter = Pick<TriggerListQuery, "q" | "tag" | "type" | "status" | "name">;
/** A listing query as db/ takes it (defaults applied). */
export type ListQuery = Filter & Pick<TriggerListQuery, "sort" | "order" | "limit" | "cursor">;

/** True when `rec` passes every filter (the name substring ignores case). */
export function matches(rec: TriggerRecord, f: Filter): boolean {
  if (f.type && rec.type !== f.type) return false;
  if (f.status && rec.status !== f.status) return false;
  if (f.name !== undefined && rec.name !== f.name) return false;
  if (f.q && !rec.name.toLowerCase().includes(f.q.toLowerCase())) return false;
  if (f.tag?.length) {
    const have = new Set(tagsOf(rec));
    if (!f.tag.every((t) => have.has(t))) return false;
  }
  return true;
}
