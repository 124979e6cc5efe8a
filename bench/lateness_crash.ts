/** bench/scheduler_lateness.ts's crash scenario: kill -9 with triggers due, then a restart. */
import { startServer, waitFor } from "../tests/helpers/server.ts";
import {
  onceCheck,
  readLogs,
  serverTrouble,
  type Stats,
  stats,
  tempKv,
} from "./lateness_helpers.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface CrashResult {
  /** What the results file keeps. */
  result: Record<string, unknown>;
  /** Lateness of the triggers due after the restart. */
  lateness: Stats;
  notes: string;
}

/**
 * `n` one-time triggers due over 5-15 s; the server is killed with SIGKILL right after creating
 * them and restarted after `outageMs`: every trigger must fire exactly once, those due in the
 * outage as catch-ups, the rest on time.
 */
export async function crash(n: number, outageMs: number): Promise<CrashResult> {
  const kvPath = await tempKv();
  // A 1 s grace makes "came due during the outage" and "missed" the same thing here.
  const args = ["--misfire-grace", "1s"];
  let srv = await startServer({ kvPath, args });
  const created: { id: string; at: number }[] = [];
  const queue = Array.from({ length: n }, (_, i) => i);
  await Promise.all(Array.from({ length: 8 }, async () => {
    for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
      const res = await fetch(`${srv.url}/api/triggers`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: `crash-${i}`, schedule: { delaySeconds: 5 + (10 * i) / n } }),
      });
      const t = await res.json();
      if (res.status !== 201) throw new Error(`create: ${res.status} ${JSON.stringify(t)}`);
      created.push({ id: t.id, at: Date.parse(t.schedule.at) });
    }
  }));
  srv.kill("SIGKILL");
  const killedAt = Date.now();
  await srv.exited;
  await sleep(outageMs - (Date.now() - killedAt));
  const restartAt = Date.now();
  srv = await startServer({ kvPath, args });
  const listeningAt = Date.now();
  const kv = await Deno.openKv(kvPath);
  try {
    const lastDue = Math.max(...created.map((c) => c.at));
    await waitFor(
      async () => (await readLogs(kv, "crash-")).length >= n,
      lastDue - Date.now() + 10_000,
    )
      .catch(() => {});
    await sleep(1000);
    const logs = await readLogs(kv, "crash-");
    const once = onceCheck(logs, new Set(created.map((c) => c.id)));
    const dueInOutage = created.filter((c) => c.at < listeningAt).length;
    const catchUps = logs.filter((l) => l.catchUp).length;
    const onTime = logs.filter((l) => Date.parse(l.scheduledFor!) > listeningAt + 1000)
      .map((l) => l.lateMs!);
    const s = stats(onTime);
    const result = {
      ...once,
      outageMs: restartAt - killedAt,
      restartToListeningMs: listeningAt - restartAt,
      dueDuringOutage: dueInOutage,
      catchUps,
      lateAfterRestart: s,
      serverTrouble: serverTrouble(srv.output()),
    };
    const notes = `fired ${once.fired}, dup ${once.duplicates}, missing ${once.missing}, ` +
      `due in outage ${dueInOutage}, catchUp ${catchUps}`;
    return { result, lateness: s, notes };
  } finally {
    kv.close();
    await srv.stop();
  }
}
