/**
 * Where the process groups are: one body per visible group (its sockets stack inside it). In the
 * force layout a d3 simulation moves them, seeded from saved positions, a neighbour or the built-in
 * layering; it is stepped by hand within a time budget per animation frame and stops once it
 * settles; only `LayoutLoop` asks for animation frames, and only once it is started. In the layered
 * layout the built-in layering places them at once, then ELK's answer (elkLayout.ts, run off the
 * main thread) moves them and routes the edges. The geometry is in geometry.ts.
 */
import { forceCollide, forceLink, forceManyBody, forceSimulation, forceX, forceY, type Simulation } from 'd3-force';
import type { EdgeView } from '../src/shared/snapshot';
import type { GroupView, VisibleGraph } from './graphModel';
import type { SocketSlot } from './graphState';
import { groupHeight, type Point } from './layout';
import type { LayoutMode } from './viewState';
import { ELK_MAX_EDGES, labelSize, type LayeredResult } from './elkLayout';
import { groupLinks, layeredCenters, GROUP_WIDTH, LARGE_GRAPH_SOCKETS, type EdgeRoute, type GroupBody, type GroupLink } from './geometry';

/** Simulation time per animation frame; the rest of the frame is for drawing and input. */
const LAYOUT_BUDGET_MS = 10;
/** ELK answers kept (invariant 3: bounded). */
const LAYERED_CACHE_SIZE = 4;
/** While a big graph's layout settles, it is drawn at most this often. */
const LAYOUT_DRAW_INTERVAL_MS = 250;

/** What the groups are placed from when they change. */
export interface PlacementInput {
  visible: VisibleGraph;
  slots: ReadonlyMap<string, SocketSlot>;
  layout: LayoutMode;
  saved: Readonly<Record<string, [number, number]>>;
}

/**
 * The bodies and the d3 simulation that moves them. `place` keeps one body per visible group and
 * says whether the force layout must run; the drag methods pin a body while it is dragged.
 */
export class GroupSimulation {
  readonly bodies = new Map<string, GroupBody>();
  /** The layered layout's edge routes (empty in the force layout, and until ELK answered). */
  readonly routes = new Map<string, EdgeRoute>();
  /**
   * ELK's last few answers by structure: a filter typed and cleared, or a reveal dropping it, comes
   * back to a structure laid out before, which is then placed at once, exactly as it was.
   */
  private readonly layeredCache = new Map<string, LayeredResult>();
  /** The user switched layout: lay everything out afresh rather than only the newcomers. */
  relayoutRequested = false;
  private structureKey = '';
  private readonly simulation: Simulation<GroupBody, GroupLink>;

  constructor(private readonly random: () => number = Math.random) {
    this.simulation = forceSimulation<GroupBody>([])
      .force('charge', forceManyBody<GroupBody>().strength(-900).distanceMax(1500))
      .force('link', forceLink<GroupBody, GroupLink>([]).id((d) => d.id).distance(300).strength(0.25))
      .force('collide', forceCollide<GroupBody>((d) => Math.hypot(GROUP_WIDTH, d.height) / 2 + 24).strength(0.9))
      .force('x', forceX<GroupBody>(0).strength(0.03))
      .force('y', forceY<GroupBody>(0).strength(0.05))
      .stop();
  }

  /** Forget the structure, so the next `place` lays out afresh (a layout switch). */
  relayout(): void {
    this.structureKey = '';
    this.relayoutRequested = true;
  }

  /** What the current positions were made for; a layered layout answered for another structure is stale. */
  get structure(): string {
    return this.structureKey;
  }

  /**
   * One body per visible group; the simulation restarts only when the structure changed.
   * Returns 'unchanged', 'run' (the force layout must run), 'placed' (positions are final), 'elk'
   * (placed by the built-in layering for now: ask ELK, then `applyLayered`) or 'layered' (placed as
   * ELK laid this structure out before).
   */
  place({ visible, slots, layout, saved }: PlacementInput): 'unchanged' | 'run' | 'placed' | 'elk' | 'layered' {
    const links = groupLinks(visible.edges, slots);
    const byElk = layout === 'layered' && visible.edges.length <= ELK_MAX_EDGES;
    // ELK's layout also depends on which socket each edge joins and on its label's room.
    const layered = byElk ? visible.edges.map((e) => {
      const room = labelSize(e);
      return `${e.from}>${e.to}:${room.width}x${room.height}`;
    }).join('|') : '';
    const key = `${visible.groups.map((g) => `${g.id}:${g.socketIds.length}`).join('|')}#${[...links.keys()].join('|')}#${layout}#${layered}`;
    if (key === this.structureKey) {
      return 'unchanged';
    }
    this.structureKey = key;
    // While ELK's last layout is on screen, a change keeps everyone in place until ELK answers again;
    // a graph too big for ELK is laid out by the built-in layering as a whole.
    const keepPlaces = byElk && this.routes.size > 0;
    if (!byElk) {
      this.routes.clear();
    }

    const seeds = layeredCenters(visible);
    const present = new Set(visible.groups.map((g) => g.id));
    for (const id of this.bodies.keys()) {
      if (!present.has(id)) {
        this.bodies.delete(id);
      }
    }
    let newcomers = 0;
    const placed = new Set(this.bodies.keys());
    for (const group of visible.groups) {
      let body = this.bodies.get(group.id);
      if (!body) {
        const seed = this.seedPosition(group, visible.edges, slots, seeds, placed, saved);
        body = { id: group.id, x: seed.x, y: seed.y, height: 0 };
        this.bodies.set(group.id, body);
        if (!saved[group.id]) {
          newcomers++;
        }
      }
      body.height = groupHeight(group.socketIds.length);
      if (layout === 'layered' && !(keepPlaces && placed.has(group.id))) {
        const center = seeds.get(group.id);
        if (center) {
          body.x = center.x;
          body.y = center.y;
        }
      }
    }

    // Fewer ticks for big graphs: they start from the layered seed, which is already untangled.
    const simulation = this.simulation;
    simulation.alphaDecay(this.bodies.size > LARGE_GRAPH_SOCKETS ? 0.045 : 0.0228);
    simulation.nodes([...this.bodies.values()]);
    simulation.force<ReturnType<typeof forceLink<GroupBody, GroupLink>>>('link')?.links([...links.values()]);
    simulation.force<ReturnType<typeof forceCollide<GroupBody>>>('collide')?.initialize([...this.bodies.values()], Math.random);
    if (layout === 'force' && (newcomers > 0 || this.relayoutRequested)) {
      simulation.alpha(Math.max(simulation.alpha(), newcomers === this.bodies.size || this.relayoutRequested ? 1 : 0.3));
      this.relayoutRequested = false;
      return 'run';
    }
    simulation.alpha(0);
    const known = layout === 'layered' ? this.layeredCache.get(key) : undefined;
    if (known) {
      this.applyLayered(known, slots, visible);
      return 'layered';
    }
    return byElk ? 'elk' : 'placed';
  }

  /** ELK's layered layout (for the structure it was asked for): bodies to their places, edges routed. */
  applyLayered(result: LayeredResult, slots: ReadonlyMap<string, SocketSlot>, visible: VisibleGraph): void {
    this.layeredCache.delete(this.structureKey);
    this.layeredCache.set(this.structureKey, result);
    for (const old of [...this.layeredCache.keys()].slice(0, Math.max(0, this.layeredCache.size - LAYERED_CACHE_SIZE))) {
      this.layeredCache.delete(old);
    }
    for (const [id, center] of result.centers) {
      const body = this.bodies.get(id);
      if (body) {
        body.x = center.x;
        body.y = center.y;
      }
    }
    this.routes.clear();
    for (const edge of visible.edges) {
      const route = result.routes.get(edge.id);
      const fromGroup = slots.get(edge.from)?.groupId;
      const toGroup = slots.get(edge.to)?.groupId;
      const from = fromGroup === undefined ? undefined : this.bodies.get(fromGroup);
      const to = toGroup === undefined ? undefined : this.bodies.get(toGroup);
      if (route && from && to && fromGroup !== undefined && toGroup !== undefined) {
        this.routes.set(edge.id, { ...route, fromGroup, fromAt: { x: from.x, y: from.y }, toGroup, toAt: { x: to.x, y: to.y } });
      }
    }
  }

  private seedPosition(group: GroupView, edges: readonly EdgeView[], slots: ReadonlyMap<string, SocketSlot>, layered: Map<string, Point>, placed: ReadonlySet<string>, saved: Readonly<Record<string, [number, number]>>): Point {
    const position = saved[group.id];
    if (position) {
      return { x: position[0], y: position[1] };
    }
    // Next to an already placed process it talks to, else where the layered layout would put it.
    for (const edge of edges) {
      const peerSocket = slots.get(edge.from)?.groupId === group.id ? edge.to : slots.get(edge.to)?.groupId === group.id ? edge.from : undefined;
      const peerGroup = peerSocket ? slots.get(peerSocket)?.groupId ?? '' : '';
      const peer = placed.has(peerGroup) ? this.bodies.get(peerGroup) : undefined;
      if (peer) {
        return { x: peer.x + (this.random() - 0.5) * 200, y: peer.y + (this.random() - 0.5) * 200 };
      }
    }
    return layered.get(group.id) ?? { x: 0, y: 0 };
  }

  /** Ticks until settled or `budgetMs` is spent; returns whether it still moves. */
  step(budgetMs: number): boolean {
    const simulation = this.simulation;
    const start = performance.now();
    while (simulation.alpha() >= simulation.alphaMin() && performance.now() - start < budgetMs) {
      simulation.tick();
    }
    return this.running();
  }

  running(): boolean {
    return this.simulation.alpha() >= this.simulation.alphaMin();
  }

  /** A group is being dragged (force layout: the simulation keeps warm while it is). */
  dragging(): boolean {
    return this.simulation.alphaTarget() !== 0;
  }

  stop(): void {
    this.simulation.alpha(0);
  }

  /** Pins a body where it is; returns true when the simulation was warmed up (the layout must run). */
  dragStart(id: string, active: number, layout: LayoutMode): boolean {
    const body = this.bodies.get(id);
    if (!body || layout !== 'force') {
      return false;
    }
    body.fx = body.x;
    body.fy = body.y;
    if (!active) {
      this.simulation.alphaTarget(0.1);
      return true;
    }
    return false;
  }

  /** Moves a dragged body; returns true when the caller must redraw (no simulation moves it). */
  dragBy(id: string, dx: number, dy: number, layout: LayoutMode): boolean {
    const body = this.bodies.get(id);
    if (!body) {
      return false;
    }
    if (layout === 'force') {
      body.fx = (body.fx ?? body.x) + dx;
      body.fy = (body.fy ?? body.y) + dy;
      return false;
    }
    body.x += dx;
    body.y += dy;
    return true;
  }

  dragEnd(id: string, active: number, layout: LayoutMode): void {
    const body = this.bodies.get(id);
    if (body && layout === 'force') {
      if (!active) {
        this.simulation.alphaTarget(0);
      }
      body.fx = null;
      body.fy = null;
    }
  }
}

export interface LayoutLoopHooks {
  /** Draw the bodies where they are now. */
  draw(): void;
  /** The layout stopped moving. */
  settled(): void;
  /** For tests and the benchmark: whether the layout still moves the processes. */
  state(state: 'running' | 'settled'): void;
  /** Whether the graph is large (drawn a few times a second while it settles). */
  large(): boolean;
}

/** Advances the simulation one budget per animation frame until it settles. */
export class LayoutLoop {
  private frame = 0;
  private lastDraw = 0;

  constructor(private readonly simulation: GroupSimulation, private readonly hooks: LayoutLoopHooks) {}

  /** Advance the layout on the next animation frame (and the ones after, until it settles). */
  run(): void {
    this.hooks.state('running');
    if (this.frame === 0) {
      this.frame = requestAnimationFrame(() => this.step());
    }
  }

  stop(): void {
    this.simulation.stop();
    this.hooks.state('settled');
  }

  private step(): void {
    this.frame = 0;
    const start = performance.now();
    const running = this.simulation.step(LAYOUT_BUDGET_MS);
    // A big graph is drawn a few times a second while it settles, not every frame: each draw rewrites
    // thousands of paths, which made settling take seconds; a dragged group still follows every frame.
    const throttled = running && this.hooks.large() && !this.simulation.dragging() && start - this.lastDraw < LAYOUT_DRAW_INTERVAL_MS;
    if (!throttled) {
      this.lastDraw = start;
      this.hooks.draw();
    }
    if (running) {
      this.run();
      return;
    }
    this.hooks.state('settled');
    this.hooks.settled();
  }
}
