import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { agentEnv } from '../../src/agent/environment';
import { applyMutators, terminalEnvPlan, type TerminalEnvInput } from '../../src/launch/instrumentedTerminals';
import { readInstrumentMode, readInstrumentTerminals } from '../../src/host/settings';

const input = (over: Partial<TerminalEnvInput> = {}): TerminalEnvInput => ({
  enabled: true, trusted: true, endpoint: 'tcp://127.0.0.1:5599',
  nodeAgent: '/ext/dist/agent.js', pythonAgentDir: '/ext/agents/python', delimiter: ':', ...over,
});

describe('terminalEnvPlan (zmqTopology.instrumentTerminals)', () => {
  it('off, untrusted or without a collector: the collection is cleared, with the reason', () => {
    assert.deepEqual(terminalEnvPlan(input({ enabled: false })), { kind: 'clear', reason: 'zmqTopology.instrumentTerminals is off' });
    assert.match((terminalEnvPlan(input({ trusted: false })) as { reason: string }).reason, /not trusted/);
    assert.match((terminalEnvPlan(input({ endpoint: undefined })) as { reason: string }).reason, /collector is not running/);
  });

  it('appends to NODE_OPTIONS and prepends to PYTHONPATH, so the terminal\'s own values stay', () => {
    const plan = terminalEnvPlan(input({ inheritedEnv: { PYTHONPATH: '/mine' }, heartbeats: ['PING'] }));
    assert.equal(plan.kind, 'apply');
    if (plan.kind !== 'apply') return;
    assert.deepEqual(plan.mutators, [
      { variable: 'ZMQ_TOPOLOGY_ENDPOINT', op: 'replace', value: 'tcp://127.0.0.1:5599' },
      { variable: 'NODE_OPTIONS', op: 'append', value: ' --require /ext/dist/agent.js' },
      { variable: 'PYTHONPATH', op: 'prepend', value: '/ext/agents/python:' },
      { variable: 'ZMQ_TOPOLOGY_HEARTBEATS', op: 'replace', value: 'PING' },
    ]);
    assert.match(plan.description, /report their ZeroMQ sockets to tcp:\/\/127\.0\.0\.1:5599/);
    const env = applyMutators({ NODE_OPTIONS: '--enable-source-maps', PYTHONPATH: '/mine', HOME: '/h' }, plan.mutators);
    assert.deepEqual(env, {
      NODE_OPTIONS: '--enable-source-maps --require /ext/dist/agent.js',
      PYTHONPATH: '/ext/agents/python:/mine',
      HOME: '/h',
      ZMQ_TOPOLOGY_ENDPOINT: 'tcp://127.0.0.1:5599',
      ZMQ_TOPOLOGY_HEARTBEATS: 'PING',
    });
  });

  it('a CURVE collector: terminals also get its public key (ZMQ_TOPOLOGY_SERVER_KEY), as agentEnv gives it', () => {
    const serverKey = 'rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7';
    const plan = terminalEnvPlan(input({ serverKey }));
    assert.equal(plan.kind, 'apply');
    if (plan.kind !== 'apply') return;
    const env = applyMutators({}, plan.mutators);
    assert.equal(env.ZMQ_TOPOLOGY_SERVER_KEY, serverKey);
    assert.equal(env.ZMQ_TOPOLOGY_SERVER_KEY, agentEnv({ endpoint: 'tcp://127.0.0.1:5599', serverKey, nodeAgent: '/a', pythonAgentDir: '/p' }).ZMQ_TOPOLOGY_SERVER_KEY);
  });

  it('gives a terminal the same variables agentEnv() gives a launched process', () => {
    const base = { NODE_OPTIONS: '--trace-warnings', PYTHONPATH: '/a:/b' };
    const plan = terminalEnvPlan(input({ inheritedEnv: base }));
    assert.equal(plan.kind, 'apply');
    if (plan.kind !== 'apply') return;
    const viaTerminal = applyMutators(base, plan.mutators);
    const direct = agentEnv({ endpoint: 'tcp://127.0.0.1:5599', nodeAgent: '/ext/dist/agent.js', pythonAgentDir: '/ext/agents/python', base, delimiter: ':' });
    for (const [name, value] of Object.entries(direct)) assert.equal(viaTerminal[name], value, name);
  });

  it('an agent path with spaces is quoted in NODE_OPTIONS, as agentEnv quotes it', () => {
    const plan = terminalEnvPlan(input({ nodeAgent: '/Users/a b/ext/dist/agent.js' }));
    if (plan.kind !== 'apply') throw new Error('expected apply');
    assert.equal(applyMutators({}, plan.mutators).NODE_OPTIONS, ' --require "/Users/a b/ext/dist/agent.js"');
  });

  it('nothing beneath PYTHONPATH: replaced by the agent folder alone, never "<dir>:" (an empty entry is the cwd)', () => {
    for (const inheritedEnv of [{}, { PYTHONPATH: '' }]) {
      const plan = terminalEnvPlan(input({ inheritedEnv }));
      if (plan.kind !== 'apply') throw new Error('expected apply');
      assert.deepEqual(plan.mutators.find((m) => m.variable === 'PYTHONPATH'), { variable: 'PYTHONPATH', op: 'replace', value: '/ext/agents/python' });
    }
  });

  it('why: Python really reads a trailing PYTHONPATH delimiter as the current directory', () => {
    const cwd = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'zmq-topology-pypath-')));
    try {
      // sys.path[0] is the script's folder ('' for -c); what PYTHONPATH adds comes after it.
      const sysPath = (pythonPath: string) => (JSON.parse(execFileSync('python3', ['-c', 'import json,sys; print(json.dumps(sys.path[1:]))'], {
        cwd, env: { ...process.env, PYTHONPATH: pythonPath }, encoding: 'utf8',
      })) as string[]).map((p) => (p === '' ? cwd : fs.existsSync(p) ? fs.realpathSync(p) : p));
      assert.ok(sysPath(`/nonexistent-agent${path.delimiter}`).includes(cwd), 'a trailing delimiter puts the cwd on sys.path');
      assert.ok(!sysPath('/nonexistent-agent').includes(cwd), 'the agent folder alone does not');
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });
});

describe('launch settings', () => {
  it('instrumentDebugSessions: flagged, always, never; anything else is the default "flagged"', () => {
    assert.equal(readInstrumentMode('always'), 'always');
    assert.equal(readInstrumentMode('never'), 'never');
    assert.equal(readInstrumentMode('flagged'), 'flagged');
    for (const raw of [undefined, null, 'ALWAYS', 1, true]) assert.equal(readInstrumentMode(raw), 'flagged');
  });

  it('instrumentTerminals: only true turns it on', () => {
    assert.equal(readInstrumentTerminals(true), true);
    for (const raw of [undefined, 'true', 1, false]) assert.equal(readInstrumentTerminals(raw), false);
  });
});
