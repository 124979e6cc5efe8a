/**
 * Tock's entry point and its only module with side effects: reads the configuration, opens
 * KV, registers housekeeping with Deno.cron, starts the scheduler and serves HTTP. With a
 * subcommand (`triggers`, `logs`, ...) it is instead the command-line client.
 */
import { createApp } from "./app.ts";
import { ConfigError, helpText, onDenoDeploy, parseConfig } from "./config.ts";
import { createDeps } from "./deps.ts";
import { kvHasQueues, listenForWakeups } from "./db/queues.ts";
import { Scheduler } from "./scheduler/engine.ts";
import { Housekeeper } from "./services/housekeeping.ts";
import { WebhookOutbox } from "./webhook/outbox.ts";
import { CLI_COMMANDS, runCli } from "./cli/main.ts";
import { openAccessWarning } from "./middleware/auth.ts";
import { firingLogger, logSink } from "./middleware/request_log.ts";

const args = [...Deno.args];
if (args[0] !== undefined && (CLI_COMMANDS.includes(args[0]) || args[0] === "help")) {
  Deno.exit(await runCli(args));
}
if (args[0] === "serve") args.shift();
if (args.includes("--help") || args.includes("-h")) {
  console.log(helpText());
  Deno.exit(0);
}

let config;
try {
  config = parseConfig(args, Deno.env.toObject());
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(`tock: ${err.message} (see --help)`);
  Deno.exit(2);
}

/** Set once KV is open; the cron handler below runs only after that. */
let housekeeper: Housekeeper | null = null;

// Registered at top level, before serving (Deno Deploy requires it); a no-op until KV is open.
// Every instance runs it; a per-minute lock in KV lets one of them do the work.
Deno.cron("tock-housekeeping", "* * * * *", async () => {
  await housekeeper?.tick();
});

// On Deno Deploy the disk is read-only and Deno.openKv() without a path is the app's own KV;
// a KV Connect URL (token in DENO_KV_ACCESS_TOKEN) is still honoured there.
const onDeploy = onDenoDeploy(Deno.env.toObject());
const kvTarget = onDeploy && !/^https?:\/\//.test(config.kv) ? undefined : config.kv;
if (kvTarget !== undefined && kvTarget !== ":memory:" && !/^https?:\/\//.test(kvTarget)) {
  const dir = config.kv.replace(/[^/\\]*$/, "");
  if (dir) await Deno.mkdir(dir, { recursive: true });
}
const kv = await Deno.openKv(kvTarget);
const deps = createDeps(kv, config);
const log = logSink(config.logFormat);
if (log) deps.bus.subscribe(firingLogger(log));
// The runtimes: each subscribes to the bus on start and lets go on stop.
const scheduler = new Scheduler(deps);
// KV Connect and Deno Deploy have no queues: there Tock never calls listenQueue or enqueue.
const queues = kvHasQueues(config.kv, { DENO_DEPLOYMENT_ID: Deno.env.get("DENO_DEPLOYMENT_ID") });
const outbox = new WebhookOutbox(deps, { queues, denyPrivate: config.webhookDenyPrivate });
if (queues) void listenForWakeups(kv, (logId) => outbox.wake(logId));
housekeeper = new Housekeeper(deps);

const stopStreams = new AbortController();
const app = createApp(deps, {
  schedulerStatus: () => scheduler.status(),
  log,
  shutdown: stopStreams.signal,
});
await scheduler.start();
await outbox.start();
housekeeper.start();

const openWarning = openAccessWarning(config);
if (openWarning) console.warn(openWarning);

const server = Deno.serve({
  port: config.port,
  hostname: config.hostname,
  onListen: ({ hostname, port }) => {
    const host = hostname.includes(":") ? `[${hostname}]` : hostname;
    console.log(`Tock listening on http://${host}:${port}`);
  },
}, app.fetch);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  console.log(`Tock stopping (${signal}): no new claims, finishing commits in flight`);
  await scheduler.stop();
  stopStreams.abort();
  // Event streams end on the abort above; the bound is a backstop for anything else that hangs.
  let grace: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    server.shutdown(),
    new Promise((r) => (grace = setTimeout(r, 3000))),
  ]);
  clearTimeout(grace);
  await outbox.stop();
  deps.schemas.close();
  await housekeeper?.stop();
  kv.close();
  Deno.exit(0);
}
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(sig, () => void shutdown(sig));
}
