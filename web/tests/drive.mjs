// Drives the browser verifier (web/dist/index.html) in Debian's headless Chromium, as a person
// would: it sets the files through the page's file inputs, clicks, waits for the verdict, and
// takes a screenshot of it. Run by tests/e2e/web.rs, which makes the ledger, the proofs and the
// plan, and asserts on what this prints.
//
// Usage: node web/tests/drive.mjs PLAN.json
// PLAN: {"chromium": path, "profile": fresh folder, "screenshots": folder, "cases": [case...]}
// case: {"name", "url", "action": "verify" | "entry" | "consistency", and any of "document",
//        "proof", "key_file" (paths), "key", "witnesses", "quorum", "tiles_url", "entry_index",
//        "old_checkpoint", "new_checkpoint" (text)}
// Prints one JSON line a case: {"name", "state", "ok", "failed", "text", "key_on_load",
//        "tiles_url_on_load", "progress", "requests", "errors", "console_errors"};
//        "requests" lists every URL the page asked for that is not a
//        file, data or blob URL (none, unless the case fetches tiles).
// No timeouts: a wait lasts until the page answers (the test harness owns the time).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const plan = JSON.parse(readFileSync(process.argv[2], "utf8"));
const context = await chromium.launchPersistentContext(plan.profile, {
  executablePath: plan.chromium,
  headless: true,
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
  viewport: { width: 1000, height: 900 },
});
context.setDefaultTimeout(0);

const local = (url) => /^(file|data|blob|about|chrome-error):/.test(url);

for (const c of plan.cases) {
  const page = await context.newPage();
  const requests = [];
  const errors = [];
  const consoleErrors = [];
  page.on("request", (r) => { if (!local(r.url())) requests.push(r.url()); });
  // A Content-Security-Policy violation is reported here, not as a page error.
  page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(c.url);
  await page.waitForSelector("body[data-ready=true]");
  const keyOnLoad = await page.inputValue("#key");
  const tilesOnLoad = await page.inputValue("#tiles-url");
  if (c.document) await page.setInputFiles("#document", c.document);
  if (c.proof) await page.setInputFiles("#proof", c.proof);
  if (c.key_file) {
    const want = readFileSync(c.key_file, "utf8").trim();
    await page.setInputFiles("#key-file", c.key_file);
    await page.waitForFunction((w) => document.getElementById("key").value === w, want);
  }
  if (c.key !== undefined) await page.fill("#key", c.key);
  if (c.witnesses !== undefined) {
    await page.click("#witness-step summary");
    await page.fill("#witnesses", c.witnesses);
    await page.fill("#quorum", String(c.quorum ?? ""));
  }
  if (c.action === "entry" || c.action === "consistency") await page.click("#online summary");
  if (c.tiles_url !== undefined) await page.fill("#tiles-url", c.tiles_url);
  if (c.action === "verify") {
    await page.click("#verify");
  } else if (c.action === "entry") {
    await page.fill("#entry-index", String(c.entry_index));
    await page.click("#fetch-entry");
  } else if (c.action === "consistency") {
    await page.fill("#old-checkpoint", c.old_checkpoint);
    await page.fill("#new-checkpoint", c.new_checkpoint);
    await page.click("#check-consistency");
  }
  const verdict = await page.waitForSelector("#verdict[data-state=done]");
  await verdict.scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(plan.screenshots, c.name + ".png"), fullPage: true });
  const result = await page.evaluate(() => {
    const v = document.getElementById("verdict");
    const box = document.getElementById("progress-box");
    return {
      state: v.dataset.state,
      ok: v.dataset.ok === "true",
      failed: v.dataset.failed || null,
      text: v.innerText,
      progress: box.hidden ? null : document.getElementById("progress").value,
      saved_proof: !document.getElementById("save-proof").hidden,
    };
  });
  console.log(JSON.stringify({
    name: c.name, key_on_load: keyOnLoad, requests, errors, console_errors: consoleErrors,
    tiles_url_on_load: tilesOnLoad, ...result,
  }));
  await page.close();
}
await context.close();
