import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import type * as vscode from 'vscode';
import { TopologyDebugConfigurationProvider, type CollectorLike, type DebugProviderDeps } from '../../src/launch/debugLaunch.vscode';

const AGENT = '/ext/dist/agent.js';
const PY_DIR = '/ext/agents/python';

class FakeCollector implements CollectorLike {
  phase = 'running';
  endpoint: string | undefined = 'tcp://127.0.0.1:5599';
  serverKey: string | undefined = undefined;
  currentSettings = { heartbeats: ['\\x02', 'HEARTBEAT'] };
  private listeners = new Set<() => void>();
  onDidChangeState(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }
  set(phase: string, endpoint: string | undefined): void {
    this.phase = phase;
    this.endpoint = endpoint;
    for (const l of [...this.listeners]) l();
  }
  get listening(): number {
    return this.listeners.size;
  }
}

function setup(over: Partial<DebugProviderDeps> = {}) {
  const lines: string[] = [];
  const warnings: string[] = [];
  const collector = new FakeCollector();
  const deps: DebugProviderDeps = {
    collector,
    nodeAgent: AGENT,
    pythonAgentDir: PY_DIR,
    mode: () => undefined,
    trusted: () => true,
    inheritedEnv: { NODE_OPTIONS: '--enable-source-maps', PYTHONPATH: '/site/extra', PATH: '/usr/bin' },
    log: (line) => lines.push(line),
    warn: (message) => warnings.push(message),
    startWaitMs: 200,
    ...over,
  };
  return { provider: new TopologyDebugConfigurationProvider(deps), collector, lines, warnings };
}

const resolve = (provider: TopologyDebugConfigurationProvider, config: vscode.DebugConfiguration) =>
  provider.resolveDebugConfigurationWithSubstitutedVariables(undefined, config);

describe('TopologyDebugConfigurationProvider (the adapter VS Code calls, driven with plain objects)', () => {
  it('node: NODE_OPTIONS merged with the configuration\'s own, endpoint and node name set, logged', async () => {
    const { provider, lines, warnings } = setup();
    const config = await resolve(provider, {
      type: 'node', request: 'launch', name: 'broker', program: '/w/broker.js', zmqTopology: true,
      env: { NODE_OPTIONS: '--max-old-space-size=512', DEBUG: '1' },
    });
    assert.deepEqual(config.env, {
      NODE_OPTIONS: `--max-old-space-size=512 --require ${AGENT}`,
      DEBUG: '1',
      ZMQ_TOPOLOGY_ENDPOINT: 'tcp://127.0.0.1:5599',
      ZMQ_TOPOLOGY_NODE: 'broker',
      ZMQ_TOPOLOGY_HEARTBEATS: '\\x02,HEARTBEAT',
    });
    assert.equal(config.program, '/w/broker.js');
    assert.equal(lines.length, 1);
    assert.match(lines[0], /Debug launch "broker" \(node\): instrumented as node "broker", reporting to tcp:\/\/127\.0\.0\.1:5599/);
    assert.match(lines[0], /NODE_OPTIONS=--max-old-space-size=512 --require \/ext\/dist\/agent\.js/);
    assert.deepEqual(warnings, []);
  });

  it('a CURVE collector (bound off loopback): the launch also gets its public key, or the agent could not connect', async () => {
    const { provider, collector } = setup();
    collector.endpoint = 'tcp://192.0.2.10:5599';
    collector.serverKey = 'rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7';
    const config = await resolve(provider, { type: 'node', request: 'launch', name: 'broker', zmqTopology: true });
    assert.equal(config.env.ZMQ_TOPOLOGY_SERVER_KEY, collector.serverKey);
    assert.equal(config.env.ZMQ_TOPOLOGY_ENDPOINT, 'tcp://192.0.2.10:5599');
    collector.serverKey = undefined;
    const plain = await resolve(provider, { type: 'node', request: 'launch', name: 'broker', zmqTopology: true });
    assert.equal('ZMQ_TOPOLOGY_SERVER_KEY' in plain.env, false, 'no key variable on a loopback collector');
  });

  it('node without env of its own: the inherited NODE_OPTIONS stays beneath the agent', async () => {
    const { provider } = setup();
    const config = await resolve(provider, { type: 'pwa-node', request: 'launch', name: 'worker-1', zmqTopology: true });
    assert.equal(config.env.NODE_OPTIONS, `--enable-source-maps --require ${AGENT}`);
    assert.equal(config.env.PYTHONPATH, undefined);
    assert.equal(config.env.PATH, undefined, 'only merged variables are written');
  });

  it('python and debugpy: PYTHONPATH merged (agent first, the rest kept), endpoint and node name set', async () => {
    for (const type of ['python', 'debugpy']) {
      const { provider } = setup();
      const config = await resolve(provider, { type, request: 'launch', name: 'py-worker', program: 'w.py', zmqTopology: true });
      assert.equal(config.env.PYTHONPATH, [PY_DIR, '/site/extra'].join(path.delimiter), type);
      assert.equal(config.env.ZMQ_TOPOLOGY_ENDPOINT, 'tcp://127.0.0.1:5599');
      assert.equal(config.env.ZMQ_TOPOLOGY_NODE, 'py-worker');
      assert.equal(config.env.NODE_OPTIONS, undefined);
    }
  });

  it('not flagged in mode "flagged": the very same object back, nothing logged', async () => {
    const { provider, lines, warnings } = setup();
    const input = { type: 'node', request: 'launch', name: 'plain', env: { A: '1' } };
    const config = await resolve(provider, input);
    assert.equal(config, input);
    assert.deepEqual(lines, []);
    assert.deepEqual(warnings, []);
  });

  it('mode "always" instruments unflagged launches; mode "never" none, flagged or not', async () => {
    const always = setup({ mode: () => 'always' });
    assert.ok((await resolve(always.provider, { type: 'node', request: 'launch', name: 'a' })).env?.ZMQ_TOPOLOGY_ENDPOINT);
    const never = setup({ mode: () => 'never' });
    const input = { type: 'node', request: 'launch', name: 'n', zmqTopology: true };
    assert.equal(await resolve(never.provider, input), input);
    assert.match(never.lines[0], /not instrumented, launch instrumentation is off/);
    assert.deepEqual(never.warnings, [], 'the user turned it off: no warning');
  });

  it('untrusted workspace: nothing injected, even in mode "always"; a flagged launch says so in a warning', async () => {
    const { provider, lines, warnings } = setup({ trusted: () => false, mode: () => 'always' });
    const input = { type: 'node', request: 'launch', name: 'broker', zmqTopology: true, env: { X: '1' } };
    const config = await resolve(provider, input);
    assert.equal(config, input);
    assert.deepEqual(config.env, { X: '1' });
    assert.match(lines[0], /not instrumented, the workspace is not trusted/);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /"broker" starts without the agent: the workspace is not trusted/);
  });

  it('collector stopped: nothing injected, and the reason is the collector', async () => {
    const { provider, collector, lines, warnings } = setup();
    collector.set('stopped', undefined);
    const input = { type: 'debugpy', request: 'launch', name: 'w', zmqTopology: true };
    assert.equal(await resolve(provider, input), input);
    assert.match(lines[0], /collector is not running/);
    assert.match(warnings[0], /collector is not running/);
  });

  it('a collector still starting is waited for, then its endpoint is used', async () => {
    const { provider, collector } = setup({ startWaitMs: 5000 });
    collector.set('starting', undefined);
    const pending = resolve(provider, { type: 'node', request: 'launch', name: 'early', zmqTopology: true });
    setTimeout(() => collector.set('running', 'tcp://127.0.0.1:6001'), 20);
    const config = await pending;
    assert.equal(config.env.ZMQ_TOPOLOGY_ENDPOINT, 'tcp://127.0.0.1:6001');
    assert.equal(collector.listening, 0, 'the state listener is removed');
  });

  it('a collector that stays "starting" is waited for only so long', async () => {
    const { provider, collector, lines } = setup({ startWaitMs: 50 });
    collector.set('starting', undefined);
    const t0 = Date.now();
    const input = { type: 'node', request: 'launch', name: 'slow', zmqTopology: true };
    assert.equal(await resolve(provider, input), input);
    assert.ok(Date.now() - t0 < 1000);
    assert.match(lines[0], /no collector endpoint/);
    assert.equal(collector.listening, 0);
  });
});
