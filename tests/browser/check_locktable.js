// Drives the lock table page (`lockmatrix locktable --format html`) in
// headless Chromium (cdp.js) and checks it: one row per class, a column per
// version, the CSP, no script but the page's own; types into the search box,
// uses the "blocks writes on A but not on B" filter, the risk and rewrite
// filters, each against the classes the shell computed from the TSV; saves a
// screenshot.
//
//   node check_locktable.js PAGE.html SCREENSHOT.png EXPECT.json
//
// EXPECT.json: {"classes": [...], "versions": [10, ...],
//   "search": {"text": "...", "classes": [...]},
//   "writes": {"a": 10, "b": 12, "classes": [...]},
//   "critical": [...], "rewrite": [...]}
// Prints "ok - ..." / "not ok - ..." lines; exits 1 on a failed check, 3 when
// the browser cannot be driven.
'use strict';
const fs = require('fs');
const cdp = require('./cdp');

const [pageFile, shot, expectFile] = process.argv.slice(2);
const expect = JSON.parse(fs.readFileSync(expectFile, 'utf8'));

const same = (got, want) => JSON.stringify([...got].sort()) === JSON.stringify([...want].sort());
const diff = (got, want) => {
  const g = new Set(got), w = new Set(want);
  return `missing [${want.filter((x) => !g.has(x)).join('; ')}], extra [${got.filter((x) => !w.has(x)).join('; ')}]`;
};

cdp.run(async (page) => {
  const { ok, s, ev } = page;
  await page.open(pageFile, 'document.getElementById("count")');
  const shown = () => ev('Array.prototype.filter.call(document.querySelectorAll("#lt tbody tr"), r => !r.hidden).map(r => r.getAttribute("data-cls"))');
  const check = async (what, want) => {
    const got = await shown();
    ok(same(got, want), `${what}: ${got.length} classes shown, want ${want.length}` +
      (same(got, want) ? '' : `: ${diff(got, want)}`));
    const count = await ev('document.getElementById("count").textContent');
    ok(count.startsWith(`${want.length} of ${expect.classes.length}`), `${what}: the count says "${count}"`);
  };
  const setSelect = (id, value) => ev(`(() => { const e = document.getElementById(${JSON.stringify(id)}); e.value = ${JSON.stringify(String(value))}; e.dispatchEvent(new Event("change")); })()`);
  const click = (id) => ev(`document.getElementById(${JSON.stringify(id)}).click()`);

  ok(await ev('!!document.querySelector(\'meta[http-equiv="Content-Security-Policy"]\')'), 'the CSP meta is there');
  ok((await ev('document.scripts.length')) === 1, 'one script element: the page\'s own');
  ok((await ev('document.images.length')) === 0, 'no image element');
  await check('every class at first', expect.classes);
  const heads = await ev('Array.prototype.map.call(document.querySelectorAll("#lt thead th"), t => t.textContent).join(",")');
  ok(heads.includes(',' + expect.versions.join(',') + ','), `a column per version: ${heads}`);
  ok((await ev('document.querySelectorAll("#lt td.chg").length')) > 0, 'cells that differ from the version before are framed');

  // type into the search box, as a person would
  await ev('document.getElementById("q").focus()');
  await s('Input.insertText', { text: expect.search.text });
  await check(`search "${expect.search.text}"`, expect.search.classes);
  await ev('(() => { const q = document.getElementById("q"); q.select(); })()');
  await s('Input.dispatchKeyEvent', { type: 'keyDown', key: 'Backspace', code: 'Backspace', windowsVirtualKeyCode: 8 });
  await s('Input.dispatchKeyEvent', { type: 'keyUp', key: 'Backspace', code: 'Backspace', windowsVirtualKeyCode: 8 });
  ok((await ev('document.getElementById("q").value')) === '', 'the search box is cleared');
  await check('search cleared', expect.classes);

  // blocks writes on A but not on B
  await setSelect('va', expect.writes.a);
  await setSelect('vb', expect.writes.b);
  await click('wb');
  await check(`blocks writes on ${expect.writes.a} but not on ${expect.writes.b}`, expect.writes.classes);
  const shotAt = await ev('document.getElementById("controls").offsetTop - 10');
  await ev(`window.scrollTo(0, ${shotAt})`);
  await page.screenshot(shot);
  await click('wb');
  await check('writes filter off', expect.classes);

  // risk, rewrite
  await setSelect('risk', 4);
  await check('risk critical', expect.critical);
  await setSelect('risk', -1);
  await click('rw');
  await check('rewrites on some version', expect.rewrite);
  await click('rw');
  await check('every filter off', expect.classes);
});
