#!/usr/bin/env node
// @ts-check
// `npm start`: builds what is stale, then opens the product on the demo system:
//   - desktop VS Code when `code` is on PATH and there is a display (--extensionDevelopmentPath);
//   - otherwise VS Code in the browser (code-server on 127.0.0.1, URL printed, opened when a browser is there);
//   - with no display and no browser: the live topology table in this terminal.
// `npm start -- --desktop | --browser | --terminal` picks one. Ctrl-C stops everything it started.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const demoWorkspace = path.join(root, 'examples', 'demo');
const cli = path.join(root, 'bin', 'zmq-topology.js');
const DEFAULT_COLLECTOR_PORT = 5599;

/** @param {string} dir */
function newestMtime(dir) {
  if (!fs.existsSync(dir)) return 0;
  return fs.readdirSync(dir, { withFileTypes: true }).reduce((newest, e) => {
    const p = path.join(dir, e.name);
    return Math.max(newest, e.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }, 0);
}

/** @returns {Promise<void>} once the bundles are fresh (built here when older than the sources) */
async function buildIfStale() {
  const bundles = ['extension.js', 'agent.js', 'cli.js', 'webview.js'].map((f) => path.join(root, 'dist', f));
  const oldestBundle = Math.min(...bundles.map((b) => (fs.existsSync(b) ? fs.statSync(b).mtimeMs : 0)));
  const newestSource = Math.max(newestMtime(path.join(root, 'src')), newestMtime(path.join(root, 'webview')));
  if (oldestBundle > newestSource) return;
  console.log('Building the extension, webview, agent and CLI bundles (webpack, ~20 s)…');
  const build = spawn(process.execPath, [path.join(root, 'node_modules', 'webpack', 'bin', 'webpack.js'), '--mode', 'production'], { cwd: root, stdio: 'inherit' });
  // As for the demo: a SIGTERM sent to this process alone (a supervisor, `timeout`) stops the build too.
  const stop = (/** @type {NodeJS.Signals} */ signal) => build.kill(signal);
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, stop);
  const [code, signal] = await new Promise((resolve) => build.once('exit', (c, s) => resolve([c, s])));
  for (const signal of ['SIGINT', 'SIGTERM']) process.off(signal, stop);
  if (signal) process.exit(1);
  if (code !== 0) {
    console.error('Build failed; see the errors above.');
    process.exit(code ?? 1);
  }
}

/** @param {string} command */
function onPath(command) {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir && fs.existsSync(path.join(dir, command)));
}

const hasDisplay = () => process.platform === 'darwin' || process.platform === 'win32' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);

/** @returns {string | undefined} a command that opens a URL in a browser here */
function browserOpener() {
  if (process.env.BROWSER) return process.env.BROWSER;
  if (!hasDisplay()) return undefined;
  if (process.platform === 'darwin') return 'open';
  if (process.platform === 'win32') return 'explorer';
  return ['xdg-open', 'sensible-browser', 'chromium', 'google-chrome', 'firefox'].find(onPath);
}

function chooseMode() {
  const args = process.argv.slice(2);
  for (const mode of ['desktop', 'browser', 'terminal']) if (args.includes(`--${mode}`)) return mode;
  if (onPath('code') && hasDisplay()) return 'desktop';
  if (browserOpener()) return 'browser';
  return 'terminal';
}

/** @returns {Promise<number>} */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Runs the demo system instrumented against `endpoint`, as a child of this process. */
function startDemo(endpoint) {
  return spawn(process.execPath, [cli, 'run', '--endpoint', endpoint, '--', process.execPath, path.join(demoWorkspace, 'run.js')], {
    cwd: root, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ZMQ_DEMO_QUIET: '1' },
  });
}

/** Resolves on Ctrl-C / SIGTERM. */
function untilStopped() {
  return new Promise((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}

/** @param {import('node:child_process').ChildProcess} child */
function stopChild(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(undefined);
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
}

/** @returns {Promise<number>} the demo's exit code */
function terminal() {
  const demo = spawn(process.execPath, [cli, 'demo', ...process.argv.slice(2).filter((a) => a !== '--terminal')], { cwd: root, stdio: 'inherit' });
  // Ctrl-C reaches the whole terminal group; a SIGTERM sent to this process alone (a supervisor,
  // `timeout`) is passed on, so the demo's processes never outlive it.
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => demo.kill(signal));
  return new Promise((resolve) => demo.once('exit', (code, signal) => resolve(code ?? (signal ? 0 : 1))));
}

async function desktop() {
  console.log('Opening VS Code with the extension under development and the demo workspace…');
  const code = spawnSync('code', ['--new-window', `--extensionDevelopmentPath=${root}`, demoWorkspace], { stdio: 'inherit', shell: process.platform === 'win32' });
  if (code.status !== 0) throw new Error('`code` failed to start VS Code');
  // The extension's collector listens on its configured port (default 5599); the demo reports there.
  const endpoint = `tcp://127.0.0.1:${DEFAULT_COLLECTOR_PORT}`;
  const demo = startDemo(endpoint);
  console.log(`Demo system running, reporting to ${endpoint} (if the extension had to pick another port, run "ZeroMQ: Start Demo" in VS Code instead).`);
  console.log('Ctrl-C stops the demo.');
  await untilStopped();
  await stopChild(demo);
}

async function browser() {
  const { packageExtension } = require('./package.js');
  const { startCodeServer } = require('./code-server.js');
  console.log('Packaging the extension (.vsix)…');
  const vsix = await packageExtension({});
  const port = await freePort();
  console.log('Starting VS Code in the browser (code-server; the first run installs it, ~1-3 min)…');
  const server = await startCodeServer({ vsix, workspace: demoWorkspace, settings: { 'zmqTopology.collector.port': port } });
  const demo = startDemo(`tcp://127.0.0.1:${port}`);
  const url = `${server.url}?folder=${encodeURIComponent(demoWorkspace)}`;
  console.log(`\nVS Code with ZeroMQ Topology and the running demo system: ${url}`);
  console.log('Open the ZeroMQ view in the activity bar, or run "ZeroMQ: Show Topology Graph". Ctrl-C stops everything.');
  const opener = browserOpener();
  if (opener) spawn(opener, [url], { stdio: 'ignore', detached: true }).on('error', () => {}).unref();
  await untilStopped();
  await stopChild(demo);
  await server.stop();
}

async function main() {
  await buildIfStale();
  const mode = chooseMode();
  if (mode === 'terminal') {
    if (!process.argv.includes('--terminal')) console.log('No display or browser here: showing the topology in this terminal (`npm start -- --browser` serves VS Code at a URL you can forward).');
    return terminal();
  }
  return mode === 'desktop' ? desktop() : browser();
}

main().then((code) => process.exit(code ?? 0), (err) => {
  console.error(`npm start: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
});
