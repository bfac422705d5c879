/**
 * The graph panel host's pure parts: every webview message is validated before it is acted on,
 * diffs are merged and rate-limited, SVG requests are matched to answers and time out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { messageHtml, routeWebviewMessage, SvgRequests, type WebviewMessageHandlers } from '../../src/views/graphPanel';
import { DiffCoalescer, mergeDiffs, type TimerApi } from '../../src/views/diffCoalescer';
import type { EdgeView, NodeView, TopologyDiff } from '../../src/shared/snapshot';

function recorder(): { calls: string[]; handlers: WebviewMessageHandlers } {
  const calls: string[] = [];
  return {
    calls,
    handlers: {
      ready: () => calls.push('ready'),
      goToSource: (id) => calls.push(`goToSource ${id}`),
      selected: (id) => calls.push(`selected ${id}`),
      copy: (text) => calls.push(`copy ${text}`),
      svg: (requestId, svg) => calls.push(`svg ${requestId} ${svg.length}`),
      setPaused: (paused) => calls.push(`setPaused ${paused}`),
      seek: (at) => calls.push(`seek ${at}`),
      play: (speed) => calls.push(`play ${speed}`),
      compare: (from, to) => calls.push(`compare ${from} ${to}`),
      refused: (summary) => calls.push(`refused ${summary}`),
    },
  };
}

test('well-formed webview messages reach their handler', () => {
  const { calls, handlers } = recorder();
  for (const m of [
    { type: 'ready' }, { type: 'goToSource', socketId: 'h:1:i/2' }, { type: 'selected', id: null }, { type: 'copy', text: 'tcp://x:1' },
    { type: 'svg', requestId: 3, svg: '<svg></svg>' }, { type: 'setPaused', paused: true },
    { type: 'seek', at: 1_700_000_000_000 }, { type: 'seek', at: null }, { type: 'play', speed: 10 }, { type: 'compare', from: 5, to: 9 },
  ]) assert.ok(routeWebviewMessage(m, handlers));
  assert.deepEqual(calls, ['ready', 'goToSource h:1:i/2', 'selected null', 'copy tcp://x:1', 'svg 3 11', 'setPaused true',
    'seek 1700000000000', 'seek null', 'play 10', 'compare 5 9']);
});

test('malformed or hostile messages are refused, summarised without their content, and do nothing', () => {
  const { calls, handlers } = recorder();
  const bad: unknown[] = [
    null, 'ready', 42, [{ type: 'ready' }], {}, { type: 'eval', code: 'process.exit()' }, { type: 'goToSource' },
    { type: 'goToSource', socketId: 7 }, { type: 'goToSource', socketId: 'x'.repeat(5000) }, { type: 'copy', text: { toString: 'x' } },
    { type: 'svg', requestId: -1, svg: '' }, { type: 'svg', requestId: 1.5, svg: '' }, { type: 'setPaused', paused: 'yes' },
    { type: 'copy', text: 'x'.repeat(2 * 1024 * 1024) },
    { type: 'seek', at: -1 }, { type: 'seek', at: Infinity }, { type: 'seek' }, { type: 'play', speed: 7 }, { type: 'play', speed: '10' },
    { type: 'compare', from: 1 }, { type: 'compare', from: NaN, to: 2 },
  ];
  for (const m of bad) assert.equal(routeWebviewMessage(m, handlers), undefined);
  assert.equal(calls.length, bad.length);
  assert.ok(calls.every((c) => c.startsWith('refused ')), calls.join('\n'));
  assert.ok(calls.every((c) => c.length < 300), 'summaries are short');
  assert.ok(!calls.some((c) => c.includes('process.exit')), 'content is never echoed');
});

const node = (id: string): NodeView => ({ id } as NodeView);
const edge = (id: string, state: EdgeView['state'] = 'connected'): EdgeView => ({ id, state } as EdgeView);

test('mergeDiffs: later versions win, removals cancel changes and the other way round', () => {
  const a: TopologyDiff = { takenAt: 1, nodes: [node('n1'), node('n2')], edges: [edge('e1')], removedSockets: ['s9'] };
  const b: TopologyDiff = { takenAt: 2, removedNodes: ['n2'], edges: [edge('e1', 'late')], sockets: [{ id: 's9' } as never] };
  const m = mergeDiffs(a, b);
  assert.equal(m.takenAt, 2);
  assert.deepEqual(m.nodes?.map((n) => n.id), ['n1']);
  assert.deepEqual(m.removedNodes, ['n2']);
  assert.deepEqual(m.edges, [edge('e1', 'late')]);
  assert.equal(m.removedSockets, undefined, 's9 came back');
  assert.deepEqual(m.sockets?.map((s) => s.id), ['s9']);
});

function fakeTimers(): TimerApi & { t: number; tasks: { at: number; fn: () => void }[]; advance(ms: number): void } {
  const timers = {
    t: 0,
    tasks: [] as { at: number; fn: () => void }[],
    now: () => timers.t,
    setTimeout: (fn: () => void, ms: number) => {
      const task = { at: timers.t + ms, fn };
      timers.tasks.push(task);
      return task;
    },
    clearTimeout: (h: unknown) => {
      timers.tasks = timers.tasks.filter((t) => t !== h);
    },
    advance(ms: number) {
      timers.t += ms;
      for (const task of timers.tasks.filter((x) => x.at <= timers.t)) {
        timers.tasks = timers.tasks.filter((x) => x !== task);
        task.fn();
      }
    },
  };
  return timers;
}

test('DiffCoalescer sends at most one merged diff per interval (≤ 10/s at 100 ms)', () => {
  const timers = fakeTimers();
  const sent: TopologyDiff[] = [];
  const c = new DiffCoalescer((d) => sent.push(d), 100, timers);
  // 1000 diffs in one second, one every millisecond.
  for (let i = 0; i < 1000; i++) {
    c.push({ takenAt: i, edges: [edge(`e${i % 3}`, i % 2 ? 'late' : 'connected')] });
    timers.advance(1);
  }
  timers.advance(200);
  assert.ok(sent.length <= 11 && sent.length >= 9, `sent ${sent.length}`);
  const last = sent[sent.length - 1];
  assert.equal(last.takenAt, 999);
  assert.deepEqual(last.edges?.map((e) => e.id).sort(), ['e0', 'e1', 'e2']);
  c.push({ takenAt: 2000 });
  c.discard();
  timers.advance(500);
  assert.equal(sent[sent.length - 1].takenAt, 999, 'discarded diffs are not sent');
  c.dispose();
});

test('DiffCoalescer: an urgent diff (connection down, process gone) goes at once, and a burst of them at most every 20 ms', () => {
  const timers = fakeTimers();
  const sent: TopologyDiff[] = [];
  const c = new DiffCoalescer((d) => sent.push(d), 100, timers);
  c.push({ takenAt: 0, edges: [edge('e1', 'connected')] });
  timers.advance(100);
  assert.equal(sent.length, 1);
  timers.advance(10);
  c.push({ takenAt: 110, edges: [edge('e2', 'connected')] });
  timers.advance(5);
  assert.equal(sent.length, 1, 'an ordinary diff waits for the interval');
  timers.advance(10);
  c.push({ takenAt: 125, edges: [edge('e1', 'disconnected')], urgent: true });
  assert.equal(sent.length, 2, 'the urgent diff went without waiting for a timer');
  assert.deepEqual(sent[1].edges?.map((e) => e.id).sort(), ['e1', 'e2'], 'with what was pending');
  assert.equal(sent[1].urgent, true);
  // 100 urgent diffs 1 ms apart: delivered at most every 20 ms, nothing lost.
  for (let i = 0; i < 100; i++) {
    c.push({ takenAt: 200 + i, edges: [edge(`x${i}`, 'disconnected')], urgent: true });
    timers.advance(1);
  }
  timers.advance(50);
  const burst = sent.slice(2);
  assert.ok(burst.length >= 4 && burst.length <= 7, `burst delivered in ${burst.length} diffs`);
  assert.equal(new Set(burst.flatMap((d) => d.edges?.map((e) => e.id) ?? [])).size, 100);
  c.dispose();
});

test('SvgRequests: answers match requests, strays are ignored, silence times out', async () => {
  const svg = new SvgRequests();
  const posted: number[] = [];
  const answered = svg.request((id) => posted.push(id), 1000);
  assert.equal(svg.answer(999, '<svg/>'), false, 'an answer nobody asked for');
  assert.equal(svg.answer(posted[0], '<svg>ok</svg>'), true);
  assert.equal(await answered, '<svg>ok</svg>');
  await assert.rejects(svg.request(() => undefined, 20), /did not answer the SVG export/);
  const cancelled = svg.request(() => undefined, 10_000);
  svg.cancelAll('the graph panel was closed');
  await assert.rejects(cancelled, /closed/);
  assert.equal(svg.size, 0);
});

test('a recording that cannot be opened gets a page with its message, escaped, and no script at all', () => {
  const html = messageHtml('evil.zmqrec cannot be opened', 'not a zmq-topology recording <script>alert(1)</script> & "more"');
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'">/);
  assert.ok(!/<script/i.test(html), 'nothing executable');
  assert.match(html, /not a zmq-topology recording &lt;script&gt;alert\(1\)&lt;\/script&gt; &amp; &quot;more&quot;/);
});
