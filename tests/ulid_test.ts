/**
 * The id scheme retention depends on (core/ulid.ts): an id's millisecond is exactly the time it
 * was made for, even after an id for a later millisecond (npm `ulid`'s monotonic factory would
 * stamp it with the later one, which is why Tock keeps its own), and ids of one millisecond
 * sort in the order they were made.
 */
import assert from "node:assert/strict";
import { isUlid, ulid, ulidFloor, ulidTime } from "../core/ulid.ts";

Deno.test("ulid: ids of one millisecond sort in the order they were made", () => {
  const t = Date.UTC(2026, 10, 30, 12, 0, 0, 7);
  const ids = Array.from({ length: 1000 }, () => ulid(t));
  assert.deepEqual([...ids].sort(), ids);
  assert.equal(new Set(ids).size, ids.length);
  for (const id of ids) {
    assert.ok(isUlid(id), id);
    assert.equal(ulidTime(id), t);
  }
});

Deno.test("ulid: an id for an earlier millisecond keeps that millisecond and sorts before", () => {
  const later = Date.UTC(2026, 10, 30, 12, 0, 1, 0);
  const earlier = later - 60_000;
  const a = ulid(later);
  const b = ulid(earlier);
  assert.equal(ulidTime(a), later);
  assert.equal(ulidTime(b), earlier);
  assert.ok(b < a);
});

Deno.test("ulid: ulidFloor bounds a millisecond's ids as a key range", () => {
  const t = Date.UTC(2026, 10, 30, 13, 0, 0, 0);
  const ids = [ulid(t), ulid(t), ulid(t + 1)];
  assert.ok(ulidFloor(t) <= ids[0] && ids[1] < ulidFloor(t + 1));
  assert.ok(ulidFloor(t + 1) <= ids[2]);
  assert.equal(ulidTime(ulidFloor(t)), t);
  assert.equal(ulidFloor(-5), ulidFloor(0));
  assert.ok(!isUlid("01ARZ3NDEKTSV4RRFFQ69G5FAU")); // U is not Crockford base32
  assert.ok(!isUlid(ids[0].toLowerCase()));
});
