/**
 * The kernel-truth helper checked against connections this test opens itself, so the other truth-*
 * suites can trust it: /proc address parsing, tcp direction (who bound, who connected), pids, ipc
 * pairing, descendants, and compareWithKernel's diff on a hand-made snapshot.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { TopologySnapshot } from '../../src/shared/snapshot';
import { compareWithKernel, descendantPids, eventually, formatCounts, parseProcAddress, parseProcNetUnix, readKernel } from '../helpers/truth';

const started: ChildProcess[] = [];
after(() => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function listen(server: net.Server, ...args: unknown[]): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    (server.listen as (...a: unknown[]) => void)(...args, () => resolve());
  });
}

function connect(options: net.NetConnectOpts): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(options, () => resolve(s));
    s.once('error', reject);
  });
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before its first line`)));
  });
}

describe('/proc parsing', () => {
  test('addresses: IPv4 little-endian words, IPv6, IPv4-mapped IPv6, big-endian ports', () => {
    if (os.endianness() !== 'LE') return; // the literals below are as a little-endian kernel writes them
    assert.deepEqual(parseProcAddress('0100007F:1F90'), { address: '127.0.0.1', port: 8080 });
    assert.deepEqual(parseProcAddress('00000000:15B3'), { address: '0.0.0.0', port: 5555 });
    assert.deepEqual(parseProcAddress('0101A8C0:0050'), { address: '192.168.1.1', port: 80 });
    assert.deepEqual(parseProcAddress('00000000000000000000000001000000:0016'), { address: '0:0:0:0:0:0:0:1', port: 22 });
    assert.deepEqual(parseProcAddress('0000000000000000FFFF00000100007F:A0A6'), { address: '127.0.0.1', port: 41126 });
  });

  test('/proc/net/unix: listening flag, connected state, paths', () => {
    const rows = parseProcNetUnix([
      'Num       RefCount Protocol Flags    Type St Inode Path',
      '0000000000000000: 00000002 00000000 00010000 0001 01 100 /tmp/a.ipc',
      '0000000000000000: 00000003 00000000 00000000 0001 03 101 /tmp/a.ipc',
      '0000000000000000: 00000003 00000000 00000000 0001 03 102',
      '0000000000000000: 00000002 00000000 00000000 0002 01 103 /dev/log',
    ].join('\n'));
    assert.deepEqual(rows, [
      { inode: 100, listening: true, connected: false, path: '/tmp/a.ipc' },
      { inode: 101, listening: false, connected: true, path: '/tmp/a.ipc' },
      { inode: 102, listening: false, connected: true, path: undefined },
    ]);
  });
});

describe('readKernel on real connections', () => {
  test('two tcp clients of a server, all in this process: two connections, both ends this pid, the server port', async (t) => {
    const accepted: net.Socket[] = [];
    const server = net.createServer((s) => accepted.push(s));
    await listen(server, 0, '127.0.0.1');
    const port = (server.address() as net.AddressInfo).port;
    const a = await connect({ port, host: '127.0.0.1' });
    const b = await connect({ port, host: '127.0.0.1' });
    t.after(() => { a.destroy(); b.destroy(); server.close(); });
    const view = await eventually(() => {
      const v = readKernel([], { includeSelf: true });
      const mine = v.connections.filter((c) => c.port === port);
      return { ok: mine.length === 2, diff: JSON.stringify(mine), v, mine };
    }, 3000);
    for (const c of view.mine) {
      assert.equal(c.transport, 'tcp');
      assert.equal(c.connectorPid, process.pid);
      assert.equal(c.binderPid, process.pid);
      assert.match(c.detail, new RegExp(`127\\.0\\.0\\.1:\\d+ → 127\\.0\\.0\\.1:${port}$`));
    }
    // Without includeSelf this process's sockets (the collector's, in the other suites) are left out.
    assert.equal(readKernel([process.pid]).connections.filter((c) => c.port === port).length, 0);
    a.destroy();
    await eventually(() => ({ ok: readKernel([], { includeSelf: true }).connections.filter((c) => c.port === port).length === 1 }), 3000);
  });

  test('IPv6 loopback (tcp6) when the machine has it', async (t) => {
    const server = net.createServer(() => {});
    try {
      await listen(server, 0, '::1');
    } catch {
      console.log('no ::1 here: skipped the tcp6 check');
      return;
    }
    const port = (server.address() as net.AddressInfo).port;
    const c = await connect({ port, host: '::1' });
    t.after(() => { c.destroy(); server.close(); });
    const found = await eventually(() => {
      const mine = readKernel([], { includeSelf: true }).connections.filter((x) => x.port === port);
      return { ok: mine.length === 1, diff: JSON.stringify(mine), mine };
    }, 3000);
    assert.match(found.mine[0].detail, /0:0:0:0:0:0:0:1/);
  });

  test('direction and pids across processes: a child binds, this process connects, another child connects', async (t) => {
    const binder = spawn(process.execPath, ['-e', `
      const net = require('net');
      const s = net.createServer(() => {}).listen(0, '0.0.0.0', () => console.log(s.address().port));
      setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
    started.push(binder);
    const port = Number(await firstLine(binder));
    const mine = await connect({ port, host: '127.0.0.1' });
    t.after(() => mine.destroy());
    const connector = spawn(process.execPath, ['-e', `
      const c = require('net').connect(${port}, 'localhost', () => console.log('connected'));
      setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
    started.push(connector);
    await firstLine(connector);
    const view = await eventually(() => {
      const v = readKernel([binder.pid!, connector.pid!], { includeSelf: true });
      const onPort = v.connections.filter((c) => c.port === port);
      return { ok: onPort.length === 2, diff: JSON.stringify(v), onPort };
    }, 3000);
    const pairs = view.onPort.map((c) => `${c.connectorPid}->${c.binderPid}`).sort();
    assert.deepEqual(pairs, [`${connector.pid}->${binder.pid}`, `${process.pid}->${binder.pid}`].sort());

    // This process left out (the default): its connection is dropped, the child's stays.
    const withoutSelf = readKernel([binder.pid!, connector.pid!]).connections.filter((c) => c.port === port);
    assert.deepEqual(withoutSelf.map((c) => `${c.connectorPid}->${c.binderPid}`), [`${connector.pid}->${binder.pid}`]);
    // Only the binder in the scenario: the connector is reported as outside it.
    const partial = readKernel([binder.pid!]);
    assert.equal(partial.connections.filter((c) => c.port === port).length, 0);
    assert.deepEqual(partial.foreign.filter((c) => c.port === port).map((c) => c.foreignPid), [connector.pid]);
    connector.kill('SIGKILL');
    binder.kill('SIGKILL');
  });

  test('ipc: a unix stream server and two clients (pairing through ss)', async (t) => {
    if (!['/usr/bin/ss', '/bin/ss', '/usr/sbin/ss', '/sbin/ss'].some((p) => fs.existsSync(p))) {
      t.skip('ss (iproute2) is not installed');
      return;
    }
    const file = path.join(os.tmpdir(), `truth-kernel-${process.pid}-${Date.now()}.sock`);
    const server = net.createServer(() => {});
    await listen(server, file);
    const a = await connect({ path: file });
    const b = await connect({ path: file });
    t.after(() => { a.destroy(); b.destroy(); server.close(); fs.rmSync(file, { force: true }); });
    const found = await eventually(() => {
      const mine = readKernel([], { includeSelf: true, ipc: true }).connections.filter((c) => c.path === file);
      return { ok: mine.length === 2, diff: JSON.stringify(mine), mine };
    }, 3000);
    for (const c of found.mine) {
      assert.equal(c.transport, 'ipc');
      assert.equal(c.connectorPid, process.pid);
      assert.equal(c.binderPid, process.pid);
    }
  });

  test('descendantPids finds grandchildren', async (t) => {
    const parent = spawn(process.execPath, ['-e', `
      const { spawn } = require('child_process');
      const c = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      console.log(c.pid);
      setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
    started.push(parent);
    const grandchild = Number(await firstLine(parent));
    t.after(() => { try { process.kill(grandchild, 'SIGKILL'); } catch { /* gone */ } });
    assert.deepEqual(descendantPids(parent.pid!), [grandchild]);
    process.kill(grandchild, 'SIGKILL');
    parent.kill('SIGKILL');
  });
});

describe('compareWithKernel', () => {
  test('a hand-made snapshot: matched, then an edge with no connection, a missing edge, an unknown node', async (t) => {
    const server = net.createServer(() => {});
    await listen(server, 0, '127.0.0.1');
    const port = (server.address() as net.AddressInfo).port;
    const c = await connect({ port, host: '127.0.0.1' });
    t.after(() => { c.destroy(); server.close(); });

    const node = (id: string, pid: number, unknown = false) => ({
      id, pid, host: 'h', name: id, title: id, runtime: { name: 'node', version: '', binding: '', libzmq: '', disconnectMsg: true },
      agent: { name: 'a', version: '0' }, state: 'live' as const, startedAt: 0, lastSeenAt: 0, dropped: 0, malformed: 0,
      ...(unknown ? { unknown: true } : {}),
    });
    const socket = (id: string, nodeId: string, type: string) => ({
      id, nodeId, type, options: { disconnectMsg: false }, binds: [], connects: [], closed: false,
    });
    const edge = (from: string, to: string, endpoint: string, routingId?: string) => ({
      id: `${from}->${to}@${endpoint}`, from, to, endpoint, state: 'connected' as const, heartbeatAgeMs: null, trafficAgeMs: 10,
      rates: { out: 0, in: 0 }, messageTypes: {}, lastDisconnect: null, retryStorm: false, timeline: [],
      ...(routingId ? { routingId: { hex: Buffer.from(routingId).toString('hex'), text: routingId } } : {}),
    });
    const base = {
      schema: 1, takenAt: Date.now(),
      nodes: [node('self', process.pid)],
      sockets: [socket('self/1', 'self', 'DEALER'), socket('self/2', 'self', 'ROUTER')],
      edges: [edge('self/1', 'self/2', `tcp://127.0.0.1:${port}`, 'x')],
    } as unknown as TopologySnapshot;

    const good = await eventually(() => compareWithKernel(base, [], { includeSelf: true }), 3000);
    console.log(formatCounts('hand-made, good', good));
    assert.equal(good.counts.kernel, 1);
    assert.equal(good.counts.matched, 1);

    const bad = {
      ...base,
      nodes: [...base.nodes, node('?peer', 0, true)],
      sockets: [...base.sockets, socket('?peer/1', '?peer', 'UNKNOWN')],
      edges: [
        edge('self/1', 'self/2', `tcp://127.0.0.1:${port}`), // no routing id into a ROUTER
        edge('?peer/1', 'self/2', `tcp://127.0.0.1:${port}`, '\u0000abcd'), // the twin: a process without an agent, which the kernel does not have
        edge('self/1', 'self/2', 'tcp://127.0.0.1:1'), // nothing on port 1
      ],
    } as unknown as TopologySnapshot;
    const r = compareWithKernel(bad, [], { includeSelf: true });
    console.log(r.diff);
    assert.equal(r.ok, false);
    assert.equal(r.counts.matched, 1);
    assert.equal(r.counts.edgesWithoutConnection, 1);
    assert.equal(r.counts.unknownNodes, 1);
    assert.equal(r.counts.routerEdgesWithoutRoutingId, 2);
    assert.equal(r.counts.unseen, 1);
    assert.match(r.diff, /edge with no real connection behind it \(1\)/);
    assert.match(r.diff, /the kernel has 0 connection\(s\) from processes without an agent, the graph 1/);
    assert.match(r.diff, /unknown-peer node/);

    // A real connection nobody drew, and an edge drawn between the wrong processes.
    const wrong = { ...base, edges: [edge('self/1', 'self/2', `tcp://127.0.0.1:${port}`, 'x')], nodes: [node('self', process.pid + 1)] } as unknown as TopologySnapshot;
    const w = compareWithKernel(wrong, [], { includeSelf: true });
    console.log(w.diff);
    assert.equal(w.counts.wrongPair, 1);
    const none = compareWithKernel({ ...base, edges: [] }, [], { includeSelf: true });
    assert.equal(none.counts.connectionsWithoutEdge, 1);
    assert.match(none.diff, /real connection with no edge/);
  });

  test('eventually: waits for stability and reports the last diff on timeout', async () => {
    let n = 0;
    const r = await eventually(() => ({ ok: ++n >= 3, diff: `n=${n}` }), 2000, { stableMs: 100, intervalMs: 20 });
    assert.ok(r.ok);
    await assert.rejects(eventually(() => ({ ok: false, diff: 'still wrong: 42' }), 200, { intervalMs: 20, label: 'demo' }),
      /demo: did not converge within 200 ms; last diff:\nstill wrong: 42/);
  });
});
