/**
 * The kernel table reader (collector/kernelPeers.ts): /proc/net/tcp{,6} rows as the kernel writes them,
 * and the owners of the other ends found through a /proc tree laid out on disk (fd symlinks to
 * socket:[inode], as /proc has them); unix sockets' pairs as `ss -xn` prints them. The real /proc and
 * `ss` are read in truth-unseen (ac) and (ad).
 */
import { after, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ipcPath, KernelPeerWatcher, parseTcpTable, parseUnixTable, peersOf, type UnixRow } from '../../src/collector/kernelPeers';
import { TopologyStore } from '../../src/model/store';
import { UNSEEN_GRACE_MS } from '../../src/model/store/unseen';
import type { TelemetryMsg } from '../../src/protocol/types';
import { FakeAgent, agentKeyOf, viaWire } from '../fixtures/collector/telemetry';
import { kernelPeerText, kernelPeersSummary, shortCommand } from '../../src/shared/format';

const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
const row = (sl: number, local: string, remote: string, st: string, inode: number) =>
  `   ${sl}: ${local} ${remote} ${st} 00000000:00000000 00:00000000 00000000  1000        0 ${inode} 1 0000000000000000 20 4 30 10 -1`;

interface Binder {
  pid: number;
  node: string;
  type: 'PUB' | 'PULL';
  /** Requested and resolved bind endpoints. */
  bind: [string, string];
  /** The address its monitor reports accepts on, and how many are open. */
  accepted: [string, number];
}

/** A store whose binders' agents count accepted connections no instrumented peer explains, past the grace; `now` is its clock at the end. */
function storeWithUnseen(binders: readonly Binder[]): { store: TopologyStore; now: number } {
  let now = 1_800_000_000_000;
  const store = new TopologyStore({ now: () => now });
  const agents = binders.map((b) => ({ b, agent: new FakeAgent({ pid: b.pid, node: b.node }) }));
  const send = (agent: FakeAgent, ...msgs: TelemetryMsg[]) => { for (const m of msgs) store.apply(agentKeyOf(agent), viaWire(m), now); };
  for (const { b, agent } of agents) {
    send(agent, agent.hello(now), agent.socket(now, 1, b.type), agent.bind(now, 1, ...b.bind), agent.accepted(now, 1, 'accept', ...b.accepted));
  }
  for (let t = 0; t < UNSEEN_GRACE_MS + 500; t += 250) {
    now += 250;
    for (const { agent } of agents) send(agent, agent.beat(now));
  }
  return { store, now };
}

const roots: string[] = [];
after(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

test('rows of /proc/net/tcp and tcp6: IPv4 in host byte order, IPv6 compressed, IPv4-mapped shown as IPv4, the rest skipped', () => {
  const v4 = parseTcpTable([HEADER,
    row(0, '0100007F:15B3', '00000000:0000', '0A', 1001), // 127.0.0.1:5555 listening
    row(1, '0100007F:15B3', '0100007F:C350', '01', 1002), // accepted from 127.0.0.1:50000
    '   2: garbage',
    ''].join('\n'));
  assert.deepEqual(v4, [
    { local: '127.0.0.1:5555', localPort: 5555, remote: '0.0.0.0:0', established: false, inode: 1001 },
    { local: '127.0.0.1:5555', localPort: 5555, remote: '127.0.0.1:50000', established: true, inode: 1002 },
  ]);
  const v6 = parseTcpTable([HEADER,
    row(0, '00000000000000000000000001000000:15B3', '00000000000000000000000001000000:C351', '01', 2001), // ::1
    row(1, '0000000000000000FFFF00000100007F:15B3', '0000000000000000FFFF00000100007F:C352', '01', 2002), // ::ffff:127.0.0.1
    row(2, '000080FE00000000FF0A0002FE4A1C00:15B3', '00000000000000000000000000000000:0000', '0A', 2003), // fe80::200:aff:1c:4afe
  ].join('\n'));
  assert.deepEqual(v6.map((r) => [r.local, r.remote]), [
    ['[::1]:5555', '[::1]:50001'],
    ['127.0.0.1:5555', '127.0.0.1:50002'],
    ['[fe80::200:aff:1c:4afe]:5555', '[::]:0'],
  ]);
});

test('peers of a port: the process holding each accepted connection\'s other end, those with an agent left out, another host\'s by address', () => {
  const proc = fs.mkdtempSync(path.join(os.tmpdir(), 'zmq-topology-proc-'));
  roots.push(proc);
  const processes: [number, string, number[]][] = [
    [100, 'node\0binder.js\0', [1002, 1004, 1006]], // the binder: its accepted ends
    [200, '/usr/bin/python3\0/home/me/client.py\0--fast\0', [1003]], // without an agent
    [300, 'node\0/srv/app/worker.js\0', [1005]], // with an agent
  ];
  for (const [pid, cmdline, inodes] of processes) {
    fs.mkdirSync(path.join(proc, String(pid), 'fd'), { recursive: true });
    fs.writeFileSync(path.join(proc, String(pid), 'cmdline'), cmdline);
    inodes.forEach((inode, fd) => fs.symlinkSync(`socket:[${inode}]`, path.join(proc, String(pid), 'fd', String(fd + 3))));
    fs.symlinkSync('/dev/null', path.join(proc, String(pid), 'fd', '0'));
  }
  const rows = parseTcpTable([HEADER,
    row(0, '00000000:15B3', '00000000:0000', '0A', 1001),
    row(1, '0100007F:15B3', '0100007F:C350', '01', 1002), // accepted ← 127.0.0.1:50000 (pid 200)
    row(2, '0100007F:C350', '0100007F:15B3', '01', 1003), // its other end
    row(3, '0100007F:15B3', '0100007F:C351', '01', 1004), // accepted ← 127.0.0.1:50001 (pid 300, with an agent)
    row(4, '0100007F:C351', '0100007F:15B3', '01', 1005),
    row(5, '0A00000A:15B3', '0700000A:D431', '01', 1006), // accepted ← 10.0.0.7:54321, another host
    row(6, '0100007F:1F90', '0100007F:C352', '01', 1007), // another port
  ].join('\n'));
  const { byPort } = peersOf({ tcp: rows, ports: [5555, 6000], unix: [], paths: [] }, new Set([300]), proc);
  assert.deepEqual(byPort.get(6000), [], 'a port with no connection has none');
  const peers = byPort.get(5555)!;
  assert.deepEqual(peers, [
    { address: '127.0.0.1:50000', pid: 200, command: '/usr/bin/python3 /home/me/client.py --fast' },
    { address: '10.0.0.7:54321' },
  ]);
  assert.equal(kernelPeersSummary({ kernelPeers: peers }), 'python3 client.py (200), 10.0.0.7:54321 (another host\'s, or not ours to read)');
  assert.equal(kernelPeerText(peers[0]), 'pid 200 /usr/bin/python3 /home/me/client.py --fast (from 127.0.0.1:50000)');
  assert.equal(shortCommand('node --inspect app.js'), 'node');
  assert.equal(kernelPeersSummary({}), null);
});

test('the watcher names a store\'s peers without an agent from a /proc tree; an end no pass could own is not looked for again for 30 s', async () => {
  const proc = fs.mkdtempSync(path.join(os.tmpdir(), 'zmq-topology-proc-'));
  roots.push(proc);
  const fd = (pid: number, inode: number) => {
    fs.mkdirSync(path.join(proc, String(pid), 'fd'), { recursive: true });
    fs.writeFileSync(path.join(proc, String(pid), 'cmdline'), `python3\0sub-${pid}.py\0`);
    fs.symlinkSync(`socket:[${inode}]`, path.join(proc, String(pid), 'fd', String(inode)));
  };
  fs.mkdirSync(path.join(proc, 'net'));
  fs.writeFileSync(path.join(proc, 'net', 'tcp'), [HEADER,
    row(0, '0100007F:15B4', '0100007F:C350', '01', 1002), row(1, '0100007F:C350', '0100007F:15B4', '01', 1003), // ← pid 200
    row(2, '0100007F:15B4', '0100007F:C351', '01', 1004), row(3, '0100007F:C351', '0100007F:15B4', '01', 1005), // ← not readable yet
  ].join('\n'));
  fd(200, 1003);
  // A PUB on tcp://*:5556 whose agent counts two connections no instrumented peer explains.
  const { store, now } = storeWithUnseen([{ pid: 100, node: 'publisher', type: 'PUB', bind: ['tcp://*:5556', 'tcp://0.0.0.0:5556'], accepted: ['tcp://127.0.0.1:5556', 2] }]);
  const named = () => store.snapshot().edges.find((e) => e.connections !== undefined)?.kernelPeers?.map((p) => p.pid ?? p.address);
  mock.timers.enable({ apis: ['Date'], now });
  try {
    const watcher = new KernelPeerWatcher(store, { procRoot: proc, hostname: 'test-host' });
    await watcher.poll();
    assert.deepEqual(named(), [200, '127.0.0.1:50001']);
    fd(300, 1005); // its process becomes readable
    mock.timers.tick(10_000);
    await watcher.poll();
    assert.deepEqual(named(), [200, '127.0.0.1:50001'], 'not looked for again within 30 s');
    mock.timers.tick(25_000);
    await watcher.poll();
    assert.deepEqual(named(), [200, 300]);
    watcher.dispose();
  } finally {
    mock.timers.reset();
    store.dispose();
  }
});

test('rows of `ss -xn`: established unix sockets with their own address and inode and their peer\'s; paths with spaces kept, the rest skipped', () => {
  const rows = parseUnixTable([
    'Netid State  Recv-Q Send-Q                 Local Address:Port   Peer Address:Port',
    'u_str ESTAB  0      0                  /tmp/zt-x.ipc 172104            * 172102',
    'u_str ESTAB  0      0                      @zt-abs 172105            * 172103',
    'u_str ESTAB  0      0                            * 172102            * 172104',
    'u_str ESTAB  0      0           /tmp/with space.ipc 9001            * 9000',
    'u_str LISTEN 0      100                /tmp/zt-x.ipc 172100            * 0',
    'u_dgr UNCONN 0      0                  /run/systemd/notify 15          * 0',
    'garbage',
    '',
  ].join('\n'));
  assert.deepEqual(rows, [
    { local: '/tmp/zt-x.ipc', inode: 172104, peerInode: 172102 },
    { local: '@zt-abs', inode: 172105, peerInode: 172103 },
    { local: '*', inode: 172102, peerInode: 172104 },
    { local: '/tmp/with space.ipc', inode: 9001, peerInode: 9000 },
  ]);
  assert.equal(ipcPath('ipc:///tmp/zt-x.ipc'), '/tmp/zt-x.ipc');
  assert.equal(ipcPath('ipc://@zt-abs'), '@zt-abs');
  assert.equal(ipcPath('tcp://127.0.0.1:5555'), undefined);
  assert.equal(ipcPath('ipc://'), undefined);
});

test('the watcher names the peers of an ipc PULL and a tcp PUB in one reading: the unix table\'s pairs, owners from one pass over /proc', async () => {
  const proc = fs.mkdtempSync(path.join(os.tmpdir(), 'zmq-topology-proc-'));
  roots.push(proc);
  const fd = (pid: number, inode: number, script: string) => {
    fs.mkdirSync(path.join(proc, String(pid), 'fd'), { recursive: true });
    fs.writeFileSync(path.join(proc, String(pid), 'cmdline'), `python3\0${script}\0`);
    fs.symlinkSync(`socket:[${inode}]`, path.join(proc, String(pid), 'fd', String(inode)));
  };
  fs.mkdirSync(path.join(proc, 'net'));
  fs.writeFileSync(path.join(proc, 'net', 'tcp'), [HEADER,
    row(0, '0100007F:15B4', '0100007F:C350', '01', 1002), row(1, '0100007F:C350', '0100007F:15B4', '01', 1003), // ← pid 200
  ].join('\n'));
  fd(200, 1003, 'sub.py');
  fd(400, 3002, 'pusher.py');
  const unix: UnixRow[] = [
    { local: '/tmp/sink.ipc', inode: 3001, peerInode: 3002 }, // ← pid 400
    { local: '*', inode: 3002, peerInode: 3001 },
    { local: '/tmp/sink.ipc', inode: 3003, peerInode: 3004 }, // ← a process not ours to read
    { local: '/tmp/other.ipc', inode: 3005, peerInode: 3006 }, // another path
  ];
  let unixReads = 0;
  const { store } = storeWithUnseen([
    { pid: 100, node: 'publisher', type: 'PUB', bind: ['tcp://*:5556', 'tcp://0.0.0.0:5556'], accepted: ['tcp://127.0.0.1:5556', 1] },
    { pid: 101, node: 'sink', type: 'PULL', bind: ['ipc:///tmp/sink.ipc', 'ipc:///tmp/sink.ipc'], accepted: ['ipc:///tmp/sink.ipc', 2] },
  ]);
  const named = (pid: number) => {
    const s = store.snapshot();
    const sockets = new Set(s.sockets.filter((k) => s.nodes.find((n) => n.id === k.nodeId)?.pid === pid).map((k) => k.id));
    return s.edges.find((e) => e.connections !== undefined && sockets.has(e.to))?.kernelPeers;
  };
  try {
    const watcher = new KernelPeerWatcher(store, { procRoot: proc, hostname: 'test-host', readUnix: () => { unixReads++; return Promise.resolve(unix); } });
    await watcher.poll();
    const ipcPeers = named(101)!;
    assert.deepEqual(ipcPeers, [{ address: 'socket:[3002]', pid: 400, command: 'python3 pusher.py' }, { address: 'socket:[3004]' }]);
    assert.equal(kernelPeersSummary({ kernelPeers: ipcPeers }), 'python3 pusher.py (400), socket:[3004] (a process not ours to read)');
    assert.deepEqual(named(100)?.map((p) => p.pid), [200]);
    assert.equal(unixReads, 1);
    watcher.dispose();
  } finally {
    store.dispose();
  }
});

test('the watcher reads `ss` in a child process, one reading at a time, and sets nothing once disposed', async () => {
  const { store } = storeWithUnseen([{ pid: 101, node: 'sink', type: 'PULL', bind: ['ipc:///tmp/sink.ipc', 'ipc:///tmp/sink.ipc'], accepted: ['ipc:///tmp/sink.ipc', 1] }]);
  const pending: ((rows: UnixRow[]) => void)[] = [];
  const proc = fs.mkdtempSync(path.join(os.tmpdir(), 'zmq-topology-proc-'));
  roots.push(proc);
  fs.mkdirSync(path.join(proc, 'net'));
  fs.writeFileSync(path.join(proc, 'net', 'tcp'), HEADER);
  const watcher = new KernelPeerWatcher(store, { procRoot: proc, hostname: 'test-host', intervalMs: 5, readUnix: () => new Promise((resolve) => pending.push(resolve)) });
  try {
    watcher.start();
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(pending.length, 1, 'a reading still under way: no second one started');
    watcher.dispose();
    pending[0]([{ local: '/tmp/sink.ipc', inode: 7001, peerInode: 7002 }]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(store.snapshot().edges.find((e) => e.connections !== undefined)?.kernelPeers, undefined, 'nothing set after dispose');
  } finally {
    watcher.dispose();
    store.dispose();
  }
});
