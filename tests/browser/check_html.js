// Drives the HTML report in headless Chromium (cdp.js) and checks the page:
// the matrix is there, text and "version-specific only" filtering work,
// sorting works, the SQL opens on demand, a bar per version, nothing from the migration executes
// (no dialog, one script element, no <img>); saves a screenshot.
//
//   node check_html.js REPORT.html SCREENSHOT.png EXPECT.json
//
// EXPECT.json is mkrun's summary: {"statements": N, "version_specific": K,
// "classes": {"CLASS": n, ...}}. Prints "ok - ..." / "not ok - ..." lines;
// exits 1 on a failed check, 3 when the browser cannot be driven.
'use strict';
const fs = require('fs');
const cdp = require('./cdp');

const [report, shot, expectFile] = process.argv.slice(2);
const expect = JSON.parse(fs.readFileSync(expectFile, 'utf8'));

cdp.run(async (page) => {
  const { ok, s, ev } = page;
  // anything of the migration that ran would call alert or set this flag
  await s('Page.addScriptToEvaluateOnNewDocument', {
    source: 'window.__xss = 0; window.alert = function () { window.__xss++; };',
  });
  await page.open(report, 'document.getElementById("count")');
  const visible = 'Array.prototype.filter.call(document.querySelectorAll("#matrix tbody tr"), r => !r.hidden).length';

  ok(await ev('!!document.querySelector("table#matrix")'), 'the matrix is there');
  const nrows = await ev('document.querySelectorAll("#matrix tbody tr").length');
  ok(nrows === expect.statements, `one row per statement: ${nrows} of ${expect.statements}`);
  const heads = await ev('Array.prototype.map.call(document.querySelectorAll("#matrix thead th"), t => t.textContent).join(",")');
  ok(heads.includes(',10,11,12,13,14,15,16,17,'), `a column per version: ${heads}`);
  ok((await ev(visible)) === expect.statements, 'every row shown at first');
  ok((await ev('document.getElementById("count").textContent')).startsWith(`${expect.statements} of`), 'the count');

  // the per-version bars (report/svg.c): one per version, each as wide as the
  // run's statements, each segment its share
  const bars = await ev(`Array.prototype.map.call(document.querySelectorAll("ul.per-version svg.bar"), b => ({
    total: +b.dataset.total, segs: Array.prototype.map.call(b.querySelectorAll("rect.seg"), r => ({ n: +r.dataset.n, w: r.getBBox().width })) }))`);
  ok(bars.length === 8, `a bar per version in the per-version summary: ${bars.length}`);
  ok(bars.every((b) => b.total === expect.statements && b.segs.reduce((a, x) => a + x.n, 0) === b.total
    && Math.abs(b.segs.reduce((a, x) => a + x.w, 0) - 240) < 0.5
    && b.segs.every((x) => Math.abs(x.w - 240 * x.n / b.total) < 0.5)),
    `every bar's segments add up to the ${expect.statements} statements, in proportion`);

  // nothing of the migration runs
  ok(page.dialogs === 0 && (await ev('window.__xss')) === 0, 'no script of the migration ran');
  ok((await ev('document.scripts.length')) === 1, 'one script element: the page\'s own');
  ok((await ev('document.images.length')) === 0, 'no image element');
  ok(await ev('document.body.textContent.includes("<script>alert(1)</script>")'),
    'the hostile identifier is shown as text');

  // filter by text
  const cls = 'ALTER TABLE ADD COLUMN DEFAULT constant';
  await ev(`(() => { const q = document.getElementById("q"); q.value = ${JSON.stringify(cls.toLowerCase())}; q.dispatchEvent(new Event("input")); })()`);
  let n = await ev(visible);
  ok(n === expect.classes[cls], `text filter "${cls}": ${n} rows, want ${expect.classes[cls]}`);
  // and version-specific only, on top
  await ev('document.getElementById("vs").click()');
  n = await ev(visible);
  ok(n === expect.classes[cls], `plus version-specific only: ${n} (all of that class differ)`);
  await ev('(() => { const q = document.getElementById("q"); q.value = "CREATE INDEX ON"; q.dispatchEvent(new Event("input")); })()');
  ok((await ev(visible)) === 0, 'a class that never differs is hidden by version-specific only');
  await ev('(() => { const q = document.getElementById("q"); q.value = ""; q.dispatchEvent(new Event("input")); })()');
  n = await ev(visible);
  ok(n === expect.version_specific, `version-specific only: ${n} rows, want ${expect.version_specific}`);
  ok(await ev('Array.prototype.every.call(document.querySelectorAll("#matrix tbody tr"), r => r.hidden || r.getAttribute("data-vs") === "1")'),
    'only flagged rows remain');

  // sorting by the column of version 10, twice: descending by lock strength
  const col10 = await ev('Array.prototype.findIndex.call(document.querySelectorAll("#matrix thead th"), t => t.textContent === "10")');
  await ev(`document.querySelectorAll("#matrix thead th")[${col10}].click()`);
  await ev(`document.querySelectorAll("#matrix thead th")[${col10}].click()`);
  const keys = await ev(`Array.prototype.map.call(document.querySelectorAll("#matrix tbody tr"), r => parseFloat(r.cells[${col10}].getAttribute("data-k")))`);
  ok(keys.every((k, i) => i === 0 || keys[i - 1] >= k), 'sorted by version 10, strongest first');
  ok((await ev(`document.querySelectorAll("#matrix thead th")[${col10}].getAttribute("aria-sort")`)) === 'descending', 'aria-sort');
  ok((await ev(visible)) === expect.version_specific, 'sorting keeps the filter');

  // the SQL on demand
  await ev('document.querySelector("#matrix tbody tr:not([hidden]) details summary").click()');
  ok(await ev('document.querySelector("#matrix tbody tr:not([hidden]) details").open'), 'the SQL opens');

  await ev('window.scrollTo(0, document.getElementById("controls").offsetTop - 10)');
  await page.screenshot(shot);
});
