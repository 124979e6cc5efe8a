import assert from "node:assert/strict";
import { ConfigError, helpText, parseConfig, parseDuration, parseSize } from "../config.ts";

Deno.test("parseConfig() applies the defaults of API.md", () => {
  const c = parseConfig([], {});
  assert.equal(c.port, 8000);
  assert.equal(c.hostname, "127.0.0.1");
  assert.equal(c.kv, "./data/tock.kv");
  assert.deepEqual(c.apiKeys, []);
  assert.equal(c.activeRetentionMs, 2 * 3600_000);
  assert.equal(c.archiveRetentionMs, 46 * 3600_000);
  assert.equal(c.maxPayloadBytes, 32 * 1024);
  assert.equal(c.signingSecret, null);
  assert.equal(c.rateLimit, 0, "rate limit is off on loopback by default");
});

Deno.test("parseConfig() prefers flags over environment over defaults", () => {
  const env = { PORT: "9001", TOCK_KV: ":memory:", TOCK_ACTIVE_RETENTION: "30m" };
  const c = parseConfig(["--port", "9002", "--api-key", "a, b,,c"], env);
  assert.equal(c.port, 9002);
  assert.equal(c.kv, ":memory:");
  assert.equal(c.activeRetentionMs, 30 * 60_000);
  assert.deepEqual(c.apiKeys, ["a", "b", "c"]);
  assert.equal(parseConfig(["--port=7000"], {}).port, 7000);
});

Deno.test("parseConfig() turns the rate limit on by default beyond loopback", () => {
  assert.equal(parseConfig(["--hostname", "0.0.0.0"], {}).rateLimit, 600);
  assert.equal(parseConfig(["--hostname", "0.0.0.0", "--rate-limit", "0"], {}).rateLimit, 0);
});

Deno.test("parseConfig() names the flag of a bad value", () => {
  const cases: [string[], Record<string, string>, RegExp][] = [
    [["--port", "abc"], {}, /^--port: .*"abc"/],
    [["--active-retention", "2 hours"], {}, /^--active-retention: .*"2 hours"/],
    [[], { TOCK_ARCHIVE_RETENTION: "forever" }, /^--archive-retention: /],
    [["--max-payload", "lots"], {}, /^--max-payload: /],
    [["--log-format", "xml"], {}, /^--log-format: /],
    [["--port", "70000"], {}, /^--port: /],
  ];
  for (const [args, env, re] of cases) {
    assert.throws(() => parseConfig(args, env), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, re);
      return true;
    });
  }
});

Deno.test("parseConfig() rejects an unknown flag", () => {
  assert.throws(() => parseConfig(["--prot", "1"], {}), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /--prot/);
    return true;
  });
});

Deno.test("parseDuration() and parseSize() read the documented units", () => {
  assert.equal(parseDuration("500ms"), 500);
  assert.equal(parseDuration("30s"), 30_000);
  assert.equal(parseDuration("15m"), 900_000);
  assert.equal(parseDuration("2h"), 7_200_000);
  assert.equal(parseDuration("3d"), 259_200_000);
  assert.equal(parseDuration("2 hours"), null);
  assert.equal(parseDuration("5"), null);
  assert.equal(parseSize("32KiB"), 32768);
  assert.equal(parseSize("1MiB"), 1048576);
  assert.equal(parseSize("1MB"), 1_000_000);
  assert.equal(parseSize("4096"), 4096);
  assert.equal(parseSize("1 parsec"), null);
});

Deno.test("helpText() lists every flag with its environment variable and default", () => {
  const text = helpText();
  for (
    const [flag, env, def] of [
      ["--port", "PORT", "8000"],
      ["--hostname", "HOSTNAME", "127.0.0.1"],
      ["--kv", "TOCK_KV", "./data/tock.kv"],
      ["--api-key", "TOCK_API_KEY", "(none)"],
      ["--active-retention", "TOCK_ACTIVE_RETENTION", "2h"],
      ["--archive-retention", "TOCK_ARCHIVE_RETENTION", "46h"],
      ["--max-payload", "TOCK_MAX_PAYLOAD", "32KiB"],
      ["--signing-secret", "TOCK_SIGNING_SECRET", "(none)"],
    ]
  ) {
    const line = text.split("\n").find((l) => l.includes(flag + " "));
    assert.ok(line, `no help line for ${flag}`);
    assert.ok(line.includes(env) && line.includes(def), `help line for ${flag}: ${line}`);
  }
});

Deno.test("main.ts exits 2 with one line naming the bad flag", async () => {
  for (const args of [["--port", "abc"], ["--active-retention", "2 hours"], ["--bogus"]]) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "main.ts", ...args],
      cwd: new URL("../", import.meta.url),
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr).trim();
    assert.equal(out.code, 2, stderr);
    assert.equal(stderr.split("\n").length, 1, stderr);
    assert.match(stderr, new RegExp(args[0]));
  }
});

Deno.test("main.ts serve --help lists the flags and exits 0", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", "serve", "--help"],
    cwd: new URL("../", import.meta.url),
    stdout: "piped",
  }).output();
  assert.equal(out.code, 0);
  const text = new TextDecoder().decode(out.stdout);
  assert.match(text, /--max-payload.*TOCK_MAX_PAYLOAD.*32KiB/);
});

Deno.test("parseConfig() on Deno Deploy limits writes and allows for cold starts by default", () => {
  const deploy = { DENO_DEPLOYMENT_ID: "abc123" };
  const c = parseConfig([], deploy);
  assert.equal(c.rateLimit, 600, "public on Deploy although it binds loopback");
  assert.equal(c.misfireGraceMs, 90_000, "an instance woken by the minute cron is not 'missed'");
  const explicit = parseConfig(["--rate-limit", "0", "--misfire-grace", "2s"], deploy);
  assert.equal(explicit.rateLimit, 0);
  assert.equal(explicit.misfireGraceMs, 2000);
  assert.equal(parseConfig([], {}).misfireGraceMs, 5000);
});
