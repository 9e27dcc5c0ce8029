// The IdleTimer in a real browser: real DOM events, real timers, real BroadcastChannel
// between two tabs of one origin, and wall-clock jumps (a sleeping laptop) via Playwright's
// clock.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch, openSdkPage } from "./harness.mjs";

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** Starts an IdleTimer in the page that records every callback in `window.events`. */
async function startTimer(page, options) {
  await page.evaluate((options) => {
    window.key = window.sdk.KeyPair.generate();
    window.timer = new window.sdk.IdleTimer({
      ...options,
      onWarn: (remainingMs, deadlineMs) => window.events.push({ type: "warn", remainingMs, deadlineMs, at: Date.now() }),
      onExtend: (deadlineMs) => window.events.push({ type: "extend", deadlineMs, at: Date.now() }),
      onTimeout: (reason) => window.events.push({ type: "timeout", reason, at: Date.now() }),
    });
  }, options);
}

const events = (page) => page.evaluate(() => window.events.map((e) => e.type + (e.reason ? `:${e.reason}` : "")));

test("with no activity it warns, then times out and zeroizes keys", async () => {
  const context = await browser.newContext();
  const page = await openSdkPage(context, server.origin);
  await startTimer(page, { timeoutMs: 2500, warnBeforeMs: 1000, channelName: "t1" });
  await page.waitForFunction(() => window.events.some((e) => e.type === "timeout"), null, { timeout: 10_000 });
  assert.deepEqual(await events(page), ["warn", "timeout:idle"]);
  const state = await page.evaluate(() => {
    let code = null;
    try {
      window.key.publicKey();
    } catch (e) {
      code = e.code === window.sdk.ErrorCode.KeyZeroized ? "KeyZeroized" : String(e.code);
    }
    return { zeroized: window.key.isZeroized, code, deadline: window.timer.deadlineMs ?? null };
  });
  assert.deepEqual(state, { zeroized: true, code: "KeyZeroized", deadline: null });
  assert.deepEqual(page.errors, []);
  await context.close();
});

test("real pointer and keyboard activity keeps the session and ends a warning", async () => {
  const context = await browser.newContext();
  const page = await openSdkPage(context, server.origin);
  await startTimer(page, { timeoutMs: 3000, warnBeforeMs: 1500, channelName: "t2" });
  // Keep moving the mouse for longer than the timeout: no warning, no time-out.
  for (let i = 0; i < 8; i++) {
    await page.mouse.move(10 + i * 7, 20 + i * 3);
    await page.waitForTimeout(500);
  }
  assert.deepEqual(await events(page), []);
  // Go quiet until the warning, then press a key.
  await page.waitForFunction(() => window.events.some((e) => e.type === "warn"), null, { timeout: 5_000 });
  await page.click("#field");
  await page.keyboard.press("a");
  await page.waitForFunction(() => window.events.some((e) => e.type === "extend"), null, { timeout: 5_000 });
  assert.deepEqual(await events(page), ["warn", "extend"]);
  const alive = await page.evaluate(() => !window.key.isZeroized && window.timer.deadlineMs > Date.now());
  assert.equal(alive, true);
  await page.evaluate(() => window.timer.stop());
  await context.close();
});

test("a laptop that slept past the deadline times out on the first event after waking", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.clock.install();
  page.errors = [];
  await page.goto(`${server.origin}/tests/browser/pages/sdk.html`);
  await page.waitForFunction(() => window.sdkReady === true || window.sdkError, null, { timeout: 20_000 });
  await startTimer(page, { channelName: "t3" }); // the defaults: 15 minutes, warned at 13
  await page.clock.runFor(5 * 60_000);
  assert.deepEqual(await events(page), []);
  // Sleep: the wall clock jumps an hour and no timer runs meanwhile.
  await page.clock.setSystemTime(Date.now() + 24 * 3600_000);
  assert.deepEqual(await events(page), [], "no timer may run while the laptop sleeps");
  // The first thing after waking is user activity: it must not revive the session.
  await page.mouse.move(50, 50);
  await page.mouse.move(60, 60);
  await page.waitForFunction(() => window.events.length > 0, null, { timeout: 5_000, polling: 100 });
  assert.deepEqual(await events(page), ["timeout:idle"]);
  assert.equal(await page.evaluate(() => window.key.isZeroized), true);
  await context.close();
});

test("logout in one tab signs out another tab of the same origin", async () => {
  const context = await browser.newContext();
  const a = await openSdkPage(context, server.origin);
  const b = await openSdkPage(context, server.origin);
  await startTimer(a, { timeoutMs: 60_000, warnBeforeMs: 10_000, channelName: "t4" });
  await startTimer(b, { timeoutMs: 60_000, warnBeforeMs: 10_000, channelName: "t4" });
  await a.evaluate(() => window.timer.logout());
  await b.waitForFunction(() => window.events.some((e) => e.type === "timeout"), null, { timeout: 5_000 });
  assert.deepEqual(await events(b), ["timeout:logout"]);
  assert.equal(await b.evaluate(() => window.key.isZeroized), true);
  assert.equal(await a.evaluate(() => window.key.isZeroized), true);
  await context.close();
});

test("activity in one tab keeps another tab's session alive", async () => {
  const context = await browser.newContext();
  const a = await openSdkPage(context, server.origin);
  const b = await openSdkPage(context, server.origin);
  await startTimer(a, { timeoutMs: 4000, warnBeforeMs: 1000, channelName: "t5" });
  await startTimer(b, { timeoutMs: 4000, warnBeforeMs: 1000, channelName: "t5" });
  await a.bringToFront();
  for (let i = 0; i < 14; i++) {
    await a.mouse.move(10 + i * 5, 10 + i * 5);
    await a.waitForTimeout(500);
  }
  // 7 s with activity only in tab A: neither tab warned nor timed out.
  assert.deepEqual({ a: await events(a), b: await events(b) }, { a: [], b: [] });
  await a.evaluate(() => window.timer.stop());
  await b.evaluate(() => window.timer.stop());
  await context.close();
});

test("a burst of input within the throttle interval counts as one activity", async () => {
  const context = await browser.newContext();
  // Tab B only listens on the channel, recording what tab A tells the other tabs.
  const b = await openSdkPage(context, server.origin);
  await b.evaluate(() => {
    window.told = [];
    window.channel = new BroadcastChannel("t7");
    window.channel.onmessage = (e) => window.told.push(e.data);
  });
  // Tab A runs the timer on a paused clock, so each event lands at a chosen instant.
  const a = await context.newPage();
  const errors = [];
  a.on("pageerror", (e) => errors.push(e));
  await a.clock.install();
  await a.goto(`${server.origin}/tests/browser/pages/sdk.html`);
  await a.waitForFunction(() => window.sdkReady === true || window.sdkError, null, { timeout: 20_000 });
  await a.clock.pauseAt(Date.now() + 60_000);
  const t0 = await a.evaluate(() => Date.now());
  await startTimer(a, { timeoutMs: 60_000, warnBeforeMs: 10_000, channelName: "t7" });
  const deadline = () => a.evaluate(() => window.timer.deadlineMs);
  assert.equal(await deadline(), t0 + 60_000);
  await a.clock.runFor(5_000);
  const t1 = t0 + 5_000;
  // Ten key presses 100 ms apart, all within the 1 s throttle interval: only the first
  // counts, so the deadline runs from it, not from the last press.
  for (let i = 0; i < 10; i++) {
    await a.keyboard.press("Shift");
    await a.clock.runFor(100);
  }
  assert.equal(await deadline(), t1 + 60_000);
  // At t1 + 1 s the interval has passed: the next press counts.
  await a.keyboard.press("Shift");
  assert.equal(await deadline(), t1 + 1_000 + 60_000);
  // Other tabs hear of activity at most every 5 s: one message, for the burst's first press.
  await b.waitForFunction(() => window.told.length > 0, null, { timeout: 5_000 });
  await b.waitForTimeout(500);
  assert.deepEqual(await b.evaluate(() => window.told), [{ type: "activity", at: t1 }]);
  assert.deepEqual(await events(a), []);
  assert.deepEqual(errors, []);
  await a.evaluate(() => window.timer.stop());
  await context.close();
});

test("IdleTimer options are validated with typed errors", async () => {
  const context = await browser.newContext();
  const page = await openSdkPage(context, server.origin);
  const codes = await page.evaluate(() => {
    const attempt = (options) => {
      try {
        new window.sdk.IdleTimer(options);
        return "ok";
      } catch (e) {
        return e.name === "BizingError" ? e.code : String(e);
      }
    };
    return [
      attempt({}),
      attempt({ onTimeout: 5 }),
      attempt({ onTimeout() {}, timeoutMs: 1000, warnBeforeMs: 1000 }),
      attempt({ onTimeout() {}, timeoutMs: -1 }),
    ];
  });
  const invalid = await page.evaluate(() => window.sdk.ErrorCode.InvalidArgument);
  assert.deepEqual(codes, [invalid, invalid, invalid, invalid]);
  await context.close();
});
