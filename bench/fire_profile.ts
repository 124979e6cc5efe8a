/**
 * Where a firing's time goes: runs Tock with the V8 inspector, drives the fire endpoint with
 * bench/load.ts from another process, samples the server's JavaScript thread through the
 * inspector's Profiler, and reads every server thread's CPU time from /proc. Prints the
 * functions with the most self time and the CPU each thread used per request.
 *
 *   deno run -A bench/fire_profile.ts [--seconds 8] [--connections 50] [--client fetch|tcp]
 *     [--path fire|legacy|create] [--alloc]
 *
 * `--alloc` also samples allocations (the V8 heap profiler, collected objects included) and
 * prints the bytes allocated per request and the functions that allocated them.
 */
import { parseArgs } from "node:util";
import { startTock } from "./fire_servers.ts";
import { spawnLoad } from "./load.ts";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** CPU ms used so far by each thread of `pid`, by thread name. */
export async function threadCpuMs(pid: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const tick = 10; // USER_HZ is 100 on Linux
  for await (const t of Deno.readDir(`/proc/${pid}/task`)) {
    try {
      const st = await Deno.readTextFile(`/proc/${pid}/task/${t.name}/stat`);
      let comm = st.slice(st.indexOf("(") + 1, st.lastIndexOf(")"));
      if (comm.startsWith("V8 DefaultWorke")) comm = "V8 workers (GC, compiler)";
      else if (/^tokio|^deno-/.test(comm)) comm = "tokio/io";
      const f = st.slice(st.lastIndexOf(")") + 2).split(" ");
      out[comm] = (out[comm] ?? 0) + (Number(f[11]) + Number(f[12])) * tick;
    } catch { /* thread ended */ }
  }
  return out;
}

/** CPU ms used so far by every thread of `pid` together. */
export async function processCpuMs(pid: number): Promise<number> {
  return Object.values(await threadCpuMs(pid)).reduce((a, b) => a + b, 0);
}

/** The repository's root as the server's profile names its files. */
const ROOT = new URL("../", import.meta.url).href;

/** A profile frame as "function file:line", the path from the repository (or a package) on. */
function frameName(f: ProfileNode["callFrame"]): string {
  const path = f.url.replace(ROOT, "").replace(/^.*\/node_modules\//, "");
  const where = f.url ? `${path}:${f.lineNumber + 1}` : "";
  return `${f.functionName || "(anonymous)"} ${where}`.trim();
}

/** Self time per function of a V8 CPU profile, in ms, highest first. */
export function selfTimes(profile: {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}): [string, number][] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const name = frameName(byId.get(profile.samples[i])!.callFrame);
    self.set(name, (self.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  }
  return [...self.entries()].sort((a, b) => b[1] - a[1]);
}

/**
 * Inclusive time per function: its samples and those of everything it called, each sample
 * counted once per function even under recursion. An async function's time is that of the
 * slices it ran between awaits.
 */
export function inclusiveTimes(profile: {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}): [string, number][] {
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const total = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const seen = new Set<string>();
    for (let id: number | undefined = profile.samples[i]; id !== undefined; id = parent.get(id)) {
      seen.add(frameName(byId.get(id)!.callFrame));
    }
    for (const name of seen) {
      total.set(name, (total.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
    }
  }
  return [...total.entries()].sort((a, b) => b[1] - a[1]);
}

interface AllocNode {
  callFrame: ProfileNode["callFrame"];
  selfSize: number;
  children?: AllocNode[];
}

/** Bytes allocated per function (the allocating frame itself), highest first. */
function allocBySite(head: AllocNode): [string, number][] {
  const out = new Map<string, number>();
  const walk = (n: AllocNode) => {
    const name = frameName(n.callFrame);
    out.set(name, (out.get(name) ?? 0) + n.selfSize);
    for (const c of n.children ?? []) walk(c);
  };
  walk(head);
  return [...out.entries()].sort((a, b) => b[1] - a[1]);
}

async function inspectorSession(port: number) {
  let list: { webSocketDebuggerUrl: string }[] = [];
  for (let i = 0; i < 100 && list.length === 0; i++) {
    list = await fetch(`http://127.0.0.1:${port}/json/list`).then((r) => r.json()).catch(() => []);
    if (!list.length) await new Promise((r) => setTimeout(r, 100));
  }
  const ws = new WebSocket(list[0].webSocketDebuggerUrl);
  await new Promise((r) => (ws.onopen = r));
  let seq = 0;
  const waiting = new Map<number, (v: unknown) => void>();
  ws.onmessage = (e) => {
    const msg = JSON.parse(e.data);
    if (msg.id !== undefined) waiting.get(msg.id)?.(msg.result);
  };
  const send = <T = unknown>(method: string, params: unknown = {}) => {
    const id = ++seq;
    ws.send(JSON.stringify({ id, method, params }));
    return new Promise<T>((r) => waiting.set(id, r as (v: unknown) => void));
  };
  return { send, close: () => ws.close() };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      seconds: { type: "string", default: "8" },
      connections: { type: "string", default: "50" },
      client: { type: "string", default: "fetch" },
      path: { type: "string", default: "fire" },
      alloc: { type: "boolean", default: false },
    },
  });
  const dir = await Deno.makeTempDir({ prefix: "tock-prof-" });
  const inspectPort = 19229 + Math.floor(Math.random() * 500);
  const tock = await startTock(`${dir}/tock.kv`, [], [
    "-A",
    `--inspect=127.0.0.1:${inspectPort}`,
  ]);
  const { proc, url } = tock;
  const trigger = await (await fetch(`${url}/api/triggers`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "profile", type: "api" }),
  })).json();
  // --path create profiles trigger creation instead (unique names, as bench/create_bench.ts);
  // --path legacy fires through the reference API's `/trigger_api?trigger_name=`.
  const create = values.path === "create";
  const fireUrl = create
    ? `${url}/api/triggers`
    : values.path === "legacy"
    ? `${url}/trigger_api?trigger_name=profile`
    : `${url}/api/triggers/${trigger.id}/fire`;
  const body = (round: string) =>
    create
      ? `{"name":"${round}-{{n}}","type":"api","tags":["bench"],"payload":{"n":{{n}}}}`
      : '{"n":{{n}}}';
  // Warm up (JIT) before sampling.
  await spawnLoad({ urls: [fireUrl], method: "POST", body: body("warm"), durationMs: 2000 });

  const session = await inspectorSession(inspectPort);
  await session.send("Profiler.enable");
  await session.send("Profiler.setSamplingInterval", { interval: 200 });
  const before = await threadCpuMs(proc.pid);
  await session.send("Profiler.start");
  if (values.alloc) {
    // Every allocation sampled (~1 in 4 KiB), kept even once collected: the garbage per request.
    await session.send("HeapProfiler.startSampling", {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  }
  const t0 = performance.now();
  const load = await spawnLoad({
    urls: [fireUrl],
    method: "POST",
    body: body("c"),
    connections: Number(values.connections),
    durationMs: Number(values.seconds) * 1000,
    client: values.client === "tcp" ? "tcp" : "fetch",
  });
  const wall = performance.now() - t0;
  const { profile } = await session.send<{ profile: Parameters<typeof selfTimes>[0] }>(
    "Profiler.stop",
  );
  const after = await threadCpuMs(proc.pid);
  const allocs = values.alloc
    ? allocBySite(
      (await session.send<{ profile: { head: AllocNode } }>("HeapProfiler.stopSampling")).profile
        .head,
    )
    : null;
  session.close();

  console.log(
    `load: ${load.rps} firings/s, p50 ${load.latencyMs.p50} ms, p99 ${load.latencyMs.p99} ms`,
  );
  const n = load.requests;
  console.log("\nserver threads (CPU over the run, and per request):");
  for (const [name, ms] of Object.entries(after)) {
    const d = ms - (before[name] ?? 0);
    if (d < 20) continue;
    console.log(
      `  ${name.padEnd(28)} ${String(Math.round((d / wall) * 100)).padStart(3)}% of a core  ` +
        `${((d * 1000) / n).toFixed(0).padStart(4)} us/request`,
    );
  }
  const st = selfTimes(profile);
  const total = st.reduce((a, [, v]) => a + v, 0);
  console.log("\nJS thread, self time by function (top 45):");
  for (const [name, ms] of st.slice(0, 45)) {
    console.log(`  ${((ms / total) * 100).toFixed(1).padStart(5)}%  ${name}`);
  }
  console.log("\nJS thread, inclusive time of Tock's and Hono's functions (top 40):");
  const busy = total - (st.find(([n]) => n === "(idle)")?.[1] ?? 0);
  const ours = inclusiveTimes(profile).filter(([n]) =>
    /\.(ts|js):\d+$/.test(n) && !n.includes("ext:")
  );
  for (const [name, ms] of ours.slice(0, 40)) {
    console.log(
      `  ${((ms / busy) * 100).toFixed(1).padStart(5)}% of busy  ` +
        `${((ms * 1000) / n).toFixed(1).padStart(5)} us/req  ${name}`,
    );
  }
  if (allocs) {
    const bytes = allocs.reduce((a, [, v]) => a + v, 0);
    console.log(
      `\nAllocated per request: ~${(bytes / n / 1024).toFixed(1)} KiB; by function (top 25):`,
    );
    for (const [name, b] of allocs.slice(0, 25)) {
      console.log(`  ${((100 * b) / bytes).toFixed(1).padStart(5)}%  ${name}`);
    }
  }
  await tock.stop();
  await Deno.remove(dir, { recursive: true });
}
