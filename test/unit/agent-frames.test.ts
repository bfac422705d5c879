import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { frameBytes, frameKey, parseHeartbeatPatterns, TYPE_BYTES, typeFrameIndex, typeLabel } from '../../src/agent/frames';

test('heartbeat patterns: defaults, \\xNN escapes, backslashes, empty parts dropped, | before a second frame', () => {
  const shown = (spec: string | undefined) => parseHeartbeatPatterns(spec).map((p) => [p.type.toString('hex'), p.next?.toString('hex')].filter((x) => x !== undefined).join('|'));
  const hex = (s: string) => Buffer.from(s, 'latin1').toString('hex');
  assert.deepEqual(shown(undefined), [hex('\x02'), hex('HEARTBEAT'), hex('PING'), hex('PONG'), hex('HUGZ'), `${hex('MDPW01')}|04`]);
  assert.deepEqual(shown(''), shown(undefined));
  assert.deepEqual(shown('\\x00\\xffA,,HB\\\\,\\xZZ'), ['00ff41', hex('HB\\'), hex('\\xZZ')]);
  assert.deepEqual(shown('é'), ['c3a9']);
  assert.deepEqual(shown('x'.repeat(TYPE_BYTES + 1)), [], 'a pattern longer than a type key can never match');
  assert.deepEqual(shown('MDPW02|\\x05,a\\x7cb,|x,x|,a|b|c'), [`${hex('MDPW02')}|05`, hex('a|b')], 'an empty frame or a third one is no pattern; \\x7c is a bar');
});

test('message type = first frame after the envelope', () => {
  const b = (s: string): Buffer => Buffer.from(s);
  assert.equal(typeFrameIndex('router', [b('id'), b(''), b('READY')]), 2);
  assert.equal(typeFrameIndex('router', [b('id'), b('READY')]), 1);
  assert.equal(typeFrameIndex('router', [b('id'), b('')]), 1, 'an empty last frame is the type, not a delimiter');
  assert.equal(typeFrameIndex('dealer', [b(''), b('REPLY')]), 1);
  assert.equal(typeFrameIndex('dealer', ['HEARTBEAT']), 0);
  assert.equal(typeFrameIndex('plain', [b(''), b('x')]), 0);
});

test('type keys and labels: text when printable, 0x-hex otherwise, capped at TYPE_BYTES', () => {
  assert.equal(typeLabel(frameKey('HEARTBEAT')), 'HEARTBEAT');
  assert.equal(typeLabel(frameKey(Buffer.from([2]))), '0x02');
  assert.equal(typeLabel(frameKey(new Uint8Array([0xff, 0x00]))), '0xff00');
  assert.equal(typeLabel(frameKey(null)), '0x');
  assert.equal(frameKey('é'), frameKey(Buffer.from('é')), 'a string and its UTF-8 bytes are the same type');
  assert.equal(frameKey('x'.repeat(100)).length, TYPE_BYTES);
  assert.equal(frameKey(Buffer.alloc(100)).length, TYPE_BYTES);
  assert.equal(frameKey(42), '42');
});

test('frame sizes as zeromq.js sends them', () => {
  assert.equal(frameBytes('abc'), 3);
  assert.equal(frameBytes('é'), 2);
  assert.equal(frameBytes(null), 0);
  assert.equal(frameBytes(12345), 5);
  assert.equal(frameBytes(new ArrayBuffer(7)), 7);
  assert.equal(frameBytes(new Uint16Array(4)), 8);
});
