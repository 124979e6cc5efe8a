/** ULIDs: 48-bit millisecond time + 80 random bits, Crockford base32, time-sortable. */

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

function encodeTime(ms: number): string {
  let out = "";
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[ms % 32] + out;
    ms = Math.floor(ms / 32);
  }
  return out;
}

let lastTime = -1;
let lastRandom = new Uint8Array(16);

/**
 * A ULID for `timeMs`. Within one millisecond the random part increments, so ids made by
 * this process in the same millisecond sort in creation order (monotonic ULIDs). The time part
 * is always `timeMs` itself: retention reads an entry's age from its id. (That is why this is
 * not npm `ulid`'s `monotonicFactory`, nor `@std/ulid`'s: both stamp an id asked for an earlier
 * millisecond with the latest one used. Calls here do go back in time: a claim batch stamps its
 * entries with the instant it was planned while a firing answered meanwhile used a later one,
 * and clocks step back. Such an entry would age from the wrong instant, and its `firedAt` and
 * its id would disagree. tests/ulid_test.ts pins the difference.)
 */
export function ulid(timeMs: number): string {
  if (timeMs === lastTime) {
    for (let i = 15; i >= 0; i--) {
      if (lastRandom[i] < 31) {
        lastRandom[i]++;
        break;
      }
      lastRandom[i] = 0;
    }
  } else {
    lastTime = timeMs;
    lastRandom = crypto.getRandomValues(new Uint8Array(16)).map((b) => b % 32);
    lastRandom[0] &= 0x0f; // leave room to increment without overflow
  }
  let rand = "";
  for (const b of lastRandom) rand += ALPHABET[b];
  return encodeTime(timeMs) + rand;
}

/** The smallest ULID of a millisecond: a range bound for time-window scans. */
export function ulidFloor(timeMs: number): string {
  return encodeTime(Math.max(0, timeMs)) + "0".repeat(16);
}

/** The millisecond a ULID was made in. */
export function ulidTime(id: string): number {
  let ms = 0;
  for (const ch of id.slice(0, 10)) ms = ms * 32 + ALPHABET.indexOf(ch);
  return ms;
}

const ULID_RE = /^[0-9A-HJKMNP-TV-Z]{26}$/;
/** True when `s` has the shape of a ULID. */
export function isUlid(s: string): boolean {
  return ULID_RE.test(s);
}
