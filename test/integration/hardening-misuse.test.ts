/**
 * App misuse stays the app's problem: a fixture app closes sockets twice, closes one under a pending
 * receive, receives and sends from two async paths (EBUSY), binds an endpoint in use, uses closed
 * sockets and passes garbage endpoints. Run plain and with the agent (collector up): the output —
 * every error code and message, in order — and the exit must be identical.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { CollectorProc, HARDENING, Procs } from '../fixtures/hardening/procs';

const APP = path.join(HARDENING, 'misuse-app.js');

describe('app misuse with and without the agent', { timeout: 60_000 }, () => {
  const procs = new Procs();
  let collector: CollectorProc;
  before(async () => {
    collector = await CollectorProc.start(procs);
  });
  after(() => procs.killAll());

  async function run(instrumented: boolean): Promise<{ output: string; code: number | null; signal: string | null }> {
    const app = procs.node(APP, [], instrumented ? { agent: collector.endpoint, name: 'misuse' } : {});
    const timer = setTimeout(() => app.process.kill('SIGKILL'), 20_000);
    const { code, signal } = await app.exited;
    clearTimeout(timer);
    return { output: app.lines.join('\n'), code, signal };
  }

  test('the same errors, the same output, the same exit', async () => {
    const plain = await run(false);
    const agent = await run(true);
    assert.equal(plain.code, 0, `the plain app ends by itself with 0 (got ${plain.code}/${plain.signal}):\n${plain.output}`);
    assert.match(plain.output, /EBUSY[\s\S]*EADDRINUSE[\s\S]*EBADF[\s\S]*end: all cases ran/, 'the fixture really misuses its sockets');
    assert.equal(agent.output, plain.output);
    assert.deepEqual([agent.code, agent.signal], [plain.code, plain.signal]);
    // The agent really was there: the app's sockets reached the collector.
    const s = await collector.waitFor('the misuse app in the picture', (snap) => snap.nodes.find((n) => n.name === 'misuse') && snap, 5000);
    assert.ok(s.sockets.length >= 10, `sockets seen: ${s.sockets.length}`);
  });
});
