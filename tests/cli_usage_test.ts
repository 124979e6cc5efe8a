/**
 * The command line itself, in-process and without a server: help, version, usage errors
 * (exit 2), flags before the command, "did you mean", and which arguments `main.ts` hands to
 * the CLI rather than the server.
 */
import assert from "node:assert/strict";
import { isCliInvocation } from "../cli/main.ts";
import { parseDuration } from "../cli/test_cmd.ts";
import { VERSION } from "../core/version.ts";
import { closedPort, tock } from "./helpers/cli.ts";

Deno.test("runCli() prints help with an example for every command and rejects bad usage with 2", async () => {
  const commands = [
    "",
    "triggers",
    "triggers list",
    "triggers get",
    "triggers create",
    "triggers update",
    "triggers delete",
    "triggers pause",
    "triggers resume",
    "triggers fire",
    "logs",
    "test",
    "export",
    "apply",
  ];
  for (const command of commands) {
    const args = command === "" ? ["help"] : [...command.split(" "), "--help"];
    const { code, stdout: out } = await tock(args);
    assert.equal(code, 0, command);
    assert.match(out, /^Usage: tock/m, command);
    assert.match(out, /^Examples?:\n {2}tock /m, command);
  }
  const usage: [string[], RegExp, Record<string, string>?][] = [
    [["triggers"], /Missing subcommand/],
    [["triggers", "nope"], /Unknown command "triggers nope"/],
    [["triggers", "lst"], /Unknown command "triggers lst"; did you mean "tock triggers list"\?/],
    [["trigger", "list"], /Unknown command "trigger"; did you mean "tock triggers list"\?/],
    [["lgos"], /Unknown command "lgos"; did you mean "tock logs"\?/],
    [["zzzzzzzz"], /^error: Unknown command "zzzzzzzz"\n/],
    [["triggers", "create", "x", "--every", "-5"], /--every: expected a positive number, got "-5"/],
    [["logs", "--limit", "-1"], /--limit: expected a positive integer, got "-1"/],
    [["test", "x.json", "--wait", "soon"], /--wait: expected a duration like 500ms/],
    [["triggers", "list"], /TOCK_URL: expected an http\(s\) URL, got "localhost:8000"/, {
      TOCK_URL: "localhost:8000",
    }],
    [
      ["triggers", "list", "--api-key", "a", "--api-key-file", "f"],
      /Give --api-key or --api-key-file, not both/,
    ],
    [
      ["triggers", "list", "--api-key-file", "/nonexistent/key"],
      /--api-key-file: cannot read "\/nonexistent\/key"/,
    ],
    [["triggers", "list"], /TOCK_API_KEY_FILE: cannot read "\/nonexistent\/key"/, {
      TOCK_API_KEY_FILE: "/nonexistent/key",
    }],
    [["triggers", "get"], /Missing trigger id or name/],
    [["triggers", "get", "a", "b"], /Unexpected argument "b"/],
    [["logs", "--state", "bogus"], /--state: expected active, archived, all; got "bogus"/],
    [["logs", "--nope"], /Unknown option '--nope'/],
    [["triggers", "create", "x", "--every", "0"], /--every: expected a positive number/],
    [["triggers", "create", "x", "--cron", "* * * * *", "--every", "5"], /Give one of/],
    [["triggers", "create", "x", "--payload", "{"], /--payload: not valid JSON/],
    [["triggers", "list", "--url", "ftp://x"], /--url: expected an http\(s\) URL/],
    [["apply", "/nonexistent/triggers.json"], /Cannot read "\/nonexistent\/triggers.json"/],
    [["help", "bogus"], /Unknown command "bogus"/],
  ];
  for (const [args, message, env] of usage) {
    const { code, stderr: err } = await tock(args, { env });
    assert.equal(code, 2, args.join(" "));
    assert.match(err, message, args.join(" "));
    assert.match(err, /Run "tock .*--help" for usage/);
  }
});

Deno.test("tock, tock help, tock --help and -h print the same help; --version and version the version", async () => {
  const runs = await Promise.all([[], ["help"], ["--help"], ["-h"]].map((a) => tock(a)));
  for (const r of runs) {
    assert.equal(r.code, 0);
    assert.equal(r.stderr, "");
    assert.equal(r.stdout, runs[0].stdout);
  }
  assert.match(runs[0].stdout, /^Usage: tock <command>/m);
  assert.match(runs[0].stdout, /^ {2}serve {2,}start the server/m);
  assert.match(VERSION, /^\d+\.\d+\.\d+/);
  for (const args of [["--version"], ["version"], ["--url", "http://x:1", "--version"]]) {
    assert.deepEqual(await tock(args), { code: 0, stdout: `tock ${VERSION}\n`, stderr: "" });
  }
  const extra = await tock(["version", "now"]);
  assert.equal(extra.code, 2);
});

Deno.test("common flags go before or after the command", async () => {
  const port = closedPort();
  const url = `http://127.0.0.1:${port}`;
  // Nothing listens there: the error naming that URL proves the flag was read.
  for (
    const args of [
      ["--url", url, "triggers", "list"],
      [`--url=${url}`, "--json", "triggers", "list"],
      ["triggers", "list", "--url", url],
      ["--api-key", "k", "--url", url, "logs", "--limit", "1"],
    ]
  ) {
    const r = await tock(args);
    assert.equal(r.code, 1, args.join(" "));
    assert.match(r.stderr, new RegExp(`^error: Cannot reach Tock at ${url}$`, "m"));
    assert.match(r.stderr, /^hint: is the server running there\? .*--url or TOCK_URL/m);
  }
});

Deno.test("isCliInvocation() sends commands, typos and help to the CLI; server flags to the server", () => {
  const cli = [
    [],
    ["help"],
    ["--help"],
    ["-h"],
    ["--version"],
    ["version"],
    ["triggers", "list"],
    ["trigger", "list"],
    ["--url", "http://x:1", "triggers", "list"],
    ["--api-key", "k", "logs"],
    ["--json", "export"],
    ["--url", "http://x:1"],
  ];
  const server = [
    ["serve"],
    ["serve", "--port", "8000"],
    ["--port", "8000"],
    ["--kv", ":memory:"],
    ["--api-key", "k"],
    ["--api-key-file", "/run/secrets/key"],
    ["--port", "8000", "--help"],
  ];
  for (const args of cli) assert.equal(isCliInvocation(args), true, args.join(" "));
  for (const args of server) assert.equal(isCliInvocation(args), false, args.join(" "));
});

Deno.test("parseDuration() reads ms, s, m and bare seconds", () => {
  assert.equal(parseDuration("500ms", "--wait", "test"), 500);
  assert.equal(parseDuration("30s", "--wait", "test"), 30_000);
  assert.equal(parseDuration("2m", "--wait", "test"), 120_000);
  assert.equal(parseDuration("1.5", "--wait", "test"), 1500);
  assert.equal(parseDuration("0", "--wait", "test"), 0);
  assert.throws(() => parseDuration("-1s", "--wait", "test"), /expected a duration/);
});
