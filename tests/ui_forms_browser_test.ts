// The trigger form and the run-now dialog: create, validate (touched fields only, plain
// words), preview, fire, and test without saving until the webhook answers.
// Browser tests (Chromium) against the real server; see tests/helpers/browser.ts for the fixture.
import assert from "node:assert/strict";
import {
  apiJson,
  assertNoProblems,
  browserTest,
  eventually,
  openPage,
  triggerRow,
  uniqueName,
} from "./helpers/browser.ts";

browserTest("UI forms in Chromium", async (t, { server, browser }) => {
  await t.step(
    "a delaySeconds trigger created in the form fires into the logs view live",
    async () => {
      const { context, page, problems } = await openPage(browser, server.url + "/#/triggers");
      const name = uniqueName("delay");
      await page.getByRole("button", { name: "New trigger" }).click();
      const dialog = page.getByRole("dialog", { name: "New trigger" });
      await dialog.getByLabel("Name", { exact: true }).fill(name);
      await dialog.getByLabel("Runs", { exact: true }).selectOption("delaySeconds");
      await dialog.getByLabel("Delay (seconds)").fill("2");
      await dialog.getByRole("button", { name: "Create trigger" }).click();
      await dialog.waitFor({ state: "detached" });
      const row = await triggerRow(page, name);
      assert.match(await row.locator(".schedule").innerText(), /^once at /);

      const list = await apiJson(server.url, "GET", "/api/triggers?limit=500");
      const at = Date.parse(
        list.body.items.find((t: { name: string }) => t.name === name).schedule.at,
      );
      await page.evaluate(() => (globalThis as unknown as { marker: number }).marker = 42);
      const clickedAt = Date.now();
      await page.getByRole("link", { name: "Logs" }).click();
      await page.getByRole("heading", { name: "Logs", exact: true }).waitFor();
      // `fresh` marks rows that arrived over SSE rather than with the view's first listing. Only
      // a machine too slow to open the view a second before the firing gets the listing instead.
      const live = clickedAt < at - 1000;
      const entry = page.locator(`table.logs tr${live ? ".fresh" : ""}[data-trigger="${name}"]`);
      await entry.waitFor();
      assert.deepEqual(await entry.locator(".badge.source-schedule").innerText(), "schedule");
      assert.match(
        await entry.locator('[data-label="Lateness"]').innerText(),
        /ms late|s late|on time/,
      );
      assert.deepEqual(await entry.locator(".outcome-ok").innerText(), "ok");
      assert.deepEqual(
        await page.evaluate(() => (globalThis as unknown as { marker: number }).marker),
        42,
      );

      // Back on the triggers view the one-time trigger shows as completed with one run.
      await page.getByRole("link", { name: "Triggers" }).click();
      const done = await triggerRow(page, name);
      await done.locator(".badge.status-completed").waitFor();
      assert.deepEqual(await done.locator('[data-label="Runs"]').innerText(), "1");
      assertNoProblems(problems);
      await context.close();
    },
  );

  await t.step("a bad cron expression is shown as an error next to the cron field", async () => {
    const { context, page, problems } = await openPage(browser, server.url + "/");
    const name = uniqueName("badcron");
    await page.getByRole("button", { name: "New trigger" }).click();
    const dialog = page.getByRole("dialog", { name: "New trigger" });
    await dialog.getByLabel("Name", { exact: true }).fill(name);
    await dialog.getByLabel("Runs", { exact: true }).selectOption("cron");
    await dialog.getByLabel("Cron expression").fill("61 25 * * *");
    await dialog.getByRole("button", { name: "Create trigger" }).click();
    const error = dialog.locator("#f-cron-error");
    await error.waitFor();
    const text = await error.innerText();
    assert(text.trim().length > 0);
    assert(!text.includes("{"), `raw JSON shown: ${text}`);
    assert.deepEqual(
      await dialog.getByLabel("Cron expression").getAttribute("aria-invalid"),
      "true",
    );
    const list = await apiJson(server.url, "GET", "/api/triggers?limit=500");
    assert(!list.body.items.some((t: { name: string }) => t.name === name));
    assertNoProblems(problems);
    await context.close();
  });

  await t.step("the form previews the next 5 occurrences while typing", async () => {
    const { context, page, problems } = await openPage(browser, server.url + "/");
    await page.getByRole("button", { name: "New trigger" }).click();
    const dialog = page.getByRole("dialog", { name: "New trigger" });
    await dialog.getByLabel("Runs", { exact: true }).selectOption("cron");
    await dialog.getByLabel("Time zone").fill("UTC");
    await dialog.getByLabel("Cron expression").fill("*/5 * * * *");
    const items = dialog.locator(".preview li");
    await eventually(async () => (await items.count()) === 5 ? true : undefined, "5 occurrences");
    const times = await dialog.locator(".preview li time").evaluateAll((els) =>
      els.map((e) => e.getAttribute("datetime"))
    );
    for (const t of times) assert.deepEqual(new Date(t!).getUTCMinutes() % 5, 0);
    assertNoProblems(problems);
    await context.close();
  });

  await t.step(
    "run now on an api trigger sends the edited payload, schema errors shown",
    async () => {
      const name = uniqueName("api");
      await apiJson(server.url, "POST", "/api/triggers", {
        name,
        type: "api",
        payload: { n: 1 },
        payloadSchema: {
          type: "object",
          required: ["n"],
          properties: { n: { type: "integer" } },
        },
      });
      const { context, page, problems } = await openPage(browser, server.url + "/");
      const row = await triggerRow(page, name);
      assert.deepEqual(await row.locator(".schedule .words").innerText(), "on API call");
      await row.getByRole("button", { name: `Run now: ${name}` }).click();
      const dialog = page.getByRole("dialog", { name: `Run ${name} now` });
      // The dialog opens on its payload editor, not on the close button.
      await dialog.waitFor();
      assert.equal(await page.evaluate("document.activeElement.id"), "fire-payload");
      const payload = dialog.getByLabel("Payload (JSON, optional)");
      await payload.fill("{ not json");
      await dialog.locator("#fire-payload-error").waitFor();
      assert(await dialog.getByRole("button", { name: "Fire" }).isDisabled());
      await payload.fill('{ "n": "forty-two" }');
      await dialog.getByRole("button", { name: "Fire" }).click();
      const schemaError = dialog.locator("#fire-payload-error");
      await schemaError.waitFor();
      assert(!(await schemaError.innerText()).includes("{"));
      await payload.fill('{ "n": 42 }');
      await dialog.getByRole("button", { name: "Fire" }).click();
      await dialog.waitFor({ state: "detached" });
      await page.getByRole("link", { name: "Logs" }).click();
      const entry = page.locator(`table.logs tr[data-trigger="${name}"]`);
      await entry.waitFor();
      assert.deepEqual(await entry.locator(".badge.source-api").innerText(), "api");
      await entry.locator("summary").click();
      assert.deepEqual(JSON.parse(await entry.locator("pre.payload").innerText()), { n: 42 });
      assertNoProblems(problems);
      await context.close();
    },
  );

  await t.step("test without saving fires once and saves nothing", async () => {
    const { context, page, problems } = await openPage(browser, server.url + "/");
    const name = uniqueName("dry");
    await page.getByRole("button", { name: "New trigger" }).click();
    const dialog = page.getByRole("dialog", { name: "New trigger" });
    await dialog.getByLabel("Name", { exact: true }).fill(name);
    await dialog.getByLabel("Every (seconds)").fill("30");
    await dialog.getByLabel("Payload (JSON, optional)").fill('{ "dry": true }');
    await dialog.getByRole("button", { name: "Test without saving" }).click();
    const result = dialog.locator(".test-result");
    await result.waitFor();
    assert.match(await result.innerText(), /Test fired at/);
    await dialog.getByRole("button", { name: "Cancel" }).click();
    const list = await apiJson(server.url, "GET", "/api/triggers?limit=500");
    assert(!list.body.items.some((t: { name: string }) => t.name === name));
    const logs = await apiJson(server.url, "GET", "/api/logs?source=test&limit=500");
    const log = logs.body.items.find((l: { triggerName: string }) => l.triggerName === name);
    assert(log, "the test firing is logged");
    assert.deepEqual(log.test, true);
    assert.deepEqual(log.payload, { dry: true });
    assertNoProblems(problems);
    await context.close();
  });

  await t.step("form errors wait for a touch, read plainly and go once fixed", async () => {
    const { context, page, problems } = await openPage(browser, server.url + "/");
    await page.getByRole("button", { name: "New trigger" }).click();
    const dialog = page.getByRole("dialog", { name: "New trigger" });
    await dialog.getByLabel("Runs", { exact: true }).selectOption("at");
    // The preview has asked the server about the empty date, and says so without an error.
    await dialog.locator("#preview-summary", { hasText: "Complete the schedule to see it." })
      .waitFor({ state: "attached" });
    assert.equal(await dialog.locator(".field .error").count(), 0);

    await dialog.getByLabel("Runs", { exact: true }).selectOption("everySeconds");
    await dialog.getByRole("button", { name: "Create trigger" }).click();
    const nameError = dialog.locator("#f-name-error");
    await nameError.waitFor();
    assert.equal(await nameError.innerText(), "Required");
    await dialog.getByLabel("Name", { exact: true }).pressSequentially("x");
    await nameError.waitFor({ state: "detached" });
    assertNoProblems(problems);
    await context.close();
  });

  await t.step("test without saving shows the webhook's answer once it settles", async () => {
    const hook = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      () => new Response("fine", { status: 200 }),
    );
    try {
      const { context, page, problems } = await openPage(browser, server.url + "/");
      await page.getByRole("button", { name: "New trigger" }).click();
      const dialog = page.getByRole("dialog", { name: "New trigger" });
      await dialog.getByLabel("Name", { exact: true }).fill(uniqueName("dry-hook"));
      await dialog.getByLabel("Deliver each firing to a URL").check();
      await dialog.getByLabel("URL", { exact: true }).fill(
        `http://127.0.0.1:${hook.addr.port}/hook`,
      );
      const button = dialog.getByRole("button", { name: "Test without saving" });
      await button.click();
      await dialog.locator(".test-result .outcome-ok").waitFor();
      assert.match(await dialog.locator(".test-result").innerText(), /HTTP 200/);
      // The button was never disabled, so focus is where the person left it.
      assert.equal(
        await page.evaluate("document.activeElement.textContent.trim()"),
        "Test without saving",
      );
      assertNoProblems(problems);
      await context.close();
    } finally {
      await hook.shutdown();
    }
  });
});
