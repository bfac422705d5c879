/**
 * The agent owns each socket's only monitor; an app that reads socket.events itself must see
 * exactly the events it sees without the agent, in both consumption styles.
 */
import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { FakeCollector, killAll, startApp } from '../fixtures/agent/harness';

let collector: FakeCollector;
before(async () => { collector = await FakeCollector.start(); });
after(async () => {
  await killAll();
  await collector.stop();
});

async function sequence(style: 'await' | 'on', endpoint?: string): Promise<unknown> {
  const app = startApp('events-app.js', [style], { endpoint });
  const line = await app.line();
  assert.deepEqual(await app.exited, { code: 0, signal: null });
  return JSON.parse(line);
}

for (const style of ['await', 'on'] as const) {
  test(`socket.events consumed with ${style === 'await' ? 'for await' : '.on()'}: same sequence with and without the agent`, async () => {
    const [plain, instrumented] = await Promise.all([sequence(style), sequence(style, collector.endpoint)]);
    assert.deepEqual(instrumented, plain);
    // The fixture really saw a full life cycle, so the comparison is not vacuous.
    assert.ok(JSON.stringify(plain).includes('disconnect'), JSON.stringify(plain));
    // And the agent reported the same events to the collector.
    await collector.waitFor('event', (m) => m.event === 'disconnect');
  });
}
