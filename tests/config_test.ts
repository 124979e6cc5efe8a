import assert from "node:assert/strict";
import {
  ConfigError,
  helpText,
  isLoopbackHost,
  onDenoDeploy,
  parseConfig,
  parseDuration,
  parseSize,
} from "../core/config.ts";

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
  assert.equal(c.maxEventStreams, 256);
  assert.equal(parseConfig([], { TOCK_MAX_EVENT_STREAMS: "3" }).maxEventStreams, 3);
  assert.throws(() => parseConfig(["--max-event-streams", "0"], {}), ConfigError);
  assert.equal(c.maxTriggers, 1_000_000);
  assert.equal(parseConfig(["--max-triggers", "100000000"], {}).maxTriggers, 100_000_000);
  assert.throws(() => parseConfig(["--max-triggers", "100000001"], {}), /1-100000000/);
});

Deno.test("parseConfig() prefers flags over environment over defaults", () => {
  const env = { PORT: "9001", TOCK_KV: ":memory:", TOCK_ACTIVE_RETENTION: "30m" };
  const c = parseConfig(["--port", "9002", "--api-key", "a, b ,c"], env);
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
      ["--hostname", "TOCK_HOSTNAME", "127.0.0.1"],
      ["--body-timeout", "TOCK_BODY_TIMEOUT", "10s"],
      ["--cors-origin", "TOCK_CORS_ORIGIN", "(none)"],
      ["--allowed-host", "TOCK_ALLOWED_HOST", "(none)"],
      ["--api-key-file", "TOCK_API_KEY_FILE", "(none)"],
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

Deno.test("parseConfig() reads the bind address from TOCK_HOSTNAME, never HOSTNAME", () => {
  // Docker, Kubernetes and shells export HOSTNAME as the machine's name.
  assert.equal(parseConfig([], { HOSTNAME: "web-7f9c" }).hostname, "127.0.0.1");
  assert.equal(parseConfig([], { TOCK_HOSTNAME: "0.0.0.0" }).hostname, "0.0.0.0");
  assert.equal(parseConfig(["--hostname", "::1"], { TOCK_HOSTNAME: "0.0.0.0" }).hostname, "::1");
});

Deno.test("parseConfig() refuses a blank API key instead of leaving the API open", () => {
  for (const raw of [" , ", ",", "a,,b", "a, ", " "]) {
    assert.throws(() => parseConfig([], { TOCK_API_KEY: raw }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.message, `--api-key: an API key is empty or blank, got "${raw}"`);
      return true;
    }, JSON.stringify(raw));
  }
  assert.throws(() => parseConfig(["--api-key", "has space"], {}), /--api-key: API keys may use/);
  assert.deepEqual(parseConfig([], { TOCK_API_KEY: "" }).apiKeys, []);
});

Deno.test("parseConfig() adds the keys of TOCK_API_KEY_FILE", () => {
  const files: Record<string, string> = {
    "/keys": "# ops keys\nk1\n\n  k2  \n",
    "/empty": "\n# nothing\n",
    "/blank": "k1\n , \n",
  };
  const read = (path: string) => {
    if (!(path in files)) throw new Deno.errors.NotFound(`no ${path}`);
    return files[path];
  };
  const c = parseConfig(["--api-key", "k0"], { TOCK_API_KEY_FILE: "/keys" }, read);
  assert.deepEqual(c.apiKeys, ["k0", "k1", "k2"]);
  assert.equal(c.apiKeyFile, "/keys");
  assert.deepEqual(parseConfig(["--api-key-file", "/keys"], {}, read).apiKeys, ["k1", "k2"]);
  assert.throws(() => parseConfig([], { TOCK_API_KEY_FILE: "/empty" }, read), /holds no key/);
  assert.throws(() => parseConfig([], { TOCK_API_KEY_FILE: "/blank" }, read), /empty or blank/);
  assert.throws(() => parseConfig([], { TOCK_API_KEY_FILE: "/none" }, read), /cannot read/);
});

Deno.test("parseConfig() takes --cors-origin and --allowed-host repeated or as comma lists", () => {
  const c = parseConfig(
    ["--cors-origin", "https://a.example", "--cors-origin", "http://b.example:8080/"],
    { TOCK_ALLOWED_HOST: "Tock.Internal, box.lan" },
  );
  assert.deepEqual(c.corsOrigins, ["https://a.example", "http://b.example:8080"]);
  assert.deepEqual(c.allowedHosts, ["tock.internal", "box.lan"]);
  assert.deepEqual(
    parseConfig([], { TOCK_CORS_ORIGIN: "https://x.test,https://y.test" })
      .corsOrigins,
    ["https://x.test", "https://y.test"],
  );
  assert.deepEqual(parseConfig([], {}).corsOrigins, []);
  assert.deepEqual(parseConfig([], {}).allowedHosts, []);
  assert.equal(parseConfig([], {}).bodyTimeoutMs, 10_000);
  assert.equal(parseConfig(["--body-timeout", "1s"], {}).bodyTimeoutMs, 1000);
  assert.throws(
    () => parseConfig(["--cors-origin", "a.example"], {}),
    /--cors-origin: expected origins/,
  );
  assert.throws(() => parseConfig(["--cors-origin", "https://a.example/app"], {}), /--cors-origin/);
  assert.throws(
    () => parseConfig(["--allowed-host", "a.example:80"], {}),
    /--allowed-host: expected host names/,
  );
});

Deno.test("isLoopbackHost() and onDenoDeploy() are the one place these are decided", () => {
  for (const h of ["localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]", "LOCALHOST"]) {
    assert.equal(isLoopbackHost(h), true, h);
  }
  for (const h of ["0.0.0.0", "10.0.0.1", "127.evil.example", "attacker.example", "::"]) {
    assert.equal(isLoopbackHost(h), false, h);
  }
  assert.equal(onDenoDeploy({ DENO_DEPLOYMENT_ID: "x" }), true);
  assert.equal(onDenoDeploy({}), false);
  assert.equal(
    onDenoDeploy({ get: (k: string) => (k === "DENO_DEPLOYMENT_ID" ? "x" : undefined) }),
    true,
  );
});

Deno.test("main.ts exits 2 with one line for a blank API key", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", "--kv", ":memory:"],
    cwd: new URL("../", import.meta.url),
    env: { TOCK_API_KEY: " , " },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr).trim();
  assert.equal(out.code, 2, stderr);
  assert.equal(stderr, 'tock: --api-key: an API key is empty or blank, got " , " (see --help)');
});

Deno.test("parseConfig() reads --webhook-deny-private as a switch and --validation-timeout as a duration", () => {
  const base = parseConfig([], {});
  assert.equal(base.webhookDenyPrivate, false);
  assert.equal(base.validationTimeoutMs, 250);
  const flags = parseConfig(["--webhook-deny-private", "--validation-timeout", "1s"], {});
  assert.equal(flags.webhookDenyPrivate, true);
  assert.equal(flags.validationTimeoutMs, 1000);
  assert.equal(parseConfig([], { TOCK_WEBHOOK_DENY_PRIVATE: "true" }).webhookDenyPrivate, true);
  assert.equal(parseConfig([], { TOCK_WEBHOOK_DENY_PRIVATE: "0" }).webhookDenyPrivate, false);
  assert.throws(
    () => parseConfig([], { TOCK_WEBHOOK_DENY_PRIVATE: "maybe" }),
    /--webhook-deny-private: expected true or false, got "maybe"/,
  );
});
