#!/usr/bin/env node
// Long fuzz run of the collector (the short one is test/integration/hardening-fuzz.test.ts):
//   node scripts/soak/fuzz.js [--messages 1000000] [--senders 4] [--dealers 16] [--seed N]
// Needs `npx tsc -p .` first (runs out/). Prints the rate, exact per-reason counts vs what was sent,
// the collector's memory (after gc) at the start, halfway and at the end, and exits 1 on a mismatch.
'use strict';
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const { CollectorProc, Procs, HARDENING, MB } = require(path.join(ROOT, 'out', 'test', 'fixtures', 'hardening', 'procs.js'));
const { expectedOutcomes } = require(path.join(HARDENING, 'fuzz-gen.js'));

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const MESSAGES = arg('messages', 1_000_000);
const SENDERS = arg('senders', 4);
const DEALERS = arg('dealers', 16);
const SEED = arg('seed', Date.now() % 1e6);

const mem = (m) => `heap ${(m.heapUsed / MB).toFixed(1)} MB, rss ${(m.rss / MB).toFixed(1)} MB`;

async function main() {
  const procs = new Procs();
  try {
    const collector = await CollectorProc.start(procs);
    const start = (await collector.snapshot()).memory;
    console.log(`seed ${SEED}: ${MESSAGES} messages from ${SENDERS} processes × ${DEALERS} DEALERs; collector at start: ${mem(start)}`);
    const t0 = Date.now();
    // Two halves, so memory can be compared halfway and at the end (growth must not scale with load).
    const sent = {};
    const memories = [];
    // Senders stay connected until everything is counted: closing (linger 0) would drop their queues.
    const all = [];
    for (const half of [0, 1]) {
      const senders = [];
      for (let i = 0; i < SENDERS; i++) {
        const count = Math.floor(MESSAGES / 2 / SENDERS);
        senders.push(procs.node(path.join(HARDENING, 'fuzz-sender.js'), [collector.endpoint, String(SEED + half * 100 + i), String(count), String(DEALERS)]));
      }
      const results = await Promise.all(senders.map((s) => s.line((v) => v.type === 'done', 3_600_000)));
      for (const r of results) for (const [k, n] of Object.entries(r.sent)) sent[k] = (sent[k] ?? 0) + n;
      all.push(...senders);
      memories.push((await collector.snapshot()).memory);
      console.log(`after half ${half + 1}: ${Date.now() - t0} ms, collector ${mem(memories[half])}`);
    }
    const sentMs = Date.now() - t0;
    const total = Object.values(sent).reduce((a, b) => a + b, 0);
    const { applied = 0, 'discarded:unknown-socket': unknownSocket = 0, ...malformed } = expectedOutcomes(sent);
    const wanted = Object.values(malformed).reduce((a, b) => a + b, 0);
    // The senders finish when libzmq has queued their messages; the collector may still be working
    // through its receive queues: the run ends when everything is counted.
    const snap = await collector.waitFor('all counted', (s) => Object.values(s.collector.malformed).reduce((a, b) => a + b, 0) >= wanted && s, 1_800_000);
    const ms = Date.now() - t0;
    const end = (await collector.snapshot()).memory;
    const counted = snap.collector.malformed;
    const mismatches = Object.keys({ ...malformed, ...counted }).filter((k) => malformed[k] !== counted[k]);
    if ((snap.collector.discarded?.['unknown-socket'] ?? 0) !== unknownSocket) mismatches.push('discarded:unknown-socket');
    console.log(`senders done after ${(sentMs / 1000).toFixed(1)} s; collector counted everything after ${(ms / 1000).toFixed(1)} s (${Math.round(total / (ms / 1000))} msg/s), then ${mem(end)}`);
    console.log(`${total} messages: ${applied} valid, ${wanted} malformed, ${unknownSocket} unknown-socket`);
    console.log(`malformed counted ${JSON.stringify(counted)}`);
    console.log(`discarded ${JSON.stringify(snap.collector.discarded ?? {})}; nodes ${snap.nodes.length}, all exited: ${snap.nodes.every((n) => n.state === 'exited')}`);
    console.log(`memory growth start→half ${((memories[0].heapUsed - start.heapUsed) / MB).toFixed(1)} MB heap / ${((memories[0].rss - start.rss) / MB).toFixed(1)} MB rss; half→end ${((memories[1].heapUsed - memories[0].heapUsed) / MB).toFixed(1)} MB heap / ${((memories[1].rss - memories[0].rss) / MB).toFixed(1)} MB rss`);
    for (const s of all) s.process.stdin.end();
    await Promise.all(all.map((s) => s.exited));
    const stopped = await collector.stop();
    console.log(`collector stopped; ended by itself: ${stopped.exitedByItself}`);
    console.log(mismatches.length ? `MISMATCH in ${mismatches.join(', ')}` : 'every bad message counted with its reason: OK');
    process.exitCode = mismatches.length || !stopped.exitedByItself ? 1 : 0;
  } finally {
    await procs.killAll();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
