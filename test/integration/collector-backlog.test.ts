/**
 * A collector that starts with a backlog waiting (agents that queued telemetry while it was down)
 * must keep the event loop it shares with the extension host turning while it drains.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { Collector } from '../../src/collector/collector';
import { TopologyStore } from '../../src/model/store';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const SENDER = path.join(ROOT, 'test', 'fixtures', 'collector', 'backlog-sender.js');
const SOCKETS = 10;
const PER_SOCKET = 100;
/** CPU per frame in the store: a backlog of 1,000 frames is then 1 s of work, long enough to see. */
const WORK_PER_FRAME_MS = 1;

/** A store whose bookkeeping of a bad frame costs WORK_PER_FRAME_MS of CPU, as a busy model would. */
class SlowStore extends TopologyStore {
  override malformed(agentKey: string | undefined, reason: string, detail: string): void {
    const until = performance.now() + WORK_PER_FRAME_MS;
    while (performance.now() < until) { /* busy, on purpose */ }
    super.malformed(agentKey, reason, detail);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

test('draining a backlog of 1,000 queued frames (1 s of work) never holds the event loop for long', { timeout: 60_000 }, async () => {
  const port = await freePort();
  const child = spawn(process.execPath, [SENDER, `tcp://127.0.0.1:${port}`, String(SOCKETS), String(PER_SOCKET)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const store = new SlowStore();
  store.start();
  const collector = new Collector(store, { port });
  try {
    await new Promise<void>((resolve, reject) => {
      readline.createInterface({ input: child.stdout! }).on('line', (line) => line === 'queued' && resolve());
      child.once('exit', (code) => reject(new Error(`the sender exited (${code}) before queuing`)));
    });

    let last = performance.now();
    let longestGap = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
    }, 2);
    const started = performance.now();
    await collector.start();
    const total = SOCKETS * PER_SOCKET;
    const counted = () => Object.values(store.snapshot().collector?.malformed ?? {}).reduce((a, b) => a + b, 0);
    while (counted() < total && performance.now() - started < 45_000) await new Promise((r) => setTimeout(r, 20));
    const drainMs = performance.now() - started;
    clearInterval(ticker);
    console.log(`# ${counted()} frames drained in ${drainMs.toFixed(0)} ms; longest event-loop gap ${longestGap.toFixed(1)} ms`);
    assert.equal(counted(), total, 'every queued frame was received and counted');
    assert.ok(longestGap < 200, `the event loop was held for ${longestGap.toFixed(0)} ms of a ${drainMs.toFixed(0)} ms drain`);
  } finally {
    child.stdin!.end();
    await exited;
    await collector.stop();
    store.dispose();
  }
});
