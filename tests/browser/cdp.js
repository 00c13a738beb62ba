// A headless Chromium driven over the DevTools protocol
// (--remote-debugging-pipe: JSON messages separated by NUL on fds 3 and 4; no
// npm dependency), for the page checks (check_html.js, check_locktable.js).
//
//   const cdp = require('./cdp');
//   cdp.run(async (page) => {
//     await page.open(file);              // navigates, waits for readyState
//     const v = await page.ev('1 + 1');   // evaluates, returns the value
//     page.ok(v === 2, 'arithmetic');     // prints "ok - ..." / "not ok - ..."
//     await page.screenshot(png);
//   });
//
// run exits 0 when every check passed, 1 on a failed check, 3 when the
// browser cannot be driven (or does not answer within 60 s).
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

function run(body) {
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

  // The profile is removed once the browser has exited (it may still be
  // writing into it until then); a leftover is no failure of the page.
  let exited = false;
  browser.on('exit', () => { exited = true; });
  function finish(code) {
    clearTimeout(deadline);
    try { browser.kill('SIGKILL'); } catch (e) { /* gone */ }
    const done = () => {
      try {
        fs.rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
      } catch (e) {
        console.log(`# the browser profile ${profile} stays: ${e.message}`);
      }
      process.exit(code);
    };
    if (exited) done();
    else {
      browser.on('exit', () => setTimeout(done, 50));
      setTimeout(done, 3000);
    }
  }
  const tail = () => stderr.split('\n').slice(-10).map((l) => '# ' + l).join('\n');
  const deadline = setTimeout(() => {
    console.log('not ok - the browser did not answer within 60 s');
    console.log(tail());
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
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  (async () => {
    const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
    const s = (m, p) => send(m, p, sessionId);
    const page = {
      ok,
      s,
      sleep,
      dialogs: 0,
      listeners,
      async ev(expr) {
        const r = await s('Runtime.evaluate', { expression: expr, returnByValue: true });
        if (r.exceptionDetails) throw new Error(`${expr}: ${JSON.stringify(r.exceptionDetails)}`);
        return r.result.value;
      },
      // navigates to the file and waits until the document is complete and
      // ready (an expression that turns true), at most 10 s
      async open(file, ready = 'true') {
        await s('Emulation.setDeviceMetricsOverride', { width: 1400, height: 900, deviceScaleFactor: 1, mobile: false });
        await s('Page.navigate', { url: 'file://' + path.resolve(file) });
        for (let i = 0; i < 100; i++) {
          if (await page.ev(`document.readyState === "complete" && !!(${ready})`)) return;
          await sleep(100);
        }
      },
      async screenshot(shot) {
        const png = await s('Page.captureScreenshot', { format: 'png' });
        fs.mkdirSync(path.dirname(shot), { recursive: true });
        fs.writeFileSync(shot, Buffer.from(png.data, 'base64'));
        ok(fs.statSync(shot).size > 10000, `screenshot saved: ${shot}`);
      },
    };
    listeners.push((msg) => {
      if (msg.method === 'Page.javascriptDialogOpening') {
        page.dialogs++;
        s('Page.handleJavaScriptDialog', { accept: true });
      }
    });
    await s('Page.enable');
    await s('Runtime.enable');
    await body(page);
    finish(fails ? 1 : 0);
  })().catch((e) => {
    console.log(`not ok - driving the browser: ${e.message}`);
    console.log(tail());
    finish(3);
  });
}

module.exports = { run };
