/**
 * The timeline bar's pure parts (webview/timelineModel.ts), in Node: instant ↔ x, steps, marker
 * navigation and grouping, texts, the seek throttle, the bar's instant while a seek is on its way,
 * the details pane's rows up to an instant; and the webview clock held at a past instant.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TimelineMarker, TimelineView } from '../../src/shared/timeline';
import { formatTime } from '../../src/shared/format';
import { CollectorClock } from '../../webview/graphModel';
import {
  barInstant, CHOICE_HOLD_MS, clampInstant, compareRange, entriesUntil, formatSpan, instantAtX, instantInWords, MARKER_BUCKET_PX,
  MARKER_SIZE_PX, MARKER_TEXTS_SHOWN, markerLanes, markerMarks, markerPath, nextMarker, offsetText, previousMarker, revealInstant, SeekThrottle, shownInstant,
  spanInWords, stepSizes, xOfInstant,
} from '../../webview/timelineModel';

const START = 1_763_799_940_000;
const view = (over: Partial<TimelineView> = {}): TimelineView => ({
  source: 'recording', title: 'run.zmqrec', startAt: START, endAt: START + 60_000, at: START + 12_500, speed: 0, markers: [], ...over,
});
const marker = (offset: number, kind: TimelineMarker['kind'] = 'disconnect', text = `m${offset}`): TimelineMarker => ({ at: START + offset, kind, text });

test('instant ↔ x: ends, middle, clamping, round trip, a zero-length span', () => {
  const span = { startAt: START, endAt: START + 60_000 };
  assert.equal(xOfInstant(START, span, 600), 0);
  assert.equal(xOfInstant(START + 60_000, span, 600), 600);
  assert.equal(xOfInstant(START + 30_000, span, 600), 300);
  assert.equal(xOfInstant(START - 5000, span, 600), 0, 'before the span: at its start');
  assert.equal(xOfInstant(START + 99_000, span, 600), 600, 'after the span: at its end');
  assert.equal(instantAtX(150, span, 600), START + 15_000);
  assert.equal(instantAtX(-20, span, 600), START);
  assert.equal(instantAtX(900, span, 600), START + 60_000);
  assert.equal(instantAtX(100, span, 0), START, 'no width yet: the start');
  for (const at of [START, START + 1, START + 12_345, START + 59_999]) {
    assert.ok(Math.abs(instantAtX(xOfInstant(at, span, 1200), span, 1200) - at) <= 1, `round trip of ${at}`);
  }
  const instant = { startAt: START, endAt: START };
  assert.equal(xOfInstant(START, instant, 600), 0);
  assert.equal(instantAtX(300, instant, 600), START);
  assert.equal(clampInstant(START + 5, span), START + 5);
  assert.equal(shownInstant(view({ at: null, source: 'live' })), START + 60_000, 'live: the end');
  assert.equal(shownInstant(view({ at: START - 1 })), START, 'an at outside the span is shown at its edge');
});

test('steps are round sizes near 1/100 and 1/10 of the span', () => {
  assert.deepEqual(stepSizes({ startAt: 0, endAt: 60_000 }), { small: 1000, big: 10_000 });
  assert.deepEqual(stepSizes({ startAt: 0, endAt: 30 * 60_000 }), { small: 30_000, big: 300_000 });
  assert.deepEqual(stepSizes({ startAt: 0, endAt: 5000 }), { small: 100, big: 500 });
  assert.deepEqual(stepSizes({ startAt: 0, endAt: 0 }), { small: 100, big: 100 }, 'an empty span still steps');
  const day = stepSizes({ startAt: 0, endAt: 24 * 3_600_000 });
  assert.equal(day.big, 3_600_000, 'the largest step is an hour');
});

test('previous/next marker: strictly before/after, none past the ends', () => {
  const markers = [marker(1000), marker(5000), marker(5000, 'exit'), marker(9000)];
  assert.equal(nextMarker(markers, START)?.at, START + 1000);
  assert.equal(nextMarker(markers, START + 1000)?.at, START + 5000, 'not the one at the instant itself');
  assert.equal(nextMarker(markers, START + 5000)?.at, START + 9000, 'both markers at 5 s are passed together');
  assert.equal(nextMarker(markers, START + 9000), undefined);
  assert.equal(previousMarker(markers, START + 9000)?.kind, 'exit', 'the last of those at 5 s');
  assert.equal(previousMarker(markers, START + 5000)?.at, START + 1000);
  assert.equal(previousMarker(markers, START + 1000), undefined);
  assert.equal(nextMarker([], START), undefined);
});

test('markers are grouped per kind and few pixels, with a bounded tooltip; outside the span they are not drawn', () => {
  const span = { startAt: START, endAt: START + 100_000 };
  const markers = [
    ...Array.from({ length: 8 }, (_, i) => marker(50_000 + i, 'disconnect', `d${i}`)),
    marker(50_000, 'late', 'late one'),
    marker(90_000, 'disconnect', 'far'),
    marker(200_000, 'exit', 'after the span'),
  ];
  const marks = markerMarks(markers, span, 1000);
  assert.equal(marks.length, 3);
  const cluster = marks.find((m) => m.kind === 'disconnect' && m.count === 8);
  assert.ok(cluster);
  assert.equal(cluster.x, 500);
  assert.equal(cluster.first.text, 'd0', 'a click goes to the first of them');
  const lines = cluster.title.split('\n');
  assert.equal(lines.length, MARKER_TEXTS_SHOWN + 1);
  assert.equal(lines[0], `${formatTime(START + 50_000)} d0`);
  assert.equal(lines.at(-1), `… and ${8 - MARKER_TEXTS_SHOWN} more`);
  assert.equal(marks.find((m) => m.kind === 'late')?.count, 1, 'another kind at the same place is its own mark');
  assert.equal(marks.find((m) => m.first.text === 'far')?.x, 900);

  const many = Array.from({ length: 5000 }, (_, i) => marker(i * 20, i % 2 ? 'late' : 'disconnect'));
  assert.ok(markerMarks(many, span, 400).length <= 2 * Math.ceil(400 / MARKER_BUCKET_PX + 1), '5,000 markers on 400 px: bounded by the width');
});

test('marks that would cover each other are stacked in lanes; apart, they stay on the axis', () => {
  assert.deepEqual(markerLanes([100, 300, 500]), [0, 0, 0]);
  assert.deepEqual(markerLanes([100, 100, 100]), [0, -1, 1], 'a disconnect, an exit and a late at one instant');
  assert.deepEqual(markerLanes([100 + MARKER_SIZE_PX - 1, 100]), [-1, 0], 'by x, whatever the order given');
  assert.deepEqual(markerLanes([100, 100 + MARKER_SIZE_PX]), [0, 0], 'just apart: same lane');
  assert.equal(new Set(markerLanes([1, 1, 1, 1, 1])).size, 5, 'five lanes');
  assert.equal(markerLanes(Array.from({ length: 50 }, () => 7)).length, 50, 'more than five at one place still get a lane');
  const span = { startAt: START, endAt: START + 100_000 };
  const marks = markerMarks([marker(50_000, 'disconnect'), marker(50_000, 'exit')], span, 1000);
  assert.deepEqual(marks.map((m) => m.lane).sort(), [-1, 0]);
});

test('each marker kind has its own shape', () => {
  const paths = (['disconnect', 'late', 'exit', 'retry-storm'] as const).map((kind) => markerPath(kind, 10, 10));
  assert.equal(new Set(paths).size, 4);
  assert.match(paths[0], /a4\.5,4\.5/, 'disconnect: a circle');
});

test('texts: offsets from the start of a recording, back from now on the live ring, and in words', () => {
  assert.equal(formatSpan(12_500), '12.5 s');
  assert.equal(formatSpan(0), '0.0 s');
  assert.equal(formatSpan(185_000), '3 min 05.0 s');
  assert.equal(formatSpan(3_725_000), '1 h 02 min 05 s');
  assert.equal(spanInWords(12_500), '12.5 seconds');
  assert.equal(spanInWords(1000), '1 second');
  assert.equal(spanInWords(185_000), '3 minutes 5 seconds');
  assert.equal(spanInWords(120_000), '2 minutes');
  assert.equal(spanInWords(3_720_000), '1 hour 2 minutes');

  const recording = view();
  assert.equal(offsetText(recording, START + 12_500), '+12.5 s');
  assert.equal(offsetText(recording, null), '+1 min 00.0 s', 'no instant: the end');
  assert.equal(instantInWords(recording, START + 12_500), `12.5 seconds from the start, at ${formatTime(START + 12_500)}`);

  const live = view({ source: 'live', title: 'last 10 min', at: null });
  assert.equal(offsetText(live, null), 'live');
  assert.equal(offsetText(live, START + 30_000), '−30.0 s');
  assert.equal(instantInWords(live, null), 'live: following the running system');
  assert.equal(instantInWords(live, START + 30_000), `30 seconds ago, at ${formatTime(START + 30_000)}`);
});

test('compare range is ordered; a removed item is revealed where it still existed', () => {
  assert.deepEqual(compareRange(5, 2), { from: 2, to: 5 });
  assert.deepEqual(compareRange(2, 5), { from: 2, to: 5 });
  const range = { from: 10, to: 20 };
  assert.equal(revealInstant('removed', range), 10);
  assert.equal(revealInstant('added', range), 20);
  assert.equal(revealInstant('state', range), 20);
});

/** A throttle on a fake clock: `advance` runs the timers that fall due. */
function fakeThrottle(intervalMs = 100): { sent: Array<number | null>; throttle: SeekThrottle<number | null>; advance(ms: number): void } {
  let now = 1000;
  let timers: Array<{ at: number; run: () => void }> = [];
  const sent: Array<number | null> = [];
  const throttle = new SeekThrottle<number | null>((v) => sent.push(v), () => now, (run, ms) => timers.push({ at: now + ms, run }), intervalMs);
  return {
    sent,
    throttle,
    advance(ms: number): void {
      const until = now + ms;
      for (;;) {
        const due = timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
        if (!due) {
          break;
        }
        timers = timers.filter((t) => t !== due);
        now = due.at;
        due.run();
      }
      now = until;
    },
  };
}

test('seek throttle: the first at once, then at most one per interval, always the last value', () => {
  const { sent, throttle, advance } = fakeThrottle();
  // A drag: a move every 10 ms for a second.
  for (let i = 0; i <= 100; i++) {
    throttle.push(i);
    advance(10);
  }
  advance(200);
  assert.equal(sent[0], 0, 'the first seek goes out at once');
  assert.equal(sent.at(-1), 100, 'the final position is sent');
  assert.ok(sent.length <= 12, `≤ 10 per second (+ first and last): ${sent.length}`);
  assert.ok(sent.length >= 9, `it keeps following during the drag: ${sent.length}`);
});

test('seek throttle: flush sends what is pending now, once; cancel drops it; null (live) is a value', () => {
  const { sent, throttle, advance } = fakeThrottle();
  throttle.push(1);
  throttle.push(2);
  throttle.push(3);
  assert.deepEqual(sent, [1]);
  throttle.flush();
  assert.deepEqual(sent, [1, 3], 'the end of a drag sends its final position at once');
  advance(500);
  assert.deepEqual(sent, [1, 3], 'and the timer does not send it again');
  throttle.push(4);
  throttle.push(null);
  advance(500);
  assert.deepEqual(sent, [1, 3, 4, null]);
  throttle.push(5);
  throttle.push(6);
  throttle.cancel();
  advance(500);
  assert.deepEqual(sent, [1, 3, 4, null, 5], 'a cancelled pending seek is not sent');
});

test('the bar shows the user’s choice until the host confirms it, or for a while; always while dragging', () => {
  const host = view({ at: START + 1000 });
  assert.equal(barInstant(host, null, 0, false), START + 1000);
  const local = { at: START + 5000, since: 100 };
  assert.equal(barInstant(host, local, 200, false), START + 5000, 'on its way: the choice');
  assert.equal(barInstant(host, local, 100 + CHOICE_HOLD_MS + 1, false), START + 1000, 'never confirmed: the host wins');
  assert.equal(barInstant(host, local, 100 + CHOICE_HOLD_MS + 1, true), START + 5000, 'dragging: the hand wins');
  assert.equal(barInstant(view({ source: 'live', at: START }), { at: null, since: 100 }, 200, false), null, 'a choice of live');
});

test('details rows: up to the instant, the latest ones', () => {
  const entries = [1, 2, 3, 4, 5].map((at) => ({ at, event: `e${at}` }));
  assert.deepEqual(entriesUntil(entries, null, 3).map((e) => e.at), [3, 4, 5]);
  assert.deepEqual(entriesUntil(entries, 3, 20).map((e) => e.at), [1, 2, 3], 'an entry at the instant is shown');
  assert.deepEqual(entriesUntil(entries, 4, 2).map((e) => e.at), [3, 4]);
  assert.deepEqual(entriesUntil(entries, 0, 20), []);
});

test('the webview clock held at a past instant stops at the last update; released, it ticks again', () => {
  const clock = new CollectorClock();
  clock.sync(START, 50_000);
  assert.equal(clock.now(51_000), START + 1000);
  clock.hold(true);
  assert.equal(clock.now(59_000), START, 'held: the instant of the picture');
  clock.sync(START + 7000, 60_000);
  assert.equal(clock.now(65_000), START + 7000, 'a new picture of the past: its instant');
  clock.hold(false);
  assert.equal(clock.now(65_000), START + 12_000);
});
