import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { debugSnippets, instrumentDebugConfiguration, SNIPPET_DEBUGGER_TYPE, type DebugConfigLike, type InstrumentContext } from '../../src/launch/debugLaunch';

const AGENT = '/ext/dist/agent.js';
const PY_DIR = '/ext/agents/python';
const ctx = (over: Partial<InstrumentContext> = {}): InstrumentContext => ({
  mode: 'flagged', trusted: true, endpoint: 'tcp://127.0.0.1:5599', nodeAgent: AGENT, pythonAgentDir: PY_DIR, ...over,
});
const nodeConfig = (over: Partial<DebugConfigLike> = {}): DebugConfigLike => ({
  type: 'node', request: 'launch', name: 'broker', program: '${workspaceFolder}/broker.js', zmqTopology: true, ...over,
});

describe('instrumentDebugConfiguration', () => {
  it('adds the Node agent to NODE_OPTIONS, keeping what the configuration has, and names the node', () => {
    const input = nodeConfig({ env: { NODE_OPTIONS: '--max-old-space-size=4096', DEBUG: 'zmq' } });
    const { config, instrumented, reason } = instrumentDebugConfiguration(input, ctx({ heartbeats: ['HEARTBEAT', '\\x02'] }));
    assert.equal(instrumented, true);
    assert.equal(reason, undefined);
    assert.deepEqual(config.env, {
      NODE_OPTIONS: `--max-old-space-size=4096 --require ${AGENT}`,
      DEBUG: 'zmq',
      ZMQ_TOPOLOGY_ENDPOINT: 'tcp://127.0.0.1:5599',
      ZMQ_TOPOLOGY_NODE: 'broker',
      ZMQ_TOPOLOGY_HEARTBEATS: 'HEARTBEAT,\\x02',
    });
    assert.equal(config.program, '${workspaceFolder}/broker.js', 'everything else is passed through');
    assert.equal(config.zmqTopology, true, 'debug adapters ignore unknown keys, so the flag stays');
  });

  it('keeps the inherited NODE_OPTIONS (the terminal\'s, for node-terminal) beneath the agent', () => {
    const { config } = instrumentDebugConfiguration(
      nodeConfig({ type: 'node-terminal', command: 'npm start' }),
      ctx({ inheritedEnv: { NODE_OPTIONS: '--enable-source-maps', PATH: '/usr/bin' } }),
    );
    assert.equal(config.env?.NODE_OPTIONS, `--enable-source-maps --require ${AGENT}`);
    assert.equal(config.env?.PATH, undefined, 'only the merged variables are written, the rest stays inherited');
    assert.equal(config.env?.PYTHONPATH, undefined, 'a Node launch leaves PYTHONPATH alone');
  });

  it('the configuration\'s own NODE_OPTIONS wins over the inherited one, as it would at launch', () => {
    const { config } = instrumentDebugConfiguration(
      nodeConfig({ type: 'pwa-node', env: { NODE_OPTIONS: '--trace-warnings' } }),
      ctx({ inheritedEnv: { NODE_OPTIONS: '--enable-source-maps' } }),
    );
    assert.equal(config.env?.NODE_OPTIONS, `--trace-warnings --require ${AGENT}`);
  });

  it('does not add the agent twice', () => {
    const { config } = instrumentDebugConfiguration(nodeConfig({ env: { NODE_OPTIONS: `--require ${AGENT}` } }), ctx());
    assert.equal(config.env?.NODE_OPTIONS, `--require ${AGENT}`);
  });

  it('prepends the Python agent to PYTHONPATH, keeping what is there', () => {
    for (const type of ['python', 'debugpy']) {
      const input: DebugConfigLike = { type, request: 'launch', name: 'worker', program: 'w.py', zmqTopology: true, env: { PYTHONPATH: 'src' } };
      const { config, instrumented } = instrumentDebugConfiguration(input, ctx({ inheritedEnv: { PYTHONPATH: '/ignored/beneath/config' } }));
      assert.equal(instrumented, true, type);
      assert.equal(config.env?.PYTHONPATH, [PY_DIR, 'src'].join(path.delimiter));
      assert.equal(config.env?.ZMQ_TOPOLOGY_NODE, 'worker');
      assert.equal(config.env?.ZMQ_TOPOLOGY_ENDPOINT, 'tcp://127.0.0.1:5599');
      assert.equal(config.env?.NODE_OPTIONS, undefined, 'a Python launch leaves NODE_OPTIONS alone');
      assert.equal(config.env?.ZMQ_TOPOLOGY_HEARTBEATS, undefined, 'the agents\' defaults when none given');
    }
  });

  it('treats env null (VS Code\'s "unset") as nothing beneath, and keeps other nulls as they are', () => {
    const input = nodeConfig({ env: { NODE_OPTIONS: null, HTTP_PROXY: null } });
    const { config } = instrumentDebugConfiguration(input, ctx({ inheritedEnv: { NODE_OPTIONS: '--inspect' } }));
    assert.equal(config.env?.NODE_OPTIONS, `--require ${AGENT}`);
    assert.equal(config.env?.HTTP_PROXY, null);
    const py = instrumentDebugConfiguration(
      { type: 'debugpy', request: 'launch', name: 'w', zmqTopology: true, env: { PYTHONPATH: null } },
      ctx({ inheritedEnv: { PYTHONPATH: '/old' } }),
    );
    assert.equal(py.config.env?.PYTHONPATH, PY_DIR);
  });

  it('never mutates its input', () => {
    const input = nodeConfig({ env: { NODE_OPTIONS: '--x', KEEP: null } });
    const frozen = structuredClone(input);
    const { config } = instrumentDebugConfiguration(input, ctx());
    assert.deepEqual(input, frozen);
    assert.notEqual(config, input);
    assert.notEqual(config.env, input.env);
  });

  it('instruments unflagged configurations in mode "always"', () => {
    const { config, instrumented } = instrumentDebugConfiguration(nodeConfig({ zmqTopology: undefined }), ctx({ mode: 'always' }));
    assert.equal(instrumented, true);
    assert.match(String(config.env?.NODE_OPTIONS), /--require/);
  });

  const refusals: [string, DebugConfigLike, InstrumentContext, RegExp][] = [
    ['unflagged in mode "flagged"', nodeConfig({ zmqTopology: undefined }), ctx(), /not flagged/],
    ['flag false in mode "flagged"', nodeConfig({ zmqTopology: false }), ctx(), /not flagged/],
    ['mode "never", even flagged', nodeConfig(), ctx({ mode: 'never' }), /off/],
    ['untrusted workspace', nodeConfig(), ctx({ trusted: false, mode: 'always' }), /not trusted/],
    ['no collector endpoint', nodeConfig(), ctx({ endpoint: undefined }), /no collector endpoint/],
    ['another debug type', nodeConfig({ type: 'cppdbg' }), ctx({ mode: 'always' }), /"cppdbg" is neither Node.js nor Python/],
    ['an attach configuration', nodeConfig({ request: 'attach' }), ctx(), /"attach" configuration starts no process/],
  ];
  for (const [what, input, context, reason] of refusals) {
    it(`does not instrument: ${what}`, () => {
      const result = instrumentDebugConfiguration(input, context);
      assert.equal(result.instrumented, false);
      assert.match(result.reason ?? '', reason);
      assert.equal(result.config, input, 'returned untouched');
      assert.equal(result.config.env, input.env);
    });
  }
});

describe('debugSnippets', () => {
  it('offers "ZeroMQ: Launch with topology" for Node and Python, flagged so they get instrumented', () => {
    const entries = debugSnippets();
    const own = entries.filter((e) => e.configurationSnippets);
    // Under a type of the extension's own: VS Code never merges a non-built-in extension's snippets
    // into a type that has some (js-debug's node, the Python extension's debugpy).
    assert.deepEqual(own.map((e) => e.type), [SNIPPET_DEBUGGER_TYPE]);
    const snippets = own[0].configurationSnippets ?? [];
    assert.deepEqual(snippets.map((s) => s.body.type), ['node', 'debugpy']);
    for (const snippet of snippets) {
      assert.match(snippet.label, /^ZeroMQ: Launch with topology \((Node\.js|Python)\)$/);
      assert.equal(snippet.body.zmqTopology, true);
      const body = snippet.body as DebugConfigLike;
      assert.equal(instrumentDebugConfiguration(body, ctx()).instrumented, true);
    }
    assert.doesNotThrow(() => JSON.parse(JSON.stringify(entries)), 'plain JSON for package.json');
  });

  it('adds only the zmqTopology attribute to the built-in Node types\' launch schema, nothing else, no snippets there', () => {
    const attrs = debugSnippets().filter((e) => e.configurationAttributes);
    assert.deepEqual(attrs.map((e) => e.type), ['node', 'pwa-node', 'node-terminal']);
    for (const entry of attrs) {
      assert.equal(entry.configurationSnippets, undefined, `${entry.type}: snippets there would be dropped or hide the owner's`);
      assert.deepEqual(Object.keys(entry.configurationAttributes ?? {}), ['launch']);
      const launch = entry.configurationAttributes?.launch as { properties: Record<string, { type: string }> };
      assert.deepEqual(Object.keys(launch), ['properties'], 'no required/type keys that would change the owner\'s schema');
      assert.deepEqual(Object.keys(launch.properties), ['zmqTopology']);
      assert.equal(launch.properties.zmqTopology.type, 'boolean');
    }
  });
});
