import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { agentEnv, mergeNodeOptions, mergePythonPath, shellExports } from '../../src/agent/environment';

const paths = { nodeAgent: '/ext/dist/agent.js', pythonAgentDir: '/ext/agents/python' };

test('agentEnv sets the endpoint and name, and merges NODE_OPTIONS and PYTHONPATH instead of replacing them', () => {
  const env = agentEnv({
    ...paths, endpoint: 'tcp://127.0.0.1:5599', nodeName: 'broker',
    base: { NODE_OPTIONS: '--max-old-space-size=4096', PYTHONPATH: '/app/lib:/other' }, delimiter: ':',
  });
  assert.equal(env.ZMQ_TOPOLOGY_ENDPOINT, 'tcp://127.0.0.1:5599');
  assert.equal(env.ZMQ_TOPOLOGY_NODE, 'broker');
  assert.equal(env.NODE_OPTIONS, '--max-old-space-size=4096 --require /ext/dist/agent.js');
  assert.equal(env.PYTHONPATH, '/ext/agents/python:/app/lib:/other');
  assert.equal(env.ZMQ_TOPOLOGY_HEARTBEATS, undefined);
});

test('merging twice does not add the agent twice', () => {
  const once = mergeNodeOptions('', paths.nodeAgent);
  assert.equal(mergeNodeOptions(once, paths.nodeAgent), once);
  const py = mergePythonPath('/a', paths.pythonAgentDir, ':');
  assert.equal(mergePythonPath(py, paths.pythonAgentDir, ':'), py);
});

test('an agent path with spaces is quoted for NODE_OPTIONS', () => {
  assert.equal(mergeNodeOptions(undefined, '/My Extensions/agent.js'), '--require "/My Extensions/agent.js"');
});

test('heartbeat patterns are passed as one comma-separated variable', () => {
  const env = agentEnv({ ...paths, endpoint: 'tcp://127.0.0.1:1', heartbeats: ['\\x02', 'PING'] });
  assert.equal(env.ZMQ_TOPOLOGY_HEARTBEATS, '\\x02,PING');
});

test('a CURVE collector\'s public key is passed as ZMQ_TOPOLOGY_SERVER_KEY, and only when given', () => {
  const key = 'rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7';
  assert.equal(agentEnv({ ...paths, endpoint: 'tcp://10.0.0.5:5599', serverKey: key }).ZMQ_TOPOLOGY_SERVER_KEY, key);
  assert.equal('ZMQ_TOPOLOGY_SERVER_KEY' in agentEnv({ ...paths, endpoint: 'tcp://127.0.0.1:5599' }), false);
});

test('shell exports survive quotes and spaces when evaluated by a real sh', () => {
  const env = { ZMQ_TOPOLOGY_NODE: `it's "odd" $HOME \\ name`, NODE_OPTIONS: '--require "/a b/agent.js"' };
  const script = `${shellExports(env, 'sh')}\nprintf '%s\\n%s' "$ZMQ_TOPOLOGY_NODE" "$NODE_OPTIONS"`;
  const out = execFileSync('sh', ['-c', script], { encoding: 'utf8' });
  assert.equal(out, `${env.ZMQ_TOPOLOGY_NODE}\n${env.NODE_OPTIONS}`);
  assert.match(shellExports(env, 'powershell'), /^\$env:ZMQ_TOPOLOGY_NODE = 'it''s/);
  assert.match(shellExports(env, 'fish'), /^set -gx ZMQ_TOPOLOGY_NODE 'it\\'s/);
});
