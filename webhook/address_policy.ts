/**
 * Where deliveries may go. Cloud metadata endpoints (169.254.169.254, fd00:ec2::254) are never
 * a destination: a trigger's creator could otherwise read instance credentials through Tock's
 * network position. With `--webhook-deny-private`, loopback, private, link-local and CGNAT
 * addresses are refused too. Checked before every attempt on the addresses the connection then
 * uses (pinned_request.ts). Only where that transport is not used (a network Deno restricts with
 * `--allow-net=<hosts>`, whose allow-list is then the bound; Deno Deploy) is the check made here
 * first, and `fetch` resolves the name again.
 */
import { lookup } from "node:dns/promises";

/** An address a host name resolved to. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address a connection to it may use. */
export type Resolver = (host: string) => Promise<ResolvedAddress[]>;

/** The system's resolver (hosts file, then DNS), as any connection of this process would use. */
export const systemResolver: Resolver = async (host) =>
  (await lookup(host, { all: true, order: "verbatim" })).map((a) => ({
    address: a.address,
    family: a.family === 6 ? 6 : 4,
  }));

/** A refused destination: the attempt fails at once and is not retried. */
export class BlockedDestination extends Error {}

/** The address a URL's host names literally (`10.0.0.1`, `[::1]`), or null for a name. */
export function literalAddress(hostname: string): string | null {
  const bare = hostname.startsWith("[") ? hostname.slice(1, -1) : hostname;
  return isIPv4(bare) || bare.includes(":") ? bare : null;
}

/** Why none of `addrs` may be connected to, or null when all may. */
export function addressProblem(addrs: string[], denyPrivate: boolean): string | null {
  for (const a of addrs) {
    const kind = classify(a);
    if (kind === "metadata") {
      return `Blocked destination: ${a} is a cloud metadata address`;
    }
    if (kind && denyPrivate) {
      return `Blocked destination: ${a} is a ${kind} address (--webhook-deny-private)`;
    }
  }
  return null;
}

/**
 * Why `url` may not be delivered to, or null when it may: the check of a process that
 * connects with `fetch`, which resolves the name again.
 */
export async function destinationProblem(
  url: string,
  denyPrivate: boolean,
): Promise<string | null> {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return `Invalid webhook URL`;
  }
  let addrs: string[];
  const literal = literalAddress(host);
  if (literal !== null) addrs = [literal];
  else if (/^localhost\.?$/i.test(host) || /\.localhost\.?$/i.test(host)) addrs = ["127.0.0.1"];
  else {
    addrs = await resolve(host);
    // Unresolvable here: fetch may still find it (hosts file), so only a strict policy refuses.
    if (addrs.length === 0 && denyPrivate) {
      return `Blocked destination: "${host}" could not be resolved to check it`;
    }
  }
  return addressProblem(addrs, denyPrivate);
}

async function resolve(host: string): Promise<string[]> {
  const [v4, v6] = await Promise.allSettled([
    Deno.resolveDns(host, "A"),
    Deno.resolveDns(host, "AAAA"),
  ]);
  return [
    ...(v4.status === "fulfilled" ? v4.value : []),
    ...(v6.status === "fulfilled" ? v6.value : []),
  ];
}

function isIPv4(s: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(s);
}

/** What kind of special address `addr` is, or null for a public one. */
export function classify(
  addr: string,
): "metadata" | "loopback" | "private" | "link-local" | "CGNAT" | "unspecified" | null {
  if (isIPv4(addr)) return classifyV4(addr.split(".").map(Number));
  const words = ipv6Words(addr);
  if (!words) return null;
  if (words.every((w) => w === 0)) return "unspecified";
  if (words.slice(0, 7).every((w) => w === 0) && words[7] === 1) return "loopback";
  // fd00:ec2::254, AWS's IPv6 metadata endpoint.
  if (
    words[0] === 0xfd00 && words[1] === 0xec2 && words.slice(2, 7).every((w) => w === 0) &&
    words[7] === 0x254
  ) return "metadata";
  // IPv4-mapped (::ffff:a.b.c.d): judged as the IPv4 address it is.
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) {
    return classifyV4([words[6] >> 8, words[6] & 255, words[7] >> 8, words[7] & 255]);
  }
  if ((words[0] & 0xfe00) === 0xfc00) return "private";
  if ((words[0] & 0xffc0) === 0xfe80) return "link-local";
  return null;
}

function classifyV4([a, b, c, d]: number[]): ReturnType<typeof classify> {
  if (a === 169 && b === 254 && c === 169 && d === 254) return "metadata";
  if (a === 127) return "loopback";
  if (a === 0) return "unspecified";
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return "private";
  if (a === 169 && b === 254) return "link-local";
  if (a === 100 && b >= 64 && b <= 127) return "CGNAT";
  return null;
}

/** The eight 16-bit words of an IPv6 address (with `::` and a dotted tail), or null. */
function ipv6Words(addr: string): number[] | null {
  let s = addr.split("%")[0].toLowerCase();
  const v4 = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(s);
  if (v4) {
    const [a, b, c, d] = v4[1].split(".").map(Number);
    s = s.slice(0, -v4[1].length) + ((a << 8) | b).toString(16) + ":" + ((c << 8) | d).toString(16);
  }
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const parse = (h: string) => (h === "" ? [] : h.split(":").map((w) => parseInt(w, 16)));
  const head = parse(halves[0]);
  const tail = halves.length === 2 ? parse(halves[1]) : [];
  const fill = 8 - head.length - tail.length;
  if (halves.length === 1 ? head.length !== 8 : fill < 0) return null;
  const words = [...head, ...Array(halves.length === 2 ? fill : 0).fill(0), ...tail];
  return words.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffff) ? null : words;
}
