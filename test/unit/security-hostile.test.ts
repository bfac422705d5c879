/**
 * One set of hostile strings pushed through real telemetry (encode → decode → TopologyStore) into
 * every place outside text is shown: process names and titles, socket names, routing ids (text and
 * raw 0xff bytes), endpoints, disconnect texts, event errors. Then every output path is checked: tree
 * labels and descriptions, tooltip markdown, DOT, JSON and the CLI table. The webview's DOM (graph,
 * details, SVG export) is covered by test/browser/webview-render.test.ts, which renders hostile
 * identities in a real browser and checks no element or attribute was created from them.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TopologyStore } from '../../src/model/store';
import type { TopologySnapshot } from '../../src/shared/snapshot';
import { toBin } from '../../src/protocol/bin';
import { decode, encode } from '../../src/protocol/codec';
import { buildTopologyTree, walkTree } from '../../src/views/topologyTree';
import { snapshotToDot, snapshotToJson } from '../../src/commands/export';
import { renderTable, terminalSafe } from '../../src/cli/table';
import { FakeAgent, agentKeyOf, viaWire } from '../fixtures/collector/telemetry';

const T0 = 1_700_000_000_000;

/** The hostile set: HTML, a DOT breakout, newlines, a bidi override, ANSI escapes, 1 KB. */
const HOSTILE = [
  '<img src=x onerror=alert(1)>',
  '"];evil[label="',
  'line1\nline2\r\nline3',
  'abc\u202edcba.exe',
  '\x1b[31mred\x1b[0m\x1b]0;owned\x07',
  'K'.repeat(1024),
] as const;
const FF = Buffer.from([0xff, 0xfe, 0x00, 0x1b, 0xff]);

// C0/C1 controls, bidi overrides/isolates, line separators, zero-width: never raw in any rendering.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/;

function hostileSnapshot(): TopologySnapshot {
  const clock = { now: T0 };
  const store = new TopologyStore({ now: () => clock.now });
  const router = new FakeAgent({ pid: 100, node: HOSTILE[0] });
  const rkey = agentKeyOf(router);
  const send = (_agent: FakeAgent, key: string, msg: ReturnType<FakeAgent['hello']>) => store.apply(key, viaWire(msg), clock.now);
  send(router, rkey, router.hello(T0));
  send(router, rkey, router.msg({ t: 'socket', socket: 1, type: 'ROUTER', name: HOSTILE[1], options: { disconnectMsg: true }, createdAt: T0 }, T0));
  send(router, rkey, router.bind(T0, 1, 'tcp://*:5555', 'tcp://0.0.0.0:5555'));
  send(router, rkey, router.msg({ t: 'event', socket: 1, event: 'accept:error', address: 'tcp://0.0.0.0:5555', error: HOSTILE[4] }, T0));
  send(router, rkey, router.msg({ t: 'event', socket: 1, event: 'bind:error', address: 'tcp://0.0.0.0:5555', error: HOSTILE[5] }, T0));
  HOSTILE.forEach((text, i) => {
    // Names are capped at 256 characters by decode (tested below); the 1 KB text goes to the capped fields.
    const dealer = new FakeAgent({ pid: 200 + i, node: text.slice(0, 256) });
    const key = agentKeyOf(dealer);
    send(dealer, key, dealer.hello(T0));
    send(dealer, key, dealer.msg({ t: 'socket', socket: 1, type: 'DEALER', name: text.slice(0, 256), routingId: toBin(text), options: { disconnectMsg: true }, createdAt: T0 }, T0));
    send(dealer, key, dealer.connect(T0, 1, 'tcp://localhost:5555'));
    send(dealer, key, dealer.event(T0, 1, 'handshake', 'tcp://localhost:5555'));
    send(router, rkey, router.heartbeats(T0, 1, { peer: text }));
    // The ROUTER hears the peer go with the app's own disconnect text: hostile, and raw bytes too.
    send(router, rkey, router.disconnectMsg(T0 + 10, 1, text, toBin(i % 2 === 0 ? text : FF)));
  });
  // A peer no agent reports, known only by raw 0xff bytes.
  send(router, rkey, router.msg({
    t: 'traffic', peers: [{ socket: 1, peer: toBin(FF), msgsIn: 1, msgsOut: 0, bytesIn: 5, bytesOut: 0, types: { [`${HOSTILE[0]}\u202e`]: 1 }, lastMessageIn: T0 }],
  }, T0));
  clock.now = T0 + 1000;
  const snapshot = store.snapshot();
  store.dispose();
  return snapshot;
}

const snapshot = hostileSnapshot();

describe('hostile identities and texts', () => {
  test('reach the model (the test would prove nothing otherwise)', () => {
    assert.ok(snapshot.nodes.some((n) => n.name.includes('<img')), 'hostile process name kept as data');
    assert.ok(snapshot.sockets.some((s) => s.routingId?.hex === FF.toString('hex')), 'raw 0xff routing id kept as hex');
    assert.ok(snapshot.edges.some((e) => e.lastDisconnect?.message === HOSTILE[0]), 'hostile disconnect text on an edge');
    assert.ok(snapshot.sockets.some((s) => s.routingId?.text === HOSTILE[3]), 'a bidi routing id kept as data');
    assert.ok(snapshot.edges.some((e) => e.lastDisconnect?.message === `0x${FF.toString('hex')}`), 'raw disconnect bytes shown as hex');
  });

  test('an oversized process name is refused by decode, not shown', () => {
    const agent = new FakeAgent({ pid: 1, node: HOSTILE[5] });
    const result = decode(encode(agent.hello(T0)));
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : result.detail, /longer than 256/);
  });

  test('tree labels and descriptions: plain text, no controls or bidi, capped', () => {
    const items = [...walkTree(buildTopologyTree(snapshot))];
    assert.ok(items.length > HOSTILE.length);
    for (const item of items) {
      for (const text of [item.label, item.description ?? '', item.routingId ?? '']) {
        assert.doesNotMatch(text, UNSAFE, `${item.id}: ${JSON.stringify(text)}`);
        assert.ok(text.length <= 600, `${item.id} is ${text.length} chars`);
      }
    }
    assert.ok(items.some((i) => i.routingId === `0x${FF.toString('hex')}`), 'a non-printable routing id is shown as hex');
  });

  test('tooltip markdown: every outside character that markdown or HTML would act on is escaped', () => {
    for (const item of walkTree(buildTopologyTree(snapshot))) {
      const md = item.tooltip.replace(/ {2}\n/g, ' '); // our own hard line breaks
      assert.doesNotMatch(md, UNSAFE, item.id);
      // No raw '<' (HTML), no unescaped link/image syntax, no raw backtick from outside.
      assert.doesNotMatch(md, /(?<!\\)</, `${item.id}: ${md}`);
      assert.doesNotMatch(md, /(?<!\\)\]\(/, item.id);
      assert.doesNotMatch(md, /(?<!\\)!\[/, item.id);
    }
  });

  test('DOT: outside text only ever inside quoted labels, no breakout, no raw newline or control', () => {
    const dot = snapshotToDot(snapshot);
    // Newlines separate DOT statements; anything else unsafe must not be there at all.
    assert.doesNotMatch(dot.replace(/\n/g, ''), UNSAFE);
    let outside = '';
    let inString = false;
    for (let i = 0; i < dot.length; i++) {
      const c = dot[i]!;
      if (inString) {
        if (c === '\\') i++;
        else if (c === '"') inString = false;
        else assert.notEqual(c, '\n', 'a raw newline inside a DOT string');
      } else if (c === '"') {
        inString = true;
      } else {
        outside += c;
      }
    }
    assert.equal(inString, false, 'every DOT string is closed');
    assert.doesNotMatch(outside, /evil|img|onerror|KKKK/, 'nothing from outside appears outside a quoted label');
    assert.match(dot, /\\"\];evil\[label=\\"/, 'the breakout attempt is present, escaped, inside a label');
  });

  test('JSON: the same data back, and no raw control characters', () => {
    const json = snapshotToJson(snapshot);
    assert.deepEqual(JSON.parse(json), snapshot);
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    assert.doesNotMatch(json.replace(/\n/g, ''), /[\u0000-\u001f]/);
  });

  test('CLI table: no escape sequence, control or bidi character reaches the terminal', () => {
    for (const color of [false, true]) {
      const table = renderTable(snapshot, { width: 200, color });
      // Only our own colour codes (ESC [ digits m) when colour is on; nothing else of ESC.
      // eslint-disable-next-line no-control-regex -- matching the escape character is the point
      const withoutOurColours = color ? table.replace(/\x1b\[\d+(;\d+)*m/g, '') : table;
      assert.doesNotMatch(withoutOurColours.replace(/\n/g, ''), UNSAFE, JSON.stringify(withoutOurColours.slice(0, 400)));
    }
  });

  test('terminalSafe makes bidi and line-separator characters visible', () => {
    assert.equal(terminalSafe('a\u202eb\u2028c\u2066d'), 'a\\u202eb\\u2028c\\u2066d');
    assert.equal(terminalSafe('\x1b[2J'), '\\x1b[2J');
  });
});
