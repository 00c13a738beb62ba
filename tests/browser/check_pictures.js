// Drives the pictures of the HTML report (report/svg.c) in headless Chromium
// (cdp.js) on a real traced run: the per-version bars add up to each
// version's statements in proportion, the transaction's timeline shows the
// AccessExclusiveLock of the created table through every following INSERT
// up to COMMIT, the CONCURRENTLY statement's phases are drawn with the lock
// each held, and the hostile relation names are text; saves a screenshot.
//
//   node check_pictures.js REPORT.html SCREENSHOT.png REPORT.json
//
// REPORT.json is `report --format json` of the same run: the expected counts
// and locks. Prints "ok - ..." / "not ok - ..." lines; exits 1 on a failed
// check, 3 when the browser cannot be driven.
'use strict';
const fs = require('fs');
const cdp = require('./cdp');

const [report, shot, jsonFile] = process.argv.slice(2);
const run = JSON.parse(fs.readFileSync(jsonFile, 'utf8'));
const HOSTILE = ['<script>alert(1)</script>', 'x"><svg onload=alert(2)>'];

cdp.run(async (page) => {
  const { ok, s, ev } = page;
  await s('Page.addScriptToEvaluateOnNewDocument', {
    source: 'window.__xss = 0; window.alert = function () { window.__xss++; };',
  });
  await page.open(report, 'document.getElementById("count")');

  // the bars: one per version, each segment's width its share of the statements
  const bars = await ev(`Array.prototype.map.call(document.querySelectorAll("svg.bar"), b => ({
    version: +b.dataset.version, total: +b.dataset.total,
    segs: Array.prototype.map.call(b.querySelectorAll("rect.seg"), r => ({
      kind: r.dataset.kind, n: +r.dataset.n, w: r.getBBox().width,
      title: r.querySelector("title").textContent })),
    label: b.querySelector("text").textContent }))`);
  ok(bars.length === run.per_version.length, `a bar per version: ${bars.length}`);
  const nstmts = run.statements.length;
  ok(run.per_version.every((pv) => pv.failed === 1), 'the JSON counts one failure per version');
  for (const pv of run.per_version) {
    const b = bars.find((x) => x.version === pv.version);
    ok(!!b, `the bar of ${pv.version}`);
    if (!b) continue;
    const want = { ok: pv.ok, failed: pv.failed, aborted: pv.aborted, 'not run': pv.not_run };
    const width = b.segs.reduce((a, x) => a + x.w, 0);
    ok(b.total === nstmts && Math.abs(width - 240) < 0.5,
      `${pv.version}: ${b.total} statements of ${nstmts}, the bar ${width.toFixed(1)} px wide`);
    ok(b.segs.every((x) => x.n === want[x.kind] && Math.abs(x.w - 240 * x.n / nstmts) < 0.5),
      `${pv.version}: each segment in proportion: ${b.segs.map((x) => `${x.kind} ${x.n} ${x.w.toFixed(1)}px`).join(', ')}`);
    ok(Object.keys(want).every((k) => !want[k] || b.segs.some((x) => x.kind === k && x.title === `${pv.version}: ${want[k]} ${k}`)),
      `${pv.version}: a tooltip per count`);
    ok(b.label.includes(`${pv.ok} ok`) && (!pv.failed || b.label.includes(`${pv.failed} failed`)),
      `${pv.version}: the counts as a label: ${b.label}`);
  }

  // the kinds of pictures, as many as the run has transactions and phase captures
  const migs = new Set(), phased = new Set();
  for (const st of run.statements)
    for (const r of Object.values(st.results)) {
      if ((r.locks || []).some((l) => l.held_before)) migs.add(st.migration);
      if ((r.phases || []).length) phased.add(`${st.migration}#${st.index}`);
    }
  const ntx = await ev('document.querySelectorAll("figure.timeline svg.grid.tx").length');
  const nph = await ev('document.querySelectorAll("figure.phases svg.grid.phase").length');
  ok(ntx === migs.size && ntx >= 1, `a timeline per migration in a transaction: ${ntx} of ${migs.size}`);
  ok(nph === phased.size && nph >= 1, `a phase picture per statement captured in phases: ${nph} of ${phased.size}`);

  // the created table: AccessExclusiveLock taken by CREATE TABLE, held at every INSERT
  const row = await ev(`(() => {
    const g = Array.prototype.find.call(document.querySelectorAll("figure.timeline g.row"), g => g.dataset.rel === "accounts");
    if (!g) return null;
    const heads = Array.prototype.map.call(g.ownerSVGElement.querySelectorAll("text.head"), t => t.firstChild.textContent);
    return { heads, cells: Array.prototype.map.call(g.querySelectorAll("rect.cell"), r => ({
      cls: r.getAttribute("class"), mode: r.dataset.mode, taken: r.dataset.taken === "1",
      title: r.querySelector("title").textContent })) };
  })()`);
  ok(!!row, 'a timeline row for the created table "accounts"');
  if (row) {
    ok(row.heads.join(',') === '#1,#2,#3,#4,#5,#6,COMMIT', `columns: every statement, then COMMIT: ${row.heads}`);
    ok(row.cells.length === 6 && row.cells.every((c) => c.cls === 'cell l3' && c.mode === 'AccessExclusiveLock'),
      `AccessExclusiveLock (class l3) at each of the ${row.cells.length} statements: ${row.cells.map((c) => c.cls).join(' | ')}`);
    ok(row.cells[0].taken && row.cells.slice(1).every((c) => !c.taken),
      'marked as taken by the CREATE TABLE only, held through the other CREATE TABLEs and each INSERT');
    ok(row.cells.slice(3).every((c) => /INSERT/.test(c.title) && /held since #1/.test(c.title)),
      'the tooltips of the INSERTs name them and the lock held since #1');
  }

  // the CONCURRENTLY statement: its phases in order, ShareUpdateExclusiveLock on the table
  const ph = await ev(`(() => {
    const f = document.querySelector("figure.phases");
    const g = Array.prototype.find.call(f.querySelectorAll("g.row"), g => g.dataset.rel === "accounts");
    return { caption: f.querySelector("figcaption").textContent,
      heads: Array.prototype.map.call(f.querySelectorAll("text.head"), t => t.firstChild.textContent),
      modes: g ? Array.prototype.map.call(g.querySelectorAll("rect.cell"), r => r.dataset.mode) : [] };
  })()`);
  const cic = run.statements.find((st) => /CONCURRENTLY/.test(st.sql));
  const r17 = cic && cic.results['17'];
  const want = r17 ? r17.phases.map((p) => ((p.locks || []).find((l) => l.relation === 'accounts') || {}).mode || '') : [];
  ok(/CREATE INDEX CONCURRENTLY/.test(ph.caption) && /on 17/.test(ph.caption), `the caption names the statement and the version: ${ph.caption}`);
  ok(ph.heads.length === want.length && ph.heads.every((x, i) => x === `phase ${i + 1}`), `the phases in order: ${ph.heads}`);
  ok(JSON.stringify(ph.modes) === JSON.stringify(want) && want.includes('ShareUpdateExclusiveLock'),
    `the lock of each phase on the table, as in the JSON: ${ph.modes.join(',')}`);

  // hostile relation names are text, in attributes and labels
  ok(page.dialogs === 0 && (await ev('window.__xss')) === 0, 'no script of the migration ran');
  ok((await ev('document.scripts.length')) === 1, 'one script element: the page\'s own');
  ok((await ev('document.querySelectorAll("[onload],[onerror],img,foreignObject").length')) === 0,
    'no element or handler made from a name');
  const rels = await ev('Array.prototype.map.call(document.querySelectorAll("figure.timeline g.row"), g => g.dataset.rel + "\\n" + g.querySelector("text.rel").textContent)');
  for (const name of HOSTILE)
    ok(rels.includes(`${name}\n${name}`), `the hostile name ${JSON.stringify(name)} is a row, as text`);

  // the screenshot: the bars and the pictures together (the legend folded)
  await ev('(() => { document.querySelector("details.legend").open = false; const h = Array.prototype.find.call(document.querySelectorAll("h2"), x => x.textContent === "Per version"); window.scrollTo(0, h.offsetTop - 10); })()');
  await page.screenshot(shot);
});
