/**
 * What passes through the agent arrives byte for byte, and every way of loading zeromq is
 * instrumented: require, the v5-compat API, and an ES module's named imports.
 */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { FakeCollector, FIXTURES, killAll, siteOf, startApp } from '../fixtures/agent/harness';

let collector: FakeCollector;
before(async () => { collector = await FakeCollector.start(); });
after(async () => {
  await killAll();
  await collector.stop();
});

async function output(fixture: string, endpoint?: string): Promise<string> {
  const app = startApp(fixture, [], { endpoint });
  const line = await app.line();
  assert.deepEqual(await app.exited, { code: 0, signal: null });
  return line;
}

test('random binary multipart messages are byte-identical with and without the agent', async () => {
  const [plain, instrumented] = await Promise.all([output('digest-app.js'), output('digest-app.js', collector.endpoint)]);
  assert.equal(instrumented, plain);
  // The agent did see that traffic: 300 messages each way on the ROUTER's one peer.
  const traffic = collector.of('traffic').flatMap((m) => m.peers).filter((p) => p.peer?.text === 'digest-dealer');
  const snapshots = collector.of('snapshot').flatMap((m) => m.sockets.flatMap((s) => s.peers)).filter((p) => p.peer?.text === 'digest-dealer');
  const msgsIn = traffic.reduce((n, p) => n + p.msgsIn, 0) + snapshots.reduce((n, p) => n + p.msgsIn, 0);
  assert.equal(msgsIn, 300);
});

test('sends and DEALER receives settle at the same point among the app\'s microtasks as without the agent', async () => {
  const [plain, instrumented] = await Promise.all([output('settle-order-app.js'), output('settle-order-app.js', collector.endpoint)]);
  assert.equal(instrumented, plain);
  assert.match(plain, /"send,t1/, 'zeromq.js settles a send that goes out at once before the app\'s next microtask');
});

test('a v5-compat app is instrumented, with its creation site in the app', async () => {
  assert.equal(await output('compat-app.js', collector.endpoint), 'echoed');
  const file = path.join(FIXTURES, 'compat-app.js');
  const router = await collector.waitForSocket((s) => s.type === 'ROUTER' && s.site?.file === file);
  assert.deepEqual({ line: router.site!.line, column: router.site!.column }, siteOf('compat-app.js', "socket('router')"));
  await collector.waitForSocket((s) => s.type === 'DEALER' && s.site?.file === file);
});

test('an ES module app importing { Router } from "zeromq" is instrumented', async () => {
  assert.equal(await output('esm-app.mjs', collector.endpoint), 'echoed');
  const file = path.join(FIXTURES, 'esm-app.mjs');
  const router = await collector.waitForSocket((s) => s.type === 'ROUTER' && s.site?.file === file);
  assert.deepEqual({ line: router.site!.line, column: router.site!.column }, siteOf('esm-app.mjs', 'new Router('));
  const dealer = await collector.waitForSocket((s) => s.type === 'DEALER' && s.site?.file === file);
  assert.equal(dealer.routingId?.text, 'esm-dealer');
});
