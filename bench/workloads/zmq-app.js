// @ts-check
// The zeromq.js program the agent benchmark runs plain and with `node -r <agent>`: a ROUTER process
// and a DEALER process (one DEALER, or 50) on tcp loopback. process.hrtime is CLOCK_MONOTONIC, shared
// by both processes, so a one-way latency is a difference of two hrtime readings.
//
//   node zmq-app.js router <stream|reqrep|fanin> <warmupMs> <measureMs> [memorySampleMs]
//     binds, prints {"endpoint"}; stream/fanin: measures what arrives (window starts warmupMs after
//     the first message), prints the result line and exits. reqrep: echoes until killed.
//   node zmq-app.js dealer <stream|reqrep|fanin> <endpoint> <warmupMs> <measureMs> [memorySampleMs]
//     stream/fanin: sends 64-byte messages as fast as it can until killed. reqrep: one round trip
//     at a time, measures them, prints the result line and exits.
//
// With memorySampleMs the measuring side also samples its memory (after a full GC under --expose-gc),
// and a stream/fan-in DEALER prints each of its own samples as a line ({"sample": ...}).
'use strict';
const v8 = require('node:v8');
const zmq = require('zeromq');

const PAYLOAD_BYTES = 64;
const FANIN_DEALERS = 50;
/** Every LATENCY_EVERY-th message is timed; the sample ring keeps the most recent ones. */
const LATENCY_EVERY = 4;

const [role, scenario, ...rest] = process.argv.slice(2);
const endpointArg = role === 'dealer' ? rest.shift() : undefined;
const [warmupMs, measureMs, memorySampleMs] = rest.map(Number);

const latencies = new Float64Array(1 << 18);
let latencyCount = 0;
/** @type {{ atMs: number, rssKiB: number, heapUsedKiB: number, externalKiB: number, youngKiB: number }[]} */
const memory = [];
const startedAt = Date.now();

/** @param {bigint} sentAt */
function recordLatency(sentAt) {
  latencies[latencyCount++ % latencies.length] = Number(process.hrtime.bigint() - sentAt) / 1000;
}

function stampedPayload() {
  const payload = Buffer.allocUnsafe(PAYLOAD_BYTES);
  payload.fill(0x61, 8);
  payload.writeBigUInt64LE(process.hrtime.bigint(), 0);
  return payload;
}

/** @param {number} p */
function percentile(p) {
  const sample = latencies.slice(0, Math.min(latencyCount, latencies.length)).sort();
  if (sample.length === 0) return null;
  return sample[Math.min(sample.length - 1, Math.max(0, Math.ceil((p / 100) * sample.length) - 1))];
}

/** V8's young generation as committed: it grows in steps with the rate of allocation, up to a cap V8 sets. */
function youngKiB() {
  const space = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  return space ? Math.round(space.space_size / 1024) : 0;
}

function sampleMemory() {
  const gc = /** @type {(() => void) | undefined} */ (globalThis.gc);
  if (gc) gc();
  const usage = process.memoryUsage();
  const sample = { atMs: Date.now() - startedAt, rssKiB: Math.round(usage.rss / 1024), heapUsedKiB: Math.round(usage.heapUsed / 1024), externalKiB: Math.round(usage.external / 1024), youngKiB: youngKiB() };
  memory.push(sample);
  return sample;
}

/** Runs `measure` for the window and prints the result line. */
async function measured(/** @type {(window: { active: boolean, count: number }) => Promise<void>} */ measure) {
  const memoryTimer = memorySampleMs > 0 ? setInterval(sampleMemory, memorySampleMs) : undefined;
  const window = { active: false, count: 0 };
  const t0 = { value: 0n };
  const done = measure(window);
  await new Promise((resolve) => setTimeout(resolve, warmupMs));
  window.active = true;
  t0.value = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  await new Promise((resolve) => setTimeout(resolve, measureMs));
  window.active = false;
  const seconds = Number(process.hrtime.bigint() - t0.value) / 1e9;
  // This process's CPU (JS thread + libzmq's I/O thread) per message: what the agent adds to the app's
  // own work, less swayed than throughput by what else shares the cores.
  const cpu = process.cpuUsage(cpu0);
  clearInterval(memoryTimer);
  if (memorySampleMs > 0) sampleMemory();
  const agent = /** @type {Record<symbol, unknown>} */ (globalThis)[Symbol.for('zmq-topology.agent')];
  process.stdout.write(`${JSON.stringify({
    role, scenario, instrumented: agent !== undefined, messages: window.count, seconds, msgsPerSec: window.count / seconds,
    p50Us: percentile(50), p99Us: percentile(99), cpuUsPerMsg: window.count > 0 ? (cpu.user + cpu.system) / window.count : null, memory,
  })}\n`);
  void done;
  process.exit(0);
}

async function router() {
  const socket = new zmq.Router({ linger: 0 });
  await socket.bind('tcp://127.0.0.1:*');
  process.stdout.write(`${JSON.stringify({ endpoint: socket.lastEndpoint })}\n`);
  if (scenario === 'reqrep') {
    for (;;) await socket.send(await socket.receive());
  }
  const [, first] = await socket.receive();
  void first;
  await measured(async (window) => {
    for (;;) {
      const [, payload] = await socket.receive();
      if (!window.active) continue;
      window.count++;
      if (window.count % LATENCY_EVERY === 0) recordLatency(payload.readBigUInt64LE(0));
    }
  });
}

async function dealer() {
  const dealers = Array.from({ length: scenario === 'fanin' ? FANIN_DEALERS : 1 }, () => {
    const socket = new zmq.Dealer({ linger: 0 });
    socket.connect(/** @type {string} */ (endpointArg));
    return socket;
  });
  if (scenario !== 'reqrep') {
    // Sends until killed, so no result line: each sample is printed as it is taken.
    if (memorySampleMs > 0) setInterval(() => process.stdout.write(`${JSON.stringify({ sample: sampleMemory() })}\n`), memorySampleMs);
    await Promise.all(dealers.map(async (socket) => {
      for (;;) await socket.send(stampedPayload());
    }));
    return;
  }
  const [socket] = dealers;
  await measured(async (window) => {
    for (;;) {
      const sentAt = process.hrtime.bigint();
      await socket.send(stampedPayload());
      await socket.receive();
      if (!window.active) continue;
      window.count++;
      recordLatency(sentAt);
    }
  });
}

(role === 'router' ? router() : dealer()).catch((err) => {
  console.error(err);
  process.exit(1);
});
