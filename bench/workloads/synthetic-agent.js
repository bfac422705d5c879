// @ts-check
// A synthetic agent for the ingest benchmark: a DEALER that speaks valid telemetry (encoded by the
// protocol module) about many sockets, then sends a pre-encoded cycle of traffic and event messages
// as fast as the collector takes them, for a bounded time.
//
//   node synthetic-agent.js '<json config>'    (see Config below)
//
// Prints {"ready":true,...} once its setup messages are sent, {"done":true,"sent":N} at the end.
'use strict';
const path = require('node:path');
const zmq = require('zeromq');
const { encode } = require(path.join(__dirname, '..', '..', 'out', 'src', 'protocol', 'codec.js'));

/**
 * @typedef {{ collector: string, role: 'broker' | 'worker', index: number, workers: number,
 *   socketsPerWorker: number, batch: number, eventEvery: number, sendMs: number }} Config
 */
/** @type {Config} */
const config = JSON.parse(process.argv[2]);
const BROKER_ENDPOINT = 'tcp://127.0.0.1:7000';
const CYCLE = 200;
const startedAt = Date.now();
let seq = 0;

/** @param {string} text */
const bin = (text) => ({ hex: Buffer.from(text).toString('hex'), text });
const routingId = (/** @type {number} */ worker, /** @type {number} */ socket) => `w${worker}-${socket}`;
/** @param {Record<string, unknown>} body */
const frame = (body, at = Date.now()) => encode({ v: 1, seq: ++seq, at, ...body });
/**
 * The cycle is encoded once with this stand-in for "now" in every time field; each send writes the
 * current time over it (same width), so the collector sees live stamps as from a real agent, not a
 * clock frozen at setup that turns every edge late, then dead, while traffic flows.
 */
const NOW_STANDIN = 9_999_999_999_999;
const STANDIN_TEXT = Buffer.from(String(NOW_STANDIN));

/** Offsets of the stand-in's digits in an encoded frame. */
function standinOffsets(/** @type {Uint8Array} */ bytes) {
  const offsets = [];
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = buffer.indexOf(STANDIN_TEXT); at >= 0; at = buffer.indexOf(STANDIN_TEXT, at + 1)) offsets.push(at);
  return offsets;
}

/** A copy of `bytes` with the current time at `offsets` (a copy: zeromq.js may still hold the last one). */
function stamped(/** @type {Uint8Array} */ bytes, /** @type {number[]} */ offsets) {
  const copy = Buffer.from(bytes);
  const now = String(Date.now());
  for (const at of offsets) copy.write(now, at, 'latin1');
  return copy;
}

function socketsOf() {
  if (config.role === 'broker') {
    return [{ socket: 1, type: 'ROUTER', name: 'broker', options: { disconnectMsg: false }, createdAt: startedAt,
      endpoints: [{ op: 'bind', requested: 'tcp://*:7000', resolved: 'tcp://0.0.0.0:7000', at: startedAt }], peers: [], closed: false }];
  }
  return Array.from({ length: config.socketsPerWorker }, (_, j) => ({
    socket: j + 1, type: 'DEALER', routingId: bin(routingId(config.index, j)), options: { disconnectMsg: false }, createdAt: startedAt,
    endpoints: [{ op: 'connect', requested: BROKER_ENDPOINT, at: startedAt }], peers: [], closed: false,
  }));
}

/** Traffic about `batch` peers, walking round all of them message by message. */
function trafficFrame(/** @type {number} */ n, now = Date.now()) {
  const total = config.role === 'broker' ? config.workers * config.socketsPerWorker : config.socketsPerWorker;
  const peers = Array.from({ length: config.batch }, (_, k) => {
    const i = (n * config.batch + k) % total;
    const stamps = { lastMessageIn: now, lastMessageOut: now, lastHeartbeatIn: now, lastHeartbeatOut: now };
    const counts = { msgsIn: 3, msgsOut: 3, bytesIn: 192, bytesOut: 192, types: { HEARTBEAT: 2, WORK: 1 } };
    return config.role === 'broker'
      ? { socket: 1, peer: bin(routingId(Math.floor(i / config.socketsPerWorker), i % config.socketsPerWorker)), ...counts, ...stamps }
      : { socket: i + 1, ...counts, ...stamps };
  });
  return frame({ t: 'traffic', peers }, now);
}

function eventFrame(/** @type {number} */ n, now = Date.now()) {
  return config.role === 'broker'
    ? frame({ t: 'event', socket: 1, event: 'accept', address: 'tcp://0.0.0.0:7000' }, now)
    : frame({ t: 'event', socket: (n % config.socketsPerWorker) + 1, event: 'handshake', address: BROKER_ENDPOINT }, now);
}

async function main() {
  const dealer = new zmq.Dealer({ linger: 0 });
  dealer.connect(config.collector);
  const pid = 100_000 + config.index + (config.role === 'broker' ? 50_000 : 0);
  await dealer.send(frame({
    t: 'hello', instance: `bench-${pid}`, pid, host: 'bench-host', title: 'node', node: `${config.role}-${config.index}`,
    argv: ['node', 'synthetic.js'], runtime: { name: 'node', version: process.version, binding: 'zeromq.js 6.8.0', libzmq: '4.3.5', disconnectMsg: true },
    agent: { name: 'bench', version: '0' }, startedAt,
  }));
  const sockets = socketsOf();
  // Snapshots are capped at 4096 sockets: larger workers announce the rest one by one.
  await dealer.send(frame({ t: 'snapshot', sockets: sockets.slice(0, 4096), dropped: 0 }));
  for (const s of sockets.slice(4096)) {
    await dealer.send(frame({ t: 'socket', socket: s.socket, type: s.type, routingId: s.routingId, options: s.options, createdAt: s.createdAt }));
    await dealer.send(frame({ t: 'endpoint', socket: s.socket, op: 'connect', requested: BROKER_ENDPOINT, ok: true }));
  }
  if (config.role === 'worker') {
    for (let j = 0; j < config.socketsPerWorker; j++) await dealer.send(eventFrame(j));
  }
  // One pass of traffic over every peer, so every edge has stamps before the clock starts.
  const total = config.role === 'broker' ? config.workers * config.socketsPerWorker : config.socketsPerWorker;
  for (let n = 0; n * config.batch < total; n++) await dealer.send(trafficFrame(n));
  const cycle = Array.from({ length: CYCLE }, (_, n) => (n % config.eventEvery === config.eventEvery - 1 ? eventFrame(n, NOW_STANDIN) : trafficFrame(n, NOW_STANDIN)));
  const offsets = cycle.map(standinOffsets);
  const events = cycle.map((_, n) => (n % config.eventEvery === config.eventEvery - 1 ? 1 : config.batch));
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  await new Promise((resolve) => process.stdin.once('data', resolve));
  const until = Date.now() + config.sendMs;
  let sent = 0;
  let eventsSent = 0;
  while (Date.now() < until) {
    for (let n = 0; n < CYCLE; n++) {
      await dealer.send(stamped(cycle[n], offsets[n]));
      eventsSent += events[n];
    }
    sent += CYCLE;
  }
  process.stdout.write(`${JSON.stringify({ done: true, sent, eventsSent })}\n`);
  // Stay connected (idle) until told to go: the memory measurement wants the steady picture.
  await new Promise((resolve) => process.stdin.once('end', resolve));
  dealer.close();
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
