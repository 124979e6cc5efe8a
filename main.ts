/**
 * Tock's entry point and its only module with side effects: reads the configuration, opens
 * KV, registers housekeeping with Deno.cron, starts the scheduler and serves HTTP. With a
 * subcommand (`triggers`, `logs`, ...) it is instead the command-line client.
 */
import { createApp } from "./app.ts";
import { systemClock } from "./clock.ts";
import { ConfigError, helpText, parseConfig } from "./config.ts";
import type { Deps } from "./deps.ts";
import { FiringBus } from "./events.ts";
import { PayloadSchemas } from "./payload_schema.ts";
import { Scheduler } from "./scheduler/engine.ts";
import { runHousekeeping } from "./scheduler/sweeper.ts";
import { OutboxMessage, WebhookOutbox } from "./webhook/outbox.ts";
import { GroupCommitter } from "./db/group_commit.ts";
import { CLI_COMMANDS, runCli } from "./cli/main.ts";
import { Metrics } from "./metrics.ts";
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

/** Set once KV is open; the cron handlers below run only after that. */
let deps: Deps | null = null;

// Registered at top level, before serving (Deno Deploy requires it); a no-op until KV is open.
// Every instance runs it; a per-minute lock in KV lets one of them do the work.
Deno.cron("tock-housekeeping", "* * * * *", async () => {
  if (!deps) return;
  try {
    await runHousekeeping(deps, deps.clock.now());
  } catch (err) {
    console.error("housekeeping failed:", err);
  }
});

// On Deno Deploy the disk is read-only and Deno.openKv() without a path is the app's own KV;
// a KV Connect URL (token in DENO_KV_ACCESS_TOKEN) is still honoured there.
const onDeploy = Deno.env.get("DENO_DEPLOYMENT_ID") !== undefined;
const kvTarget = onDeploy && !/^https?:\/\//.test(config.kv) ? undefined : config.kv;
if (kvTarget !== undefined && kvTarget !== ":memory:" && !/^https?:\/\//.test(kvTarget)) {
  const dir = config.kv.replace(/[^/\\]*$/, "");
  if (dir) await Deno.mkdir(dir, { recursive: true });
}
const kv = await Deno.openKv(kvTarget);
const bus = new FiringBus();
deps = {
  kv,
  clock: systemClock,
  config,
  bus,
  schemas: new PayloadSchemas(),
  committer: new GroupCommitter(kv),
};
deps.metrics = new Metrics();
deps.metrics.attach(bus);
const log = logSink(config.logFormat);
if (log) bus.subscribe(firingLogger(log));
const scheduler = new Scheduler(deps);
deps.scheduler = scheduler;
const outbox = new WebhookOutbox(deps);
deps.outbox = outbox;
if (outbox.usesQueues) {
  // One listener per KV handle, routing on the message kind; KV Connect has no queues.
  void kv.listenQueue((msg: unknown) => {
    if (OutboxMessage.safeParse(msg).success) return outbox.onMessage(msg);
    console.error("dropped a queue message of unknown kind:", JSON.stringify(msg));
  });
}

const stopStreams = new AbortController();
const app = createApp(deps, {
  schedulerStatus: () => scheduler.status(),
  log,
  shutdown: stopStreams.signal,
});
await scheduler.start();
await outbox.start();

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
  kv.close();
  Deno.exit(0);
}
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(sig, () => void shutdown(sig));
}
