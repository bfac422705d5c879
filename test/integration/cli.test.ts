/**
 * The zmq-topology command as a person uses it: collect + run on the demo, env, exit codes.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { promisify } from 'node:util';
import { ROOT } from '../helpers/system';
import type { TopologySnapshot } from '../../src/shared/snapshot';

const CLI = path.join(ROOT, 'out', 'src', 'cli', 'bin.js');
const started = new Set<ChildProcess>();

after(async () => {
  await Promise.all([...started].map((c) => new Promise<void>((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) return resolve();
    c.once('exit', () => resolve());
    c.kill('SIGKILL');
  })));
});

function cli(args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  started.add(child);
  child.once('exit', () => started.delete(child));
  return child;
}

/** Three consecutive free ports for the demo's frontend, backend and status sockets. */
async function freePortBase(): Promise<number> {
  for (;;) {
    const base = 20000 + Math.floor(Math.random() * 30000);
    const ok = await Promise.all([0, 1, 2].map((i) => new Promise<boolean>((resolve) => {
      const server = net.createServer().once('error', () => resolve(false)).listen(base + i, '127.0.0.1', () => server.close(() => resolve(true)));
    })));
    if (ok.every(Boolean)) return base;
  }
}

test('collect --json --duration on the demo shows the broker\'s ROUTERs with their DEALER edges', async () => {
  const collect = cli(['collect', '--port', '0', '--json', '--interval', '500', '--duration', '9']);
  const endpoint = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: collect.stderr! }).on('line', (line) => {
      const m = /Collector listening on (\S+)/.exec(line);
      if (m) resolve(m[1]!);
    });
    collect.once('exit', (code) => reject(new Error(`collect exited ${code} before listening`)));
  });
  const lines: string[] = [];
  readline.createInterface({ input: collect.stdout! }).on('line', (l) => lines.push(l));
  const base = await freePortBase();
  const demo = cli(['run', '--endpoint', endpoint, '--', process.execPath, path.join(ROOT, 'examples', 'demo', 'run.js')],
    { ...process.env, ZMQ_DEMO_PORT: String(base), ZMQ_DEMO_QUIET: '1' });
  const code = await new Promise<number | null>((resolve) => collect.once('exit', resolve));
  demo.kill('SIGTERM');
  assert.equal(code, 0, 'collect --duration exits 0');
  assert.ok(lines.length >= 5, `one JSON line per interval, got ${lines.length}`);
  const final = JSON.parse(lines[lines.length - 1]!) as TopologySnapshot;
  const broker = final.nodes.find((n) => n.name === 'broker');
  assert.ok(broker, 'the broker process is there');
  const routers = final.sockets.filter((s) => s.nodeId === broker.id && s.type === 'ROUTER');
  assert.equal(routers.length, 2, 'frontend and backend ROUTERs');
  const backend = routers.find((r) => r.binds.some((b) => b.endsWith(`:${base + 1}`)));
  const frontend = routers.find((r) => r.binds.some((b) => b.endsWith(`:${base}`)));
  assert.ok(backend && frontend, 'both ROUTERs with their resolved bind endpoints');
  const intoBackend = final.edges.filter((e) => e.to === backend.id && e.state !== 'disconnected');
  const workerNames = intoBackend.map((e) => final.nodes.find((n) => n.id === final.sockets.find((s) => s.id === e.from)?.nodeId)?.name).sort();
  assert.deepEqual(workerNames.filter((n) => n !== 'worker-flaky'), ['worker-1', 'worker-2', 'worker-3']);
  assert.ok(intoBackend.every((e) => e.heartbeatAgeMs !== null && e.heartbeatAgeMs < 2500), 'worker heartbeats are recognised');
  assert.equal(final.edges.filter((e) => e.to === frontend.id).length, 2, 'two clients on the frontend');
  const pub = final.sockets.find((s) => s.nodeId === broker.id && s.type === 'PUB');
  assert.ok(pub, 'the status PUB');
  const intoPub = final.edges.filter((e) => e.to === pub.id);
  assert.equal(intoPub.filter((e) => e.connections === undefined).length, 2, 'the clients\' SUBs on the status PUB');
  assert.deepEqual(intoPub.filter((e) => e.connections !== undefined).map((e) => [e.connections, e.state]), [[1, 'connected']],
    'the status watcher, which runs without the agent, as one connection of a peer without an agent');
});

test('run exits with the command\'s exit code and instruments it', async () => {
  const child = cli(['run', '--endpoint', 'tcp://127.0.0.1:9', '--', process.execPath, '-e',
    'process.exit(process.env.ZMQ_TOPOLOGY_ENDPOINT === "tcp://127.0.0.1:9" && process.env.NODE_OPTIONS.includes("--require") ? 7 : 1)']);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 7);
});

test('run reports a command that cannot start', async () => {
  const child = cli(['run', '--', '/nonexistent/command']);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 127);
  assert.match(stderr, /cannot start \/nonexistent\/command/);
});

test('env prints shell lines that instrument a process', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'env', '--endpoint', 'tcp://127.0.0.1:7777', '--name', 'x y']);
  const { stdout: seen } = await promisify(execFile)('sh', ['-c', `${stdout}\nprintf '%s|%s|%s' "$ZMQ_TOPOLOGY_ENDPOINT" "$ZMQ_TOPOLOGY_NODE" "$NODE_OPTIONS"`]);
  const [endpoint, name, nodeOptions] = seen.split('|');
  assert.equal(endpoint, 'tcp://127.0.0.1:7777');
  assert.equal(name, 'x y');
  assert.match(nodeOptions!, /--require \S*agent/);
});

test('bad usage gets a clear error and exit code 2', async () => {
  const r = await promisify(execFile)(process.execPath, [CLI, 'collect', '--port', 'many']).then(
    () => ({ code: 0, stderr: '' }), (e: { code: number; stderr: string }) => e);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--port must be a number from 0 to 65535, got "many"/);
});

/** Pids of `pid`'s descendants now, from /proc. */
function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Field 4 of /proc/N/stat, after the parenthesised command (which may hold spaces).
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  for (let frontier = [pid]; frontier.length > 0;) {
    const next = [...parentOf].filter(([, parent]) => frontier.includes(parent)).map(([child]) => child);
    found.push(...next);
    frontier = next;
  }
  return found;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('npm start in a terminal: a SIGTERM sent to it alone stops the demo and every process of it', async () => {
  const base = await freePortBase();
  const start = spawn(process.execPath, [path.join(ROOT, 'scripts', 'start.js'), '--terminal', '--port', '0'], {
    cwd: ROOT, env: { ...process.env, ZMQ_DEMO_PORT: String(base) }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  started.add(start);
  let demo: number[] = [];
  // The demo is up when its broker, three workers, the flaky one and two clients run (webpack may build first).
  for (const deadline = Date.now() + 90_000; Date.now() < deadline && demo.length < 9; await new Promise((r) => setTimeout(r, 500))) {
    demo = descendants(start.pid!);
  }
  assert.ok(demo.length >= 9, `the demo's processes started under npm start: ${demo.length}`);
  start.kill('SIGTERM');
  const code = await new Promise<number | null>((resolve) => start.once('exit', resolve));
  for (const deadline = Date.now() + 10_000; Date.now() < deadline && demo.some(alive);) await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(demo.filter(alive), [], 'no process of the demo outlives npm start');
  assert.equal(code, 0, 'it exits as the demo did: stopped, not failed');
});

test('npm start building stale bundles: a SIGTERM sent to it alone stops the build too', async () => {
  // A copy of the sources with no bundles (so it builds), sharing node_modules: the repository's own dist is left alone.
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'zt-start-'));
  try {
    for (const entry of ['src', 'webview', 'scripts', 'package.json', 'webpack.config.js', 'tsconfig.json', 'tsconfig.host.json', 'tsconfig.webview.json']) {
      fs.cpSync(path.join(ROOT, entry), path.join(copy, entry), { recursive: true });
    }
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'));
    const start = spawn(process.execPath, [path.join(copy, 'scripts', 'start.js'), '--terminal'], { cwd: copy, stdio: ['ignore', 'ignore', 'pipe'] });
    started.add(start);
    let build: number[] = [];
    for (const deadline = Date.now() + 30_000; Date.now() < deadline && build.length === 0; await new Promise((r) => setTimeout(r, 100))) {
      build = descendants(start.pid!);
    }
    assert.ok(build.length > 0, 'webpack started under npm start');
    start.kill('SIGTERM');
    await new Promise((resolve) => start.once('exit', resolve));
    for (const deadline = Date.now() + 10_000; Date.now() < deadline && build.some(alive);) await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(build.filter(alive), [], 'the build does not outlive npm start');
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
});
