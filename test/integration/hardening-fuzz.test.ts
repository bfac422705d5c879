/**
 * Fuzzing the collector with real processes: a collector in a process of its own, fuzz agents (many
 * DEALERs in several child processes) flooding it with malformed, truncated, oversized, wrong-version,
 * wrong-type, duplicated and out-of-order telemetry, while a real instrumented ROUTER/DEALER pair and
 * a latency probe report normally. scripts/soak/fuzz.js is the long run of the same thing.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as zmq from 'zeromq';
import { CollectorProc, HARDENING, MB, Procs, SYSTEM, percentile, type Memory, type Proc } from '../fixtures/hardening/procs';
import type { TopologySnapshot } from '../../src/shared/snapshot';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- a plain JS fixture shared with scripts/soak
const { expectedOutcomes } = require(path.join(HARDENING, 'fuzz-gen.js')) as { expectedOutcomes(sent: Record<string, number>): Record<string, number> };

const SEED = Number(process.env.FUZZ_SEED ?? 20240607);
const SENDERS = 3;
const DEALERS_PER_SENDER = 8;
const MESSAGES = 50_000;
const MARK_EVERY_MS = 50;

interface Done {
  type: 'done';
  sent: Record<string, number>;
  perAgent: Record<string, number>;
}

function edgeOf(s: TopologySnapshot, from: string, to: string) {
  const node = (name: string) => s.nodes.find((n) => n.name === name && n.state === 'live');
  const [a, b] = [node(from), node(to)];
  return a && b ? s.edges.find((e) => e.from.startsWith(`${a.id}/`) && e.to.startsWith(`${b.id}/`)) : undefined;
}

describe('collector under a fuzz flood', { timeout: 80_000 }, () => {
  const procs = new Procs();
  const probe = new zmq.Dealer({ linger: 0, routingId: 'latency-probe' });
  after(async () => {
    probe.close();
    await procs.killAll();
  });

  test(`${MESSAGES} bad and good messages from ${SENDERS * DEALERS_PER_SENDER} agents: counted exactly, picture intact, no stall, memory bounded`, async () => {
    console.log(`# fuzz seed ${SEED} (FUZZ_SEED=… to replay)`);
    const collector = await CollectorProc.start(procs);
    const router = procs.node(path.join(SYSTEM, 'router.js'), [], { agent: collector.endpoint, name: 'app-router' });
    const routerEndpoint = await router.line((_v, raw) => raw.startsWith('tcp://'), 10_000);
    procs.node(path.join(SYSTEM, 'dealer.js'), ['app-dealer', String(routerEndpoint)], { agent: collector.endpoint, name: 'app-dealer' });
    await collector.waitFor('the real pair connected', (s) => edgeOf(s, 'app-dealer', 'app-router')?.state === 'connected', 10_000);

    // The latency probe: a minimal valid agent announcing a socket named mark-N every 50 ms.
    probe.connect(collector.endpoint);
    let seq = 0;
    const stamp = (body: object) => JSON.stringify({ v: 1, seq: ++seq, at: Date.now(), ...body });
    await probe.send(stamp({
      t: 'hello', instance: 'probe', pid: process.pid, host: 'probe-host', title: 'probe', node: 'latency-probe', argv: [],
      runtime: { name: 'node', version: '20', binding: 'test', libzmq: '4.3.5', disconnectMsg: true }, agent: { name: 'probe', version: '0' }, startedAt: Date.now(),
    }));
    const sentAt = new Map<string, number>();
    let marking = true;
    const marker = (async () => {
      for (let i = 0; marking && i < 2000; i++) {
        const name = `mark-${i}`;
        sentAt.set(name, Date.now());
        await probe.send(stamp({ t: 'socket', socket: i + 1, type: 'PAIR', name, options: { disconnectMsg: false }, createdAt: Date.now() }));
        await new Promise((r) => setTimeout(r, MARK_EVERY_MS));
      }
    })();

    const before = (await collector.snapshot()).memory;
    const t0 = Date.now();
    const senders: Proc[] = [];
    for (let i = 0; i < SENDERS; i++) {
      const count = Math.floor(MESSAGES / SENDERS) + (i < MESSAGES % SENDERS ? 1 : 0);
      senders.push(procs.node(path.join(HARDENING, 'fuzz-sender.js'), [collector.endpoint, String(SEED + i), String(count), String(DEALERS_PER_SENDER)]));
    }
    // Sampled during the flood: the real edge must stay connected.
    const states: string[] = [];
    const done = senders.map((s) => s.line<Done>((v) => v.type === 'done', 60_000));
    let finished = false;
    void Promise.all(done).then(() => { finished = true; }, () => { finished = true; });
    while (!finished) {
      states.push(edgeOf((await collector.snapshot()).snapshot, 'app-dealer', 'app-router')?.state ?? 'missing');
      await new Promise((r) => setTimeout(r, 250));
    }
    const results = await Promise.all(done);
    const floodMs = Date.now() - t0;
    marking = false;
    await marker;

    const sent: Record<string, number> = {};
    const perAgent: Record<string, number> = {};
    for (const r of results) {
      for (const [k, n] of Object.entries(r.sent)) sent[k] = (sent[k] ?? 0) + n;
      Object.assign(perAgent, r.perAgent);
    }
    const expected = expectedOutcomes(sent);
    const total = Object.values(sent).reduce((a, b) => a + b, 0);
    assert.equal(total, MESSAGES);
    const { applied = 0, 'discarded:unknown-socket': unknownSocket = 0, ...malformed } = expected;
    const malformedTotal = Object.values(malformed).reduce((a, b) => a + b, 0);
    const s = await collector.waitFor('every bad message counted', (snap) => {
      const counted = Object.values(snap.collector?.malformed ?? {}).reduce((a, b) => a + b, 0);
      return counted >= malformedTotal && snap;
    }, 20_000);
    console.log(`# ${total} messages in ${floodMs} ms (${Math.round(total / (floodMs / 1000))}/s): ${applied} valid, ${malformedTotal} malformed, ${unknownSocket} about unknown sockets`);
    console.log(`# sent per class ${JSON.stringify(sent)}`);

    assert.deepEqual({ ...s.collector?.malformed }, malformed, 'malformed counts per reason are exactly what was sent');
    assert.deepEqual({ ...s.collector?.discarded }, unknownSocket ? { 'unknown-socket': unknownSocket } : {}, 'discards are exactly the unknown-socket messages');
    for (const [name, bad] of Object.entries(perAgent)) {
      const node = s.nodes.find((n) => n.name === name);
      assert.ok(node, `fuzz agent ${name} is a node`);
      assert.equal(node.malformed, bad, `${name}: its own malformed count`);
      assert.equal(node.state, 'live');
    }
    assert.equal(s.collector?.agents, SENDERS * DEALERS_PER_SENDER + 3, 'fuzz agents + the real pair + the probe, no phantom agents');

    // The real pair's picture: connected all along, fresh heartbeats, nothing invented around it.
    assert.ok(states.length > 0 && states.every((st) => st === 'connected'), `real edge states during the flood: ${states.join(',')}`);
    const real = edgeOf(s, 'app-dealer', 'app-router');
    assert.ok(real && real.heartbeatAgeMs !== null && real.heartbeatAgeMs < 2000, `real edge heartbeat age ${real?.heartbeatAgeMs}`);
    assert.equal(s.edges.length, 1, 'the only edge is the real one (fuzz messages never made an edge)');
    assert.equal(s.nodes.filter((n) => n.unknown).length, 0);

    // No stall: every mark went through the whole path quickly, flood or not.
    const latencies: number[] = [];
    for (const [name, at] of sentAt) latencies.push((await collector.markSeen(name, 5000)) - at);
    const [p50, p99, max] = [percentile(latencies, 50), percentile(latencies, 99), Math.max(...latencies)];
    console.log(`# probe latency over ${latencies.length} marks: p50 ${p50} ms, p99 ${p99} ms, max ${max} ms`);
    assert.ok(latencies.length >= 5, 'the flood lasted long enough to measure');
    assert.ok(max < 1500, `a valid agent's update took ${max} ms during the flood`);

    const afterFlood = (await collector.snapshot()).memory;
    const grow = (k: keyof Memory) => (afterFlood[k] - before[k]) / MB;
    console.log(`# collector memory before/after (after gc): heap ${(before.heapUsed / MB).toFixed(1)} → ${(afterFlood.heapUsed / MB).toFixed(1)} MB, rss ${(before.rss / MB).toFixed(1)} → ${(afterFlood.rss / MB).toFixed(1)} MB`);
    assert.ok(grow('heapUsed') < 16, `collector heap grew ${grow('heapUsed').toFixed(1)} MB`);
    assert.ok(grow('rss') < 96, `collector rss grew ${grow('rss').toFixed(1)} MB`);

    // The fuzz agents leave: each is seen gone, and the collector then stops without leaking anything.
    for (const sender of senders) sender.process.stdin!.end();
    await Promise.all(senders.map((p) => p.exited));
    await collector.waitFor('fuzz agents exited', (snap) => snap.nodes.filter((n) => n.name.startsWith('fuzz-')).every((n) => n.state === 'exited') && snap.collector?.agents === 3, 5000);
    probe.close();
    const stopped = await collector.stop();
    assert.ok(stopped.exitedByItself, `the collector process did not exit by itself; open: ${stopped.resources.join(', ')}`);
  });
});
