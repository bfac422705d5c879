/**
 * Pan and zoom (d3-zoom on the <svg>, which takes the input in both renderers) and the level of
 * detail: labels disappear when zoomed out, and on big graphs while a pan/zoom is in motion.
 */
import type { Selection } from 'd3-selection';
import { zoom, zoomIdentity, zoomTransform, type ZoomBehavior, type ZoomTransform } from 'd3-zoom';
import type { GraphState } from './graphState';
import type { Point } from './layout';
import { fitTransform, LARGE_GRAPH_SOCKETS, type Bodies } from './geometry';
import type { ZoomState } from './viewState';

/** Below this zoom, edge labels are hidden (they are unreadable and cost the most to draw). */
export const EDGE_LABEL_MIN_ZOOM = 0.75;
/** Below this zoom, all labels are hidden: boxes and coloured edges remain. */
export const LABEL_MIN_ZOOM = 0.4;
/** How long the view must be still before hidden labels come back. */
const MOTION_SETTLE_MS = 250;

export interface ZoomHooks {
  /** Whether a press starts a drag of a process box rather than a pan (canvas mode). */
  grabsBox(event: MouseEvent): boolean;
  /** The view moved, or motion stopped: the canvas redraws. */
  moved(): void;
  /** Save the view state. */
  save(): void;
}

export class ZoomView {
  private readonly behavior: ZoomBehavior<SVGSVGElement, unknown>;
  private movingTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly svg: Selection<SVGSVGElement, unknown, null, undefined>,
    viewport: Selection<SVGGElement, unknown, null, undefined>,
    private readonly state: GraphState,
    private readonly hooks: ZoomHooks,
  ) {
    this.behavior = zoom<SVGSVGElement, unknown>()
      .scaleExtent([0.03, 4])
      // d3's default filter, and in canvas mode a press on a process box drags the box, not the view.
      .filter((event: MouseEvent) => (!event.ctrlKey || event.type === 'wheel') && !event.button && !(state.canvasMode && event.type === 'mousedown' && hooks.grabsBox(event)))
      .on('zoom', (event: { transform: ZoomTransform; sourceEvent: Event | null }) => {
        this.markMoving();
        viewport.attr('transform', event.transform.toString());
        this.applyLevelOfDetail(event.transform.k);
        hooks.moved();
        if (event.sourceEvent) {
          state.userMovedView = true;
        }
      })
      .on('end', () => {
        const t = this.current();
        state.view.transform = { x: t.x, y: t.y, k: t.k };
        hooks.save();
      });
    svg.call(this.behavior).on('dblclick.zoom', null);
  }

  private get element(): SVGSVGElement {
    return this.svg.node() as SVGSVGElement;
  }

  current(): ZoomTransform {
    return zoomTransform(this.element);
  }

  /** No pan/zoom of a big graph in motion (its text is hidden while one is). */
  still(): boolean {
    return this.movingTimer === undefined;
  }

  set(t: ZoomState): void {
    this.svg.call(this.behavior.transform, zoomIdentity.translate(t.x, t.y).scale(t.k));
  }

  /** Shows every group (and the `extra` points: edge routes and labels). */
  fit(bodies: Bodies, extra: Iterable<Point> = []): void {
    const t = fitTransform(bodies, this.element.clientWidth || 800, this.element.clientHeight || 600, extra);
    if (t === null) {
      return;
    }
    this.set(t);
    this.state.view.transform = t;
    this.hooks.save();
  }

  centerOn(point: Point): void {
    const k = Math.max(this.current().k, 0.9);
    this.set({ x: this.element.clientWidth / 2 + k * -point.x, y: this.element.clientHeight / 2 + k * -point.y, k });
    this.state.userMovedView = true;
  }

  applyLevelOfDetail(k: number): void {
    this.svg.classed('lod-no-edge-labels', k < EDGE_LABEL_MIN_ZOOM).classed('lod-no-labels', k < LABEL_MIN_ZOOM);
  }

  /**
   * Big graphs drop their text while the view moves: Chromium lays SVG text out again at every scale
   * change, which is what makes zooming a 500-socket graph slow. Text returns once motion pauses.
   */
  private markMoving(): void {
    if (this.state.visible.sockets.length < LARGE_GRAPH_SOCKETS) {
      return;
    }
    if (this.movingTimer === undefined) {
      this.element.classList.add('lod-moving');
    } else {
      clearTimeout(this.movingTimer);
    }
    this.movingTimer = setTimeout(() => {
      this.movingTimer = undefined;
      this.element.classList.remove('lod-moving');
      this.hooks.moved();
    }, MOTION_SETTLE_MS);
  }
}
