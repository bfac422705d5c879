/**
 * Endpoint normalisation and matching: which connect endpoint reaches which bind endpoint.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as os from 'node:os';
import { isLocalHost, matchKeys, parseEndpoint, sameEndpoint } from '../../src/model/endpoints';

const HOST = 'node-host';

function matches(connect: string, bind: string, options: { connectHost?: string; bindHost?: string; connectNode?: string; bindNode?: string } = {}): boolean {
  const a = matchKeys(connect, options.connectHost ?? HOST, options.connectNode ?? 'n1');
  const b = new Set(matchKeys(bind, options.bindHost ?? HOST, options.bindNode ?? 'n2'));
  return a.some((k) => b.has(k));
}

test('parseEndpoint reads transport, host, port and address', () => {
  assert.deepEqual(parseEndpoint('tcp://127.0.0.1:5555'), { transport: 'tcp', host: '127.0.0.1', port: 5555, address: '127.0.0.1:5555' });
  assert.deepEqual(parseEndpoint('tcp://[::1]:80'), { transport: 'tcp', host: '::1', port: 80, address: '[::1]:80' });
  assert.equal(parseEndpoint('tcp://*:*')?.port, undefined, 'a wildcard port is not a port');
  assert.equal(parseEndpoint('tcp://*:0')?.port, undefined);
  assert.equal(parseEndpoint('tcp://10.0.0.1:6000;192.168.1.2:5555')?.host, '192.168.1.2', 'source address ignored');
  assert.deepEqual(parseEndpoint('ipc:///tmp/a.sock'), { transport: 'ipc', address: '/tmp/a.sock' });
  assert.deepEqual(parseEndpoint('inproc://jobs'), { transport: 'inproc', address: 'jobs' });
  assert.equal(parseEndpoint('not an endpoint'), undefined);
});

test('local host names: wildcards, loopback in every spelling, and this host\'s own names and addresses', () => {
  for (const h of ['*', '0.0.0.0', 'localhost', '127.0.0.1', '127.1.2.3', '::1', '[::1]', '::', 'LOCALHOST', os.hostname()]) {
    assert.equal(isLocalHost(h), true, h);
  }
  for (const list of Object.values(os.networkInterfaces())) {
    for (const info of list ?? []) assert.equal(isLocalHost(info.address), true, info.address);
  }
  for (const h of ['example.com', '203.0.113.9', '::2']) assert.equal(isLocalHost(h), false, h);
});

test('the tcp matching matrix: hosts agree after normalisation and the port must agree', () => {
  const binds = ['tcp://*:5555', 'tcp://0.0.0.0:5555', 'tcp://127.0.0.1:5555', 'tcp://localhost:5555', 'tcp://[::1]:5555', `tcp://${os.hostname()}:5555`];
  const connects = ['tcp://127.0.0.1:5555', 'tcp://localhost:5555', 'tcp://[::1]:5555', 'tcp://::1:5555', `tcp://${os.hostname()}:5555`];
  for (const bind of binds) {
    for (const connect of connects) assert.equal(matches(connect, bind), true, `${connect} → ${bind}`);
    assert.equal(matches('tcp://127.0.0.1:5556', bind), false, `port differs: ${bind}`);
    assert.equal(matches('tcp://example.com:5555', bind), false, `another host: ${bind}`);
  }
});

test('wildcard ports match only once resolved', () => {
  assert.deepEqual(matchKeys('tcp://*:*', HOST, 'n'), []);
  assert.equal(matches('tcp://127.0.0.1:41233', 'tcp://0.0.0.0:41233'), true);
});

test('loopback on one machine never matches loopback on another; a remote host name finds its wildcard bind', () => {
  assert.equal(matches('tcp://127.0.0.1:5555', 'tcp://*:5555', { connectHost: 'a', bindHost: 'b' }), false);
  assert.equal(matches('tcp://b:5555', 'tcp://*:5555', { connectHost: 'a', bindHost: 'b' }), true);
  assert.equal(matches('tcp://b:5555', 'tcp://*:5556', { connectHost: 'a', bindHost: 'b' }), false);
});

test('ipc matches by path; inproc by name within one process', () => {
  assert.equal(matches('ipc:///tmp/a.sock', 'ipc:///tmp/a.sock'), true);
  assert.equal(matches('ipc:///tmp/a.sock', 'ipc:///tmp/b.sock'), false);
  assert.equal(matches('inproc://jobs', 'inproc://jobs', { connectNode: 'p', bindNode: 'p' }), true);
  assert.equal(matches('inproc://jobs', 'inproc://jobs', { connectNode: 'p', bindNode: 'q' }), false);
  assert.equal(matches('inproc://jobs', 'inproc://other', { connectNode: 'p', bindNode: 'p' }), false);
});

test('sameEndpoint compares a monitor event address with a requested endpoint', () => {
  assert.equal(sameEndpoint('tcp://127.0.0.1:5555', 'tcp://localhost:5555'), true);
  assert.equal(sameEndpoint('tcp://127.0.0.1:5555', 'tcp://localhost:5556'), false);
  assert.equal(sameEndpoint('ipc:///x', 'ipc:///x'), true);
});

test('a bind on loopback is not reached through this host\'s LAN address, nor a bind on one interface through loopback; a wildcard bind through both', () => {
  const lan = Object.values(os.networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address ?? '192.0.2.77';
  // An address of this host (when the machine has none, one named so by the node's own host name).
  const local = (connect: string, bind: string) => matches(connect, bind, { connectHost: lan, bindHost: lan });
  assert.equal(local(`tcp://${lan}:5555`, 'tcp://127.0.0.1:5555'), false, 'refused: the server listens on loopback only');
  assert.equal(local('tcp://127.0.0.1:5555', `tcp://${lan}:5555`), false, 'refused: the server listens on its LAN address only');
  assert.equal(local(`tcp://${lan}:5555`, `tcp://${lan}:5555`), true);
  for (const bind of ['tcp://*:5555', 'tcp://0.0.0.0:5555', 'tcp://[::]:5555']) {
    assert.equal(local(`tcp://${lan}:5555`, bind), true, `${bind} through the LAN address`);
    assert.equal(local('tcp://127.0.0.1:5555', bind), true, `${bind} through loopback`);
  }
  assert.equal(local(`tcp://${os.hostname()}:5555`, 'tcp://127.0.0.1:5555'), true, 'a host name may resolve to loopback: not judged');
  assert.equal(matches(`tcp://${HOST}:5555`, 'tcp://127.0.0.1:5555', { connectHost: 'other-host' }), false, 'loopback is never reached from another host');
});
