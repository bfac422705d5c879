/**
 * The large-graph renderer: the same picture as the SVG (boxes, state-styled edges with arrowheads,
 * labels, disconnect badges) drawn on one <canvas>. From a few hundred sockets on, SVG costs Blink
 * style, layout and paint on ~30 elements per socket at every diff and every pan/zoom step; here a
 * frame is a handful of batched strokes plus text for what is on screen. Hit testing (click,
 * tooltip, drag) is done here too, on the same geometry. Colours come from the page's CSS variables,
 * so themes apply as in the SVG.
 */
import { EDGE_STATES, type EdgeState } from '../src/shared/snapshot';
import { BADGE_GAP, BADGE_HEIGHT } from './elkLayout';
import { SOCKET_HEIGHT, SOCKET_WIDTH, type Point } from './layout';

/**
 * An edge's line: a quadratic curve start → end bent by `control` (force layout), or, with `via`, the
 * polyline start → via… → end (a layered route); `control` is then the point before `end`, so the
 * arrowhead points along the last segment either way.
 */
export interface Curve {
  start: Point;
  control: Point;
  end: Point;
  via?: readonly Point[];
}

export interface CanvasGroup {
  id: string;
  /** Top-left corner and size, graph coordinates. */
  x: number;
  y: number;
  width: number;
  height: number;
  title: string;
  exited: boolean;
  stale: boolean;
  unknown: boolean;
  selected: boolean;
}

export interface CanvasSocket {
  id: string;
  /** Center, graph coordinates (boxes are SOCKET_WIDTH × SOCKET_HEIGHT). */
  x: number;
  y: number;
  typeText: string;
  nameText: string;
  /** A bound socket's endpoint(s), right-aligned on the first line; '' for none. */
  endpointText: string;
  unknown: boolean;
  closed: boolean;
  /** An endpoint call of the app's failed (error outline). */
  failed: boolean;
  binder: boolean;
  matched: boolean;
  selected: boolean;
}

export interface CanvasEdge {
  id: string;
  state: EdgeState;
  curve: Curve;
  exited: boolean;
  retryStorm: boolean;
  /** Nothing passes (the ROUTER never reads it, EdgeView.routingIdClash; or the types cannot talk): drawn faded. */
  refused: boolean;
  selected: boolean;
  related: boolean;
  /** "⊘ WORKER_GONE", or null when the edge shows no badge. */
  badge: string | null;
  /** Where its label is anchored (geometry.ts labelAnchor). */
  label: Point;
  /** Extra line width for its traffic (itemText.ts trafficWidth). */
  traffic: number;
}

export interface CanvasScene {
  groups: readonly CanvasGroup[];
  sockets: readonly CanvasSocket[];
  edges: readonly CanvasEdge[];
}

export interface ViewTransform {
  x: number;
  y: number;
  k: number;
}

export interface DrawOptions {
  /** Socket and group texts. */
  labels: boolean;
  /** Edge age labels and badges. */
  edgeLabels: boolean;
  /** The age label of an edge, asked only for labels on screen. */
  ageText(edgeId: string): string;
}

export type Hit = { kind: 'edge' | 'socket' | 'group'; id: string };

/** The middle of a line: the quadratic's point at t = 0.5, or half way along a route. */
export function curveMid(curve: Curve): Point {
  const { start, control, end, via } = curve;
  if (via) {
    const points = [start, ...via, end];
    const lengths = points.slice(1).map((p, i) => Math.hypot(p.x - points[i].x, p.y - points[i].y));
    let rest = lengths.reduce((sum, l) => sum + l, 0) / 2;
    for (let i = 0; i < lengths.length; i++) {
      if (rest <= lengths[i] && lengths[i] > 0) {
        const t = rest / lengths[i];
        return { x: points[i].x + t * (points[i + 1].x - points[i].x), y: points[i].y + t * (points[i + 1].y - points[i].y) };
      }
      rest -= lengths[i];
    }
    return end;
  }
  return { x: 0.25 * start.x + 0.5 * control.x + 0.25 * end.x, y: 0.25 * start.y + 0.5 * control.y + 0.25 * end.y };
}

const CURVE_STEPS = 12;

/** Distance from a point to a line (a quadratic is sampled: exact enough for a pointer). */
export function distanceToCurve(p: Point, curve: Curve): number {
  const { start, control, end, via } = curve;
  let best = Infinity;
  if (via) {
    const points = [start, ...via, end];
    for (let i = 1; i < points.length; i++) {
      best = Math.min(best, distanceToSegment(p, points[i - 1], points[i]));
    }
    return best;
  }
  let prev = start;
  for (let i = 1; i <= CURVE_STEPS; i++) {
    const t = i / CURVE_STEPS;
    const u = 1 - t;
    const next = { x: u * u * start.x + 2 * u * t * control.x + t * t * end.x, y: u * u * start.y + 2 * u * t * control.y + t * t * end.y };
    best = Math.min(best, distanceToSegment(p, prev, next));
    prev = next;
  }
  return best;
}

function distanceToSegment(p: Point, a: Point, b: Point): number {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const length2 = dx * dx + dy * dy;
  const t = length2 === 0 ? 0 : Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / length2));
  return Math.hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy));
}

/**
 * What is under graph point `p`, in the SVG's stacking order: edges and their labels (drawn on
 * top), then sockets, then process boxes. `tolerance` is in graph units (a few screen pixels).
 */
export function hitTest(scene: CanvasScene, p: Point, tolerance: number, edgeLabels: boolean): Hit | null {
  let edgeHit: { id: string; distance: number } | null = null;
  for (const edge of scene.edges) {
    // Cheap reject: the line lies inside the box of its points.
    const box = curveBounds(edge.curve);
    if (p.x < box.x0 - tolerance || p.x > box.x1 + tolerance || p.y < box.y0 - tolerance || p.y > box.y1 + tolerance) {
      if (!edgeLabels) {
        continue;
      }
    }
    if (edgeLabels) {
      const mid = edge.label;
      if (Math.abs(p.x - mid.x) <= 60 && p.y >= mid.y - 16 && p.y <= mid.y + (edge.badge ? 24 : 2)) {
        return { kind: 'edge', id: edge.id };
      }
    }
    const distance = distanceToCurve(p, edge.curve);
    if (distance <= tolerance && (edgeHit === null || distance < edgeHit.distance)) {
      edgeHit = { id: edge.id, distance };
    }
  }
  if (edgeHit) {
    return { kind: 'edge', id: edgeHit.id };
  }
  for (const socket of scene.sockets) {
    if (Math.abs(p.x - socket.x) <= SOCKET_WIDTH / 2 && Math.abs(p.y - socket.y) <= SOCKET_HEIGHT / 2) {
      return { kind: 'socket', id: socket.id };
    }
  }
  for (const group of scene.groups) {
    if (p.x >= group.x && p.x <= group.x + group.width && p.y >= group.y && p.y <= group.y + group.height) {
      return { kind: 'group', id: group.id };
    }
  }
  return null;
}

/** The box a line lies in (a quadratic lies in the box of its three points). */
export function curveBounds({ start, control, end, via }: Curve): { x0: number; y0: number; x1: number; y1: number } {
  const box = { x0: Math.min(start.x, control.x, end.x), y0: Math.min(start.y, control.y, end.y), x1: Math.max(start.x, control.x, end.x), y1: Math.max(start.y, control.y, end.y) };
  for (const p of via ?? []) {
    box.x0 = Math.min(box.x0, p.x);
    box.y0 = Math.min(box.y0, p.y);
    box.x1 = Math.max(box.x1, p.x);
    box.y1 = Math.max(box.y1, p.y);
  }
  return box;
}

interface Palette {
  states: Record<EdgeState, string>;
  fg: string;
  bg: string;
  muted: string;
  border: string;
  box: string;
  socket: string;
  focus: string;
  dead: string;
  error: string;
  late: string;
  edgeWidth: number;
  font: string;
  highContrast: boolean;
}

const STATE_VARS: Record<EdgeState, string> = {
  connected: '--graph-ok', quiet: '--graph-quiet', late: '--graph-late', dead: '--graph-dead', retrying: '--graph-retrying', connecting: '--graph-connecting', disconnected: '--graph-disconnected',
};

/** Dash patterns and extra widths per state, as style.css gives them to the SVG edges. */
const STATE_DASH: Record<EdgeState, number[]> = {
  connected: [], quiet: [6, 6], late: [10, 4], dead: [3, 3], retrying: [12, 3, 2, 3], connecting: [2, 4], disconnected: [1, 5],
};

/** Shortest dash period drawn, in screen pixels. */
const MIN_DASH_PERIOD_PX = 8;

/**
 * A state's dash pattern, stretched when zoomed out so one period covers at least a few pixels:
 * sub-pixel dashes are invisible, and Skia cuts every one of them out of the curve (a zoomed-out
 * late edge was ~800 dashes, which made edges 9 in 10 of a frame's raster time).
 */
export function screenDash(pattern: readonly number[], k: number): number[] {
  const period = pattern.reduce((sum, n) => sum + n, 0);
  if (period === 0) {
    return [];
  }
  const stretch = Math.max(1, MIN_DASH_PERIOD_PX / (period * k));
  return pattern.map((n) => n * stretch);
}

/** Reads the theme (CSS variables on <body>, which high-contrast themes override). */
export function readPalette(): Palette {
  const style = getComputedStyle(document.body);
  const value = (name: string, fallback: string): string => style.getPropertyValue(name).trim() || fallback;
  const states = {} as Record<EdgeState, string>;
  for (const state of EDGE_STATES) {
    states[state] = value(STATE_VARS[state], '#888888');
  }
  return {
    states,
    fg: value('--graph-fg', '#333333'),
    bg: value('--graph-bg', '#ffffff'),
    muted: value('--graph-muted', '#717171'),
    border: value('--graph-border', '#80808059'),
    box: value('--graph-box', '#f3f3f3'),
    socket: value('--graph-socket', '#ffffff'),
    focus: value('--graph-focus', '#0090f1'),
    dead: value('--graph-dead', '#e51400'),
    error: value('--graph-error', '#f14c4c'),
    late: value('--graph-late', '#bf8803'),
    edgeWidth: parseFloat(value('--graph-edge-width', '1.6')) || 1.6,
    font: style.fontFamily || 'sans-serif',
    highContrast: document.body.classList.contains('vscode-high-contrast'),
  };
}

export class CanvasRenderer {
  private palette: Palette = readPalette();
  private readonly badgeWidths = new Map<string, number>();

  constructor(private readonly canvas: HTMLCanvasElement) {}

  refreshPalette(): void {
    this.palette = readPalette();
    this.badgeWidths.clear();
  }

  draw(scene: CanvasScene, t: ViewTransform, options: DrawOptions): void {
    const canvas = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(height * dpr)) {
      canvas.width = Math.round(width * dpr);
      canvas.height = Math.round(height * dpr);
    }
    const ctx = canvas.getContext('2d');
    if (!ctx) {
      return;
    }
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.setTransform(dpr * t.k, 0, 0, dpr * t.k, dpr * t.x, dpr * t.y);
    // What is on screen, in graph coordinates (plus a margin for labels straddling the border).
    const margin = 120;
    const view = { x0: -t.x / t.k - margin, y0: -t.y / t.k - margin, x1: (width - t.x) / t.k + margin, y1: (height - t.y) / t.k + margin };
    const p = this.palette;

    // Process boxes, then sockets, then edges on top (the SVG's order).
    // Boxes are batched by look too (one fill and one stroke per look): each canvas call is rasterised
    // on its own, and a thousand small ones cost more than the pixels. Corners are square when too
    // small to see.
    const round = t.k >= 0.5;
    const groups = scene.groups.filter((g) => g.x + g.width >= view.x0 && g.x <= view.x1 && g.y + g.height >= view.y0 && g.y <= view.y1);
    const groupBoxes = new Batches<CanvasGroup>();
    for (const g of groups) {
      groupBoxes.add(`${g.exited}|${g.stale}|${g.unknown}|${g.selected}`, g);
    }
    for (const batch of groupBoxes.values()) {
      const g = batch[0];
      ctx.globalAlpha = g.exited ? 0.5 : 1;
      ctx.beginPath();
      for (const box of batch) {
        boxPath(ctx, box.x, box.y, box.width, box.height, round ? 6 : 0);
      }
      if (!g.unknown) {
        ctx.fillStyle = p.box;
        ctx.fill();
      }
      ctx.setLineDash(g.unknown ? [5, 4] : g.stale ? [6, 3] : g.exited ? [2, 3] : []);
      ctx.strokeStyle = g.selected ? p.focus : g.unknown ? p.fg : g.stale ? p.late : p.border;
      ctx.lineWidth = g.selected ? 2.5 : 1;
      ctx.stroke();
    }
    const sockets = scene.sockets.filter((s) => s.x + SOCKET_WIDTH / 2 >= view.x0 && s.x - SOCKET_WIDTH / 2 <= view.x1 && s.y + SOCKET_HEIGHT / 2 >= view.y0 && s.y - SOCKET_HEIGHT / 2 <= view.y1);
    const socketBoxes = new Batches<CanvasSocket>();
    for (const s of sockets) {
      socketBoxes.add(`${s.closed}|${s.unknown}|${s.failed}|${s.binder}|${s.matched}|${s.selected}`, s);
    }
    for (const batch of socketBoxes.values()) {
      const s = batch[0];
      const alpha = s.closed ? 0.6 : 1;
      ctx.beginPath();
      for (const box of batch) {
        boxPath(ctx, box.x - SOCKET_WIDTH / 2, box.y - SOCKET_HEIGHT / 2, SOCKET_WIDTH, SOCKET_HEIGHT, round ? 4 : 0);
      }
      ctx.globalAlpha = alpha;
      if (!s.unknown) {
        ctx.fillStyle = p.socket;
        ctx.fill();
      }
      ctx.setLineDash(s.unknown ? [4, 3] : []);
      const emphasis = s.selected || s.matched;
      ctx.strokeStyle = emphasis ? p.focus : s.failed ? p.error : p.fg;
      ctx.globalAlpha = alpha * (emphasis || s.unknown || s.failed ? 1 : s.binder ? 0.9 : 0.6);
      ctx.lineWidth = s.selected ? 3 : s.matched || s.failed ? 2 : s.binder ? 1.5 : 1;
      ctx.stroke();
    }
    ctx.globalAlpha = 1;
    if (options.labels) {
      ctx.textBaseline = 'alphabetic';
      ctx.textAlign = 'left';
      for (const g of groups) {
        ctx.globalAlpha = g.exited ? 0.5 : 1;
        ctx.font = `${g.exited ? 'italic ' : ''}600 12px ${p.font}`;
        ctx.fillStyle = p.fg;
        ctx.fillText(g.title, g.x + 8, g.y + 15);
      }
      for (const s of sockets) {
        ctx.globalAlpha = s.closed ? 0.6 : 1;
        const left = s.x - SOCKET_WIDTH / 2 + 8;
        const top = s.y - SOCKET_HEIGHT / 2;
        ctx.font = `700 12px ${p.font}`;
        ctx.fillStyle = p.fg;
        ctx.fillText(s.typeText, left, top + 15);
        ctx.font = `12px ${p.font}`;
        ctx.fillStyle = p.muted;
        ctx.fillText(s.nameText, left, top + 30);
        if (s.endpointText) {
          ctx.textAlign = 'right';
          ctx.fillStyle = p.fg;
          ctx.fillText(s.endpointText, s.x + SOCKET_WIDTH / 2 - 8, top + 15);
          ctx.textAlign = 'left';
        }
      }
      ctx.globalAlpha = 1;
    }

    // Edges, batched by look: one path per (state, width, opacity) instead of one stroke per edge.
    const batches = new Map<string, { state: EdgeState; width: number; alpha: number; curves: Curve[] }>();
    const onScreen: CanvasEdge[] = [];
    for (const edge of scene.edges) {
      const box = curveBounds(edge.curve);
      if (box.x1 < view.x0 || box.x0 > view.x1 || box.y1 < view.y0 || box.y0 > view.y1) {
        continue;
      }
      onScreen.push(edge);
      const width = p.edgeWidth + edge.traffic + (edge.state === 'dead' ? 0.8 : 0) + (edge.selected || edge.related ? 1.6 : edge.retryStorm ? 1.5 : 0);
      const alpha = edge.exited ? 0.5 : edge.refused ? 0.6 : 1;
      const key = `${edge.state}|${width}|${alpha}`;
      let batch = batches.get(key);
      if (!batch) {
        batch = { state: edge.state, width, alpha, curves: [] };
        batches.set(key, batch);
      }
      batch.curves.push(edge.curve);
    }
    // Arrowheads are 7 graph units: below ~2 screen pixels they are noise, and cost as much as the edges.
    const arrows = 7 * t.k >= 2;
    for (const batch of batches.values()) {
      const colour = p.states[batch.state];
      ctx.globalAlpha = batch.alpha;
      ctx.strokeStyle = colour;
      ctx.lineWidth = batch.width;
      ctx.lineCap = batch.state === 'disconnected' ? 'round' : 'butt';
      ctx.setLineDash(screenDash(STATE_DASH[batch.state], t.k));
      ctx.beginPath();
      for (const { start, control, end, via } of batch.curves) {
        ctx.moveTo(start.x, start.y);
        if (via) {
          for (const point of via) {
            ctx.lineTo(point.x, point.y);
          }
          ctx.lineTo(end.x, end.y);
        } else {
          ctx.quadraticCurveTo(control.x, control.y, end.x, end.y);
        }
      }
      ctx.stroke();
      if (arrows) {
        ctx.setLineDash([]);
        ctx.lineWidth = 1.5;
        ctx.fillStyle = colour;
        ctx.beginPath();
        for (const curve of batch.curves) {
          arrowhead(ctx, curve, batch.state === 'disconnected');
        }
        if (batch.state === 'disconnected') {
          ctx.stroke();
        } else {
          ctx.fill();
          ctx.stroke();
        }
      }
    }
    ctx.globalAlpha = 1;
    ctx.setLineDash([]);
    ctx.lineCap = 'butt';

    if (options.edgeLabels) {
      this.drawEdgeLabels(ctx, onScreen, options);
    }
  }

  private drawEdgeLabels(ctx: CanvasRenderingContext2D, edges: readonly CanvasEdge[], options: DrawOptions): void {
    const p = this.palette;
    ctx.textAlign = 'center';
    ctx.lineJoin = 'round';
    for (const edge of edges) {
      const mid = edge.label;
      ctx.font = `${edge.selected ? '700 ' : ''}11px ${p.font}`;
      const text = options.ageText(edge.id);
      // The SVG's halo (paint-order: stroke): a background-coloured outline keeps the text readable over lines.
      ctx.lineWidth = 3;
      ctx.strokeStyle = p.bg;
      ctx.strokeText(text, mid.x, mid.y - 4);
      ctx.fillStyle = p.highContrast ? p.fg : p.states[edge.state];
      ctx.fillText(text, mid.x, mid.y - 4);
      if (edge.badge !== null) {
        ctx.font = `600 11px ${p.font}`;
        let width = this.badgeWidths.get(edge.badge);
        if (width === undefined) {
          width = Math.ceil(ctx.measureText(edge.badge).width) + 12;
          this.badgeWidths.set(edge.badge, width);
        }
        ctx.beginPath();
        boxPath(ctx, mid.x - width / 2, mid.y + BADGE_GAP, width, BADGE_HEIGHT, 3);
        ctx.fillStyle = p.bg;
        ctx.fill();
        ctx.lineWidth = 1.5;
        ctx.strokeStyle = p.dead;
        ctx.stroke();
        ctx.fillStyle = p.fg;
        ctx.fillText(edge.badge, mid.x, mid.y + BADGE_GAP + 13);
      }
    }
    ctx.textAlign = 'left';
  }
}

/** Items grouped by a key saying how they look. */
class Batches<T> extends Map<string, T[]> {
  add(key: string, item: T): void {
    const list = this.get(key);
    if (list) {
      list.push(item);
    } else {
      this.set(key, [item]);
    }
  }
}

function boxPath(ctx: CanvasRenderingContext2D, x: number, y: number, width: number, height: number, r: number): void {
  if (r === 0) {
    ctx.rect(x, y, width, height);
    return;
  }
  ctx.moveTo(x + r, y);
  ctx.arcTo(x + width, y, x + width, y + height, r);
  ctx.arcTo(x + width, y + height, x, y + height, r);
  ctx.arcTo(x, y + height, x, y, r);
  ctx.arcTo(x, y, x + width, y, r);
  ctx.closePath();
}

/** The SVG markers: a 7-unit triangle at the end, along the curve's end tangent; an × for disconnected. */
function arrowhead(ctx: CanvasRenderingContext2D, curve: Curve, cross: boolean): void {
  const { control, end } = curve;
  const angle = Math.atan2(end.y - control.y, end.x - control.x);
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  // Marker space: 10 × 10 box scaled to 7 units, reference point (9, 5) on the line's end.
  const at = (mx: number, my: number): Point => {
    const lx = (mx - 9) * 0.7;
    const ly = (my - 5) * 0.7;
    return { x: end.x + lx * cos - ly * sin, y: end.y + lx * sin + ly * cos };
  };
  if (cross) {
    for (const [a, b] of [[at(1, 1), at(9, 9)], [at(1, 9), at(9, 1)]]) {
      ctx.moveTo(a.x, a.y);
      ctx.lineTo(b.x, b.y);
    }
    return;
  }
  const tip = at(10, 5);
  const top = at(0, 0);
  const bottom = at(0, 10);
  ctx.moveTo(top.x, top.y);
  ctx.lineTo(tip.x, tip.y);
  ctx.lineTo(bottom.x, bottom.y);
  ctx.closePath();
}
