/**
 * The rendezvous note (src/protocol/rendezvous.ts): where agents look for a collector that had to
 * bind another port. Trusted only in a folder of this user's that no one else can write to, naming a
 * loopback endpoint and a live process.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { clearRendezvous, findCollector, loopbackPort, rendezvousDir, writeRendezvous } from '../../src/protocol/rendezvous';

describe('the rendezvous note', () => {
  let runtime: string;
  let env: NodeJS.ProcessEnv;
  before(() => {
    runtime = fs.mkdtempSync(path.join(os.tmpdir(), 'zmq-topology-rendezvous-'));
    env = { XDG_RUNTIME_DIR: runtime };
  });
  after(() => fs.rmSync(runtime, { recursive: true, force: true }));

  test('loopback tcp endpoints only', () => {
    assert.equal(loopbackPort('tcp://127.0.0.1:5599'), 5599);
    assert.equal(loopbackPort('tcp://localhost:5599'), 5599);
    assert.equal(loopbackPort('tcp://[::1]:5599'), 5599);
    for (const e of ['tcp://10.0.0.1:5599', 'tcp://*:5599', 'ipc:///tmp/x', 'tcp://127.0.0.1:0', 'tcp://127.0.0.1:70000']) assert.equal(loopbackPort(e), undefined, e);
  });

  test('written by a collector, found by an agent given the same port under any loopback name; cleared by its writer', () => {
    assert.equal(findCollector('tcp://127.0.0.1:5599', env), undefined, 'no note yet');
    assert.ok(writeRendezvous('tcp://127.0.0.1:5599', 'tcp://127.0.0.1:41234', env));
    const dir = rendezvousDir(env)!;
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    assert.equal(fs.statSync(path.join(dir, 'collector-5599.json')).mode & 0o777, 0o600);
    assert.equal(findCollector('tcp://localhost:5599', env), 'tcp://127.0.0.1:41234');
    assert.equal(findCollector('tcp://127.0.0.1:5600', env), undefined, 'another port has no note');
    clearRendezvous('tcp://127.0.0.1:5599', 'tcp://127.0.0.1:5599', env);
    assert.equal(findCollector('tcp://127.0.0.1:5599', env), 'tcp://127.0.0.1:41234', 'another collector\'s note (the one on 5599 itself) stays');
    clearRendezvous('tcp://127.0.0.1:5599', 'tcp://127.0.0.1:41234', env);
    assert.equal(findCollector('tcp://127.0.0.1:5599', env), undefined);
  });

  test('a note of a process that is gone, one pointing off loopback, or garbage is not followed', () => {
    const dir = rendezvousDir(env, true)!;
    const file = path.join(dir, 'collector-5599.json');
    const note = (fields: object) => fs.writeFileSync(file, JSON.stringify({ requested: 'tcp://127.0.0.1:5599', endpoint: 'tcp://127.0.0.1:41234', pid: process.pid, at: 1, ...fields }), { mode: 0o600 });
    note({ pid: 2 ** 22 + 12345 });
    assert.equal(findCollector('tcp://127.0.0.1:5599', env), undefined, 'dead pid');
    note({ endpoint: 'tcp://192.0.2.7:41234' });
    assert.equal(findCollector('tcp://127.0.0.1:5599', env), undefined, 'off loopback');
    fs.writeFileSync(file, '{"requested":');
    assert.equal(findCollector('tcp://127.0.0.1:5599', env), undefined, 'not JSON');
    fs.rmSync(file);
  });

  test('a folder others can write to is not trusted (a planted note could steer agents)', { skip: process.platform === 'win32' }, () => {
    const dir = rendezvousDir(env, true)!;
    assert.ok(writeRendezvous('tcp://127.0.0.1:5599', 'tcp://127.0.0.1:41234', env));
    fs.chmodSync(dir, 0o777);
    try {
      assert.equal(rendezvousDir(env), undefined);
      assert.equal(findCollector('tcp://127.0.0.1:5599', env), undefined);
      assert.equal(writeRendezvous('tcp://127.0.0.1:5599', 'tcp://127.0.0.1:41234', env), false);
    } finally {
      fs.chmodSync(dir, 0o700);
    }
  });
});
