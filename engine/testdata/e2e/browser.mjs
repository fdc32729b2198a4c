// Drives Debian's Chromium with playwright-core: opens the page given as
// the first argument (served by browser_test.go), waits for it to finish
// its Socket.IO runs, and prints what the page found, per the protocol of
// internal/nodetest/lib.mjs: {"result": ...} or {"error": ...}.
import { chromium } from "playwright-core";
import { main } from "../../../internal/nodetest/lib.mjs";

const pageURL = process.argv[2];
const executablePath = process.argv[3] || "/usr/bin/chromium";

main(async () => {
  const browser = await chromium.launch({
    executablePath,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  try {
    const page = await browser.newPage();
    const consoleLines = [];
    const pageErrors = [];
    const failedRequests = [];
    page.on("console", (m) => consoleLines.length < 50 && consoleLines.push(`${m.type()}: ${m.text()}`));
    page.on("pageerror", (e) => pageErrors.push(String(e)));
    page.on("requestfailed", (r) => failedRequests.length < 20 && failedRequests.push(`${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
    const response = await page.goto(pageURL, { waitUntil: "load", timeout: 15000 });
    if (!response || !response.ok()) throw new Error(`loading ${pageURL}: HTTP ${response?.status()}`);
    try {
      await page.waitForFunction(() => window.heraldResult !== undefined, null, { timeout: 30000, polling: 50 });
    } catch (err) {
      const status = await page.evaluate(() => document.getElementById("status")?.textContent).catch((e) => String(e));
      throw new Error(
        `${err.message}\npage status: ${status}\nconsole: ${JSON.stringify(consoleLines)}\n` +
          `page errors: ${JSON.stringify(pageErrors)}\nfailed requests: ${JSON.stringify(failedRequests)}`,
      );
    }
    const result = await page.evaluate(() => window.heraldResult);
    const dom = await page.evaluate(() => ({
      status: document.getElementById("status").textContent,
      result: document.getElementById("result").textContent,
    }));
    let domMatches = false;
    try {
      domMatches = JSON.stringify(JSON.parse(dom.result)) === JSON.stringify(result);
    } catch {}
    return { page: result, domStatus: dom.status, domMatches, console: consoleLines, pageErrors, failedRequests };
  } finally {
    await browser.close();
  }
}, 38000);
