/**
 * Tock's entry point and its only module with side effects. `tock serve [flags]` (or flags
 * alone) reads the configuration, opens KV, registers housekeeping with Deno.cron, starts the
 * runtimes and serves HTTP; anything else (`tock`, `tock triggers ...`) is the command-line
 * client. Start-up failures are one line and exit 2 (startup_errors.ts).
 */
import { createApp } from "./http/app.ts";
import {
  type Config,
  ConfigError,
  helpText,
  isKvConnectUrl,
  onDenoDeploy,
  parseConfig,
} from "./core/config.ts";
import { createDeps } from "./db/deps.ts";
import { kvHasQueues, listenForWakeups } from "./db/queues.ts";
import { getTriggerEntry } from "./db/triggers.ts";
import { Scheduler } from "./scheduler/engine.ts";
import { Housekeeper } from "./services/housekeeping.ts";
import { BackfillRunner } from "./services/backfill_runner.ts";
import { Alerter } from "./webhook/alerts.ts";
import { FailureWatch } from "./services/failure_watch.ts";
import { TriggerMetrics } from "./core/trigger_metrics.ts";
import { TriggerFeed } from "./services/trigger_feed.ts";
import { catalogOf } from "./db/trigger_catalog.ts";
import { WebhookOutbox } from "./webhook/outbox.ts";
import { isCliInvocation, runCli } from "./cli/main.ts";
import { openAccessWarning } from "./http/middleware/auth.ts";
import { firingLogger, logSink } from "./http/middleware/request_log.ts";
import {
  batchedLines,
  captureConsole,
  createLogger,
  logDeliveryFailure,
  urlHost,
} from "./core/logger.ts";
import { startupFailureLine, type StartupStage } from "./core/startup_errors.ts";
import { VERSION } from "./core/version.ts";

const args = [...Deno.args];
if (isCliInvocation(args)) Deno.exit(await runCli(args));
if (args[0] === "serve") args.shift();
if (args.includes("--version")) {
  console.log(`tock ${VERSION}`);
  Deno.exit(0);
}
if (args.includes("--help") || args.includes("-h")) {
  console.log(helpText());
  Deno.exit(0);
}

function readConfig(): Config {
  try {
    return parseConfig(args, Deno.env.toObject());
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`tock: ${err.message} (see --help)`);
    Deno.exit(2);
  }
}
const config = readConfig();

// From here every line goes through the logger: with --log-format json each is one object.
const logger = createLogger(config.logFormat);
captureConsole(logger);
for (const type of ["error", "unhandledrejection"] as const) {
  globalThis.addEventListener(type, (e) => {
    e.preventDefault();
    const err = "reason" in e ? e.reason : (e as ErrorEvent).error;
    logger.error("crashed", { error: err instanceof Error ? err.stack : String(err) });
    Deno.exit(1);
  });
}

/** Set once KV is open; the cron handler below runs only after that. */
let housekeeper: Housekeeper | null = null;

// Registered at top level, before serving (Deno Deploy requires it); a no-op until KV is open.
// Every instance runs it; a per-minute lock in KV lets one of them do the work.
Deno.cron("tock-housekeeping", "* * * * *", async () => {
  await housekeeper?.tick();
});

let stage: StartupStage = "kv";
/** Runs a start-up step; a failure is one line naming the flag to change, and exit 2. */
async function startStep<T>(step: () => Promise<T> | T): Promise<T> {
  try {
    return await step();
  } catch (err) {
    const line = startupFailureLine(err, config, stage);
    logger.error("start-up failed", { stage, error: line }, line);
    Deno.exit(2);
  }
}

// On Deno Deploy the disk is read-only and Deno.openKv() without a path is the app's own KV;
// a KV Connect URL (token in DENO_KV_ACCESS_TOKEN) is still honoured there.
const onDeploy = onDenoDeploy(Deno.env.toObject());
const kvTarget = onDeploy && !isKvConnectUrl(config.kv) ? undefined : config.kv;
const kv = await startStep(async () => {
  if (kvTarget !== undefined && kvTarget !== ":memory:" && !isKvConnectUrl(kvTarget)) {
    const dir = config.kv.replace(/[^/\\]*$/, "");
    if (dir) await Deno.mkdir(dir, { recursive: true });
  }
  return await Deno.openKv(kvTarget);
});
const deps = createDeps(kv, config);
// Request and firing lines: their own JSON objects, written through the logger's stdout.
const log = logSink(config.logFormat, batchedLines(logger.stdout));
if (log) deps.bus.subscribe(firingLogger(log));
// The runtimes: each subscribes to the bus on start and lets go on stop.
const scheduler = new Scheduler(deps);
// KV Connect and Deno Deploy have no queues: there Tock never calls listenQueue or enqueue.
const queues = kvHasQueues(config.kv);
const alerts = new Alerter(deps);
const watch = new FailureWatch(deps, alerts);
const triggerMetrics = new TriggerMetrics(deps.metrics.registry, config.metricsTriggerLimit);
triggerMetrics.attach(deps.bus);
const outbox = new WebhookOutbox(deps, {
  queues,
  denyPrivate: config.webhookDenyPrivate,
  // A series that ends failed is logged once, with the webhook's host (never its path/query).
  onSettled: (settled) => {
    // Issue 17: pauseAfterFailures, alerts and per-trigger metrics follow every outcome.
    watch.settled(settled);
    triggerMetrics.settled(settled);
    if (settled.outcome !== "failed") return;
    const host = settled.triggerId === null
      ? Promise.resolve(null)
      : getTriggerEntry(kv, settled.triggerId).then((e) => urlHost(e.value.webhook?.url))
        .catch(() => null);
    void host.then((h) => logDeliveryFailure(logger, settled, h));
  },
});
if (queues) void listenForWakeups(kv, (logId) => outbox.wake(logId));
housekeeper = new Housekeeper(deps);
const backfills = new BackfillRunner(deps);
// Other instances' trigger changes onto this bus (event streams; the scheduler polls anyway).
const triggerFeed = new TriggerFeed(deps);

const stopStreams = new AbortController();
const app = createApp(deps, {
  schedulerStatus: () => scheduler.status(),
  log,
  shutdown: stopStreams.signal,
});
await startStep(async () => {
  await scheduler.start();
  await outbox.start();
  housekeeper!.start();
  backfills.start();
  watch.start();
  await triggerFeed.start();
  // Load the names and last runs now, in the background, so the first search is fast too.
  catalogOf(kv)?.warm();
});

stage = "listen";
const server = await startStep(() =>
  Deno.serve({
    port: config.port,
    hostname: config.hostname,
    onListen: ({ hostname, port }) => {
      const host = hostname.includes(":") ? `[${hostname}]` : hostname;
      const url = `http://${host}:${port}`;
      logger.info("listening", { url, version: VERSION }, `Tock listening on ${url}`);
    },
  }, app.fetch)
);
// After the bind: a server that failed to start exposed nothing, and says only why it failed.
const openWarning = openAccessWarning(config);
if (openWarning) logger.warn("open access", { warning: openWarning }, openWarning);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info(
    "stopping",
    { signal },
    `Tock stopping (${signal}): no new claims, finishing commits in flight`,
  );
  await scheduler.stop();
  await backfills.stop();
  await triggerFeed.stop();
  stopStreams.abort();
  // Event streams end on the abort above; the bound is a backstop for anything else that hangs.
  let grace: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    server.shutdown(),
    new Promise((r) => (grace = setTimeout(r, 3000))),
  ]);
  clearTimeout(grace);
  await outbox.stop();
  await watch.stop();
  await alerts.stop();
  deps.schemas.close();
  await housekeeper?.stop();
  await catalogOf(kv)?.stop();
  kv.close();
  Deno.exit(0);
}
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(sig, () => void shutdown(sig));
}
