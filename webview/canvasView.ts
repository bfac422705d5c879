/**
 * Canvas mode (large graphs): drawing the scene (canvasScene.ts) once per frame at most, and the
 * input on it. The <svg> above the canvas keeps no items then and only takes the input: pointer
 * positions are hit-tested against the scene for clicks, tooltips and dragging process boxes.
 */
import { drag } from 'd3-drag';
import { pointer, type Selection } from 'd3-selection';
import { CanvasRenderer, hitTest, type CanvasScene, type Hit } from './canvasRenderer';
import { buildScene } from './canvasScene';
import type { GraphState } from './graphState';
import { collectorNow } from './graphState';
import { ageLabel, aggregateLabel } from './itemText';
import type { Bodies, Routes } from './geometry';
import type { DragHandlers } from './svgRenderer';
import type { Highlight } from './highlight';
import { tooltipLines, type Tooltip } from './tooltips';
import { EDGE_LABEL_MIN_ZOOM, LABEL_MIN_ZOOM, type ZoomView } from './zoomView';

export interface CanvasViewParts {
  canvas: HTMLCanvasElement;
  svg: Selection<SVGSVGElement, unknown, null, undefined>;
  viewport: SVGGElement;
  state: GraphState;
  bodies: Bodies;
  /** The layered layout's routes (geometry.ts), shared with the SVG renderer. */
  routes: Routes;
  zoom: () => ZoomView;
  tooltip: Tooltip;
  drag: DragHandlers;
  /** The hover highlight: a process or socket under the pointer lights its neighbourhood. */
  highlight: Highlight;
}

export class CanvasView {
  private readonly renderer: CanvasRenderer;
  private frame = 0;
  private scene: CanvasScene | null = null;
  private hoverId: string | null = null;

  constructor(private readonly parts: CanvasViewParts) {
    this.renderer = new CanvasRenderer(parts.canvas);
  }

  /** Listens on the <svg>: hover and dragging process boxes, in canvas mode only. */
  attach(): void {
    const { svg, viewport, state } = this.parts;
    svg.on('mousemove.canvas', (event: MouseEvent) => this.hover(event)).on('mouseleave.canvas', () => {
      this.hoverId = null;
      this.parts.tooltip.hide();
    });
    svg.call(drag<SVGSVGElement, unknown, { id: string }>()
      .filter((event: MouseEvent) => state.canvasMode && !event.ctrlKey && !event.button)
      .container(() => viewport)
      .subject((event: { sourceEvent: MouseEvent }) => this.dragSubjectAt(event.sourceEvent) as { id: string })
      .on('start', (event: { active: number; subject: { id: string } }) => this.parts.drag.start(event.subject.id, event.active))
      .on('drag', (event: { dx: number; dy: number; subject: { id: string } }) => this.parts.drag.move(event.subject.id, event.dx, event.dy))
      .on('end', (event: { active: number; subject: { id: string } }) => this.parts.drag.end(event.subject.id, event.active)));
  }

  /** Shows the canvas or the SVG; a canvas shown anew reads the theme again. */
  show(canvasMode: boolean): void {
    this.parts.canvas.hidden = !canvasMode;
    if (canvasMode) {
      this.renderer.refreshPalette();
    }
  }

  /** Redraws the canvas on the next frame; `changed` when positions or items changed (not just the view). */
  request(changed = false): void {
    if (changed) {
      this.scene = null;
    }
    if (this.parts.state.canvasMode && this.frame === 0) {
      this.frame = requestAnimationFrame(() => this.draw());
    }
  }

  /** The item under the pointer in canvas mode (edges within a few screen pixels). */
  hitAt(event: MouseEvent): Hit | null {
    const zoom = this.parts.zoom();
    const t = zoom.current();
    const [x, y] = t.invert(pointer(event, this.parts.svg.node()));
    this.scene ??= buildScene(this.parts.state, this.parts.bodies, this.parts.routes, this.parts.highlight.neighbourhood);
    return hitTest(this.scene, { x, y }, 5 / t.k, zoom.still() && t.k >= EDGE_LABEL_MIN_ZOOM);
  }

  /** The process a drag on the canvas moves: the one whose box (or socket) is under the pointer, unless an edge is. */
  dragSubjectAt(event: MouseEvent): { id: string } | null {
    const hit = this.hitAt(event);
    if (hit?.kind === 'group') {
      return { id: hit.id };
    }
    if (hit?.kind === 'socket') {
      const groupId = this.parts.state.slots.get(hit.id)?.groupId;
      return groupId === undefined ? null : { id: groupId };
    }
    return null;
  }

  private draw(): void {
    this.frame = 0;
    const { state } = this.parts;
    if (!state.canvasMode) {
      return;
    }
    this.scene ??= buildScene(state, this.parts.bodies, this.parts.routes, this.parts.highlight.neighbourhood);
    const zoom = this.parts.zoom();
    const t = zoom.current();
    // As the SVG's level of detail: no text while a big graph moves or when it would be unreadable.
    const still = zoom.still();
    const now = collectorNow(state);
    this.renderer.draw(this.scene, { x: t.x, y: t.y, k: t.k }, {
      labels: still && t.k >= LABEL_MIN_ZOOM,
      edgeLabels: still && t.k >= EDGE_LABEL_MIN_ZOOM,
      ageText: (id) => {
        if (state.model.edges.has(id)) {
          return ageLabel(state.model, id, now);
        }
        // A group's aggregate edge (grouping.ts) is in no model, only in what is drawn.
        const at = state.index.edges.get(id);
        return at === undefined ? '' : aggregateLabel(state.visible.edges[at]);
      },
    });
  }

  private hover(event: MouseEvent): void {
    const { state, tooltip } = this.parts;
    if (!state.canvasMode) {
      return;
    }
    const hit = this.hitAt(event);
    this.parts.highlight.show(hit?.kind === 'group' || hit?.kind === 'socket' ? hit.id : null);
    const element = this.parts.svg.node() as SVGSVGElement;
    // CSSOM writes are allowed by the CSP (only style attributes/elements are not).
    element.style.cursor = hit === null ? '' : hit.kind === 'group' ? 'move' : 'pointer';
    if (hit === null) {
      this.hoverId = null;
      tooltip.hide();
      return;
    }
    if (hit.id === this.hoverId) {
      tooltip.move(event);
      return;
    }
    this.hoverId = hit.id;
    const lines = tooltipLines(state, hit.kind, hit.id);
    if (lines) {
      tooltip.show(event, lines);
    }
  }
}
