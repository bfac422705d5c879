/** The events an agent keeps while no collector listens: the newest, in order; what fell out is counted. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NewestKept } from '../../src/agent/telemetry';

const item = (n: number) => ({ frame: Buffer.from(String(n)), socket: n % 3 });

test('keeps everything up to its limit, oldest first, and is empty after take', () => {
  const kept = new NewestKept(4);
  for (let n = 0; n < 3; n++) kept.push(item(n));
  assert.deepEqual(kept.take().map((k) => k.frame.toString()), ['0', '1', '2']);
  assert.equal(kept.fellOut, 0);
  assert.deepEqual(kept.take(), []);
});

test('past its limit the oldest fall out, counted; the newest stay in order, across takes', () => {
  const kept = new NewestKept(4);
  for (let n = 0; n < 11; n++) kept.push(item(n));
  assert.deepEqual(kept.take().map((k) => k.frame.toString()), ['7', '8', '9', '10']);
  assert.equal(kept.fellOut, 7);
  for (let n = 11; n < 17; n++) kept.push(item(n));
  assert.deepEqual(kept.take().map((k) => [k.frame.toString(), k.socket]), [['13', 1], ['14', 2], ['15', 0], ['16', 1]]);
  assert.equal(kept.fellOut, 9);
});
