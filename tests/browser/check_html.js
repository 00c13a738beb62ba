// Drives the HTML report in headless Chromium over the DevTools protocol
// (--remote-debugging-pipe: JSON messages separated by NUL on fds 3 and 4; no
// npm dependency) and checks the page: the matrix is there, text and
// "version-specific only" filtering work, sorting works, the SQL opens on
// demand, nothing from the migration executes (no dialog, one script element,
// no <img>); saves a screenshot.
//
//   node check_html.js REPORT.html SCREENSHOT.png EXPECT.json
//
// EXPECT.json is mkrun's summary: {"statements": N, "version_specific": K,
// "classes": {"CLASS": n, ...}}. Prints "ok - ..." / "not ok - ..." lines;
// exits 1 on a failed check, 3 when the browser cannot be driven.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const [report, shot, expectFile] = process.argv.slice(2);
const expect = JSON.parse(fs.readFileSync(expectFile, 'utf8'));
const chromium = process.env.CHROMIUM || 'chromium';
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'lm-chromium-'));
let fails = 0;
const ok = (cond, what) => {
  console.log(`${cond ? 'ok' : 'not ok'} - ${what}`);
  if (!cond) fails++;
};

const browser = spawn(chromium, [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
  '--disable-dev-shm-usage', '--hide-scrollbars', '--window-size=1400,900',
  `--user-data-dir=${profile}`, '--remote-debugging-pipe', 'about:blank',
], { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
let stderr = '';
browser.stderr.on('data', (d) => { stderr += d; });

const deadline = setTimeout(() => {
  console.log('not ok - the browser did not answer within 60 s');
  console.log(stderr.split('\n').slice(-10).map((l) => '# ' + l).join('\n'));
  finish(3);
}, 60000);

let nextId = 1;
const pending = new Map();
const listeners = [];
let inbuf = '';
browser.stdio[4].on('data', (chunk) => {
  inbuf += chunk.toString('utf8');
  let i;
  while ((i = inbuf.indexOf('\0')) >= 0) {
    const msg = JSON.parse(inbuf.slice(0, i));
    inbuf = inbuf.slice(i + 1);
    if (msg.id && pending.has(msg.id)) {
      const { resolve, reject } = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) reject(new Error(JSON.stringify(msg.error)));
      else resolve(msg.result);
    } else if (msg.method) {
      listeners.forEach((l) => l(msg));
    }
  }
});

function send(method, params = {}, sessionId) {
  const id = nextId++;
  const msg = { id, method, params };
  if (sessionId) msg.sessionId = sessionId;
  browser.stdio[3].write(JSON.stringify(msg) + '\0');
  return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
}

function finish(code) {
  clearTimeout(deadline);
  try { browser.kill('SIGKILL'); } catch (e) { /* gone */ }
  setTimeout(() => {
    fs.rmSync(profile, { recursive: true, force: true });
    process.exit(code);
  }, 200);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

(async () => {
  const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
  const s = (m, p) => send(m, p, sessionId);
  let dialogs = 0;
  listeners.push((msg) => {
    if (msg.method === 'Page.javascriptDialogOpening') {
      dialogs++;
      s('Page.handleJavaScriptDialog', { accept: true });
    }
  });
  await s('Page.enable');
  await s('Runtime.enable');
  // anything of the migration that ran would call alert or set this flag
  await s('Page.addScriptToEvaluateOnNewDocument', {
    source: 'window.__xss = 0; window.alert = function () { window.__xss++; };',
  });
  const url = 'file://' + path.resolve(report);
  await s('Page.navigate', { url });
  const ev = async (expr) => {
    const r = await s('Runtime.evaluate', { expression: expr, returnByValue: true });
    if (r.exceptionDetails) throw new Error(`${expr}: ${JSON.stringify(r.exceptionDetails)}`);
    return r.result.value;
  };
  for (let i = 0; i < 100; i++) {
    if (await ev('document.readyState === "complete" && !!document.getElementById("count")')) break;
    await sleep(100);
  }
  const visible = 'Array.prototype.filter.call(document.querySelectorAll("#matrix tbody tr"), r => !r.hidden).length';

  ok(await ev('!!document.querySelector("table#matrix")'), 'the matrix is there');
  const nrows = await ev('document.querySelectorAll("#matrix tbody tr").length');
  ok(nrows === expect.statements, `one row per statement: ${nrows} of ${expect.statements}`);
  const heads = await ev('Array.prototype.map.call(document.querySelectorAll("#matrix thead th"), t => t.textContent).join(",")');
  ok(heads.includes(',10,11,12,13,14,15,16,17,'), `a column per version: ${heads}`);
  ok((await ev(visible)) === expect.statements, 'every row shown at first');
  ok((await ev('document.getElementById("count").textContent')).startsWith(`${expect.statements} of`), 'the count');

  // nothing of the migration runs
  ok(dialogs === 0 && (await ev('window.__xss')) === 0, 'no script of the migration ran');
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

  await s('Emulation.setDeviceMetricsOverride', { width: 1400, height: 900, deviceScaleFactor: 1, mobile: false });
  await ev('window.scrollTo(0, document.getElementById("controls").offsetTop - 10)');
  const png = await s('Page.captureScreenshot', { format: 'png' });
  fs.mkdirSync(path.dirname(shot), { recursive: true });
  fs.writeFileSync(shot, Buffer.from(png.data, 'base64'));
  ok(fs.statSync(shot).size > 10000, `screenshot saved: ${shot}`);
  finish(fails ? 1 : 0);
})().catch((e) => {
  console.log(`not ok - driving the browser: ${e.message}`);
  console.log(stderr.split('\n').slice(-10).map((l) => '# ' + l).join('\n'));
  finish(3);
});
