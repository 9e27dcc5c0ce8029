// The `npm-package` test stage: packs pkg/ (built by `cargo xtask build`) with `npm pack`,
// installs the tarball into a fresh project under the OS temp dir, and tests the INSTALLED
// package as users get it: Node.js (node --test), Deno (deno test), workerd (a Worker served
// on 127.0.0.1), Chromium (the browser entry, via playwright-core), envelopes sealed in one
// runtime and opened in another, and tsc over typed examples. The BookingClient runs against
// one real bizing-server (built with cargo, started with --demo on 127.0.0.1 with a fresh
// database) in Node (client/: a patient's flow, and the staff console's calls signed in as
// the demo accounts the server prints), Deno and workerd (the short flow of
// shared/patient-flow.mjs).
//
// Usage: node tests/npm/run.mjs   (after `cargo xtask build`; tools from tools/js)
// BIZING_NPM_VERBOSE=1 shows every runner's output; BIZING_NPM_KEEP=1 keeps the temp dir;
// BIZING_SERVER=path uses that bizing-server binary instead of building one.
//
// Prints one line per step and a closing "N passed, N failed"; a failing step prints its
// runner's output. Every child process has a time limit and is killed on failure or exit.

import { spawn } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { patientFlow } from "./shared/patient-flow.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..", "..");
const pkgDir = path.join(root, "pkg");
const toolsDir = path.join(root, "tools", "js");
const requireTool = createRequire(path.join(toolsDir, "package.json"));
const verbose = process.env.BIZING_NPM_VERBOSE === "1";
const keep = process.env.BIZING_NPM_KEEP === "1";
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const PACKAGE = "@bizing/booking-sdk";
/** What the tarball must hold, no more and no less. */
const PACKED_FILES = [
  "README.md",
  "deno.js",
  "dist/bizing_sdk.d.ts",
  "dist/bizing_sdk.js",
  "dist/bizing_sdk_bg.wasm",
  "index.d.ts",
  "index.js",
  "lib/api.js",
  "lib/open-notes.js",
  "lib/open-worker.js",
  "lib/runtime.js",
  "node.js",
  "package.json",
  "server.d.ts",
  "workerd.js",
];
/** Test directories copied into the temp project. */
const TEST_DIRS = ["node", "client", "shared", "deno", "workerd", "cross", "types", "browser"];
const SECOND = 1000;
/** The steps of the BookingClient flow Deno and workerd run (counting needs no SDK). */
const FLOW_STEPS = patientFlow(/** @type {any} */ ({}), undefined, "").length;

const children = new Set();
const totals = { passed: 0, failed: 0 };

class StepFailure extends Error {
  constructor(message, output = "") {
    super(message);
    this.output = output;
  }
}

/** Runs a command to completion (or its time limit); resolves with its exit and output. */
function run(command, args, { cwd, env, timeoutMs, stdin }) {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0", ...env },
      stdio: [stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    children.add(child);
    let output = "";
    const collect = (chunk) => {
      output += chunk;
      if (verbose) process.stdout.write(chunk);
    };
    child.stdout.setEncoding("utf8").on("data", collect);
    child.stderr.setEncoding("utf8").on("data", collect);
    if (stdin !== undefined) child.stdin.end(stdin);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("error", (error) => {
      output += `\ncould not start ${command}: ${error.message}`;
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, signal, output, timedOut });
    });
  });
}

/** Like `run`, but a non-zero exit or a time-out fails the step. */
async function runOk(what, command, args, options) {
  const result = await run(command, args, options);
  if (result.timedOut) {
    throw new StepFailure(`${what} did not finish within ${options.timeoutMs / SECOND} s (killed)`, result.output);
  }
  if (result.code !== 0) {
    throw new StepFailure(`${what} exited with ${result.code ?? result.signal}`, result.output);
  }
  return result.output;
}

/** A TCP port free right now on 127.0.0.1, found by binding port 0. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function count(items) {
  return items.reduce((n, item) => n + (item ? 1 : 0), 0);
}

/** Pass/fail counts from a node --test TAP file. */
async function tapCounts(file) {
  const tap = await readFile(file, "utf8");
  const number = (key) => Number(tap.match(new RegExp(`^# ${key} (\\d+)$`, "m"))?.[1] ?? 0);
  // A todo test that passes means the gap it marks was fixed: say so, so the mark goes.
  const fixedTodos = tap.split("\n").filter((line) => /^\s*ok \d+ .*# TODO/.test(line)).length;
  return { passed: number("pass"), failed: number("fail"), todo: number("todo"), fixedTodos };
}

/** The path a package's `exports` map gives `subpath` under `conditions` (first match wins). */
function resolveExport(exportsMap, subpath, conditions) {
  const pick = (target) => {
    if (typeof target === "string") return target;
    if (target === null || typeof target !== "object") return undefined;
    for (const [key, value] of Object.entries(target)) {
      if (key === "default" || conditions.includes(key)) {
        const found = pick(value);
        if (found !== undefined) return found;
      }
    }
    return undefined;
  };
  return pick(exportsMap[subpath]);
}

// ---------------------------------------------------------------------------------------

async function pack(tmp) {
  const wasm = path.join(pkgDir, "dist", "bizing_sdk_bg.wasm");
  try {
    await stat(wasm);
  } catch {
    throw new StepFailure("pkg/dist/bizing_sdk_bg.wasm does not exist: run `cargo xtask build` first");
  }
  const output = await runOk("npm pack", "npm", ["pack", "--json", "--pack-destination", tmp], {
    cwd: pkgDir,
    timeoutMs: 60 * SECOND,
  });
  const json = JSON.parse(output.slice(output.indexOf("[")));
  const [{ filename, files, size }] = json;
  const packed = files.map((f) => f.path).sort();
  const missing = PACKED_FILES.filter((f) => !packed.includes(f));
  const extra = packed.filter((f) => !PACKED_FILES.includes(f));
  if (missing.length || extra.length) {
    throw new StepFailure(
      `the tarball's files are wrong: missing [${missing.join(", ")}], unexpected [${extra.join(", ")}]; ` +
        "fix `files` in pkg/package.json (or PACKED_FILES in tests/npm/run.mjs)",
    );
  }
  return { tarball: path.join(tmp, filename), summary: `${filename}, ${packed.length} files, ${(size / 1024).toFixed(1)} KiB packed`, passed: 1 };
}

async function install(tmp, tarball) {
  const project = path.join(tmp, "project");
  await mkdir(project);
  await writeFile(
    path.join(project, "package.json"),
    JSON.stringify({ name: "bizing-npm-consumer", private: true, type: "module" }, null, 2),
  );
  // Deno resolves bare specifiers through this node_modules, as it would in a Node project.
  await writeFile(path.join(project, "deno.json"), JSON.stringify({ nodeModulesDir: "manual" }, null, 2));
  for (const dir of TEST_DIRS) {
    await cp(path.join(here, dir), path.join(project, dir), { recursive: true });
  }
  await mkdir(path.join(project, "fixtures"));
  // No dependencies, so no registry is needed.
  await runOk("npm install of the tarball", "npm", ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", tarball], {
    cwd: project,
    timeoutMs: 120 * SECOND,
  });
  const installed = JSON.parse(await readFile(path.join(project, "node_modules", PACKAGE, "package.json"), "utf8"));
  return { project, summary: `${installed.name}@${installed.version} from the tarball into a fresh project`, passed: 1 };
}

async function nodeTests(tmp, project, name, files, env = {}, options = []) {
  const tap = path.join(tmp, `${name}.tap`);
  const result = await run(
    process.execPath,
    ["--test", ...options, "--test-reporter=spec", "--test-reporter-destination=stdout", "--test-reporter=tap", `--test-reporter-destination=${tap}`, ...files],
    { cwd: project, env, timeoutMs: 300 * SECOND },
  );
  let counts;
  try {
    counts = await tapCounts(tap);
  } catch {
    counts = { passed: 0, failed: 1, todo: 0, fixedTodos: 0 };
  }
  if (result.timedOut || result.code !== 0 || counts.failed > 0) {
    const why = result.timedOut ? "timed out (killed)" : `${counts.failed} failed`;
    throw new StepFailure(`node --test ${files.join(" ")}: ${why}`, result.output);
  }
  let summary = `${counts.passed} passed, 0 failed`;
  if (counts.todo) summary += `, ${counts.todo} todo (known SDK gaps, see the test names)`;
  if (counts.fixedTodos) summary += `; ${counts.fixedTodos} todo now pass: drop their todo marks`;
  return { summary, passed: counts.passed, output: result.output };
}

function denoBinary() {
  // The package's own locator: the native binary, so a time-out kill reaches it directly.
  return requireTool("deno/install_api.cjs").runInstall();
}

async function sealInNode(project, fixtures) {
  await runOk("node cross/seal.mjs", process.execPath, ["cross/seal.mjs", path.join(fixtures, "node.json")], {
    cwd: project,
    timeoutMs: 60 * SECOND,
  });
  return { summary: "sealed fixtures/node.json for Deno, workerd and Chromium", passed: 1 };
}

async function denoTests(tmp, project, fixtures, server) {
  const junit = path.join(tmp, "deno.xml");
  const allowNet = `--allow-net=127.0.0.1:${server.port}`;
  const result = await run(
    denoBinary(),
    [
      "test",
      "--no-prompt",
      "--allow-read=.",
      `--allow-write=${fixtures}`,
      "--allow-env=BIZING_FIXTURES,BIZING_API_URL",
      allowNet,
      `--junit-path=${junit}`,
      "deno/",
    ],
    {
      cwd: project,
      env: { BIZING_FIXTURES: fixtures, BIZING_API_URL: server.url, DENO_NO_UPDATE_CHECK: "1", DENO_DIR: path.join(tmp, "deno-dir") },
      timeoutMs: 300 * SECOND,
    },
  );
  let tests = 0;
  let failures = 1;
  let flowSteps = 0;
  let failed = [];
  try {
    const xml = await readFile(junit, "utf8");
    const head = /<testsuites\b[^>]*>/.exec(xml)[0];
    const attr = (name) => Number(new RegExp(`${name}="(\\d+)"`).exec(head)?.[1] ?? 0);
    tests = attr("tests");
    failures = attr("failures") + attr("errors");
    // The flow's steps are test steps, reported as "<test> &gt; <step>" cases of its file.
    const suite = /<testsuite name="\.\/deno\/client\.test\.ts"[^>]*>([\s\S]*?)<\/testsuite>/.exec(xml)?.[1] ?? "";
    flowSteps = (suite.match(/<testcase name="[^"]* &gt; /g) ?? []).length;
    const unescape = (text) => text.replace(/&(gt|lt|quot|apos|amp);/g, (_, e) => ({ gt: ">", lt: "<", quot: '"', apos: "'", amp: "&" })[e]);
    const names = [...xml.matchAll(/<testcase name="([^"]*)"[^>]*>\s*<(?:failure|error)\b/g)].map((m) => unescape(m[1]));
    // A test fails with its failed step: name the step only.
    failed = names.filter((name) => !names.some((other) => other.startsWith(`${name} > `)));
  } catch {
    // No report: Deno failed before running tests (a type error, a resolution error).
  }
  if (result.timedOut || result.code !== 0 || failures > 0 || tests === 0) {
    const why = result.timedOut ? "timed out (killed)" : `exited with ${result.code}, ${failures} failed`;
    const which = failed.length ? `: ${failed.map((name) => `"${name}"`).join("; ")}` : "";
    throw new StepFailure(`deno test: ${why}${which}`, result.output);
  }
  if (flowSteps !== FLOW_STEPS) {
    throw new StepFailure(`deno test: the BookingClient flow ran ${flowSteps} steps, expected ${FLOW_STEPS}`, result.output);
  }
  return {
    summary: `${tests} passed, 0 failed (deno test, type-checked, --allow-read=., ${allowNet}; BookingClient flow, ${flowSteps} steps)`,
    passed: tests,
  };
}

/**
 * The capnp config for a Worker serving workerd/worker.mjs, with the package's files as
 * modules, `apiUrl` as its BIZING_API_URL binding, and outbound fetch allowed to 127.0.0.1 only.
 */
async function workerdConfig(project, port, apiUrl) {
  const pkgRoot = path.join(project, "node_modules", PACKAGE);
  const manifest = JSON.parse(await readFile(path.join(pkgRoot, "package.json"), "utf8"));
  const modules = [];
  const add = (name, kind, body) => modules.push(`    (name = ${JSON.stringify(name)}, ${kind} = ${body})`);
  const worker = "workerd/worker.mjs";
  add(worker, "esModule", `embed ${JSON.stringify(worker)}`);
  add("cross/fixture.mjs", "esModule", 'embed "cross/fixture.mjs"');
  add("shared/patient-flow.mjs", "esModule", 'embed "shared/patient-flow.mjs"');
  // What a bundler (wrangler) does: resolve the package through its exports map with the
  // `workerd` condition. workerd itself has no node_modules lookup: it resolves every
  // specifier, bare ones too, against the importing module's name, so the package's two
  // specifiers are provided under the names the Worker's imports resolve to.
  const conditions = ["workerd", "worker", "import"];
  const entry = resolveExport(manifest.exports, ".", conditions);
  const wasmExport = resolveExport(manifest.exports, "./bizing_sdk_bg.wasm", conditions);
  const inPackage = (rel) => path.posix.join("node_modules", PACKAGE, rel);
  const alias = path.posix.join(path.posix.dirname(worker), PACKAGE);
  const target = path.posix.relative(path.posix.dirname(alias), inPackage(entry));
  add(alias, "esModule", JSON.stringify(`export * from "./${target}";`));
  add(`${alias}/bizing_sdk_bg.wasm`, "wasm", `embed ${JSON.stringify(inPackage(wasmExport))}`);
  const walk = async (dir) => {
    for (const entry of await readdir(path.join(pkgRoot, dir), { withFileTypes: true })) {
      const rel = path.posix.join(dir, entry.name);
      if (entry.isDirectory()) await walk(rel);
      else if (rel.endsWith(".js")) add(inPackage(rel), "esModule", `embed ${JSON.stringify(inPackage(rel))}`);
      else if (rel.endsWith(".wasm")) add(inPackage(rel), "wasm", `embed ${JSON.stringify(inPackage(rel))}`);
    }
  };
  await walk(".");
  const workerd = requireTool("workerd");
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    # The Worker's global fetch (globalOutbound defaults to "internet"): the local
    # bizing-server only. workerd's default, ["public"], would refuse it.
    (name = "internet", network = (allow = ["127.0.0.1/32"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);

const worker :Workerd.Worker = (
  modules = [
${modules.join(",\n")}
  ],
  bindings = [(name = "BIZING_API_URL", text = ${JSON.stringify(apiUrl)})],
  compatibilityDate = ${JSON.stringify(workerd.compatibilityDate)},
);
`;
}

async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("close", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5 * SECOND);
  await exited;
  clearTimeout(timer);
}

async function fetchJson(url, init, timeoutMs = 60 * SECOND) {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  const text = await response.text();
  if (!response.ok) throw new Error(`${init?.method ?? "GET"} ${url}: ${response.status}: ${text}`);
  return JSON.parse(text);
}

async function workerdTests(project, fixtures, server) {
  const port = await freePort();
  await writeFile(path.join(project, "workerd.capnp"), await workerdConfig(project, port, server.url));
  const binary = requireTool("workerd").default;
  const child = spawn(binary, ["serve", "workerd.capnp", "--verbose"], { cwd: project, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (c) => (output += c));
  child.stderr.setEncoding("utf8").on("data", (c) => (output += c));
  child.on("error", (error) => (output += `\ncould not start ${binary}: ${error.message}`));
  child.on("close", () => children.delete(child));
  const base = `http://127.0.0.1:${port}`;
  try {
    const deadline = Date.now() + 30 * SECOND;
    for (;;) {
      if (child.exitCode !== null) throw new StepFailure(`workerd exited with ${child.exitCode} on start`, output);
      try {
        const response = await fetch(`${base}/health`, { signal: AbortSignal.timeout(2 * SECOND) });
        if (response.ok) break;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) throw new StepFailure("workerd did not answer within 30 s", output);
      await sleep(100);
    }
    const { results } = await fetchJson(`${base}/selftest`);
    const failed = results.filter((r) => !r.ok);
    if (failed.length) {
      throw new StepFailure(
        `workerd self-test: ${failed.length} failed: ${failed.map((r) => `${r.name}: ${r.error}`).join("; ")}`,
        output,
      );
    }
    // Cross-runtime, both ways: open what Node sealed, and seal for Node to open.
    const nodeFixture = await readFile(path.join(fixtures, "node.json"), "utf8");
    const opened = await fetchJson(`${base}/open`, { method: "POST", body: nodeFixture });
    if (!opened.ok) throw new StepFailure(`workerd could not open Node's envelope: ${opened.error}`, output);
    const sealed = await fetchJson(`${base}/seal`);
    await writeFile(path.join(fixtures, "workerd.json"), JSON.stringify(sealed, null, 2));
    // The BookingClient inside the Worker, against bizing-server.
    const flow = (await fetchJson(`${base}/client-flow`)).results;
    const flowFailed = flow.find((r) => !r.ok);
    if (flowFailed) {
      // The error's first line here; its stack, and workerd's log (which says why a fetch
      // was refused), in the output.
      throw new StepFailure(
        `workerd BookingClient flow: step ${flow.length} of ${FLOW_STEPS} ("${flowFailed.name}") failed: ${flowFailed.error.split("\n")[0]}`,
        `${flowFailed.error}\n----- workerd -----\n${output}`,
      );
    }
    if (flow.length !== FLOW_STEPS) {
      throw new StepFailure(`workerd BookingClient flow: ran ${flow.length} steps, expected ${FLOW_STEPS}`, output);
    }
    const passed = results.length + opened.checks + flow.length;
    return {
      summary:
        `${passed} passed, 0 failed (workerd serve on 127.0.0.1:${port}; opened Node's envelope, sealed one; ` +
        `BookingClient flow, ${flow.length} steps, fetch allowed to 127.0.0.1 only)`,
      passed,
    };
  } catch (error) {
    if (error instanceof StepFailure) throw error;
    throw new StepFailure(`workerd: ${error.message}`, output);
  } finally {
    await stopChild(child);
  }
}

/** The bizing-server binary: $BIZING_SERVER, or built now (cargo says where it put it). */
async function serverBinary() {
  if (process.env.BIZING_SERVER) return process.env.BIZING_SERVER;
  const output = await runOk(
    "cargo build -p bizing-server",
    "cargo",
    ["build", "-p", "bizing-server", "--bin", "bizing-server", "--locked", "--message-format=json-render-diagnostics"],
    { cwd: root, timeoutMs: 900 * SECOND },
  );
  for (const line of output.split("\n")) {
    if (!line.startsWith("{")) continue;
    const message = JSON.parse(line);
    if (message.reason === "compiler-artifact" && message.target?.name === "bizing-server" && message.executable) {
      return message.executable;
    }
  }
  throw new StepFailure("cargo build -p bizing-server named no executable", output);
}

/**
 * bizing-server --demo on a free port with a fresh SQLite database under the temp dir, up
 * from before the Node client tests to after the workerd ones; `stop` ends it, and so does
 * `cleanup` if a step fails or this process is stopped. `log()` is its output so far.
 */
async function startServer(tmp) {
  const binary = await serverBinary();
  const port = await freePort();
  const dataDir = path.join(tmp, "server");
  await mkdir(dataDir);
  const args = ["--listen", `127.0.0.1:${port}`, "--database", "sqlite://db.sqlite", "--master-key-file", "master.key", "--demo"];
  const started = Date.now();
  const child = spawn(binary, args, {
    cwd: dataDir,
    env: { ...process.env, RUST_LOG: "warn", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let output = "";
  let exit = null;
  const listening = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new StepFailure("bizing-server printed no listening line within 60 s", output)), 60 * SECOND);
    child.stdout.setEncoding("utf8").on("data", (chunk) => {
      output += chunk;
      if (/listening on http:\/\//.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr.setEncoding("utf8").on("data", (chunk) => (output += chunk));
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(new StepFailure(`could not start ${binary}: ${error.message}`));
    });
    child.on("close", (code, signal) => {
      children.delete(child);
      clearTimeout(timer);
      exit = String(code ?? signal);
      reject(new StepFailure(`bizing-server exited with ${exit} before listening`, output));
    });
  });
  const server = {
    port,
    url: `http://127.0.0.1:${port}`,
    /** The demo accounts it printed, by role (filled in once it listens). */
    accounts: {},
    log: () => output,
    /** How it exited, if it did (null while it runs). */
    exited: () => exit,
    stop: () => stopChild(child),
  };
  try {
    await listening;
    // Printed before the listening line.
    server.accounts = demoAccounts(output);
    if (!server.accounts.admin || !server.accounts.provider || !server.accounts.receptionist) {
      throw new StepFailure("bizing-server --demo printed no demo accounts (admin, provider, receptionist)", output);
    }
  } catch (error) {
    await server.stop();
    throw error;
  }
  const seconds = ((Date.now() - started) / SECOND).toFixed(1);
  return { server, summary: `bizing-server --demo on ${server.url}, fresh SQLite under the temp dir, listening after ${seconds} s`, passed: 1 };
}

/** The demo accounts `bizing-server --demo` prints, by role: email, password, TOTP secret, recovery code. */
function demoAccounts(output) {
  const line = /^\s+(\w+)\s+(\S+@\S+)\s+password: (.+?)\s+TOTP secret: (\S+)\s+recovery code: (\S+)\s*$/;
  const accounts = {};
  for (const text of output.split("\n")) {
    const m = line.exec(text);
    if (m) accounts[m[1]] = { email: m[2], password: m[3].trim(), totpSecret: m[4], recoveryCode: m[5] };
  }
  return accounts;
}

/**
 * Runs a step that uses `server`: a failure shows the server's latest output, and a server
 * that died during the step fails it.
 */
async function usingServer(server, fn) {
  try {
    const result = await fn();
    if (server.exited() !== null) throw new StepFailure(`bizing-server exited with ${server.exited()} during this step`);
    return result;
  } catch (error) {
    if (error instanceof StepFailure) {
      const died = server.exited() === null ? "" : ` (bizing-server exited with ${server.exited()})`;
      error.message += died;
      error.output = `${error.output ?? ""}\n----- bizing-server -----\n${server.log().slice(-4000)}`;
    }
    throw error;
  }
}

/**
 * The BookingClient against the real server: the node tests in client/, with BIZING_API_URL
 * and the demo accounts (BIZING_DEMO_ACCOUNTS, JSON by role). One file at a time: they share
 * the server, and the staff console's test rotates the clinic key and publishes an NPP.
 */
async function clientTests(tmp, project, server) {
  const files = (await readdir(path.join(here, "client"))).filter((f) => f.endsWith(".test.mjs")).sort();
  const env = { BIZING_API_URL: server.url, BIZING_DEMO_ACCOUNTS: JSON.stringify(server.accounts) };
  const result = await nodeTests(tmp, project, "client", files.map((f) => `client/${f}`), env, ["--test-concurrency=1"]);
  return { ...result, summary: `${result.summary} (against bizing-server on 127.0.0.1:${server.port})` };
}

/** The browser entry in headless Chromium: page served from the temp project on 127.0.0.1. */
async function browserTests(project, fixtures) {
  const { chromium } = requireTool("playwright-core");
  const manifest = JSON.parse(await readFile(path.join(project, "node_modules", PACKAGE, "package.json"), "utf8"));
  const entry = resolveExport(manifest.exports, ".", ["browser", "import"]);
  const { createServer: createHttpServer } = await import("node:http");
  const types = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".json": "application/json", ".wasm": "application/wasm" };
  const server = createHttpServer(async (request, response) => {
    const url = new URL(request.url, "http://127.0.0.1");
    const file = path.join(project, decodeURIComponent(url.pathname));
    if (!file.startsWith(project + path.sep)) {
      response.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      const headers = { "content-type": types[path.extname(file)] ?? "application/octet-stream", "cache-control": "no-store" };
      if (file.endsWith(".html")) {
        // What the README asks of sites: WebAssembly allowed, eval not.
        headers["content-security-policy"] = "default-src 'self'; script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'";
      }
      response.writeHead(200, headers).end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  const page = `<!doctype html><meta charset="utf-8"><title>sdk</title>
<script type="importmap">${JSON.stringify({ imports: { [PACKAGE]: `/node_modules/${PACKAGE}/${entry.replace(/^\.\//, "")}` } })}</script>
<script type="module" src="/browser/tests.mjs"></script>`;
  await writeFile(path.join(project, "browser", "index.html"), page);
  let browser;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"], timeout: 60 * SECOND });
    const tab = await browser.newPage();
    const logs = [];
    tab.on("console", (m) => logs.push(`console.${m.type()}: ${m.text()}`));
    tab.on("pageerror", (e) => logs.push(`page error: ${e.message}`));
    const nodeFixture = JSON.parse(await readFile(path.join(fixtures, "node.json"), "utf8"));
    await tab.addInitScript((fixture) => {
      globalThis.NODE_FIXTURE = fixture;
    }, nodeFixture);
    await tab.goto(`http://127.0.0.1:${port}/browser/index.html`, { timeout: 30 * SECOND });
    const handle = await tab.waitForFunction(() => globalThis.RESULTS, null, { timeout: 60 * SECOND });
    const { results, sealed } = await handle.jsonValue();
    const failed = results.filter((r) => !r.ok);
    if (failed.length) {
      throw new StepFailure(
        `Chromium: ${failed.length} failed: ${failed.map((r) => `${r.name}: ${r.error}`).join("; ")}`,
        logs.join("\n"),
      );
    }
    await writeFile(path.join(fixtures, "browser.json"), JSON.stringify(sealed, null, 2));
    return { summary: `${results.length} passed, 0 failed (${entry} in headless Chromium, CSP 'wasm-unsafe-eval')`, passed: results.length };
  } catch (error) {
    if (error instanceof StepFailure) throw error;
    throw new StepFailure(`Chromium: ${error.message}`);
  } finally {
    await browser?.close().catch(() => {});
    server.close();
  }
}

async function typeTests(tmp, project) {
  const tsc = requireTool.resolve("typescript/bin/tsc");
  const projects = ["types/tsconfig.json", "types/tsconfig.workerd.json", "types/tsconfig.browser.json"];
  for (const config of projects) {
    await runOk(`tsc -p ${config}`, process.execPath, [tsc, "--noEmit", "-p", config], { cwd: project, timeoutMs: 180 * SECOND });
  }
  const exports = await nodeTests(tmp, project, "types", ["types/exports.test.mjs"], {
    BIZING_TYPESCRIPT: requireTool.resolve("typescript"),
  });
  const { version } = requireTool("typescript/package.json");
  return {
    summary: `${projects.length + exports.passed} passed, 0 failed (tsc ${version} --noEmit: node16, workerd and browser resolution; export lists match the glue)`,
    passed: projects.length + exports.passed,
  };
}

// ---------------------------------------------------------------------------------------

async function step(name, fn) {
  try {
    const result = await fn();
    totals.passed += result.passed ?? 0;
    console.log(`     ${name}: ${result.summary}`);
    return result;
  } catch (error) {
    totals.failed += 1;
    console.log(`     ${name}: FAILED: ${error.message}`);
    if (error.output && !verbose) {
      console.log(`----- output of ${name} -----\n${error.output.trimEnd()}\n----- end of ${name} -----`);
    } else if (!(error instanceof StepFailure)) {
      console.log(error.stack);
    }
    throw error;
  }
}

async function cleanup(tmp) {
  await Promise.all([...children].map(stopChild));
  if (tmp && !keep) await rm(tmp, { recursive: true, force: true });
  else if (tmp) console.log(`     kept ${tmp} (BIZING_NPM_KEEP=1)`);
}

async function main() {
  const tmp = await mkdtemp(path.join(os.tmpdir(), "bizing-npm-"));
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.once(signal, () => {
      cleanup(tmp).finally(() => process.exit(130));
    });
  }
  let ok = false;
  try {
    const fixtures = path.join(tmp, "project", "fixtures");
    const { tarball } = await step("pack", () => pack(tmp));
    const { project } = await step("install", () => install(tmp, tarball));
    const nodeFiles = (await readdir(path.join(here, "node"))).filter((f) => f.endsWith(".test.mjs"));
    await step("node", () => nodeTests(tmp, project, "node", nodeFiles.sort().map((f) => `node/${f}`)));
    const { server } = await step("server", () => startServer(tmp));
    await step("client (node, real server)", () => usingServer(server, () => clientTests(tmp, project, server)));
    await step("cross seal (node)", () => sealInNode(project, fixtures));
    await step("deno", () => usingServer(server, () => denoTests(tmp, project, fixtures, server)));
    await step("workerd", () => usingServer(server, () => workerdTests(project, fixtures, server)));
    // Its last user is done (on a failure, `cleanup` stops it).
    await server.stop();
    await step("chromium", () => browserTests(project, fixtures));
    await step("cross open (node)", () =>
      nodeTests(tmp, project, "cross", ["cross/open.test.mjs"], { BIZING_FIXTURES: fixtures }),
    );
    await step("types", () => typeTests(tmp, project));
    ok = true;
  } catch {
    // Reported by `step`.
  } finally {
    await cleanup(tmp);
  }
  console.log(`npm-package: ${totals.passed} passed, ${totals.failed} failed`);
  process.exitCode = ok ? 0 : 1;
}

await main();
