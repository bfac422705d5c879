/**
 * The CURVE collector with real agents in real processes, on loopback only: the collector is forced
 * into CURVE mode with the `curve` option (as it is off loopback), and one of them binds 127.0.0.2
 * (also loopback on Linux: all of 127/8) so an address other than the default is exercised.
 * Agents with the server key appear; agents without it, with a wrong one, or with a key outside the
 * allow-list never appear and are counted as refused.
 */
import { after, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import * as zmq from 'zeromq';
import { Collector } from '../../src/collector/collector';
import { TopologyStore } from '../../src/model/store';
import type { CollectorStatus } from '../../src/shared/snapshot';
import { python } from '../helpers/python';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const NODE_AGENT = path.join(ROOT, 'out', 'src', 'agent', 'preload.js');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'security');

const children = new Set<ChildProcess>();
const cleanups: (() => Promise<void> | void)[] = [];

after(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function waitFor<T>(what: string, check: () => T | undefined | null | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = check();
    if (result) return result;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

interface Running {
  store: TopologyStore;
  collector: Collector;
  endpoint: string;
  keys: { publicKey: string; secretKey: string };
  /** Every refusal the collector reported, in order. */
  refusals: { reason: string; address?: string }[];
  status(): CollectorStatus;
  names(): string[];
}

async function curveCollector(address: string, allowedClientKeys?: string[]): Promise<Running> {
  const store = new TopologyStore({ sweepIntervalMs: 50, notifyIntervalMs: 50 });
  store.start();
  const keys = zmq.curveKeyPair();
  const collector = new Collector(store, { address, port: 0, fallbackToFreePort: false, curve: keys, allowedClientKeys });
  const refusals: Running['refusals'] = [];
  collector.on('refused', (reason: string, address?: string) => refusals.push({ reason, address }));
  const endpoint = await collector.start();
  cleanups.push(async () => {
    await collector.stop();
    store.dispose();
  });
  return {
    store, collector, endpoint, keys, refusals,
    status: () => store.snapshot().collector!,
    names: () => store.snapshot().nodes.map((n) => n.name),
  };
}

/** Environment of an instrumented child: nothing inherited from ZMQ_TOPOLOGY_* or NODE_OPTIONS. */
function childEnv(endpoint: string, name: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('ZMQ_TOPOLOGY_')) delete env[key];
  delete env.NODE_OPTIONS;
  return { ...env, ZMQ_TOPOLOGY_ENDPOINT: endpoint, ZMQ_TOPOLOGY_NODE: name, ...extra };
}

/** Starts a child and resolves once it printed its first line (its app socket is bound). */
async function start(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  await new Promise<void>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).once('line', () => resolve());
    child.once('exit', (code, signal) => reject(new Error(`${args.join(' ')} exited (${signal ?? code}) before it was ready`)));
  });
  return child;
}

function nodeApp(c: Running, name: string, extra: Record<string, string>): Promise<ChildProcess> {
  return start(process.execPath, ['-r', NODE_AGENT, path.join(FIXTURES, 'app.js')], childEnv(c.endpoint, name, extra));
}

function pythonApp(c: Running, name: string, extra: Record<string, string>): Promise<ChildProcess> {
  const env = childEnv(c.endpoint, name, { PYTHONPATH: path.join(ROOT, 'agents', 'python'), PYTHONDONTWRITEBYTECODE: '1', ...extra });
  return start(python(), [path.join(FIXTURES, 'app.py')], env);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/**
 * An agent that must be refused: the refused count grows and it never appears. (A refused client may
 * stop retrying: libzmq ends a session on a protocol error or a ZAP 400, so one refusal is the floor.)
 */
async function assertRefused(c: Running, name: string, child: Promise<ChildProcess>): Promise<Running['refusals']> {
  const before = c.status().refused ?? 0;
  const seen = c.refusals.length;
  const proc = await child;
  await waitFor('a refusal', () => (c.status().refused ?? 0) > before);
  // Give it time to have got through, were it going to (a keyed agent appears within ~100 ms).
  await new Promise((r) => setTimeout(r, 1000));
  assert.ok(!c.names().includes(name), `${name} must never appear, nodes: ${c.names().join(', ')}`);
  assert.equal(c.status().agents, 0);
  await stopChild(proc);
  assert.equal(c.status().lastRefused?.reason, c.refusals.at(-1)?.reason, 'the status shows the latest refusal');
  return c.refusals.slice(seen);
}

describe('collector in CURVE mode', () => {
  it('admits a Node agent with the server key and refuses one without a key or with a wrong key', async () => {
    const c = await curveCollector('127.0.0.1');
    assert.deepEqual({ curve: c.status().curve, refused: c.status().refused }, { curve: true, refused: 0 });
    assert.equal(c.collector.agentEnv.ZMQ_TOPOLOGY_SERVER_KEY, c.keys.publicKey);

    const good = await nodeApp(c, 'node-good', { ZMQ_TOPOLOGY_SERVER_KEY: c.keys.publicKey });
    await waitFor('the keyed Node agent', () => c.names().includes('node-good'));
    assert.equal(c.status().refused, 0, 'a keyed agent is not a refusal');
    await stopChild(good);
    await waitFor('the keyed agent to leave', () => c.status().agents === 0);

    const none = await assertRefused(c, 'node-nokey', nodeApp(c, 'node-nokey', {}));
    // Whichever side sees the mechanism mismatch first: the collector (mismatch) or the agent (it hangs up).
    assert.ok(none.every((r) => /not a CURVE client/.test(r.reason)), JSON.stringify(none));

    const wrong = await assertRefused(c, 'node-wrongkey', nodeApp(c, 'node-wrongkey', { ZMQ_TOPOLOGY_SERVER_KEY: zmq.curveKeyPair().publicKey }));
    assert.ok(wrong.every((r) => /wrong ZMQ_TOPOLOGY_SERVER_KEY/.test(r.reason)), JSON.stringify(wrong));

    // A malformed key never reaches zeromq (that would crash the app): the agent reports plain and is refused.
    const bad = nodeApp(c, 'node-badkey', { ZMQ_TOPOLOGY_SERVER_KEY: 'not-a-key' });
    await assertRefused(c, 'node-badkey', bad);

    // The refusals are in the snapshot JSON as well as in the status.
    const json = JSON.parse(JSON.stringify(c.store.snapshot())) as { collector: CollectorStatus };
    assert.ok(json.collector.refused! >= 3);
    assert.equal(typeof json.collector.lastRefused!.at, 'number');
  });

  it('on 127.0.0.2 with an allow-list: only listed client keys are admitted, and the refusal names the address', async () => {
    const allowed = zmq.curveKeyPair();
    const c = await curveCollector('127.0.0.2', [allowed.publicKey]);
    assert.match(c.endpoint, /^tcp:\/\/127\.0\.0\.2:\d+$/);

    const listed = await nodeApp(c, 'listed', {
      ZMQ_TOPOLOGY_SERVER_KEY: c.keys.publicKey, ZMQ_TOPOLOGY_CLIENT_PUBLIC: allowed.publicKey, ZMQ_TOPOLOGY_CLIENT_SECRET: allowed.secretKey,
    });
    await waitFor('the listed agent', () => c.names().includes('listed'));
    await stopChild(listed);

    // Knows the server key, but its own (generated) key is not on the list: ZAP says no.
    const unlisted = await assertRefused(c, 'unlisted', nodeApp(c, 'unlisted', { ZMQ_TOPOLOGY_SERVER_KEY: c.keys.publicKey }));
    const denial = unlisted.find((r) => /not in the allowed client keys/.test(r.reason));
    assert.ok(denial, JSON.stringify(unlisted));
    assert.equal(denial.address, '127.0.0.1', 'ZAP reports the peer address');
  });

  it('admits a Python agent with the server key and refuses one without it', async () => {
    const c = await curveCollector('127.0.0.2');
    const py = python();
    const curve = spawnSync(py, ['-c', 'import zmq; print(zmq.has("curve"))'], { encoding: 'utf8' }).stdout.trim();
    assert.equal(curve, 'True', `${py}'s libzmq must have CURVE (Debian's libzmq5 does)`);

    const good = await pythonApp(c, 'py-good', { ZMQ_TOPOLOGY_SERVER_KEY: c.keys.publicKey });
    await waitFor('the keyed Python agent', () => c.names().includes('py-good'));
    await stopChild(good);
    await waitFor('the Python agent to leave', () => c.status().agents === 0);

    await assertRefused(c, 'py-nokey', pythonApp(c, 'py-nokey', {}));
  });
});

describe('binding off loopback', () => {
  it('refuses 0.0.0.0 (and any other non-loopback address) without CURVE, saying why, before binding anything', async () => {
    for (const address of ['0.0.0.0', '::', '192.0.2.1']) {
      const store = new TopologyStore();
      const collector = new Collector(store, { address, port: 0 });
      await assert.rejects(collector.start(), /refusing to bind the collector on .* without CURVE.*--curve-keys/s);
      assert.equal(collector.endpoint, undefined);
      store.dispose();
    }
  });

  it('refuses malformed CURVE keys and allow-list entries', async () => {
    const store = new TopologyStore();
    await assert.rejects(new Collector(store, { port: 0, curve: { publicKey: 'x', secretKey: 'y' } }).start(), /Z85/);
    await assert.rejects(new Collector(store, { port: 0, curve: zmq.curveKeyPair(), allowedClientKeys: ['nope'] }).start(), /"nope" is not a Z85/);
    store.dispose();
  });

  it('the CLI refuses `collect --address 0.0.0.0` without --curve-keys, and creates a 0600 key file with it', () => {
    const cli = path.join(ROOT, 'bin', 'zmq-topology.js');
    const refused = spawnSync(process.execPath, [cli, 'collect', '--address', '0.0.0.0', '--port', '0', '--duration', '1'], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /without CURVE/);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zmq-topology-keys-'));
    try {
      const file = path.join(dir, 'collector.json');
      const ok = spawnSync(process.execPath, [cli, 'collect', '--address', '127.0.0.2', '--port', '0', '--curve-keys', file, '--json', '--duration', '1'],
        { encoding: 'utf8', timeout: 20_000 });
      assert.equal(ok.status, 0, ok.stderr);
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      const keys = JSON.parse(fs.readFileSync(file, 'utf8')) as { publicKey: string };
      assert.ok(ok.stderr.includes(`--server-key '${keys.publicKey}'`), ok.stderr);
      const last = JSON.parse(ok.stdout.trim().split('\n').pop()!) as { collector: CollectorStatus };
      assert.equal(last.collector.curve, true);
      assert.equal(last.collector.refused, 0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
