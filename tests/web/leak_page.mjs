// The "Identify a leak" page in headless Chromium (Debian's, driven by playwright-core): the
// owner uploads a rasterized leak, the page shows the verdict and the ranked candidates, with
// no page error and no Content-Security-Policy violation, and its controls have accessible names.
// Driven by leak_page_test.py, which starts the server and hands over (JSON on stdin):
// {url, token, leak, document_id, recipient, innocents}.
import { chromium } from "playwright-core";
import { readFileSync } from "node:fs";

const input = JSON.parse(readFileSync(0, "utf8"));
const failures = [];
const check = (ok, what) => { if (!ok) failures.push(what); };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  timeout: 60000,
});
try {
  const page = await browser.newPage();
  const pageErrors = [];
  const cspConsole = [];
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  page.on("console", (m) => { if (/Content.Security.Policy/i.test(m.text())) cspConsole.push(m.text()); });
  // Violations seen by the page itself, from before its first script.
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener("securitypolicyviolation",
      (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  // The token lives in sessionStorage (common.js): put it there on the origin, then open the page.
  await page.goto(input.url + "/login.html");
  await page.evaluate((t) => sessionStorage.setItem("authToken", t), input.token);
  const response = await page.goto(input.url + "/leak.html");
  check(response.status() === 200, `leak.html answered ${response.status()}`);
  check(Boolean(response.headers()["content-security-policy"]), "leak.html has no CSP header");

  // Accessible names: what a screen reader announces is what the test finds the controls by.
  const file = page.getByLabel("Leaked file");
  const documentSelect = page.getByLabel("Document");
  const submit = page.getByRole("button", { name: "Identify" });
  check(await file.count() === 1, "no control labelled 'Leaked file'");
  check(await documentSelect.count() === 1, "no control labelled 'Document'");
  check(await submit.count() === 1, "no button named 'Identify'");
  check(await page.getByRole("status").count() === 1, "no status region");
  check(await page.getByRole("heading", { name: "Identify a leak", level: 1 }).count() === 1, "no h1");

  // The owner's documents fill the select (list-documents).
  await page.waitForSelector(`#leak-document option[value="${input.document_id}"]`, { state: "attached", timeout: 15000 });
  await file.setInputFiles(input.leak);
  await documentSelect.selectOption(String(input.document_id));
  await submit.click();
  const card = page.getByRole("region", { name: /Verdict/ });
  await card.waitFor({ state: "visible", timeout: 120000 });
  const verdict = (await page.locator("#verdict").textContent()).trim();
  check(verdict === "attributed", `verdict shown is '${verdict}'`);
  check((await page.locator("#verdict-detail").textContent()).includes(input.recipient),
        "the named recipient is not in the verdict detail");
  const rows = await page.locator("#candidates-body tr").evaluateAll(
    (trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent.trim())));
  check(rows.length === 1 + input.innocents.length, `${rows.length} candidate rows`);
  check(rows.length > 0 && rows[0][1] === input.recipient && rows[0][5] === "yes",
        `first candidate row is ${JSON.stringify(rows[0])}`);
  for (const row of rows.slice(1)) {
    check(input.innocents.includes(row[1]) && row[5] === "", `innocent row ${JSON.stringify(row)}`);
    check(Number(row[4]) > 1e-3, `innocent false-match probability ${row[4]}`);
  }
  check(Number(rows[0]?.[4]) <= 1e-6, `leaker's false-match probability ${rows[0]?.[4]}`);

  // A file that is no leak: the status region says why, the page keeps working.
  await file.setInputFiles({ name: "notes.png", mimeType: "image/png", buffer: Buffer.from("not an image") });
  await submit.click();
  // (a locator, not waitForFunction: that evaluates a string, which the page's CSP rightly refuses)
  await page.locator("#leak-status.error").waitFor({ timeout: 30000 });
  check((await page.getByRole("status").textContent()).length > 0, "no error message for garbage");

  const csp = await page.evaluate(() => window.__csp);
  check(pageErrors.length === 0, `page errors: ${JSON.stringify(pageErrors)}`);
  check(csp.length === 0 && cspConsole.length === 0, `CSP violations: ${JSON.stringify([...csp, ...cspConsole])}`);
  console.log(JSON.stringify({ verdict, rows, pageErrors, csp, cspConsole }));
} finally {
  await browser.close();
}
if (failures.length) {
  console.error("FAIL:\n  " + failures.join("\n  "));
  process.exit(1);
}
console.log("1 passed, 0 failed");
