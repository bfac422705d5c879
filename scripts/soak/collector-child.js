// @ts-check
// The soak scripts' collector: a real Collector + TopologyStore (out/src, the extension's own code) in a
// process of its own, so its CPU, memory, handles and fds are measured apart from the load.
// Like test/fixtures/hardening/collector-child.js, plus what long runs need: store options and caps
// from the environment, a cheap summary (full snapshots of 2,000 sockets are megabytes), event-loop
// delay (the extension host's responsiveness), CPU time, and the diffs the store emitted.
//   env: COLLECTOR_PORT (default 0), STORE_OPTIONS (JSON, partial StoreOptions incl. limits; default:
//        the extension's defaults).
// Prints {"type":"listening",endpoint,pid}. Commands on stdin, one JSON line each:
//   {"cmd":"summary"}  → {"type":"summary", ...}   counts, states, collector status, dropped sums
//   {"cmd":"snapshot"} → {"type":"snapshot",snapshot,memory}
//   {"cmd":"stats","reset":true} → {"type":"stats",memory,cpuMs,eventLoop,diffs,stalls,handles,fds}
//   {"cmd":"stop"}     → stops collector + store, {"type":"stopped",resources}; must then exit by itself.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');
const { monitorEventLoopDelay } = require('node:perf_hooks');

// SOAK_ROOT: see lib.js (a tree built apart from this checkout).
const out = path.join(process.env.SOAK_ROOT ? path.resolve(process.env.SOAK_ROOT) : path.resolve(__dirname, '..', '..'), 'out', 'src');
const { Collector } = require(path.join(out, 'collector', 'collector.js'));
const { TopologyStore } = require(path.join(out, 'model', 'store.js'));

/** @param {unknown} obj */
const print = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);

function memory() {
  if (typeof global.gc === 'function') global.gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

/** @param {import('../../src/shared/snapshot').TopologySnapshot} s */
function summary(s) {
  /** @param {string[]} xs */
  const count = (xs) => xs.reduce((/** @type {Record<string, number>} */ a, x) => ({ ...a, [x]: (a[x] ?? 0) + 1 }), {});
  return {
    type: 'summary',
    takenAt: s.takenAt,
    nodes: s.nodes.length,
    nodeStates: count(s.nodes.map((n) => n.state)),
    sockets: s.sockets.length,
    openSockets: s.sockets.filter((k) => !k.closed).length,
    edges: s.edges.length,
    edgeStates: count(s.edges.map((e) => e.state)),
    unknown: s.nodes.filter((n) => n.unknown).length,
    longestTimeline: s.edges.reduce((m, e) => Math.max(m, e.timeline.length), 0),
    dropped: s.nodes.reduce((a, n) => a + n.dropped, 0),
    malformedByNode: s.nodes.reduce((a, n) => a + n.malformed, 0),
    collector: s.collector,
  };
}

async function main() {
  const options = JSON.parse(process.env.STORE_OPTIONS || '{}');
  const store = new TopologyStore(options);
  store.start();
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  // Stalls over 500 ms, with the CPU this process used meanwhile: ≈ the stall = its own work blocked
  // the loop; ≈ 0 = it was not scheduled or sat in a blocking call.
  /** @type {{ at: number, ms: number, cpuMs: number }[]} */
  const stalls = [];
  let tick = { at: Date.now(), cpu: process.cpuUsage() };
  const stallTimer = setInterval(() => {
    const now = { at: Date.now(), cpu: process.cpuUsage() };
    if (now.at - tick.at > 500) stalls.push({ at: now.at, ms: now.at - tick.at, cpuMs: Math.round((now.cpu.user + now.cpu.system - tick.cpu.user - tick.cpu.system) / 1000) });
    if (stalls.length > 20) stalls.shift();
    tick = now;
  }, 50);
  const diffs = { count: 0, maxBytes: 0, totalBytes: 0 };
  // Serialised like the graph panel does, so its cost is in the measured CPU.
  const sub = store.onDiff((/** @type {unknown} */ diff) => {
    const bytes = JSON.stringify(diff).length;
    diffs.count++;
    diffs.totalBytes += bytes;
    diffs.maxBytes = Math.max(diffs.maxBytes, bytes);
  });
  const collector = new Collector(store, { port: Number(process.env.COLLECTOR_PORT || 0), fallbackToFreePort: false });
  collector.on('error', (/** @type {Error} */ err) => print({ type: 'error', message: err.message }));
  print({ type: 'listening', endpoint: await collector.start(), pid: process.pid });
  const lines = readline.createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const { cmd, reset } = JSON.parse(line);
    if (cmd === 'summary') print(summary(store.snapshot()));
    if (cmd === 'snapshot') print({ type: 'snapshot', snapshot: store.snapshot(), memory: memory() });
    if (cmd === 'stats') {
      const cpu = process.cpuUsage();
      print({
        type: 'stats',
        memory: memory(),
        cpuMs: (cpu.user + cpu.system) / 1000,
        eventLoop: { maxMs: loop.max / 1e6, p99Ms: loop.percentile(99) / 1e6, meanMs: loop.mean / 1e6 },
        diffs: { ...diffs },
        stalls: [...stalls],
        handles: process.getActiveResourcesInfo(),
        fds: fs.readdirSync('/proc/self/fd').length,
      });
      if (reset) {
        loop.reset();
        stalls.length = 0;
        Object.assign(diffs, { count: 0, maxBytes: 0, totalBytes: 0 });
      }
    }
    if (cmd === 'stop') {
      lines.close();
      sub.dispose();
      loop.disable();
      clearInterval(stallTimer);
      collector.stop().then(() => {
        store.dispose();
        // What is still open now; the parent also checks that the process then ends by itself.
        setImmediate(() => print({ type: 'stopped', resources: process.getActiveResourcesInfo() }));
      });
    }
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
