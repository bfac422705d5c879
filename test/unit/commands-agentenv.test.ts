/**
 * Copy Agent Environment text, heartbeat patterns, shell detection and settings checks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { agentEnvText, extensionAgentEnv, heartbeatPatterns, shellKind } from '../../src/agent/environment';
import { changedParts, readSettings, SETTING_DEFAULTS } from '../../src/host/settings';

const EXT = '/home/u/.vscode/extensions/zmq-topology-0.1.0';

test('the copied environment exports the endpoint and the Node agent, and a real sh accepts it', () => {
  const text = agentEnvText({ endpoint: 'tcp://127.0.0.1:5599', extensionPath: EXT, shell: 'sh' });
  assert.match(text, /^# ZeroMQ Topology: /);
  assert.match(text, /^export ZMQ_TOPOLOGY_ENDPOINT='tcp:\/\/127\.0\.0\.1:5599'$/m);
  assert.match(text, new RegExp(`^export NODE_OPTIONS='--require ${path.join(EXT, 'dist', 'agent.js')}'$`, 'm'));
  assert.match(text, new RegExp(`^export PYTHONPATH='${path.join(EXT, 'agents', 'python')}'$`, 'm'));
  assert.doesNotMatch(text, /ZMQ_TOPOLOGY_HEARTBEATS/, 'default patterns are left to the agents');
  const out = execFileSync('sh', ['-c', `${text}\nprintf '%s|%s' "$ZMQ_TOPOLOGY_ENDPOINT" "$NODE_OPTIONS"`], { encoding: 'utf8' });
  assert.equal(out, `tcp://127.0.0.1:5599|--require ${path.join(EXT, 'dist', 'agent.js')}`);
});

test('custom heartbeat patterns go into ZMQ_TOPOLOGY_HEARTBEATS, commas escaped', () => {
  const env = extensionAgentEnv({ endpoint: 'tcp://127.0.0.1:1', extensionPath: EXT, heartbeats: heartbeatPatterns(['PING', 'a,b', 7, '']) });
  assert.equal(env.ZMQ_TOPOLOGY_HEARTBEATS, 'PING,a\\x2cb');
  assert.deepEqual(heartbeatPatterns(undefined), ['\\x02', 'HEARTBEAT', 'PING', 'PONG', 'HUGZ', 'MDPW01|\\x04']);
});

test('an extension path with spaces is quoted inside NODE_OPTIONS, and the base NODE_OPTIONS is kept', () => {
  const env = extensionAgentEnv({ endpoint: 'tcp://127.0.0.1:1', extensionPath: '/My Ext', base: { NODE_OPTIONS: '--inspect' } });
  assert.equal(env.NODE_OPTIONS, `--inspect --require "${path.join('/My Ext', 'dist', 'agent.js')}"`);
});

test('shellKind picks the export syntax from the default shell', () => {
  assert.equal(shellKind('/bin/bash', 'linux'), 'sh');
  assert.equal(shellKind('/usr/bin/fish', 'linux'), 'fish');
  assert.equal(shellKind('C:\\Program Files\\PowerShell\\7\\pwsh.exe', 'win32'), 'powershell');
  assert.equal(shellKind(undefined, 'win32'), 'powershell');
  assert.equal(shellKind('', 'darwin'), 'sh');
  assert.match(agentEnvText({ endpoint: 'tcp://127.0.0.1:1', extensionPath: EXT, shell: 'powershell' }), /^\$env:ZMQ_TOPOLOGY_ENDPOINT = 'tcp:\/\/127\.0\.0\.1:1'$/m);
});

test('settings: defaults, clamping with warnings, dead above warn', () => {
  const defaults = readSettings(() => undefined);
  assert.equal(defaults.address, SETTING_DEFAULTS.address);
  assert.equal(defaults.port, 5599);
  assert.deepEqual(defaults.store, { warnAfterMs: 2500, deadAfterMs: 6000, notifyIntervalMs: 100, timelineLength: 50 });
  assert.deepEqual(defaults.warnings, []);
  const values: Record<string, unknown> = { 'collector.port': 70000, 'liveness.warnAfterMs': 5000, 'liveness.deadAfterMs': 1000, 'view.updateIntervalMs': 'fast' };
  const odd = readSettings((k) => values[k]);
  assert.equal(odd.port, 65535);
  assert.equal(odd.store.deadAfterMs, 10000);
  assert.equal(odd.store.notifyIntervalMs, 100);
  assert.equal(odd.warnings.length, 3);
});

test('changedParts tells which running parts a settings change affects', () => {
  const a = readSettings(() => undefined);
  assert.deepEqual(changedParts(a, a), { collector: false, store: false, agentEnv: false });
  const b = readSettings((k) => (k === 'liveness.warnAfterMs' ? 1000 : k === 'heartbeatPatterns' ? ['HB'] : undefined));
  assert.deepEqual(changedParts(a, b), { collector: false, store: true, agentEnv: true });
  const c = readSettings((k) => (k === 'collector.port' ? 0 : undefined));
  assert.deepEqual(changedParts(a, c), { collector: true, store: false, agentEnv: false });
});
