/**
 * The timeline bar under the graph (issue 16, docs/RECORDING.md "The timeline in the graph"): the span
 * the host can show (a recording, or the live graph's ring), the instant shown, markers by kind, a
 * scrub handle (mouse and keyboard, role=slider), play at 1×/10×/100×, previous/next event, Live, and a
 * mark to compare with. It only asks: the host answers a `seek` with the snapshot at that instant and a
 * new `timeline`. Hidden until the host sends a timeline. The pure parts are in timelineModel.ts.
 */
import type { WebviewMessage } from '../src/shared/messages';
import type { Comparison, PlaySpeed, TimelineMarker, TimelineView } from '../src/shared/timeline';
import { formatTime } from '../src/shared/format';
import { ComparisonList } from './comparisonList';
import { el } from './dom';
import {
  barInstant, CHOICE_HOLD_MS, clampInstant, compareRange, instantAtX, instantInWords, MARKER_KIND_LABELS, MARKER_LANE_PX, markerMarks, markerPath,
  nextMarker, offsetText, previousMarker, SeekThrottle, spanLength, stepSizes, xOfInstant, type LocalChoice,
} from './timelineModel';

const SVG_NS = 'http://www.w3.org/2000/svg';
/** The track's inner margin (px), so the handle and markers at the ends are drawn whole. */
const PAD = 9;
const TRACK_HEIGHT = 32;
const SPEEDS: readonly Exclude<PlaySpeed, 0>[] = [1, 10, 100];

export interface TimelineActions {
  post(message: WebviewMessage): void;
  /** The instant the graph shows changed (null: live, or no timeline). */
  instantChanged(at: number | null): void;
  /** Reveal an item now if it is drawn, and (`afterSeek`) again when the seek's snapshot is drawn. */
  revealSoon(id: string, afterSeek: boolean): void;
  /** Is the item in the graph now? */
  has(id: string): boolean;
}

function svgEl<K extends keyof SVGElementTagNameMap>(tag: K, className: string): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG_NS, tag);
  element.setAttribute('class', className);
  return element;
}

function button(id: string, text: string, title: string): HTMLButtonElement {
  const result = el('button', { className: 'secondary', text, title });
  result.type = 'button';
  result.id = id;
  return result;
}

export class TimelineBar {
  private view: TimelineView | null = null;
  private local: LocalChoice | null = null;
  private dragging = false;
  private mark: number | null = null;
  /** The speed Space and Play start at: the last one chosen. */
  private playSpeed: Exclude<PlaySpeed, 0> = 1;
  private hostAt: number | null = null;
  private drawnMarkers = '';
  private holdTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly throttle: SeekThrottle<number | null>;
  private readonly comparison: ComparisonList;

  private readonly prev = button('timeline-prev', '◀ Event', 'Previous event (PageUp)');
  private readonly play = button('timeline-play', '▶ Play', 'Play or pause (Space)');
  private readonly speedButtons = SPEEDS.map((speed) => button(`timeline-speed-${speed}`, `${speed}×`, `Play at ${speed}× real time`));
  private readonly next = button('timeline-next', 'Event ▶', 'Next event (PageDown)');
  private readonly live = button('timeline-live', 'Live', 'Back to the live graph (L)');
  private readonly title = el('span', { className: 'timeline-title' });
  private readonly instant = el('span', { className: 'timeline-instant' });
  private readonly markButton = button('timeline-mark', 'Mark', 'Mark this instant to compare with (M; or Shift+click the bar)');
  private readonly compareButton = button('timeline-compare', 'Compare…', 'What changed between the mark and this instant');
  private readonly track = el('div', { className: 'timeline-track' });
  private readonly svg = svgEl('svg', 'timeline-svg');
  private readonly axis = svgEl('line', 'timeline-axis');
  private readonly markers = svgEl('g', 'timeline-markers');
  private readonly markFlag = svgEl('path', 'timeline-mark-flag');
  private readonly handle = svgEl('g', 'timeline-handle');
  private readonly startLabel = el('span');
  private readonly endLabel = el('span');

  constructor(private readonly root: HTMLElement, private readonly actions: TimelineActions) {
    this.throttle = new SeekThrottle((at) => actions.post({ type: 'seek', at }), () => performance.now(), (run, ms) => setTimeout(run, ms));
    this.comparison = new ComparisonList(el('div', { className: 'comparison' }), {
      offset: (at) => (this.view ? offsetText(this.view, at) : formatTime(at)),
      choose: (id, at) => this.revealAt(id, at),
    });
    this.build();
    this.bind();
    root.hidden = true;
  }

  /** The host's timeline (null hides the bar). */
  update(view: TimelineView | null): void {
    this.view = view;
    this.root.hidden = view === null;
    const at = view === null ? null : view.at;
    if (view === null) {
      this.local = null;
      this.mark = null;
      this.comparison.hide();
    } else if (this.local !== null && this.local.at === view.at && !this.dragging) {
      this.local = null; // the host confirmed the choice
    }
    if (at !== this.hostAt || view === null) {
      this.hostAt = at;
      this.actions.instantChanged(at);
    }
    this.draw();
  }

  /**
   * A snapshot arrived. While playing, the host sends the timeline about once a second but a picture
   * up to ten times a second, each taken at the instant it shows: the handle follows the pictures.
   */
  pictured(takenAt: number): void {
    const view = this.view;
    if (view !== null && view.speed > 0 && view.at !== null && !this.dragging) {
      this.update({ ...view, at: clampInstant(takenAt, view) });
    }
  }

  showComparison(comparison: Comparison): void {
    this.comparison.show(comparison);
  }

  /** Redraws for a new track width. */
  resized(): void {
    this.drawnMarkers = '';
    this.draw();
  }

  // ---- building --------------------------------------------------------------------------------

  private build(): void {
    const { root, track, svg } = this;
    const speeds = el('span', { className: 'timeline-speeds' }, ...this.speedButtons);
    speeds.setAttribute('role', 'group');
    speeds.setAttribute('aria-label', 'Play speed');
    const controls = el('div', { className: 'timeline-controls' },
      this.prev, this.play, speeds, this.next, this.live, this.title, this.instant, this.markButton, this.compareButton);
    root.setAttribute('aria-label', 'Timeline');

    track.id = 'timeline-track';
    track.tabIndex = 0;
    track.setAttribute('role', 'slider');
    track.setAttribute('aria-label', 'Instant shown in the graph');
    track.setAttribute('aria-valuemin', '0');
    track.title = '←/→ step · Shift+←/→ big step · Home/End · PageUp/PageDown previous/next event · Space play/pause · L live · M mark · Shift+click mark';
    svg.setAttribute('height', String(TRACK_HEIGHT));
    const axis = this.axis;
    axis.setAttribute('y1', String(TRACK_HEIGHT / 2));
    axis.setAttribute('y2', String(TRACK_HEIGHT / 2));
    axis.setAttribute('x1', String(PAD));
    const handleLine = svgEl('line', 'timeline-handle-line');
    handleLine.setAttribute('y1', '1');
    handleLine.setAttribute('y2', String(TRACK_HEIGHT - 1));
    const knob = svgEl('circle', 'timeline-handle-knob');
    knob.setAttribute('r', '5');
    knob.setAttribute('cy', String(TRACK_HEIGHT / 2));
    this.handle.append(handleLine, knob);
    this.markFlag.setAttribute('aria-hidden', 'true');
    svg.append(axis, this.markers, this.markFlag, this.handle);
    track.appendChild(svg);

    const ends = el('div', { className: 'timeline-ends' }, this.startLabel, this.endLabel);
    root.append(controls, track, ends, this.comparison.root);
  }

  private bind(): void {
    const { track } = this;
    this.prev.addEventListener('click', () => this.stepMarker(-1));
    this.next.addEventListener('click', () => this.stepMarker(1));
    this.play.addEventListener('click', () => this.togglePlay());
    SPEEDS.forEach((speed, i) => this.speedButtons[i].addEventListener('click', () => {
      this.playSpeed = speed;
      this.actions.post({ type: 'play', speed });
    }));
    this.live.addEventListener('click', () => this.goLive());
    this.markButton.addEventListener('click', () => this.setMark(this.current()));
    this.compareButton.addEventListener('click', () => this.compare());

    track.addEventListener('pointerdown', (event) => {
      if (event.button !== 0 || this.view === null) {
        return;
      }
      track.focus();
      const at = this.instantAt(event.clientX);
      if (event.shiftKey) {
        this.setMark(at);
        return;
      }
      this.dragging = true;
      track.setPointerCapture(event.pointerId);
      this.choose(this.liveAtEnd(at), false);
    });
    track.addEventListener('pointermove', (event) => {
      if (this.dragging) {
        this.choose(this.liveAtEnd(this.instantAt(event.clientX)), false);
      }
    });
    const end = (): void => {
      if (this.dragging) {
        this.dragging = false;
        this.throttle.flush(); // the host always gets the final position
        this.draw();
      }
    };
    track.addEventListener('pointerup', end);
    track.addEventListener('pointercancel', end);
    track.addEventListener('keydown', (event) => this.onKey(event));
  }

  // ---- what the user does -----------------------------------------------------------------------

  private onKey(event: KeyboardEvent): void {
    const view = this.view;
    if (view === null || event.ctrlKey || event.metaKey || event.altKey) {
      return; // VS Code's own shortcuts pass
    }
    const { small, big } = stepSizes(view);
    const at = this.current();
    switch (event.key) {
      case 'ArrowLeft':
      case 'ArrowDown':
        this.choose(clampInstant(at - (event.shiftKey ? big : small), view), false);
        break;
      case 'ArrowRight':
      case 'ArrowUp':
        this.choose(this.liveAtEnd(clampInstant(at + (event.shiftKey ? big : small), view)), false);
        break;
      case 'Home':
        this.choose(view.startAt, true);
        break;
      case 'End':
        this.choose(this.liveAtEnd(view.endAt), true);
        break;
      case 'PageUp':
        this.stepMarker(-1);
        break;
      case 'PageDown':
        this.stepMarker(1);
        break;
      case ' ':
        this.togglePlay();
        break;
      case 'l':
      case 'L':
        if (view.source !== 'live') {
          return;
        }
        this.goLive();
        break;
      case 'm':
      case 'M':
        this.setMark(at);
        break;
      default:
        return;
    }
    event.preventDefault();
  }

  /** The user picked an instant (null: live): shown at once, sent now (`now`) or rate-limited (drags, key repeats). */
  private choose(at: number | null, now: boolean): void {
    this.local = { at, since: performance.now() };
    this.throttle.push(at);
    if (now) {
      this.throttle.flush();
    }
    this.draw();
    // Unconfirmed, the choice gives way to the host's instant after CHOICE_HOLD_MS: redraw then.
    clearTimeout(this.holdTimer);
    this.holdTimer = setTimeout(() => this.draw(), CHOICE_HOLD_MS + 10);
  }

  /** On the live ring, the end of the bar is "now": following live rather than a frozen instant. */
  private liveAtEnd(at: number): number | null {
    return this.view?.source === 'live' && at >= this.view.endAt ? null : at;
  }

  private goLive(): void {
    this.choose(null, true);
  }

  /** Space and Play: pause, or play at the last speed chosen (from a live ring's start when following live). */
  private togglePlay(): void {
    const view = this.view;
    if (view !== null) {
      this.actions.post({ type: 'play', speed: view.speed > 0 ? 0 : this.playSpeed });
    }
  }

  /** Previous (-1) or next (1) marker: seek there and reveal what it names. */
  private stepMarker(direction: -1 | 1): void {
    const view = this.view;
    if (view === null) {
      return;
    }
    const marker = direction < 0 ? previousMarker(view.markers, this.current()) : nextMarker(view.markers, this.current());
    if (marker) {
      this.goToMarker(marker);
    }
  }

  private goToMarker(marker: TimelineMarker): void {
    this.choose(marker.at, true);
    if (marker.id !== undefined) {
      this.actions.revealSoon(marker.id, true);
    }
  }

  private setMark(at: number): void {
    this.mark = at;
    this.draw();
  }

  private compare(): void {
    if (this.mark !== null) {
      this.actions.post({ type: 'compare', ...compareRange(this.mark, this.current()) });
    }
  }

  /** A comparison's item: revealed where it is, after seeking to `at` when the graph does not hold it now. */
  private revealAt(id: string, at: number): void {
    const seek = !this.actions.has(id);
    if (seek) {
      this.choose(this.liveAtEnd(at), true);
    }
    this.actions.revealSoon(id, seek);
  }

  // ---- drawing ----------------------------------------------------------------------------------

  /** The instant on the bar (the user's choice while it is on its way), as a number: live is the span's end. */
  private current(): number {
    const view = this.view;
    if (view === null) {
      return 0;
    }
    const at = barInstant(view, this.local, performance.now(), this.dragging);
    return at === null ? view.endAt : clampInstant(at, view);
  }

  private width(): number {
    return Math.max(0, this.track.clientWidth - 2 * PAD);
  }

  private instantAt(clientX: number): number {
    const box = this.track.getBoundingClientRect();
    return this.view ? instantAtX(clientX - box.left - PAD, this.view, this.width()) : 0;
  }

  private draw(): void {
    const view = this.view;
    if (view === null) {
      return;
    }
    const width = this.width();
    const shown = barInstant(view, this.local, performance.now(), this.dragging);
    const at = shown === null ? view.endAt : clampInstant(shown, view);
    const following = view.source === 'live' && shown === null;

    this.title.textContent = view.title;
    this.title.title = view.source === 'live' ? 'The live graph’s recent past (kept in memory)' : 'Recording';
    this.instant.textContent = following ? 'live' : `${offsetText(view, at)} · ${formatTime(at)}`;
    this.startLabel.textContent = `${view.source === 'live' ? offsetText(view, view.startAt) : '+0.0 s'} · ${formatTime(view.startAt)}`;
    this.endLabel.textContent = `${view.source === 'live' ? 'now' : offsetText(view, view.endAt)} · ${formatTime(view.endAt)}`;

    const track = this.track;
    track.setAttribute('aria-valuemax', String(spanLength(view)));
    track.setAttribute('aria-valuenow', String(at - view.startAt));
    track.setAttribute('aria-valuetext', instantInWords(view, following ? null : at));
    track.classList.toggle('following', following);
    track.classList.toggle('dragging', this.dragging);
    this.svg.setAttribute('width', String(width + 2 * PAD));
    this.axis.setAttribute('x2', String(PAD + width));
    this.handle.setAttribute('transform', `translate(${PAD + xOfInstant(at, view, width)},0)`);

    if (this.mark !== null && this.mark >= view.startAt && this.mark <= view.endAt) {
      const x = PAD + xOfInstant(this.mark, view, width);
      this.markFlag.setAttribute('d', `M${x},2V${TRACK_HEIGHT - 2}M${x},2h7l-2,3l2,3h-7`);
      this.markFlag.removeAttribute('visibility');
    } else {
      this.markFlag.setAttribute('visibility', 'hidden');
    }
    this.drawMarkers(view, width);

    const playing = view.speed > 0;
    this.play.textContent = playing ? '❚❚ Pause' : '▶ Play';
    this.play.setAttribute('aria-pressed', String(playing));
    SPEEDS.forEach((speed, i) => this.speedButtons[i].setAttribute('aria-pressed', String(view.speed === speed)));
    this.prev.disabled = previousMarker(view.markers, at) === undefined;
    this.next.disabled = nextMarker(view.markers, at) === undefined;
    this.live.hidden = view.source !== 'live';
    this.live.disabled = following;
    this.compareButton.disabled = this.mark === null;
    this.compareButton.title = this.mark === null
      ? 'Set a mark first (Mark, M, or Shift+click the bar)'
      : `What changed between ${offsetText(view, compareRange(this.mark, at).from)} and ${offsetText(view, compareRange(this.mark, at).to)}`;
  }

  /** Markers are redrawn only when they or the track changed (a timeline arrives with every seek). */
  private drawMarkers(view: TimelineView, width: number): void {
    const last = view.markers.at(-1);
    const signature = `${view.startAt}|${view.endAt}|${width}|${view.markers.length}|${last?.at}|${last?.text}`;
    if (signature === this.drawnMarkers) {
      return;
    }
    this.drawnMarkers = signature;
    this.markers.replaceChildren();
    for (const mark of markerMarks(view.markers, view, width)) {
      const shape = svgEl('path', `timeline-marker kind-${mark.kind}`);
      shape.setAttribute('d', markerPath(mark.kind, PAD + mark.x, TRACK_HEIGHT / 2 + mark.lane * MARKER_LANE_PX));
      shape.setAttribute('data-at', String(mark.first.at));
      shape.setAttribute('data-kind', mark.kind);
      const title = svgEl('title', '');
      title.textContent = `${MARKER_KIND_LABELS[mark.kind]}${mark.count > 1 ? ` × ${mark.count}` : ''}\n${mark.title}`;
      shape.appendChild(title);
      // The marker's own press must not start a drag of the handle.
      shape.addEventListener('pointerdown', (event) => event.stopPropagation());
      shape.addEventListener('click', (event) => {
        event.stopPropagation();
        this.track.focus();
        if (event.shiftKey) {
          this.setMark(mark.first.at);
        } else {
          this.goToMarker(mark.first);
        }
      });
      this.markers.appendChild(shape);
    }
  }
}
