/**
 * Export Snapshot formats: JSON is exactly store.snapshot(); DOT stays valid Graphviz whatever the
 * identities and names contain (quotes, backslashes, newlines, HTML, 0xff bytes, control characters).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { TopologyStore } from '../../src/model/store';
import type { TopologySnapshot } from '../../src/shared/snapshot';
import { toBin } from '../../src/protocol/bin';
import { dotEscape, looksLikeSvg, snapshotToDot, snapshotToJson } from '../../src/commands/export';
import { socketPicks } from '../../src/commands/socket';
import { sourceLocation } from '../../src/host/openSource';
import { FakeAgent, agentKeyOf, routerWithDealers } from '../fixtures/collector/telemetry';

const T0 = 1_700_000_000_000;
const HOSTILE = ['say "hi"', 'back\\slash\\N\\G', 'two\nlines\r\n', '<img src=x onerror=alert(1)>', '}; evil -> x [label="pwn"]; {', 'tab\there\u0000nul\u202eRLO'];

function hostileStore(): TopologyStore {
  const clock = { now: T0 };
  const store = new TopologyStore({ now: () => clock.now });
  routerWithDealers(store, T0, ['w1']);
  const router = new FakeAgent({ pid: 500, node: HOSTILE.join(' ') });
  const rk = agentKeyOf(router);
  for (const m of [router.hello(T0), router.socket(T0, 1, 'ROUTER'), router.bind(T0, 1, 'tcp://127.0.0.1:6100')]) store.apply(rk, m, T0);
  HOSTILE.forEach((id, i) => {
    const d = new FakeAgent({ pid: 600 + i, node: id });
    const dk = agentKeyOf(d);
    for (const m of [d.hello(T0), d.socket(T0, 1, 'DEALER', id), d.connect(T0, 1, 'tcp://127.0.0.1:6100')]) store.apply(dk, m, T0);
  });
  // Raw bytes that are not UTF-8 (0xff 0xfe) as a routing id, and as traffic from an unknown peer.
  const bytes = new FakeAgent({ pid: 700 });
  const bk = agentKeyOf(bytes);
  store.apply(bk, bytes.hello(T0), T0);
  store.apply(bk, bytes.msg({ t: 'socket', socket: 1, type: 'DEALER', options: { disconnectMsg: false }, createdAt: T0, routingId: toBin(Buffer.from([0xff, 0xfe, 0x22])) }, T0), T0);
  store.apply(bk, bytes.connect(T0, 1, 'tcp://127.0.0.1:6100'), T0);
  store.apply(rk, router.msg({ t: 'traffic', peers: [{ socket: 1, peer: toBin(Buffer.from([0xff, 0x0a, 0x5c])), msgsIn: 1, msgsOut: 0, bytesIn: 1, bytesOut: 0, types: { '"\\\n': 1 }, lastMessageIn: T0 }] }, T0), T0);
  return store;
}

/** A small DOT lexer: every token is an ID, a quoted string, or punctuation; quoted strings hold no raw newline. */
function assertValidDot(dot: string): void {
  const tokens = /\s+|\/\/[^\n]*|"(?:[^"\\\n]|\\[^\n])*"|->|--|[{}[\];,=]|[A-Za-z_][A-Za-z_0-9]*|-?\d+(?:\.\d+)?/y;
  let depth = 0;
  let pos = 0;
  while (pos < dot.length) {
    tokens.lastIndex = pos;
    const m = tokens.exec(dot);
    assert.ok(m && m[0].length > 0, `unexpected text at ${pos}: ${JSON.stringify(dot.slice(pos, pos + 60))}`);
    if (m[0] === '{') depth++;
    if (m[0] === '}') depth--;
    assert.ok(depth >= 0, `unbalanced } at ${pos}`);
    pos += m[0].length;
  }
  assert.equal(depth, 0, 'braces balance');
}

test('JSON export is the store snapshot, exactly', () => {
  const store = hostileStore();
  const snapshot = store.snapshot();
  assert.deepEqual(JSON.parse(snapshotToJson(snapshot)) as TopologySnapshot, snapshot);
});

test('DOT export stays valid with hostile identities and names, and shows them escaped', () => {
  const store = hostileStore();
  const snapshot = store.snapshot();
  const dot = snapshotToDot(snapshot);
  assertValidDot(dot);
  assert.match(dot, /^digraph zmq_topology \{/);
  assert.equal((dot.match(/^ {2}s\d+ -> s\d+ \[/gm) ?? []).length, snapshot.edges.length, 'one arrow per edge');
  assert.ok(dot.includes('say \\"hi\\"'), 'quotes are escaped');
  assert.ok(dot.includes('back\\\\slash\\\\N\\\\G'), 'backslashes are doubled, so \\N is no label escape');
  assert.ok(!['\u0000', '\u202e', '\r'].some((c) => dot.includes(c)), 'no raw control or bidi characters');
  assert.ok(dot.includes('0xfffe22'), 'non-UTF-8 routing ids are shown as hex');
  assert.ok(!/^\s*evil/m.test(dot), 'text cannot become a statement');
  // Graphviz itself, when this machine has it.
  let hasDot = true;
  try {
    execFileSync('dot', ['-V'], { stdio: 'ignore' });
  } catch {
    hasDot = false;
  }
  if (hasDot) execFileSync('dot', ['-Tsvg'], { input: dot });
});

test('dotEscape: quotes, backslashes, newlines, controls, lone surrogates', () => {
  assert.equal(dotEscape('a"b'), 'a\\"b');
  assert.equal(dotEscape('a\\b'), 'a\\\\b');
  assert.equal(dotEscape('a\nb\r\nc'), 'a\\nb\\nc');
  assert.equal(dotEscape('\u0007'), '\\\\u0007');
  assert.equal(dotEscape('\ud800x'), '\\\\ud800x');
  assert.equal(dotEscape('😀'), '😀', 'valid surrogate pairs stay');
});

test('looksLikeSvg accepts an SVG document and refuses anything else', () => {
  assert.ok(looksLikeSvg('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><g/></svg>\n'));
  assert.ok(looksLikeSvg('<svg width="1"></svg>'));
  assert.ok(!looksLikeSvg('<html><svg></svg></html>'));
  assert.ok(!looksLikeSvg('<svg>'));
  assert.ok(!looksLikeSvg(''));
});

test('socket picks list sockets with their process, and source-only picks skip unknown peers', () => {
  const store = hostileStore();
  const s = store.snapshot();
  const all = socketPicks(s);
  assert.equal(all.length, s.sockets.length);
  assert.ok(all.some((p) => /^ROUTER — broker \(pid 100\)$/.test(p.label)));
  assert.deepEqual(socketPicks(s, { onlyWithSource: true }), [], 'no fake socket reported a site');
});

test('sourceLocation turns 1-based stack positions into 0-based editor positions', () => {
  assert.deepEqual(sourceLocation({ file: '/app/broker.js', line: 12, column: 5 }), { kind: 'path', value: '/app/broker.js', line: 11, character: 4 });
  assert.deepEqual(sourceLocation({ file: 'file:///app/x.mjs', line: 1 }), { kind: 'uri', value: 'file:///app/x.mjs', line: 0, character: 0 });
  assert.equal(sourceLocation({ file: 'a', line: 0 }).line, 0, 'never negative');
});
