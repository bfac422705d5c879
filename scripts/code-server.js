#!/usr/bin/env node
// @ts-check
// Real VS Code in a browser for the e2e tests and `npm start`: code-server 4.100.3 (= VS Code 1.100.3,
// the last release that accepts node 20) installed from the npm registry into .cache/code-server once,
// then started on a loopback port with a fresh profile per run. The lessons behind each step are in
// ../shared/e2e/code-server-recipe.sh and docs/E2E.md.
//
//   node scripts/code-server.js install
//   node scripts/code-server.js serve --vsix X.vsix | --extension-dir DIR  [--workspace DIR] [--port N]
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const CACHE = path.join(ROOT, '.cache');
const CODE_SERVER_VERSION = '4.100.3';
const INSTALL_DIR = path.join(CACHE, 'code-server');
const INSTALL_LOCK = path.join(CACHE, 'code-server.lock');
const INSTALLED_MARKER = path.join(INSTALL_DIR, 'installed-version');
const CODE_SERVER_BIN = path.join(INSTALL_DIR, 'node_modules', '.bin', 'code-server');
const RUNS_DIR = path.join(CACHE, 'e2e-runs');
// A unix socket path has at most 107 bytes; code-server and VS Code put sockets in the run folder.
const SOCKET_PATH_MAX = 107;
const VSCODE_IPC_SOCKET = 'vscode-ipc-00000000-0000-0000-0000-000000000000.sock';

// The recipe's workbench settings: no welcome page, tips, trust prompts, update checks or git scans.
const DEFAULT_SETTINGS = {
  'telemetry.telemetryLevel': 'off',
  'workbench.startupEditor': 'none',
  'workbench.enableExperiments': false,
  'workbench.tips.enabled': false,
  'security.workspace.trust.enabled': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'git.enabled': false,
};

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** @param {number} since */
const seconds = (since) => ((Date.now() - since) / 1000).toFixed(1);

/** @returns {string | undefined} the version recorded after the last complete install */
function installedVersion() {
  try {
    const version = fs.readFileSync(INSTALLED_MARKER, 'utf8').trim();
    return fs.existsSync(CODE_SERVER_BIN) ? version : undefined;
  } catch {
    return undefined;
  }
}

/** Settings every npm call of the install needs (see the recipe); the npm cache is private to .cache. */
function npmEnv() {
  return {
    ...process.env,
    npm_config_cache: path.join(CACHE, 'npm-cache'),
    npm_config_nodedir: '/usr', // node-gyp: use /usr/include/node instead of downloading headers
    npm_config_yes: 'true', // node-pty's postinstall runs `npx node-gyp`
    npm_config_unsafe_perm: 'true', // code-server's postinstall refuses to run as root without it
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    npm_config_update_notifier: 'false',
  };
}

/**
 * @param {string[]} args
 * @param {string} cwd
 */
function npmPack(args, cwd) {
  const result = spawnSync('npm', ['pack', '--silent', ...args], { cwd, env: npmEnv(), encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`npm pack ${args.join(' ')} failed:\n${result.stderr}`);
  return path.join(cwd, result.stdout.trim().split('\n').pop() ?? '');
}

/**
 * @param {string} tarball
 * @param {string} member
 */
function readFromTarball(tarball, member) {
  const result = spawnSync('tar', ['xzf', tarball, member, '-O'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`cannot read ${member} from ${tarball}: ${result.stderr}`);
  return result.stdout;
}

/**
 * @vscode/ripgrep's postinstall downloads rg from GitHub unless its cache file already exists in
 * $TMPDIR: put Debian's /usr/bin/rg there under the exact name it looks for.
 * @param {string} codeServerTarball
 * @param {string} downloadDir
 * @param {string} tmpDir the TMPDIR the install will run with
 */
function seedRipgrepCache(codeServerTarball, downloadDir, tmpDir) {
  if (!fs.existsSync('/usr/bin/rg')) throw new Error('/usr/bin/rg is missing: apt-get install ripgrep');
  const shrinkwrap = JSON.parse(readFromTarball(codeServerTarball, 'package/lib/vscode/npm-shrinkwrap.json'));
  const ripgrepVersion = shrinkwrap.packages['node_modules/@vscode/ripgrep'].version;
  const ripgrepTarball = npmPack([`@vscode/ripgrep@${ripgrepVersion}`], downloadDir);
  const postinstall = readFromTarball(ripgrepTarball, 'package/lib/postinstall.js');
  const tag = /^const VERSION = '(.*)';/m.exec(postinstall)?.[1];
  if (!tag) throw new Error('cannot find the ripgrep release tag in @vscode/ripgrep/lib/postinstall.js');
  const target = { x64: 'x86_64-unknown-linux-musl', arm64: 'aarch64-unknown-linux-musl' }[process.arch];
  if (!target) throw new Error(`no ripgrep target for ${process.arch}`);
  const stage = path.join(tmpDir, 'rgstage');
  const cacheDir = path.join(tmpDir, `vscode-ripgrep-cache-${ripgrepVersion}`);
  fs.mkdirSync(stage, { recursive: true });
  fs.mkdirSync(cacheDir, { recursive: true });
  fs.copyFileSync('/usr/bin/rg', path.join(stage, 'rg'));
  const tar = spawnSync('tar', ['czf', path.join(cacheDir, `ripgrep-${tag}-${target}.tar.gz`), '-C', stage, 'rg']);
  if (tar.status !== 0) throw new Error(`cannot pack /usr/bin/rg: ${tar.stderr}`);
}

/**
 * Runs a long command with its output in a log file, printing a heartbeat so nobody thinks it hangs.
 * @param {string} command
 * @param {string[]} args
 * @param {{ cwd: string, env: NodeJS.ProcessEnv, logFile: string, label: string }} options
 * @returns {Promise<void>}
 */
function runLogged(command, args, { cwd, env, logFile, label }) {
  const started = Date.now();
  const log = fs.openSync(logFile, 'w');
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const heartbeat = setInterval(() => {
    const lastLine = fs.readFileSync(logFile, 'utf8').trim().split('\n').pop()?.slice(0, 100) ?? '';
    console.log(`  … ${label} (${seconds(started)} s) ${lastLine}`);
  }, 15000);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearInterval(heartbeat);
      if (code === 0) return resolve();
      const tail = fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-40).join('\n');
      reject(new Error(`${label} failed (${signal ?? `exit ${code}`}); last lines of ${logFile}:\n${tail}`));
    });
  });
}

/** @param {number} pid */
function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** `code-server --version`, run with its config and logs inside the install folder, not in ~. */
function reportedVersion() {
  const scratch = path.join(INSTALL_DIR, 'tmp');
  const env = serverEnv(scratch, scratch);
  const result = spawnSync(CODE_SERVER_BIN, ['--version'], { env, encoding: 'utf8' });
  return /^(\d+\.\d+\.\d+) [0-9a-f]{40}/m.exec(result.stdout)?.[1] ?? result.stdout.trim();
}

/** @returns {number} pid of the install holding the lock, 0 while it is being taken or released */
function lockHolder() {
  try {
    return Number(fs.readFileSync(path.join(INSTALL_LOCK, 'pid'), 'utf8')) || 0;
  } catch {
    return 0;
  }
}

/**
 * Several engineers (and test files) may ask for code-server at once: one installs, the others wait.
 * @template T
 * @param {() => Promise<T>} body
 * @returns {Promise<T>}
 */
async function withInstallLock(body) {
  fs.mkdirSync(CACHE, { recursive: true });
  for (let waitedMs = 0; ; waitedMs += 1000) {
    try {
      fs.mkdirSync(INSTALL_LOCK);
      fs.writeFileSync(path.join(INSTALL_LOCK, 'pid'), String(process.pid));
      break;
    } catch {
      const holder = lockHolder();
      const abandoned = holder ? !isAlive(holder) : waitedMs > 30000; // crashed holder, or one that died before writing its pid
      if (abandoned) fs.rmSync(INSTALL_LOCK, { recursive: true, force: true });
      else if (waitedMs % 30000 === 0) console.log(`waiting for another code-server install (pid ${holder || '?'})…`);
      await sleep(1000);
    }
  }
  try {
    return await body();
  } finally {
    fs.rmSync(INSTALL_LOCK, { recursive: true, force: true });
  }
}

/**
 * Installs code-server into .cache/code-server unless that exact version is already there.
 * @returns {Promise<string>} the code-server executable
 */
async function ensureCodeServer() {
  if (installedVersion() === CODE_SERVER_VERSION) return CODE_SERVER_BIN;
  return withInstallLock(async () => {
    if (installedVersion() === CODE_SERVER_VERSION) return CODE_SERVER_BIN; // installed while we waited
    const started = Date.now();
    console.log(`installing code-server ${CODE_SERVER_VERSION} into ${path.relative(ROOT, INSTALL_DIR)} (first run, ~1-3 min)…`);
    fs.rmSync(INSTALL_DIR, { recursive: true, force: true });
    const downloadDir = path.join(INSTALL_DIR, 'download');
    const tmpDir = path.join(INSTALL_DIR, 'tmp');
    fs.mkdirSync(downloadDir, { recursive: true });
    fs.mkdirSync(tmpDir, { recursive: true });
    const tarball = npmPack([`code-server@${CODE_SERVER_VERSION}`], downloadDir);
    seedRipgrepCache(tarball, downloadDir, tmpDir);
    fs.writeFileSync(path.join(INSTALL_DIR, 'package.json'), JSON.stringify({ name: 'code-server-host', private: true }) + '\n');
    // argon2/kerberos try GitHub prebuilds first, fail fast, and compile with node-gyp instead.
    await runLogged('npm', ['install', '--foreground-scripts', '--no-package-lock', tarball], {
      cwd: INSTALL_DIR,
      env: { ...npmEnv(), TMPDIR: tmpDir },
      logFile: path.join(INSTALL_DIR, 'install.log'),
      label: 'npm install code-server',
    });
    const version = reportedVersion();
    if (version !== CODE_SERVER_VERSION) throw new Error(`installed code-server reports "${version}", expected ${CODE_SERVER_VERSION}`);
    fs.rmSync(tmpDir, { recursive: true, force: true });
    fs.writeFileSync(INSTALLED_MARKER, CODE_SERVER_VERSION + '\n');
    console.log(`code-server ${CODE_SERVER_VERSION} installed in ${seconds(started)} s`);
    return CODE_SERVER_BIN;
  });
}

/**
 * Environment for every code-server process: everything it writes stays in the run folder.
 * @param {string} runDir
 * @param {string} tmpDir
 */
function serverEnv(runDir, tmpDir) {
  const env = {
    ...process.env,
    XDG_CONFIG_HOME: path.join(runDir, 'xdg-config'),
    XDG_DATA_HOME: path.join(runDir, 'xdg-data'),
    XDG_CACHE_HOME: path.join(runDir, 'xdg-cache'),
    TMPDIR: tmpDir, // VS Code drops its vscode-ipc-*.sock files there
  };
  // Inherited from `node --test` or a surrounding VS Code: they would leak into the extension host.
  for (const name of ['NODE_OPTIONS', 'NODE_TEST_CONTEXT', 'VSCODE_IPC_HOOK_CLI', 'ELECTRON_RUN_AS_NODE']) delete env[name];
  return env;
}

/**
 * .cache/e2e-runs, unless the checkout is so deep that code-server's socket in the run folder
 * (<run>/user-data/code-server-ipc.sock) would pass the 107-byte limit of a unix socket path.
 */
function runsDir() {
  const serverSocket = path.join(RUNS_DIR, 'lrx5q1ab-1234', 'user-data', 'code-server-ipc.sock');
  if (Buffer.byteLength(serverSocket) <= SOCKET_PATH_MAX) return RUNS_DIR;
  const fallback = path.join('/tmp', 'zmq-topology-e2e-runs');
  console.log(`note: ${RUNS_DIR} is too deep for unix socket paths; run folders go to ${fallback}`);
  return fallback;
}

/**
 * <run>/tmp, or a short folder in /tmp when VS Code's ipc sockets would not fit there.
 * @param {string} runDir
 */
function tmpDirOf(runDir) {
  const inRun = path.join(runDir, 'tmp');
  if (Buffer.byteLength(path.join(inRun, VSCODE_IPC_SOCKET)) <= SOCKET_PATH_MAX) return inRun;
  return path.join('/tmp', `zmq-topology-e2e-${path.basename(runDir)}`);
}

/**
 * Run folders of crashed or kept runs are pruned after a day so they do not pile up.
 * @param {string} dir
 */
function pruneOldRuns(dir) {
  if (!fs.existsSync(dir)) return;
  const dayAgo = Date.now() - 24 * 3600 * 1000;
  for (const entry of fs.readdirSync(dir)) {
    const runDir = path.join(dir, entry);
    if (fs.statSync(runDir).mtimeMs < dayAgo) fs.rmSync(runDir, { recursive: true, force: true });
  }
}

/**
 * @param {string} extensionDir a folder laid out like an installed extension (package.json at its root)
 * @param {string} extensionsDir
 */
function copyExtension(extensionDir, extensionsDir) {
  const manifest = JSON.parse(fs.readFileSync(path.join(extensionDir, 'package.json'), 'utf8'));
  // VS Code scans the extensions folder on start; the folder name must be <publisher>.<name>-<version>.
  const target = path.join(extensionsDir, `${manifest.publisher}.${manifest.name}-${manifest.version}`);
  fs.cpSync(extensionDir, target, { recursive: true, dereference: true });
}

/**
 * @param {string} bin
 * @param {string} vsix
 * @param {{ userDataDir: string, extensionsDir: string, env: NodeJS.ProcessEnv, logFile: string }} options
 */
function installVsix(bin, vsix, { userDataDir, extensionsDir, env, logFile }) {
  const result = spawnSync(bin, ['--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, '--install-extension', path.resolve(vsix)], {
    env, encoding: 'utf8', timeout: 120000,
  });
  fs.appendFileSync(logFile, `$ code-server --install-extension ${vsix}\n${result.stdout}${result.stderr}\n`);
  if (result.status !== 0 || !/was successfully installed/.test(result.stdout)) {
    throw new Error(`installing ${vsix} failed (${result.signal ?? `exit ${result.status}`}):\n${result.stdout}${result.stderr}`);
  }
}

/**
 * @param {string} url
 * @returns {Promise<boolean>}
 */
function answersHealthz(url) {
  return new Promise((resolve) => {
    const request = http.get(new URL('healthz', url), (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.setTimeout(2000, () => request.destroy());
    request.once('error', () => resolve(false));
  });
}

/**
 * code-server binds port 0 when asked and logs the port it got: no guessed port can be taken meanwhile.
 * @param {string} logFile
 */
function listeningUrl(logFile) {
  const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
  return /HTTP server listening on (http:\/\/[^\s]+)/.exec(log)?.[1];
}

/** @param {number} pgid */
function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * SIGTERM the whole process group (extension host, file watcher and pty host outlive the main
 * process), then SIGKILL whatever is left after 5 s.
 * @param {number} pgid
 */
async function killGroup(pgid) {
  try {
    process.kill(-pgid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 50 && groupAlive(pgid); i++) await sleep(100);
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * Servers of this process that stop() has not stopped yet. The server runs in its own session, so
 * Ctrl-C on the terminal does not reach it: it must die with this process (crash, signal, or a
 * test that never called stop()).
 * @type {Map<number, { runDir: string, tmpDir: string }>}
 */
const unstopped = new Map();
let killsUnstopped = false;

function killUnstoppedWithThisProcess() {
  if (killsUnstopped) return;
  killsUnstopped = true;
  /** @param {boolean} removeFiles */
  const killAll = (removeFiles) => {
    for (const [pgid, { runDir, tmpDir }] of unstopped) {
      try { process.kill(-pgid, 'SIGKILL'); } catch { /* already gone */ }
      if (removeFiles) for (const dir of [runDir, tmpDir]) fs.rmSync(dir, { recursive: true, force: true });
    }
    unstopped.clear();
  };
  process.once('exit', () => killAll(false)); // a crash: the run folder stays for a look (pruned after a day)
  for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
    process.once(signal, () => {
      killAll(true);
      process.kill(process.pid, signal); // the default action, now that this listener is gone
    });
  }
}

/**
 * @typedef {object} StartOptions
 * @property {string} [vsix] installed with `code-server --install-extension` (the real install path)
 * @property {string} [extensionDir] copied into the extensions folder instead (no packaging needed)
 * @property {string} workspace folder the workbench opens
 * @property {Record<string, unknown>} [settings] merged over the quiet defaults
 * @property {number} [port] fixed port; default: one the OS chooses
 *
 * @typedef {object} RunningServer
 * @property {string} url e.g. http://127.0.0.1:40123/
 * @property {number} pid also the process group id
 * @property {string} runDir .cache/e2e-runs/<id> (scratch: profile, extensions, XDG dirs, server.log)
 * @property {string} tmpDir the server's TMPDIR: <runDir>/tmp unless the checkout is too deep for sockets
 * @property {string} logFile
 * @property {string} userDataDir
 * @property {string} extensionsDir
 * @property {(options?: { keepFiles?: boolean }) => Promise<void>} stop kills the group; removes runDir unless keepFiles
 */

/**
 * Starts code-server with a fresh user-data and extensions folder in .cache/e2e-runs/<id>.
 * @param {StartOptions} options
 * @returns {Promise<RunningServer>}
 */
async function startCodeServer({ vsix, extensionDir, workspace, settings = {}, port = 0 }) {
  const bin = await ensureCodeServer();
  const runs = runsDir();
  pruneOldRuns(runs);
  const runDir = path.join(runs, `${Date.now().toString(36)}-${crypto.randomBytes(2).toString('hex')}`);
  const userDataDir = path.join(runDir, 'user-data');
  const extensionsDir = path.join(runDir, 'extensions');
  const logFile = path.join(runDir, 'server.log');
  const tmpDir = tmpDirOf(runDir);
  for (const dir of [path.join(userDataDir, 'User'), extensionsDir, 'xdg-config', 'xdg-data', 'xdg-cache', tmpDir]) {
    fs.mkdirSync(path.resolve(runDir, dir), { recursive: true });
  }
  fs.writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify({ ...DEFAULT_SETTINGS, ...settings }, null, 2));
  const env = serverEnv(runDir, tmpDir);
  if (vsix) installVsix(bin, vsix, { userDataDir, extensionsDir, env, logFile });
  if (extensionDir) copyExtension(extensionDir, extensionsDir);

  const log = fs.openSync(logFile, 'a');
  // detached = setsid(): the server leads its own process group, so stop() reaches every descendant.
  const server = spawn(bin, [
    '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none',
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override',
    '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, path.resolve(workspace),
  ], { env, detached: true, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const pid = server.pid;
  if (pid === undefined) throw new Error(`cannot start ${bin}`);
  let exitStatus = /** @type {string | undefined} */ (undefined);
  server.once('exit', (code, signal) => { exitStatus = signal ?? `exit ${code}`; });
  unstopped.set(pid, { runDir, tmpDir });
  killUnstoppedWithThisProcess();

  let stopped = false;
  /** @param {{ keepFiles?: boolean }} [options] */
  const stop = async ({ keepFiles = false } = {}) => {
    if (!stopped) {
      stopped = true;
      await killGroup(pid);
      unstopped.delete(pid);
    }
    if (!keepFiles) {
      fs.rmSync(runDir, { recursive: true, force: true });
      fs.rmSync(tmpDir, { recursive: true, force: true });
    }
  };

  for (const deadline = Date.now() + 60000; Date.now() < deadline; await sleep(100)) {
    const url = listeningUrl(logFile);
    if (url && await answersHealthz(url)) {
      return { url: url.endsWith('/') ? url : `${url}/`, pid, runDir, tmpDir, logFile, userDataDir, extensionsDir, stop };
    }
    if (exitStatus) break;
  }
  await stop({ keepFiles: true });
  const tail = fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-30).join('\n');
  throw new Error(`code-server did not come up (${exitStatus ?? 'no /healthz within 60 s'}); ${logFile}:\n${tail}`);
}

/** @param {string[]} argv */
function parseFlags(argv) {
  /** @type {Record<string, string>} */
  const flags = {};
  for (let i = 0; i < argv.length; i++) {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    if (!match) throw new Error(`unexpected argument "${argv[i]}"`);
    flags[match[1]] = match[2] ?? argv[++i] ?? '';
  }
  return flags;
}

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  if (command === 'install') {
    console.log(await ensureCodeServer());
    return;
  }
  if (command !== 'serve') {
    console.error('usage: node scripts/code-server.js install\n'
      + '       node scripts/code-server.js serve (--vsix FILE | --extension-dir DIR) [--workspace DIR] [--port N]');
    process.exit(2);
  }
  const flags = parseFlags(rest);
  if (!flags.vsix && !flags['extension-dir']) throw new Error('serve needs --vsix FILE or --extension-dir DIR');
  const started = Date.now();
  const server = await startCodeServer({
    vsix: flags.vsix,
    extensionDir: flags['extension-dir'],
    workspace: flags.workspace ?? process.cwd(),
    port: flags.port ? Number(flags.port) : 0,
  });
  console.log(`code-server ${CODE_SERVER_VERSION} is up in ${seconds(started)} s: ${server.url}`);
  console.log(`  log: ${server.logFile}\n  Ctrl-C stops it and removes its scratch folder.`);
  // This process lives as long as the server (its child handle keeps it alive), Ctrl-C ends both.
}

module.exports = { CODE_SERVER_VERSION, ensureCodeServer, startCodeServer };

if (require.main === module) {
  main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
