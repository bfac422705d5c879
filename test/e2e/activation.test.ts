/**
 * The packaged extension activates in real VS Code: the .vsix installs into code-server with a fresh
 * profile, its packaged zeromq loads in the extension host (the collector listens), and the palette
 * command, Output channel, activity-bar view and status bar item are there.
 */
import * as assert from 'node:assert/strict';
import { after, afterEach, before, test } from 'node:test';
import { codeServer, declaredWelcomeTexts, ensureVsix, Phases, testFailed, Workbench } from './harness';

const CHANNEL = 'ZeroMQ Topology';
const VIEW = 'zmqTopology.topology';
const phases = new Phases();
let workbench: Workbench | undefined;

function opened(): Workbench {
  assert.ok(workbench, 'the workbench did not start (see the before hook)');
  return workbench;
}

before(async () => {
  await phases.time(`code-server ${codeServer.CODE_SERVER_VERSION} install (once, then cached)`, () => codeServer.ensureCodeServer());
  const vsix = await phases.time('package the .vsix (reused while fresh)', () => ensureVsix());
  workbench = await phases.time('start code-server with the .vsix + chromium', () => Workbench.start({
    name: 'activation',
    vsix,
    // Port 0: other test runs on this machine may hold the default collector port.
    settings: { 'zmqTopology.collector.port': 0 },
  }));
  try {
    await phases.time('load the workbench', () => opened().openWorkbench());
  } catch (error) {
    await workbench.captureFailure('load-workbench');
    throw error;
  }
}, { timeout: 10 * 60 * 1000 });

afterEach(async (context) => {
  if (testFailed(context)) await workbench?.captureFailure(context.name);
});

after(async () => {
  await phases.time('stop code-server and chromium', async () => workbench?.close());
  phases.print();
});

test('"ZeroMQ: Show Output" is in the palette and shows the ZeroMQ Topology channel', { timeout: 90000 }, async () => {
  const wb = opened();
  await phases.time('palette → ZeroMQ: Show Output', () => wb.runCommand('ZeroMQ: Show Output'));
  assert.equal(await phases.time('Output panel shows the channel', () => wb.waitForShownOutputChannel(CHANNEL)), CHANNEL);
  const text = await phases.time('read the Output channel', () => wb.waitForOutput(CHANNEL, /ZeroMQ Topology\b.*\bactivat(ed|ing)\b/));
  assert.match(text, /ZeroMQ Topology\b.*\bactivat(ed|ing)\b/);
});

test('the collector listens on the port the OS chose (the packaged zeromq loads in the extension host)', { timeout: 60000 }, async () => {
  const text = await opened().waitForOutput(CHANNEL, /Collector listening on tcp:\/\/127\.0\.0\.1:\d+/);
  assert.doesNotMatch(text, /Could not load the zeromq native module/);
});

test('the ZeroMQ activity bar view shows its welcome content while nothing is connected', { timeout: 60000 }, async () => {
  const wb = opened();
  const welcome = await phases.time('open the ZeroMQ view', () => wb.viewWelcomeText(VIEW));
  const declared = declaredWelcomeTexts(VIEW);
  assert.ok(declared.length > 0, `package.json declares no viewsWelcome for ${VIEW}`);
  assert.ok(declared.includes(welcome), `the view shows:\n${welcome}\n--- expected one of:\n${declared.join('\n---\n')}`);
  assert.deepEqual(await wb.treeRows(VIEW), []);
});

test('the status bar item reports the topology', { timeout: 60000 }, async () => {
  const item = await opened().statusBarItem('zmqTopology.status');
  assert.match(item.text, /\bZMQ\b/);
});
