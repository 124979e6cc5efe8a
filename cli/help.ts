/** `--help` for every command: usage, flags and at least one example each. */

const COMMON = `Common flags (before or after the command):
  --url <url>             Tock server (env TOCK_URL, default http://127.0.0.1:8000)
  --api-key <key>         bearer key (env TOCK_API_KEY)
  --api-key-file <path>   read the key from a file, keeping it out of ps (env TOCK_API_KEY_FILE)
  --json                  machine-readable JSON output
  -h, --help              show help`;

const DEFINITION = `Definition flags:
  -f, --file <path>            JSON definition (create body); flags override it; - is stdin
  --name <name>                trigger name
  --type scheduled|api         default: scheduled with a schedule, api without
  --cron <expr>                5-field cron, or 6 with seconds first
  --timezone <zone>            IANA time zone for --cron (default UTC)
  --every <seconds>            run every n seconds
  --at <iso>                   run once at an instant
  --delay <seconds>            run once, n seconds from now
  --start-at <iso>, --end-at <iso>, --max-runs <n>   bounds for --cron and --every
  --no-schedule                clear the schedule (for --type api)
  --payload <json>             payload carried by each firing
  --payload-schema <json>      JSON Schema for fire-time payloads (api triggers)
  --webhook <url>              deliver each firing to this URL
  --webhook-method <m>, --webhook-header "Name: value" (repeatable),
  --webhook-timeout-ms <n>, --webhook-retries <n>
  --no-webhook                 remove the webhook
  --misfire fire_once|skip     what to do about occurrences missed while down
  --overlap allow|skip|buffer_one  an occurrence due while the last delivery is pending
  --tag <tag>                  tag the trigger (repeatable; replaces its tags), --no-tags clears`;

const TEXTS: Record<string, string> = {
  "": `tock: command-line client for a Tock server

Usage: tock <command> [arguments] [flags]

Commands:
  serve                       start the server (tock serve --help lists its flags)
  triggers list               list triggers
  triggers get <ref>          show one trigger (<ref> is an id or a name)
  triggers create <name>      create a trigger
  triggers update <ref>       change some fields of a trigger
  triggers delete <ref>       delete a trigger
  triggers pause <ref>        stop firings until resumed
  triggers resume <ref>       start firing again
  triggers fire <ref>         fire a trigger now
  triggers backfill <ref>     fire the occurrences of a past window once each
  logs                        list execution logs; --follow streams new firings
  test <file>                 fire a definition once without saving it
  export                      print every trigger as a file for tock apply
  apply <file>                create, update (and with --prune delete) triggers to match a file
  help [command]              show help for a command (same as --help)
  version                     print the version (same as --version)

Exit codes: 0 ok, 1 the server refused (or could not be reached, or a tested webhook
failed), 2 bad usage or invalid file.

${COMMON}

Examples:
  tock triggers list
  tock export > triggers.json && tock apply triggers.json --dry-run
  TOCK_URL=http://tock.internal:8000 tock logs --follow`,

  triggers:
    `Usage: tock triggers <list|get|create|update|delete|pause|resume|fire|backfill> [arguments] [flags]

Manage triggers on a running server. Triggers are named by id or by name.
Run tock triggers <subcommand> --help for each one.

Example:
  tock triggers create nightly-report --cron "0 3 * * *" --timezone Europe/Berlin`,

  "triggers list":
    `Usage: tock triggers list [--type scheduled|api] [--status active|paused|completed] [flags]

List every trigger (all pages) as a table, or as a JSON array with --json.

${COMMON}

Example:
  tock triggers list --status paused --json`,

  "triggers get": `Usage: tock triggers get <id|name> [flags]

Show one trigger.

${COMMON}

Example:
  tock triggers get nightly-report`,

  "triggers create": `Usage: tock triggers create [name] [definition flags] [--paused] [flags]

Create a trigger from flags, a JSON file, or both. --paused creates it paused.

${DEFINITION}

${COMMON}

Examples:
  tock triggers create nightly-report --cron "0 3 * * *" --timezone Europe/Berlin \\
    --payload '{"report":"daily"}' --webhook https://example.com/hook
  tock triggers create deploy-hook --type api --payload-schema '{"type":"object"}'
  tock triggers create --file trigger.json`,

  "triggers update": `Usage: tock triggers update <id|name> [definition flags] [flags]

Change the given fields only (a PATCH); a new schedule takes effect at once.

${DEFINITION}

${COMMON}

Example:
  tock triggers update nightly-report --cron "30 3 * * *" --misfire skip`,

  "triggers delete": `Usage: tock triggers delete <id|name> [flags]

Delete a trigger. It fires no more; its logs stay until their retention ends.

${COMMON}

Example:
  tock triggers delete nightly-report`,

  "triggers pause": `Usage: tock triggers pause <id|name> [--reason text] [--until ISO] [flags]

Pause a trigger: no firings until it is resumed. --reason (at most 500 characters) is shown
with the trigger; --until (a future instant) resumes it by itself then.

${COMMON}

Example:
  tock triggers pause nightly-report --reason "db migration" --until 2026-12-01T06:00:00Z`,

  "triggers resume": `Usage: tock triggers resume <id|name> [flags]

Resume a paused trigger; its misfire policy decides about what was missed.

${COMMON}

Example:
  tock triggers resume nightly-report`,

  "triggers backfill": `Usage: tock triggers backfill <id|name> --from <ISO> --to <ISO> [flags]

Fire each occurrence in [from, to) once, oldest first, paced by the server's --backfill-rate.
Occurrences already fired (or backfilled before) are not fired again. At most 10,000.

${COMMON}

Example:
  tock triggers backfill nightly-report --from 2026-11-01T00:00:00Z --to 2026-11-08T00:00:00Z`,

  "triggers fire":
    `Usage: tock triggers fire <id|name> [--payload <json> | --payload-file <path>] [flags]

Fire a trigger now and print the log entry. Without a payload the trigger's own is used;
api triggers check it against their payload schema (a mismatch exits 1 with the errors).

${COMMON}

Example:
  tock triggers fire deploy-hook --payload '{"ref":"main"}'`,

  logs: `Usage: tock logs [--follow] [--trigger <id|name>] [--state active|archived|all]
                 [--source schedule|api|manual|test] [--outcome ok|pending|failed]
                 [--since <iso>] [--until <iso>] [--limit <n>] [flags]

List execution logs, newest first (default --limit 50). With --follow, stream each new
firing as it happens until Ctrl-C (--json prints one JSON object per line); the filters
apply to the stream too.

${COMMON}

Examples:
  tock logs --trigger nightly-report --state archived
  tock logs --follow --json | jq .triggerName`,

  test: `Usage: tock test <file|-> [--name <name>] [--payload <json>] [--wait <duration>] [flags]

Send a trigger definition to the server, which validates it and fires it once now, marked
as a test, without saving a trigger. The file is one definition (a create body), or a
trigger file from tock export, with --name choosing the entry. With a webhook, waits until
the delivery is done (at most --wait: 30s by default; 500ms, 10s, 2m; 0 does not wait).
Prints the log entry and the next runs. Exits 1 when the server refuses the definition or
the webhook delivery failed, or is still pending when the wait ends.

${COMMON}

Example:
  tock test nightly.json --payload '{"dry":true}'`,

  export: `Usage: tock export [--out <path>] [--include-secrets] [flags]

Print every trigger as a trigger file, sorted by name:
  { "version": 1, "triggers": [ { name, type, schedule, payload, payloadSchema, webhook,
    misfire, tags?, status? } ] }
Webhook header values (often credentials) are written as "<redacted>" unless
--include-secrets is given; stderr says how many were left out. tock apply keeps the
server's value for a "<redacted>" header. Applying the export to the same server changes
nothing.

${COMMON}

Example:
  tock export > triggers.json`,

  apply: `Usage: tock apply <file|-> [--prune] [--dry-run] [flags]

Make the server's triggers match a trigger file, by name: entries not on the server are
created, entries that differ are updated (only the changed fields), "status": "paused"
pauses. --prune deletes triggers that are not in the file. --dry-run prints the plan and
changes nothing. The file is validated first with the API's schemas; problems name the
entry and field (triggers[2].schedule.cron: ...) and exit 2. A second apply of the same
file reports "No changes". A webhook header whose value is "<redacted>" (from tock export)
keeps the value the server has; for a trigger the server lacks, it is an error.

${COMMON}

Examples:
  tock apply triggers.json --dry-run
  tock apply triggers.json --prune`,
};

/** Help for a command path (`""`, `"triggers"`, `"triggers create"`, ...), if there is one. */
export function helpText(command: string): string | undefined {
  return TEXTS[command];
}
