/**
 * The extension's own ways of starting instrumented processes, in real VS Code (issues 4 and 5):
 * "ZeroMQ: Open Instrumented Terminal" with an app typed into it, and F5 on launch configurations
 * with `"zmqTopology": true` (a compound of two, started through "Debug: Select and Start Debugging").
 * The app is test/fixtures/launch/pair.js, a ROUTER/DEALER pair copied into the test workspace; its
 * `require('zeromq')` resolves to this repository's node_modules (the workspace lives under .cache/e2e),
 * as a user's app resolves its own dependency. What is asserted is what a person sees: the terminal and
 * its message, the processes in the ZeroMQ tree named as the terminal's command line or the launch
 * configuration names them, with their sockets, then marked exited when the terminal is killed or the
 * debug session stopped; the Output channel's account of each launch.
 *
 * Python launch configurations are not covered: they need the Python extension's debugger (debugpy),
 * which code-server does not ship and cannot install offline.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import { freePortRun } from './demoProcesses';
import { ensureVsix, Phases, ROOT, testFailed, Workbench, type TreeRow } from './harness';

const CHANNEL = 'ZeroMQ Topology';
const VIEW = 'zmqTopology.topology';
const TERMINAL_NAME = 'ZeroMQ (instrumented)';
const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'launch', 'pair.js');
const COMPOUND = 'router + dealer';
/** Generous for 2 busy cores; measured values are printed. */
const VISIBLE_MS = 60000;

const phases = new Phases();
let workbench: Workbench | undefined;

function opened(): Workbench {
  assert.ok(workbench, 'the workbench did not start (see the before hook)');
  return workbench;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Polls `probe` until it returns something other than undefined; the error says what was last seen. */
async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, describe: () => Promise<string> | string, timeoutMs: number, everyMs = 250): Promise<T> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(everyMs)) {
    const value = await probe();
    if (value !== undefined) return value;
  }
  throw new Error(`${what}: not within ${timeoutMs / 1000} s; last seen:\n${await describe()}`);
}

/** Running and not a zombie (a zombie has exited; only its parent has not reaped it yet). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Processes whose working directory is `dir` (or was, when it has been removed since): the shells of
 * the test's terminals and the apps started from them or by the debugger. Terminals' shells run in
 * sessions of their own (node-pty), outside code-server's process group that `close()` kills.
 */
function processesIn(dir: string): Array<{ pid: number; command: string }> {
  const found: Array<{ pid: number; command: string }> = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cwd = fs.readlinkSync(`/proc/${entry}/cwd`);
      if (cwd !== dir && !cwd.startsWith(`${dir}/`) && cwd !== `${dir} (deleted)`) continue;
      if (!running(Number(entry))) continue;
      found.push({ pid: Number(entry), command: fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim() });
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

/** The top-level tree row of process `name` ("name (pid N)"), with its pid and its socket rows. */
function processRow(rows: TreeRow[], name: string): { row: TreeRow; pid: number; sockets: string[] } | undefined {
  const pattern = new RegExp(`^${escapeRegExp(name)} \\(pid (\\d+)\\)$`);
  const index = rows.findIndex((r) => r.level === 1 && pattern.test(r.label));
  if (index < 0) return undefined;
  const row = rows[index]!;
  const end = rows.findIndex((r, i) => i > index && r.level === 1);
  const sockets = rows.slice(index + 1, end < 0 ? undefined : end).filter((r) => r.level === 2).map((r) => r.label);
  return { row, pid: Number(pattern.exec(row.label)![1]), sockets };
}

/** Waits until the tree shows process `name` such that `ok` holds; returns it. */
async function waitForProcessRow(wb: Workbench, name: string, ok: (p: NonNullable<ReturnType<typeof processRow>>) => boolean, what: string, timeoutMs = VISIBLE_MS) {
  let rows: TreeRow[] = [];
  const found = await waitFor(what, async () => {
    rows = await wb.treeRows(VIEW);
    const p = processRow(rows, name);
    return p && ok(p) ? p : undefined;
  }, () => JSON.stringify(rows, null, 1), timeoutMs);
  return found;
}

/** The hover a person gets on a tree row (its markdown tooltip), as text. */
async function rowTooltip(wb: Workbench, label: string): Promise<string> {
  const pane = await wb.openView(VIEW);
  await pane.locator('.monaco-list-row').filter({ has: wb.page.locator('.label-name', { hasText: label }) }).first().hover();
  const hover = wb.page.locator('.workbench-hover, .monaco-hover').filter({ visible: true }).first();
  const text = await hover.innerText({ timeout: 10000 }).catch(() => '(no hover shown)');
  await wb.page.mouse.move(700, 4);
  return text.replace(/\s*\n\s*/g, ' | ');
}

/**
 * Prints the hover of a process row whose description flags telemetry issues (⚠): the agent's drop
 * and malformed counts, which a person sees on a healthy app (seen under the debugger, see the report).
 */
async function printTelemetryIssues(wb: Workbench, rows: Array<{ row: TreeRow }>): Promise<void> {
  for (const { row } of rows) {
    if (row.description.includes('⚠')) console.log(`[e2e] "${row.label}" shows "${row.description}"; its hover: ${await rowTooltip(wb, row.label)}`);
  }
}

/** Two launch configurations of pair.js with the flag, and the compound that starts both. */
function launchJson(port: number): string {
  const pair = (role: string) => ({
    name: role,
    type: 'node',
    request: 'launch',
    program: '${workspaceFolder}/pair.js',
    args: [role],
    env: { PAIR_PORT: String(port) },
    zmqTopology: true,
    skipFiles: ['<node_internals>/**'],
  });
  return JSON.stringify({
    version: '0.2.0',
    configurations: [pair('router'), pair('dealer')],
    compounds: [{ name: COMPOUND, configurations: ['router', 'dealer'], stopAll: true }],
  }, null, 2);
}

before(async () => {
  const vsix = await phases.time('package the .vsix (reused while fresh)', () => ensureVsix());
  const port = await freePortRun(1);
  workbench = await phases.time('start code-server with the .vsix + chromium', () => Workbench.start({
    name: 'launch',
    vsix,
    workspaceFiles: { 'pair.js': fs.readFileSync(FIXTURE, 'utf8'), '.vscode/launch.json': launchJson(port) },
    settings: {
      'zmqTopology.collector.port': 0,
      // xterm's DOM renderer: the terminal's text is in the page (terminalText).
      'terminal.integrated.gpuAcceleration': 'off',
    },
  }));
  try {
    await phases.time('load the workbench', () => opened().openWorkbench());
    await phases.time('collector running', () => opened().waitForOutputLog(CHANNEL, /Collector listening on tcp:\/\//, 60000));
  } catch (error) {
    await workbench.captureFailure('load-workbench');
    throw error;
  }
}, { timeout: 10 * 60 * 1000 });

afterEach(async (context) => {
  if (testFailed(context)) await workbench?.captureFailure(context.name);
});

after(async () => {
  const workspace = workbench?.workspace;
  // The tests end their apps themselves (and fail when they cannot); one a failed test left is ended
  // here, by pid, and only when it works in this run's scratch workspace (a pid seen earlier may have
  // been reused by now: pids wrap at 32768 here).
  for (const p of workspace ? processesIn(workspace).filter((q) => q.command.includes('pair.js')) : []) {
    console.log(`[e2e] ending ${p.command} (pid ${p.pid}), left by a failed test`);
    process.kill(p.pid, 'SIGKILL');
  }
  await phases.time('stop code-server and chromium', async () => workbench?.close());
  if (workspace) {
    // A terminal's shell is not in code-server's process group: it ends when its pty closes. Give it a
    // moment, then end what is left (by pid: only processes working in this run's scratch workspace).
    let left: Array<{ pid: number; command: string }> = [];
    for (const deadline = Date.now() + 5000; Date.now() < deadline; await sleep(100)) {
      left = processesIn(workspace);
      if (left.length === 0) break;
    }
    for (const p of left) process.kill(p.pid, 'SIGKILL');
    assert.deepEqual(left, [], 'no process started in the test workspace outlives the suite');
  }
  phases.print();
  if (workbench?.errors.length) console.log(`[e2e] browser errors seen (not failures by themselves):\n  ${workbench.errors.join('\n  ')}`);
}, { timeout: 60000 });

test('"ZeroMQ: Open Instrumented Terminal": an app typed into it shows in the tree with its sockets; killing the terminal marks it exited', { timeout: 240000 }, async () => {
  const wb = opened();
  await phases.time('palette → ZeroMQ: Open Instrumented Terminal', () => wb.runCommand('ZeroMQ: Open Instrumented Terminal'));
  const log = await wb.waitForOutputLog(CHANNEL, new RegExp(`Opened "${escapeRegExp(TERMINAL_NAME)}" \\(agents report to (tcp://[\\d.]+:\\d+)`), 30000);
  const endpoint = new RegExp(`Opened "${escapeRegExp(TERMINAL_NAME)}" \\(agents report to (tcp://[\\d.]+:\\d+)`).exec(log)![1]!;
  // What the person sees: a terminal of that name whose first line says where its processes report.
  await phases.time('terminal shows where its processes report', () => wb.waitForTerminalText(
    new RegExp(`ZeroMQ Topology: Node\\.js and Python processes started here report to ${escapeRegExp(endpoint)}`), 30000));
  const tab = wb.page.locator('.part.panel').getByText(TERMINAL_NAME, { exact: false }).first();
  await tab.waitFor({ state: 'visible', timeout: 10000 });

  await wb.page.locator('.part.panel .terminal-wrapper.active .xterm').click();
  await wb.page.keyboard.type('node pair.js');
  await wb.page.keyboard.press('Enter');
  const typedAt = Date.now();
  const text = await phases.time('pair.js prints its sockets in the terminal', () => wb.waitForTerminalText(/\[pair\] DEALER connected to tcp:\/\/127\.0\.0\.1:\d+ \(pid \d+\)/, 30000));
  const pid = Number(/\[pair\] DEALER connected to \S+ \(pid (\d+)\)/.exec(text)![1]);

  // Named as its command line names it: the script, as the agent's argv gives it (no ZMQ_TOPOLOGY_NODE).
  const shown = await phases.time('tree lists pair.js with its ROUTER and DEALER', () => waitForProcessRow(wb, 'pair.js',
    (p) => p.pid === pid && /^beat .* · 2 sockets$/.test(p.row.description) && p.sockets.some((s) => /^ROUTER\b/.test(s)) && p.sockets.some((s) => /^DEALER\b/.test(s)),
    `the tree lists "pair.js (pid ${pid})" with 2 sockets, ROUTER and DEALER`));
  await printTelemetryIssues(wb, [shown]);
  console.log(`[e2e] typed → tree row "${shown.row.label}" — ${shown.row.description} [${shown.sockets.join(', ')}] in ${Date.now() - typedAt} ms`);

  await phases.time('palette → Terminal: Kill the Active Terminal Instance', () => wb.runCommand('Terminal: Kill the Active Terminal Instance'));
  const killedAt = Date.now();
  await waitFor(`pair.js (pid ${pid}) ends with its terminal`, async () => (running(pid) ? undefined : true), () => `pid ${pid} still running`, 15000, 100);
  const exited = await waitForProcessRow(wb, 'pair.js', (p) => p.pid === pid && /^exited\b/.test(p.row.description), `"pair.js (pid ${pid})" is marked exited`);
  console.log(`[e2e] terminal killed → "${exited.row.label}" — ${exited.row.description} in ${Date.now() - killedAt} ms`);
  await printTelemetryIssues(wb, [exited]);
});

test(`F5 with "zmqTopology": true: the compound "${COMPOUND}" shows processes named after its configurations; stopping marks them exited`, { timeout: 240000 }, async () => {
  const wb = opened();
  await phases.time('palette → Debug: Select and Start Debugging', () => wb.runCommand('Debug: Select and Start Debugging'));
  await phases.time(`pick "${COMPOUND}"`, () => wb.pickQuickInputRow(COMPOUND));
  const startedAt = Date.now();

  // The provider says what it injected into each configuration, after variable substitution. By then
  // js-debug has resolved the "node" configurations to its own type, "pwa-node" (seen in 1.100.1).
  await phases.time('Output: both launches instrumented', async () => {
    for (const name of ['router', 'dealer']) await wb.waitForOutputLog(CHANNEL, new RegExp(`Debug launch "${name}" \\((?:pwa-)?node\\): instrumented as node "${name}"`), 60000);
  });
  const log = wb.outputLogFile(CHANNEL);
  const extension = fs.readdirSync(wb.server.extensionsDir).find((d) => d.startsWith('zmq-topology.zmq-topology-'));
  assert.ok(extension, `the extension is installed in ${wb.server.extensionsDir}`);
  for (const name of ['router', 'dealer']) {
    const line = log.split('\n').find((l) => l.includes(`Debug launch "${name}" (`)) ?? '';
    assert.match(line, /reporting to tcp:\/\/[\d.]+:\d+; set /, line);
    assert.match(line, new RegExp(`NODE_OPTIONS=--require ${escapeRegExp(path.join(wb.server.extensionsDir, extension, 'dist', 'agent.js'))}`), line);
    assert.match(line, new RegExp(`ZMQ_TOPOLOGY_NODE=${name}\\b`), line);
  }

  const router = await phases.time('tree lists "router" with its ROUTER', () => waitForProcessRow(wb, 'router',
    (p) => /^beat .* · 1 socket$/.test(p.row.description) && p.sockets.some((s) => /^ROUTER\b/.test(s)), 'the tree lists "router (pid N)" with its ROUTER'));
  const dealer = await phases.time('tree lists "dealer" with its DEALER', () => waitForProcessRow(wb, 'dealer',
    (p) => /^beat .* · 1 socket$/.test(p.row.description) && p.sockets.some((s) => /^DEALER\b/.test(s)), 'the tree lists "dealer (pid N)" with its DEALER'));
  console.log(`[e2e] started → "${router.row.label}" and "${dealer.row.label}" in the tree after ${Date.now() - startedAt} ms`);
  for (const p of [router, dealer]) assert.ok(running(p.pid), `${p.row.label} is a running process on this machine`);
  await printTelemetryIssues(wb, [router, dealer]);

  // "ZeroMQ: Show Debug Session" lists the instrumented sessions with the processes they started.
  // js-debug 1.100 sends no DAP `process` event, so this is the link by configuration name.
  await phases.time('palette → ZeroMQ: Show Debug Session', () => wb.runCommand('ZeroMQ: Show Debug Session'));
  let picks: string[] = [];
  await waitFor('the session pick lists router and dealer with their pids', async () => {
    picks = await wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row').evaluateAll((rows) => rows.map((r) =>
      `${r.querySelector('.label-name')?.textContent?.trim() ?? ''} — ${r.querySelector('.label-description')?.textContent?.trim() ?? ''}`));
    return [router, dealer].every((p) => picks.some((pick) => pick.includes(`${p.row.label.replace(/ \(pid \d+\)$/, '')} · pid ${p.pid} · live`))) ? true : undefined;
  }, () => JSON.stringify(picks, null, 1), 15000);
  console.log(`[e2e] Show Debug Session offers: ${picks.join('; ')}`);
  await wb.page.keyboard.press('Escape');
  // The debug toolbar is what tells a person the sessions run.
  await wb.page.locator('.debug-toolbar').waitFor({ state: 'visible', timeout: 10000 });

  await phases.time('palette → Debug: Stop', () => wb.runCommand('Debug: Stop'));
  const stoppedAt = Date.now();
  for (const p of [router, dealer]) {
    await waitFor(`${p.row.label} ends with its debug session`, async () => (running(p.pid) ? undefined : true), () => `pid ${p.pid} still running`, 15000, 100);
  }
  for (const [name, p] of [['router', router], ['dealer', dealer]] as const) {
    const exited = await waitForProcessRow(wb, name, (q) => q.pid === p.pid && /^exited\b/.test(q.row.description), `"${p.row.label}" is marked exited`);
    console.log(`[e2e] Debug: Stop → "${exited.row.label}" — ${exited.row.description} ${Date.now() - stoppedAt} ms after`);
    await printTelemetryIssues(wb, [exited]);
  }
  await wb.page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: 15000 });
  for (const name of ['router', 'dealer']) await wb.waitForOutputLog(CHANNEL, new RegExp(`Debug session "${name}" ended`), 15000);
});
