// The triggers table: loading budget, edit, pause/resume, delete, keyboard.
// Browser tests (Chromium) against the real server; see tests/helpers/browser.ts for the fixture.
import assert from "node:assert/strict";
import {
  apiJson,
  assertNoProblems,
  browserTest,
  DESKTOP,
  openPage,
  triggerRow,
  UI_TIMEOUT,
  uniqueName,
  watchProblems,
} from "./helpers/browser.ts";

browserTest("UI triggers view in Chromium", async (t, { server, browser }) => {
  await t.step("the UI loads in under 100 KB, from Tock only, without errors", async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    context.setDefaultTimeout(UI_TIMEOUT);
    const page = await context.newPage();
    const problems = watchProblems(page);
    const finished: Promise<number>[] = [];
    const urls: string[] = [];
    page.on("requestfinished", (req) => {
      urls.push(req.url());
      finished.push(req.sizes().then((s) => s.responseBodySize + s.responseHeadersSize));
    });
    await page.goto(server.url + "/");
    await page.getByRole("heading", { name: /Triggers/ }).waitFor();
    await page.locator(".live-live").waitFor();
    await page.locator("table.triggers, .empty").first().waitFor();
    const total = (await Promise.all(finished)).reduce((a, b) => a + b, 0);
    console.log(`UI transferred ${total} bytes in ${urls.length} requests`);
    assert.ok(total < 100_000, `${total} bytes is over budget`);
    for (const u of urls) assert(u.startsWith(server.url), `request left Tock: ${u}`);
    assertNoProblems(problems);
    await context.close();
  });

  await t.step("editing a trigger in the form changes its schedule and name", async () => {
    const name = uniqueName("edit");
    const created = await apiJson(server.url, "POST", "/api/triggers", {
      name,
      type: "scheduled",
      schedule: { everySeconds: 3600 },
    });
    assert.deepEqual(created.status, 201);
    const { context, page, problems } = await openPage(browser, server.url + "/");
    await (await triggerRow(page, name)).getByRole("button", { name: `Edit ${name}` }).click();
    const dialog = page.getByRole("dialog", { name: `Edit ${name}` });
    assert.deepEqual(await dialog.getByLabel("Every (seconds)").inputValue(), "3600");
    await dialog.getByLabel("Name", { exact: true }).fill(`${name}-renamed`);
    await dialog.getByLabel("Every (seconds)").fill("60");
    await dialog.getByRole("button", { name: "Save changes" }).click();
    await dialog.waitFor({ state: "detached" });
    const row = await triggerRow(page, `${name}-renamed`);
    assert.equal(await row.locator(".schedule").innerText(), "every minute");
    const saved = await apiJson(server.url, "GET", `/api/triggers/${created.body.id}`);
    assert.deepEqual(saved.body.name, `${name}-renamed`);
    assert.deepEqual(saved.body.schedule.everySeconds, 60);
    assertNoProblems(problems);
    await context.close();
  });

  await t.step("pause and resume from the table", async () => {
    const name = uniqueName("pause");
    const created = await apiJson(server.url, "POST", "/api/triggers", {
      name,
      type: "scheduled",
      schedule: { everySeconds: 3600 },
    });
    const { context, page, problems } = await openPage(browser, server.url + "/");
    const row = await triggerRow(page, name);
    await row.getByRole("button", { name: `Pause ${name}` }).click();
    await row.locator(".badge.status-paused").waitFor();
    assert.deepEqual(
      (await apiJson(server.url, "GET", `/api/triggers/${created.body.id}`)).body.status,
      "paused",
    );
    await row.getByRole("button", { name: `Resume ${name}` }).click();
    await row.locator(".badge.status-active").waitFor();
    assert.deepEqual(
      (await apiJson(server.url, "GET", `/api/triggers/${created.body.id}`)).body.status,
      "active",
    );
    assertNoProblems(problems);
    await context.close();
  });

  await t.step("delete asks for confirmation first", async () => {
    const name = uniqueName("delete");
    const created = await apiJson(server.url, "POST", "/api/triggers", {
      name,
      type: "scheduled",
      schedule: { cron: "0 16 * * *", timezone: "Asia/Kolkata" },
    });
    const { context, page, problems } = await openPage(browser, server.url + "/");
    const row = await triggerRow(page, name);
    assert.deepEqual(await row.locator(".schedule").innerText(), "at 16:00 Asia/Kolkata daily");
    await row.getByRole("button", { name: `Delete ${name}` }).click();
    const confirm = page.getByRole("dialog", { name: `Delete ${name}?` });
    await confirm.getByRole("button", { name: "Cancel" }).click();
    await confirm.waitFor({ state: "detached" });
    await row.waitFor();
    await row.getByRole("button", { name: `Delete ${name}` }).click();
    await page.getByRole("dialog", { name: `Delete ${name}?` })
      .getByRole("button", { name: "Delete trigger" }).click();
    await row.waitFor({ state: "detached" });
    assert.deepEqual(
      (await apiJson(server.url, "GET", `/api/triggers/${created.body.id}`)).status,
      404,
    );
    assertNoProblems(problems);
    await context.close();
  });

  await t.step(
    "the UI is keyboard operable: open the form with Enter, close it with Escape",
    async () => {
      const { context, page, problems } = await openPage(browser, server.url + "/");
      await page.getByRole("heading", { name: /Triggers/ }).waitFor();
      const button = page.getByRole("button", { name: "New trigger" });
      await button.focus();
      await page.keyboard.press("Enter");
      const dialog = page.getByRole("dialog", { name: "New trigger" });
      await dialog.waitFor();
      assert.equal(await page.evaluate("document.activeElement.id"), "f-name");
      await page.keyboard.press("Escape");
      await dialog.waitFor({ state: "detached" });
      assert.equal(await page.evaluate("document.activeElement.textContent"), "New trigger");
      assertNoProblems(problems);
      await context.close();
    },
  );
});
