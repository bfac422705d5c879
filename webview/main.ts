/**
 * The live topology graph. SVG drawn with d3 data joins keyed by id. Process groups are the
 * simulation's bodies (their sockets stack inside them), so a frame moves ~one element per process
 * plus the edges. The simulation is stepped by hand within a time budget per animation frame and
 * drawn once per frame (not once per tick), and stops once it settles. Level of detail: labels
 * disappear when zoomed out, and on big graphs while a pan/zoom is in motion. Ages tick at 5 Hz by
 * rewriting only the label texts that changed.
 */
import { drag } from 'd3-drag';
import { forceCollide, forceLink, forceManyBody, forceSimulation, forceX, forceY, type SimulationLinkDatum, type SimulationNodeDatum } from 'd3-force';
import { pointer, select, type Selection } from 'd3-selection';
import { zoom, zoomIdentity, zoomTransform, type ZoomTransform } from 'd3-zoom';
import { EDGE_STATES, type EdgeState, type EdgeView, type SocketView, type TopologyDiff } from '../src/shared/snapshot';
import { renderDetails, type DetailsTicker } from './details';
import { CanvasRenderer, curveMid, hitTest, type CanvasEdge, type CanvasGroup, type CanvasScene, type CanvasSocket, type Curve, type Hit } from './canvasRenderer';
import { byId, clear, el } from './dom';
import {
  disconnectBadge, disconnectDetail, edgeLabel, nodeLabel, socketNameLabel, socketTitle, socketTypeLabel, STATE_STYLES, stateStyle,
  LABEL_CHARS, safeText, truncate,
} from '../src/shared/format';
import { CollectorClock, edgeAgesAt, GraphModel, isFiltering, kindOf, socketTypesPresent, visibleGraph, type GroupView, type VisibleGraph } from './graphModel';
import { clipToBox, groupHeight, layeredLayout, GROUP_HEADER, GROUP_PADDING, SOCKET_GAP, SOCKET_HEIGHT, SOCKET_WIDTH, type Point } from './layout';
import { isHostMessage, type HostMessage, type WebviewMessage } from '../src/shared/messages';
import { exportSvg } from './svgExport';
import { MAX_SAVED_POSITIONS, parseViewState, type LayoutMode, type ViewState } from './viewState';

interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  getState(): unknown;
  setState(state: ViewState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const AGE_TICK_MS = 200;
/** Below this zoom, edge labels are hidden (they are unreadable and cost the most to draw). */
const EDGE_LABEL_MIN_ZOOM = 0.75;
/** Below this zoom, all labels are hidden: boxes and coloured edges remain. */
const LABEL_MIN_ZOOM = 0.4;
const SVG_NS = 'http://www.w3.org/2000/svg';
/** Simulation time per animation frame; the rest of the frame is for drawing and input. */
const LAYOUT_BUDGET_MS = 10;
/** From this many visible sockets on, the graph is drawn on a canvas: SVG cannot hold 30 fps there. */
const CANVAS_MIN_SOCKETS = 300;
/** `?renderer=svg|canvas` pins the renderer (the benchmark compares both; VS Code never passes it). */
const PINNED_RENDERER = new URLSearchParams(location.search).get('renderer');
/** From this many visible sockets on, labels are hidden while the view is moving. */
const LARGE_GRAPH_SOCKETS = 150;
/** While a big graph's layout settles, it is drawn at most this often. */
const LAYOUT_DRAW_INTERVAL_MS = 250;
/** How long the view must be still before hidden labels come back. */
const MOTION_SETTLE_MS = 250;
const GROUP_WIDTH = SOCKET_WIDTH + 2 * GROUP_PADDING;

interface GroupBody extends SimulationNodeDatum {
  id: string;
  x: number;
  y: number;
  height: number;
}

type GroupLink = SimulationLinkDatum<GroupBody>;

/** Where each visible socket sits relative to its group's center. */
interface SocketSlot {
  groupId: string;
  /** From the group's top edge to the socket box's top edge. */
  top: number;
  /** From the group's center to the socket's center. */
  dy: number;
}

const vscode = acquireVsCodeApi();
const model = new GraphModel();
const clock = new CollectorClock();
const view: ViewState = parseViewState(vscode.getState());
let visible: VisibleGraph = { groups: [], sockets: [], edges: [], matched: new Set() };
let paused = false;
let heldUpdates = 0;
let receivedAnything = false;
let renderQueued = false;
let structureKey = '';
let userMovedView = view.transform !== null;
let detailsTicker: DetailsTicker | null = null;
/** The user switched layout: lay everything out afresh rather than only the newcomers. */
let relayoutRequested = false;
let detailsSubject: unknown = undefined;
const bodies = new Map<string, GroupBody>();
/** Large graphs are drawn on a canvas (see canvasRenderer.ts); the SVG stays for small ones and for export. */
let canvasMode = false;
let svgForExport = false;
const slots = new Map<string, SocketSlot>();

const filterText = byId('filter-text', HTMLInputElement);
const filterType = byId('filter-type', HTMLSelectElement);
const filterState = byId('filter-state', HTMLSelectElement);
const hideDisconnected = byId('hide-disconnected', HTMLInputElement);
const layoutSelect = byId('layout', HTMLSelectElement);
const fitButton = byId('fit', HTMLButtonElement);
const pauseButton = byId('pause', HTMLButtonElement);
const legendButton = byId('legend-toggle', HTMLButtonElement);
const statusText = byId('status', HTMLSpanElement);
const container = byId('graph-container', HTMLDivElement);
const emptyMessage = byId('empty', HTMLDivElement);
const tooltip = byId('tooltip', HTMLDivElement);
const legend = byId('legend', HTMLDivElement);
const detailsPane = byId('details', HTMLElement);
const svgElement = byId('graph', SVGSVGElement);

const svg = select(svgElement);
const canvasElement = document.createElement('canvas');
canvasElement.id = 'graph-canvas';
canvasElement.hidden = true;
svgElement.after(canvasElement);
const canvas = new CanvasRenderer(canvasElement);
const defs = svg.append('defs');
for (const state of EDGE_STATES) {
  // One arrowhead per state: marker colour cannot follow the edge's CSS class otherwise.
  defs.append('marker')
    .attr('id', `arrow-${state}`)
    .attr('class', `arrow ${STATE_STYLES[state].cssClass}`)
    .attr('viewBox', '0 0 10 10').attr('refX', 9).attr('refY', 5)
    .attr('markerWidth', 7).attr('markerHeight', 7).attr('markerUnits', 'userSpaceOnUse').attr('orient', 'auto')
    .append('path').attr('d', state === 'disconnected' ? 'M1,1 L9,9 M1,9 L9,1' : 'M0,0 L10,5 L0,10 z');
}
const viewport = svg.append('g').attr('class', 'viewport');
const groupLayer = viewport.append('g').attr('class', 'groups');
const edgeLayer = viewport.append('g').attr('class', 'edges');
const labelLayer = viewport.append('g').attr('class', 'edge-labels');

type GroupSel = Selection<SVGGElement, GroupView, SVGGElement, unknown>;
type EdgeSel = Selection<SVGGElement, EdgeView, SVGGElement, unknown>;
let groupSel: GroupSel = groupLayer.selectAll<SVGGElement, GroupView>('g.group');
let edgeSel: EdgeSel = edgeLayer.selectAll<SVGGElement, EdgeView>('g.edge');
let labelSel: EdgeSel = labelLayer.selectAll<SVGGElement, EdgeView>('g.edge-label');

/**
 * The drawn elements by item id, refreshed by every full render: a diff that changes no structure
 * patches only its own items' elements through these (a full re-join of ~29k elements at 1,000
 * sockets costs hundreds of ms; a patch of the few hundred items in a 10 Hz diff costs little).
 */
const drawn = {
  groups: new Map<string, SVGGElement>(),
  sockets: new Map<string, SVGGElement>(),
  edges: new Map<string, SVGGElement>(),
  labels: new Map<string, SVGGElement>(),
  /** Index of each id in visible.groups / visible.sockets / visible.edges. */
  groupIndex: new Map<string, number>(),
  socketIndex: new Map<string, number>(),
  edgeIndex: new Map<string, number>(),
};

/** What diffs changed since the last draw; `full` when only a full render can draw it. */
const pending = { full: false, nodes: new Set<string>(), sockets: new Set<string>(), edges: new Set<string>() };

/** Badge widths by badge text: measuring one forces a synchronous layout, so each text is measured once. */
const badgeWidths = new Map<string, number>();

/** Attribute writes invalidate style/layout even when the value is the same: write only changes. */
function setAttr(element: Element, name: string, value: string | null): void {
  if (element.getAttribute(name) !== value) {
    if (value === null) {
      element.removeAttribute(name);
    } else {
      element.setAttribute(name, value);
    }
  }
}

function setText(element: Element | null, text: string): void {
  if (element && element.textContent !== text) {
    element.textContent = text;
  }
}

/** Rebinds an element's d3 datum, so its event handlers (tooltip, click, drag) see the new item. */
function rebind<T>(element: Element, datum: T): void {
  select<Element, T>(element).datum(datum);
}

const simulation = forceSimulation<GroupBody>([])
  .force('charge', forceManyBody<GroupBody>().strength(-900).distanceMax(1500))
  .force('link', forceLink<GroupBody, GroupLink>([]).id((d) => d.id).distance(300).strength(0.25))
  .force('collide', forceCollide<GroupBody>((d) => Math.hypot(GROUP_WIDTH, d.height) / 2 + 24).strength(0.9))
  .force('x', forceX<GroupBody>(0).strength(0.03))
  .force('y', forceY<GroupBody>(0).strength(0.05))
  .stop();
let layoutFrame = 0;
let lastLayoutDraw = 0;

/** Advance the layout on the next animation frame (and the ones after, until it settles). */
function runLayout(): void {
  setLayoutState('running');
  if (layoutFrame === 0) {
    layoutFrame = requestAnimationFrame(layoutStep);
  }
}

function layoutStep(): void {
  layoutFrame = 0;
  const start = performance.now();
  while (simulation.alpha() >= simulation.alphaMin() && performance.now() - start < LAYOUT_BUDGET_MS) {
    simulation.tick();
  }
  const running = simulation.alpha() >= simulation.alphaMin();
  // A big graph is drawn a few times a second while it settles, not every frame: each draw rewrites
  // thousands of paths, which made settling take seconds; a dragged group still follows every frame.
  const throttled = running && visible.sockets.length >= LARGE_GRAPH_SOCKETS && simulation.alphaTarget() === 0 && start - lastLayoutDraw < LAYOUT_DRAW_INTERVAL_MS;
  if (!throttled) {
    lastLayoutDraw = start;
    positionAll();
  }
  if (running) {
    runLayout();
    return;
  }
  setLayoutState('settled');
  rememberPositions();
  if (!userMovedView) {
    fit();
  }
  saveState();
}

function stopLayout(): void {
  simulation.alpha(0);
  setLayoutState('settled');
}

/** For tests and the benchmark: whether the layout still moves the processes. */
function setLayoutState(state: 'running' | 'settled'): void {
  if (svgElement.dataset.layout !== state) {
    svgElement.dataset.layout = state;
  }
}

const zoomBehavior = zoom<SVGSVGElement, unknown>()
  .scaleExtent([0.03, 4])
  // d3's default filter, and in canvas mode a press on a process box drags the box, not the view.
  .filter((event: MouseEvent) => (!event.ctrlKey || event.type === 'wheel') && !event.button && !(canvasMode && event.type === 'mousedown' && dragSubjectAt(event) !== null))
  .on('zoom', (event: { transform: ZoomTransform; sourceEvent: Event | null }) => {
    markMoving();
    viewport.attr('transform', event.transform.toString());
    applyLevelOfDetail(event.transform.k);
    requestCanvasDraw();
    if (event.sourceEvent) {
      userMovedView = true;
    }
  })
  .on('end', () => {
    const t = currentTransform();
    view.transform = { x: t.x, y: t.y, k: t.k };
    saveState();
  });
svg.call(zoomBehavior).on('dblclick.zoom', null);
svg.on('click', (event: MouseEvent) => {
  if (canvasMode) {
    select_(hitAt(event)?.id ?? null);
  } else if (event.target === svgElement) {
    select_(null);
  }
});

function currentTransform(): ZoomTransform {
  return zoomTransform(svgElement);
}

let movingTimer: ReturnType<typeof setTimeout> | undefined;

/**
 * Big graphs drop their text while the view moves: Chromium lays SVG text out again at every scale
 * change, which is what makes zooming a 500-socket graph slow. Text returns once motion pauses.
 */
function markMoving(): void {
  if (visible.sockets.length < LARGE_GRAPH_SOCKETS) {
    return;
  }
  if (movingTimer === undefined) {
    svgElement.classList.add('lod-moving');
  } else {
    clearTimeout(movingTimer);
  }
  movingTimer = setTimeout(() => {
    movingTimer = undefined;
    svgElement.classList.remove('lod-moving');
    requestCanvasDraw();
  }, MOTION_SETTLE_MS);
}

function applyLevelOfDetail(k: number): void {
  svg.classed('lod-no-edge-labels', k < EDGE_LABEL_MIN_ZOOM).classed('lod-no-labels', k < LABEL_MIN_ZOOM);
}

// ---- state ---------------------------------------------------------------------------------------

let saveQueued = false;
function saveState(): void {
  if (saveQueued) {
    return;
  }
  saveQueued = true;
  setTimeout(() => {
    saveQueued = false;
    vscode.setState(view);
  }, 100);
}

/** Saves drawn groups' positions, keeping those of groups a filter hides (not of groups gone from the model). */
function rememberPositions(): void {
  if (!receivedAnything) {
    return; // nothing drawn yet: keep what the previous page saved
  }
  const positions: Record<string, [number, number]> = {};
  let count = 0;
  for (const [id, body] of bodies) {
    if (count++ >= MAX_SAVED_POSITIONS) {
      break;
    }
    positions[id] = [Math.round(body.x), Math.round(body.y)];
  }
  const groupIds = new Set<string>(model.nodes.keys());
  for (const { item } of model.sockets.values()) {
    groupIds.add(item.nodeId);
  }
  for (const [id, position] of Object.entries(view.positions)) {
    if (count >= MAX_SAVED_POSITIONS) {
      break;
    }
    if (!(id in positions) && groupIds.has(id)) {
      positions[id] = position;
      count++;
    }
  }
  view.positions = positions;
}

// ---- render ----------------------------------------------------------------------------------------

function queueDraw(): void {
  if (!renderQueued) {
    renderQueued = true;
    requestAnimationFrame(flushRender);
  }
}

/** A full render on the next frame (structure, filters, snapshot). */
function scheduleRender(): void {
  pending.full = true;
  queueDraw();
}

/** Draws the items of a diff on the next frame: by patching when it changes no structure. */
function schedulePatch(diff: TopologyDiff): void {
  if ((diff.removedNodes?.length ?? 0) + (diff.removedSockets?.length ?? 0) + (diff.removedEdges?.length ?? 0) > 0) {
    pending.full = true;
  } else if (!pending.full) {
    for (const node of diff.nodes ?? []) {
      pending.nodes.add(node.id);
    }
    for (const socket of diff.sockets ?? []) {
      pending.sockets.add(socket.id);
    }
    for (const edge of diff.edges ?? []) {
      pending.edges.add(edge.id);
    }
  }
  queueDraw();
}

/** Draws a pending update now (a reveal right after a snapshot must see the snapshot drawn). */
function flushRender(): void {
  if (renderQueued) {
    renderQueued = false;
    if (pending.full || !patch()) {
      render();
    }
  }
}

function clearPending(): void {
  pending.full = false;
  pending.nodes.clear();
  pending.sockets.clear();
  pending.edges.clear();
}

/** Whether an edge passes the filters that look at the edge itself (the others look at its sockets). */
function edgePassesOwnFilters(edge: EdgeView): boolean {
  return !(view.filters.hideDisconnected && edge.state === 'disconnected') && !(view.filters.state !== '' && edge.state !== view.filters.state);
}

/**
 * Draws the pending diffs by updating only their items' elements, when no element has to come,
 * go or move: every pending item is drawn and stays visible, with the same sockets/process. Returns
 * false (having changed nothing) when a full render is needed.
 */
function patch(): boolean {
  const socketFiltering = view.filters.text.trim() !== '' || view.filters.socketType !== '';
  const edges: EdgeView[] = [];
  for (const id of pending.edges) {
    const item = model.edges.get(id)?.item;
    if (!item) {
      return false;
    }
    const at = drawn.edgeIndex.get(id);
    if (at !== undefined) {
      const old = visible.edges[at];
      if (old.from !== item.from || old.to !== item.to || !edgePassesOwnFilters(item)) {
        return false;
      }
      edges.push(item);
    } else if (model.sockets.has(item.from) && model.sockets.has(item.to) && edgePassesOwnFilters(item)) {
      return false; // a newcomer, or one a filter no longer hides
    }
  }
  const sockets: SocketView[] = [];
  for (const id of pending.sockets) {
    const item = model.sockets.get(id)?.item;
    const at = drawn.socketIndex.get(id);
    if (!item || at === undefined || socketFiltering || visible.sockets[at].nodeId !== item.nodeId) {
      return false;
    }
    sockets.push(item);
  }
  const groups: GroupView[] = [];
  for (const id of pending.nodes) {
    const item = model.nodes.get(id)?.item;
    const at = drawn.groupIndex.get(id);
    if (!item || at === undefined || socketFiltering) {
      return false;
    }
    groups.push({ ...visible.groups[at], node: item });
  }
  clearPending();
  if (canvasMode) {
    for (const group of groups) {
      replaceVisible(visible.groups, drawn.groupIndex, group);
    }
    for (const socket of sockets) {
      replaceVisible(visible.sockets, drawn.socketIndex, socket);
    }
    for (const edge of edges) {
      replaceVisible(visible.edges, drawn.edgeIndex, edge);
    }
    requestCanvasDraw(true);
    refreshDetails();
    refreshToolbar();
    return true;
  }

  for (const group of groups) {
    replaceVisible(visible.groups, drawn.groupIndex, group);
    drawGroup(drawn.groups.get(group.id) as SVGGElement, group);
  }
  for (const socket of sockets) {
    replaceVisible(visible.sockets, drawn.socketIndex, socket);
    drawSocket(drawn.sockets.get(socket.id) as SVGGElement, socket);
  }
  const unmeasured: SVGGElement[] = [];
  const now = clock.now(Date.now());
  const labelsShown = !svgElement.classList.contains('lod-no-edge-labels');
  for (const edge of edges) {
    replaceVisible(visible.edges, drawn.edgeIndex, edge);
    drawEdge(drawn.edges.get(edge.id) as SVGGElement, edge);
    const label = drawn.labels.get(edge.id) as SVGGElement;
    drawLabel(label, edge, unmeasured);
    if (labelsShown) {
      drawAge(label, edge.id, now);
    }
  }
  measureBadges(unmeasured);
  refreshDetails();
  refreshToolbar();
  return true;
}

function sortedSocketIds(group: GroupView): string[] {
  return [...group.socketIds].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

function render(): void {
  clearPending();
  visible = visibleGraph(model, view.filters);
  canvasMode = !svgForExport && (PINNED_RENDERER === 'canvas' || (PINNED_RENDERER !== 'svg' && visible.sockets.length >= CANVAS_MIN_SOCKETS));
  // In canvas mode the SVG keeps no items (the joins below empty it) and only takes the input.
  const svgGroups = canvasMode ? [] : visible.groups;
  const svgEdges = canvasMode ? [] : visible.edges;
  const socketsById = new Map(visible.sockets.map((s) => [s.id, s]));

  slots.clear();
  for (const group of visible.groups) {
    const height = groupHeight(group.socketIds.length);
    sortedSocketIds(group).forEach((socketId, index) => {
      const top = GROUP_HEADER + GROUP_PADDING + index * (SOCKET_HEIGHT + SOCKET_GAP);
      slots.set(socketId, { groupId: group.id, top, dy: top + SOCKET_HEIGHT / 2 - height / 2 });
    });
  }

  groupSel = groupLayer.selectAll<SVGGElement, GroupView>('g.group')
    .data(svgGroups, (d) => d.id)
    .join((enter) => {
      const g = enter.append('g').attr('class', 'group');
      g.append('rect').attr('class', 'group-box').attr('rx', 6).attr('width', GROUP_WIDTH);
      g.append('text').attr('class', 'group-label').attr('x', 8).attr('y', 15);
      g.append('g').attr('class', 'group-sockets');
      g.call(drag<SVGGElement, GroupView>()
        .on('start', (event: { active: number }, d) => dragStarted(d.id, event.active))
        .on('drag', (event: { dx: number; dy: number }, d) => dragged(d.id, event.dx, event.dy))
        .on('end', (event: { active: number }, d) => dragEnded(d.id, event.active)));
      g.on('click', (event: MouseEvent, d) => {
        if ((event.target as Element).closest('.socket') === null) {
          event.stopPropagation();
          select_(d.id);
        }
      });
      g.on('mouseenter', (event: MouseEvent, d) => showTooltip(event, groupTooltip(d)))
        .on('mousemove', moveTooltip)
        .on('mouseleave', hideTooltip);
      return g;
    });
  drawn.groups.clear();
  groupSel.each(function (d) {
    drawn.groups.set(d.id, this);
    drawGroup(this, d);
  });

  drawn.sockets.clear();
  groupSel.select<SVGGElement>('g.group-sockets')
    .selectAll<SVGGElement, SocketView>('g.socket')
    .data((d) => sortedSocketIds(d).map((id) => socketsById.get(id)).filter((s): s is SocketView => s !== undefined), (d) => d.id)
    .join((enter) => {
      const s = enter.append('g').attr('class', 'socket');
      s.append('rect').attr('class', 'socket-box').attr('width', SOCKET_WIDTH).attr('height', SOCKET_HEIGHT).attr('rx', 4);
      s.append('text').attr('class', 'socket-type').attr('x', 8).attr('y', 15);
      s.append('text').attr('class', 'socket-name').attr('x', 8).attr('y', 30);
      s.on('click', (event: MouseEvent, d) => {
        event.stopPropagation();
        select_(d.id);
      });
      s.on('mouseenter', (event: MouseEvent, d) => showTooltip(event, socketTooltip(d)))
        .on('mousemove', moveTooltip)
        .on('mouseleave', hideTooltip);
      return s;
    })
    .each(function (d) {
      drawn.sockets.set(d.id, this);
      setAttr(this, 'transform', `translate(${GROUP_PADDING},${slots.get(d.id)?.top ?? 0})`);
      drawSocket(this, d);
    });

  edgeSel = edgeLayer.selectAll<SVGGElement, EdgeView>('g.edge')
    .data(svgEdges, (d) => d.id)
    .join((enter) => {
      const g = enter.append('g').attr('class', 'edge');
      g.append('path').attr('class', 'edge-line');
      g.append('path').attr('class', 'edge-hit');
      g.on('click', (event: MouseEvent, d) => {
        event.stopPropagation();
        select_(d.id);
      });
      g.on('mouseenter', (event: MouseEvent, d) => showTooltip(event, edgeTooltip(d)))
        .on('mousemove', moveTooltip)
        .on('mouseleave', hideTooltip);
      return g;
    });
  drawn.edges.clear();
  edgeSel.each(function (d) {
    drawn.edges.set(d.id, this);
    drawEdge(this, d);
  });

  labelSel = labelLayer.selectAll<SVGGElement, EdgeView>('g.edge-label')
    .data(svgEdges, (d) => d.id)
    .join((enter) => {
      const g = enter.append('g').attr('class', 'edge-label');
      g.append('text').attr('class', 'edge-age').attr('text-anchor', 'middle').attr('y', -4);
      const badge = g.append('g').attr('class', 'badge').attr('transform', 'translate(0,6)');
      badge.append('rect').attr('class', 'badge-box').attr('height', 18).attr('rx', 3);
      badge.append('text').attr('class', 'badge-text').attr('text-anchor', 'middle').attr('y', 13);
      g.on('click', (event: MouseEvent, d) => {
        event.stopPropagation();
        select_(d.id);
      });
      g.on('mouseenter', (event: MouseEvent, d) => showTooltip(event, edgeTooltip(d)))
        .on('mousemove', moveTooltip)
        .on('mouseleave', hideTooltip);
      return g;
    });
  drawn.labels.clear();
  const unmeasured: SVGGElement[] = [];
  labelSel.each(function (d) {
    drawn.labels.set(d.id, this);
    drawLabel(this, d, unmeasured);
  });
  measureBadges(unmeasured);
  indexVisible();
  canvasElement.hidden = !canvasMode;
  // For tests and the benchmark: which renderer drew, and how many connections it drew.
  svgElement.dataset.renderer = canvasMode ? 'canvas' : 'svg';
  svgElement.dataset.edges = String(visible.edges.length);
  if (canvasMode) {
    canvas.refreshPalette();
  }

  updateBodies();
  positionAll();
  tickAges(true);
  refreshSelection();
  refreshToolbar();
}

function indexVisible(): void {
  drawn.groupIndex = new Map(visible.groups.map((g, i) => [g.id, i]));
  drawn.socketIndex = new Map(visible.sockets.map((s, i) => [s.id, i]));
  drawn.edgeIndex = new Map(visible.edges.map((e, i) => [e.id, i]));
}

/** Puts a patched item in its place in `visible` (an id without a place is not drawn). */
function replaceVisible<T extends { id: string }>(list: T[], index: Map<string, number>, item: T): void {
  const at = index.get(item.id);
  if (at !== undefined) {
    list[at] = item;
  }
}

function drawGroup(element: SVGGElement, group: GroupView): void {
  rebind(element, group);
  setAttr(element, 'data-id', group.id);
  const classes = element.classList;
  classes.toggle('exited', group.node?.state === 'exited');
  classes.toggle('stale', group.node?.state === 'stale');
  classes.toggle('probe', group.node?.probe === true);
  classes.toggle('unknown-group', group.node === undefined || group.node.unknown === true);
  setAttr(element.querySelector('rect.group-box') as Element, 'height', String(groupHeight(group.socketIds.length)));
  setText(element.querySelector('text.group-label'), groupTitle(group));
}

function drawSocket(element: SVGGElement, socket: SocketView): void {
  rebind(element, socket);
  setAttr(element, 'data-id', socket.id);
  const classes = element.classList;
  classes.toggle('unknown', socket.unknown === true);
  classes.toggle('closed', socket.closed);
  classes.toggle('binder', socket.binds.length > 0);
  classes.toggle('matched', visible.matched.has(socket.id));
  setText(element.querySelector('text.socket-type'), socketTypeLabel(socket) + (socket.closed ? ' (closed)' : ''));
  setText(element.querySelector('text.socket-name'), socketNameLabel(socket));
}

function drawEdge(element: SVGGElement, edge: EdgeView): void {
  rebind(element, edge);
  setAttr(element, 'data-id', edge.id);
  setAttr(element, 'class', edgeClass(edge, 'edge'));
  setAttr(element.firstElementChild as Element, 'marker-end', `url(#arrow-${edge.state})`);
}

/** Label classes and the disconnect badge; badges whose text has no known width go to `unmeasured`. */
function drawLabel(element: SVGGElement, edge: EdgeView, unmeasured: SVGGElement[]): void {
  rebind(element, edge);
  setAttr(element, 'data-id', edge.id);
  setAttr(element, 'class', edgeClass(edge, 'edge-label'));
  const badgeText = showsBadge(edge) ? disconnectBadge(edge) : null;
  const badge = element.querySelector('g.badge') as SVGGElement;
  setAttr(badge, 'display', badgeText === null ? 'none' : null);
  if (badgeText !== null) {
    const text = `⊘ ${badgeText}`;
    setText(badge.querySelector('text.badge-text'), text);
    const width = badgeWidths.get(text);
    if (width === undefined) {
      unmeasured.push(badge);
    } else {
      setBadgeWidth(badge, width);
    }
  }
}

function setBadgeWidth(badge: SVGGElement, width: number): void {
  const box = badge.querySelector('rect.badge-box') as Element;
  setAttr(box, 'x', String(-width / 2));
  setAttr(box, 'width', String(width));
}

/**
 * Sizes badges from their rendered text, in the font the workbench really uses (a per-character
 * estimate overflowed bold capitals in VS Code's font). All reads before all writes: one layout for
 * the batch, not one per badge. A badge laid out nowhere (hidden panel, labels hidden) gets the
 * estimate and is measured again when next drawn.
 */
function measureBadges(badges: readonly SVGGElement[]): void {
  const measured = badges.map((badge) => {
    const text = badge.querySelector<SVGTextElement>('text.badge-text');
    return { badge, text: text?.textContent ?? '', length: text?.getComputedTextLength() ?? 0 };
  });
  for (const { badge, text, length } of measured) {
    const width = Math.ceil(length > 0 ? length : Array.from(text).length * 7) + 12;
    if (length > 0) {
      badgeWidths.set(text, width);
    }
    setBadgeWidth(badge, width);
  }
}

/** The age label's text now (collector clock). */
function drawAge(label: SVGGElement, id: string, now: number): void {
  if (model.edges.has(id)) {
    setText(label.firstElementChild, ageLabel(id, now));
  }
}

function ageLabel(id: string, now: number): string {
  const observed = model.edges.get(id);
  if (!observed) {
    return '';
  }
  const ages = edgeAgesAt(observed, now);
  const gone = observed.item.lastDisconnect;
  return edgeLabel(observed.item.state, ages.heartbeatAgeMs, ages.trafficAgeMs, gone ? now - gone.at : null);
}

function dragStarted(id: string, active: number): void {
  const body = bodies.get(id);
  if (body && view.layout === 'force') {
    if (!active) {
      simulation.alphaTarget(0.1);
      runLayout();
    }
    body.fx = body.x;
    body.fy = body.y;
  }
}

function dragged(id: string, dx: number, dy: number): void {
  const body = bodies.get(id);
  if (!body) {
    return;
  }
  if (view.layout === 'force') {
    body.fx = (body.fx ?? body.x) + dx;
    body.fy = (body.fy ?? body.y) + dy;
  } else {
    body.x += dx;
    body.y += dy;
    positionAll();
  }
}

function dragEnded(id: string, active: number): void {
  const body = bodies.get(id);
  if (body && view.layout === 'force') {
    if (!active) {
      simulation.alphaTarget(0);
    }
    body.fx = null;
    body.fy = null;
  }
  rememberPositions();
  saveState();
}

function groupTitle(group: GroupView): string {
  if (!group.node) {
    const socket = model.sockets.get(group.socketIds[0] ?? '')?.item;
    return socket?.unknown ? 'unknown peer' : truncate(safeText(group.id), LABEL_CHARS);
  }
  if (group.node.unknown) {
    return 'unknown peer (no agent)';
  }
  const suffix = group.node.state === 'exited' ? ' — exited' : group.node.state === 'stale' ? ' — silent' : '';
  return `${nodeLabel(group.node, LABEL_CHARS)}${suffix}`;
}

function showsBadge(edge: EdgeView): boolean {
  return edge.lastDisconnect !== null && (edge.state === 'disconnected' || edge.state === 'retrying' || edge.state === 'dead');
}

function edgeClass(edge: EdgeView, base: string): string {
  const classes = [base, stateStyle(edge.state).cssClass];
  if (edge.exited) {
    classes.push('exited');
  }
  if (edge.retryStorm) {
    classes.push('retry-storm');
  }
  const id = view.selection;
  if (id === edge.id) {
    classes.push('selected');
  }
  if (base === 'edge' && id !== null && (edge.from === id || edge.to === id)) {
    classes.push('related');
  }
  return classes.join(' ');
}

// ---- positions -----------------------------------------------------------------------------------

function seedPosition(group: GroupView, layered: Map<string, Point>, placed: ReadonlySet<string>): Point {
  const saved = view.positions[group.id];
  if (saved) {
    return { x: saved[0], y: saved[1] };
  }
  // Next to an already placed process it talks to, else where the layered layout would put it.
  for (const edge of visible.edges) {
    const peerSocket = slots.get(edge.from)?.groupId === group.id ? edge.to : slots.get(edge.to)?.groupId === group.id ? edge.from : undefined;
    const peerGroup = peerSocket ? slots.get(peerSocket)?.groupId ?? '' : '';
    const peer = placed.has(peerGroup) ? bodies.get(peerGroup) : undefined;
    if (peer) {
      return { x: peer.x + (Math.random() - 0.5) * 200, y: peer.y + (Math.random() - 0.5) * 200 };
    }
  }
  return layered.get(group.id) ?? { x: 0, y: 0 };
}

function layeredCenters(): Map<string, Point> {
  const result = layeredLayout(
    visible.groups.map((g) => ({ id: g.id, socketIds: g.socketIds, sortKey: g.node ? nodeLabel(g.node) : g.id })),
    visible.edges,
  );
  const centers = new Map<string, Point>();
  for (const group of visible.groups) {
    const anchor = result.groups.get(group.id) ?? { x: 0, y: 0 };
    centers.set(group.id, { x: anchor.x + GROUP_WIDTH / 2, y: anchor.y + groupHeight(group.socketIds.length) / 2 });
  }
  return centers;
}

/** Keep one simulation body per visible group; restart the layout only when the structure changed. */
function updateBodies(): void {
  const groupLinks = new Map<string, GroupLink>();
  for (const edge of visible.edges) {
    const from = slots.get(edge.from)?.groupId;
    const to = slots.get(edge.to)?.groupId;
    if (from !== undefined && to !== undefined && from !== to) {
      groupLinks.set(`${from}\u0000${to}`, { source: from, target: to });
    }
  }
  const key = `${visible.groups.map((g) => `${g.id}:${g.socketIds.length}`).join('|')}#${[...groupLinks.keys()].join('|')}#${view.layout}`;
  if (key === structureKey) {
    return;
  }
  structureKey = key;

  const layered = layeredCenters();
  const present = new Set(visible.groups.map((g) => g.id));
  for (const id of bodies.keys()) {
    if (!present.has(id)) {
      bodies.delete(id);
    }
  }
  let newcomers = 0;
  const placed = new Set(bodies.keys());
  for (const group of visible.groups) {
    let body = bodies.get(group.id);
    if (!body) {
      const seed = seedPosition(group, layered, placed);
      body = { id: group.id, x: seed.x, y: seed.y, height: 0 };
      bodies.set(group.id, body);
      if (!view.positions[group.id]) {
        newcomers++;
      }
    }
    body.height = groupHeight(group.socketIds.length);
    if (view.layout === 'layered') {
      const center = layered.get(group.id);
      if (center) {
        body.x = center.x;
        body.y = center.y;
      }
    }
  }

  // Fewer ticks for big graphs: they start from the layered seed, which is already untangled.
  simulation.alphaDecay(bodies.size > LARGE_GRAPH_SOCKETS ? 0.045 : 0.0228);
  simulation.nodes([...bodies.values()]);
  simulation.force<ReturnType<typeof forceLink<GroupBody, GroupLink>>>('link')?.links([...groupLinks.values()]);
  simulation.force<ReturnType<typeof forceCollide<GroupBody>>>('collide')?.initialize([...bodies.values()], Math.random);
  if (view.layout === 'force' && (newcomers > 0 || relayoutRequested)) {
    simulation.alpha(Math.max(simulation.alpha(), newcomers === bodies.size || relayoutRequested ? 1 : 0.3));
    relayoutRequested = false;
    runLayout();
  } else {
    stopLayout();
    rememberPositions();
    if (!userMovedView && receivedAnything) {
      requestAnimationFrame(() => {
        if (!userMovedView) {
          fit();
        }
      });
    }
  }
}

function socketCenter(socketId: string): Point | undefined {
  const slot = slots.get(socketId);
  const body = slot ? bodies.get(slot.groupId) : undefined;
  return slot && body ? { x: body.x, y: body.y + slot.dy } : undefined;
}

function edgeCurve(edge: EdgeView): Curve | undefined {
  const from = socketCenter(edge.from);
  const to = socketCenter(edge.to);
  if (!from || !to) {
    return undefined;
  }
  // A gentle bend keeps the two directions of a pair, and edges within one process, apart.
  const sameGroup = slots.get(edge.from)?.groupId === slots.get(edge.to)?.groupId;
  const dx = to.x - from.x;
  const dy = to.y - from.y;
  const length = Math.hypot(dx, dy) || 1;
  const bend = sameGroup ? SOCKET_WIDTH * 0.9 : Math.min(40, length * 0.12);
  const control = { x: (from.x + to.x) / 2 - (dy / length) * bend, y: (from.y + to.y) / 2 + (dx / length) * bend };
  if (sameGroup) {
    control.x = from.x + SOCKET_WIDTH / 2 + bend;
  }
  return { start: clipToBox(control, from, 2), control, end: clipToBox(control, to, 3) };
}

function curvePath({ start, control, end }: Curve): string {
  return `M${start.x.toFixed(1)},${start.y.toFixed(1)} Q${control.x.toFixed(1)},${control.y.toFixed(1)} ${end.x.toFixed(1)},${end.y.toFixed(1)}`;
}

/** Moves groups, edges and labels to the bodies' positions; what did not move is not written. */
function positionAll(): void {
  if (canvasMode) {
    requestCanvasDraw(true);
    return;
  }
  for (const [id, element] of drawn.groups) {
    const body = bodies.get(id);
    setAttr(element, 'transform', body ? `translate(${(body.x - GROUP_WIDTH / 2).toFixed(1)},${(body.y - body.height / 2).toFixed(1)})` : null);
  }
  for (const edge of visible.edges) {
    const element = drawn.edges.get(edge.id);
    const label = drawn.labels.get(edge.id);
    if (!element || !label) {
      continue;
    }
    const curve = edgeCurve(edge);
    const path = curve ? curvePath(curve) : '';
    for (const line of element.children) {
      setAttr(line, 'd', path);
    }
    const mid = curve ? curveMid(curve) : undefined;
    setAttr(label, 'transform', mid ? `translate(${mid.x.toFixed(1)},${mid.y.toFixed(1)})` : null);
  }
}

function fit(): void {
  if (bodies.size === 0) {
    return;
  }
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const body of bodies.values()) {
    minX = Math.min(minX, body.x - GROUP_WIDTH / 2);
    maxX = Math.max(maxX, body.x + GROUP_WIDTH / 2);
    minY = Math.min(minY, body.y - body.height / 2);
    maxY = Math.max(maxY, body.y + body.height / 2);
  }
  const width = svgElement.clientWidth || 800;
  const height = svgElement.clientHeight || 600;
  const margin = 40;
  const k = Math.min(2, (width - 2 * margin) / Math.max(1, maxX - minX), (height - 2 * margin) / Math.max(1, maxY - minY));
  const transform = zoomIdentity.translate(width / 2, height / 2).scale(k).translate(-(minX + maxX) / 2, -(minY + maxY) / 2);
  svg.call(zoomBehavior.transform, transform);
  view.transform = { x: transform.x, y: transform.y, k: transform.k };
  saveState();
}

function centerOn(point: Point): void {
  const k = Math.max(currentTransform().k, 0.9);
  const transform = zoomIdentity.translate(svgElement.clientWidth / 2, svgElement.clientHeight / 2).scale(k).translate(-point.x, -point.y);
  svg.call(zoomBehavior.transform, transform);
  userMovedView = true;
}

// ---- canvas mode (large graphs) --------------------------------------------------------------------

let canvasFrame = 0;
let scene: CanvasScene | null = null;

/** Redraws the canvas on the next frame; `changed` when positions or items changed (not just the view). */
function requestCanvasDraw(changed = false): void {
  if (changed) {
    scene = null;
  }
  if (canvasMode && canvasFrame === 0) {
    canvasFrame = requestAnimationFrame(drawCanvas);
  }
}

function drawCanvas(): void {
  canvasFrame = 0;
  if (!canvasMode) {
    return;
  }
  scene ??= buildScene();
  const t = currentTransform();
  // As the SVG's level of detail: no text while a big graph moves or when it would be unreadable.
  const still = movingTimer === undefined;
  const now = clock.now(Date.now());
  canvas.draw(scene, { x: t.x, y: t.y, k: t.k }, {
    labels: still && t.k >= LABEL_MIN_ZOOM,
    edgeLabels: still && t.k >= EDGE_LABEL_MIN_ZOOM,
    ageText: (id) => ageLabel(id, now),
  });
}

function buildScene(): CanvasScene {
  const id = view.selection;
  const groups: CanvasGroup[] = [];
  for (const group of visible.groups) {
    const body = bodies.get(group.id);
    if (body) {
      groups.push({
        id: group.id, x: body.x - GROUP_WIDTH / 2, y: body.y - body.height / 2, width: GROUP_WIDTH, height: body.height, title: groupTitle(group),
        exited: group.node?.state === 'exited', stale: group.node?.state === 'stale', unknown: group.node === undefined || group.node.unknown === true, selected: group.id === id,
      });
    }
  }
  const sockets: CanvasSocket[] = [];
  for (const socket of visible.sockets) {
    const center = socketCenter(socket.id);
    if (center) {
      sockets.push({
        id: socket.id, x: center.x, y: center.y, typeText: socketTypeLabel(socket) + (socket.closed ? ' (closed)' : ''), nameText: socketNameLabel(socket),
        unknown: socket.unknown === true, closed: socket.closed, binder: socket.binds.length > 0, matched: visible.matched.has(socket.id), selected: socket.id === id,
      });
    }
  }
  const edges: CanvasEdge[] = [];
  for (const edge of visible.edges) {
    const curve = edgeCurve(edge);
    if (curve) {
      const badge = showsBadge(edge) ? disconnectBadge(edge) : null;
      edges.push({
        id: edge.id, state: edge.state, curve, exited: edge.exited === true, retryStorm: edge.retryStorm, selected: edge.id === id,
        related: id !== null && (edge.from === id || edge.to === id), badge: badge === null ? null : `⊘ ${badge}`,
      });
    }
  }
  return { groups, sockets, edges };
}

/** The item under the pointer in canvas mode (edges within a few screen pixels). */
function hitAt(event: MouseEvent): Hit | null {
  const t = currentTransform();
  const [x, y] = t.invert(pointer(event, svgElement));
  scene ??= buildScene();
  return hitTest(scene, { x, y }, 5 / t.k, movingTimer === undefined && t.k >= EDGE_LABEL_MIN_ZOOM);
}

/** The process a drag on the canvas moves: the one whose box (or socket) is under the pointer, unless an edge is. */
function dragSubjectAt(event: MouseEvent): { id: string } | null {
  const hit = hitAt(event);
  if (hit?.kind === 'group') {
    return { id: hit.id };
  }
  if (hit?.kind === 'socket') {
    const groupId = slots.get(hit.id)?.groupId;
    return groupId === undefined ? null : { id: groupId };
  }
  return null;
}

let hoverId: string | null = null;

function hover(event: MouseEvent): void {
  if (!canvasMode) {
    return;
  }
  const hit = hitAt(event);
  // CSSOM writes are allowed by the CSP (only style attributes/elements are not).
  svgElement.style.cursor = hit === null ? '' : hit.kind === 'group' ? 'move' : 'pointer';
  if (hit === null) {
    hoverId = null;
    hideTooltip();
    return;
  }
  if (hit.id === hoverId) {
    moveTooltip(event);
    return;
  }
  hoverId = hit.id;
  const lines = hit.kind === 'edge' ? tooltipOfEdge(hit.id) : hit.kind === 'socket' ? tooltipOfSocket(hit.id) : tooltipOfGroup(hit.id);
  if (lines) {
    showTooltip(event, lines);
  }
}

function tooltipOfEdge(id: string): string[] | undefined {
  const at = drawn.edgeIndex.get(id);
  return at === undefined ? undefined : edgeTooltip(visible.edges[at]);
}

function tooltipOfSocket(id: string): string[] | undefined {
  const at = drawn.socketIndex.get(id);
  return at === undefined ? undefined : socketTooltip(visible.sockets[at]);
}

function tooltipOfGroup(id: string): string[] | undefined {
  const at = drawn.groupIndex.get(id);
  return at === undefined ? undefined : groupTooltip(visible.groups[at]);
}

svg.on('mousemove.canvas', hover).on('mouseleave.canvas', () => {
  hoverId = null;
  hideTooltip();
});
svg.call(drag<SVGSVGElement, unknown, { id: string }>()
  .filter((event: MouseEvent) => canvasMode && !event.ctrlKey && !event.button)
  .container(() => viewport.node() as SVGGElement)
  .subject((event: { sourceEvent: MouseEvent }) => dragSubjectAt(event.sourceEvent) as { id: string })
  .on('start', (event: { active: number; subject: { id: string } }) => dragStarted(event.subject.id, event.active))
  .on('drag', (event: { dx: number; dy: number; subject: { id: string } }) => dragged(event.subject.id, event.dx, event.dy))
  .on('end', (event: { active: number; subject: { id: string } }) => dragEnded(event.subject.id, event.active)));

// ---- ages ------------------------------------------------------------------------------------------

function tickAges(force = false): void {
  if ((paused && !force) || document.hidden) {
    return;
  }
  const now = clock.now(Date.now());
  if (force || !svgElement.classList.contains('lod-no-edge-labels')) {
    for (const [id, label] of drawn.labels) {
      drawAge(label, id, now);
    }
    if (canvasMode && currentTransform().k >= EDGE_LABEL_MIN_ZOOM) {
      requestCanvasDraw();
    }
  }
  detailsTicker?.();
}

// ---- selection, details, tooltip --------------------------------------------------------------------

function select_(id: string | null): void {
  view.selection = id;
  vscode.postMessage({ type: 'selected', id });
  refreshSelection();
  saveState();
}

function refreshSelection(): void {
  const id = view.selection;
  groupSel.classed('selected', (d) => d.id === id);
  groupSel.selectAll<SVGGElement, SocketView>('g.socket').classed('selected', (d) => d.id === id);
  edgeSel.classed('selected', (d) => d.id === id).classed('related', (d) => id !== null && (d.from === id || d.to === id));
  labelSel.classed('selected', (d) => d.id === id);
  requestCanvasDraw(true);
  refreshDetails();
}

function refreshDetails(): void {
  const id = view.selection;
  const subject = id === null ? null : model.edges.get(id) ?? model.sockets.get(id) ?? model.nodes.get(id) ?? null;
  if (subject !== detailsSubject) {
    // Rebuilt only when the selected item itself changed, so reading/copying in the pane is not disturbed.
    detailsSubject = subject;
    detailsTicker = renderDetails(detailsPane, id, { model, now: () => clock.now(Date.now()), post: (m) => vscode.postMessage(m) });
  }
}

function reveal(id: string): void {
  flushRender();
  if (kindOf(model, id) === undefined) {
    statusText.textContent = 'That item is not in the topology (any more).';
    return;
  }
  const shown = visible.edges.some((e) => e.id === id) || slots.has(id) || bodies.has(id);
  if (!shown) {
    // Revealing something the filters hide: drop the filters rather than pretend it is not there.
    view.filters = { text: '', socketType: '', state: '', hideDisconnected: false };
    syncControls();
    render();
  }
  select_(id);
  const edge = visible.edges.find((e) => e.id === id);
  const curve = edge ? edgeCurve(edge) : undefined;
  const point = curve ? curveMid(curve) : socketCenter(id) ?? bodies.get(id);
  if (point) {
    centerOn(point);
  }
}

function showTooltip(event: MouseEvent, lines: string[]): void {
  clear(tooltip);
  for (const line of lines) {
    tooltip.appendChild(el('div', { text: line }));
  }
  tooltip.hidden = false;
  moveTooltip(event);
}

function moveTooltip(event: MouseEvent): void {
  const bounds = container.getBoundingClientRect();
  const x = Math.min(event.clientX - bounds.left + 14, bounds.width - tooltip.offsetWidth - 4);
  const y = Math.min(event.clientY - bounds.top + 14, bounds.height - tooltip.offsetHeight - 4);
  // CSSOM writes are allowed by the CSP (only style attributes/elements are not).
  tooltip.style.left = `${Math.max(0, x)}px`;
  tooltip.style.top = `${Math.max(0, y)}px`;
}

function hideTooltip(): void {
  tooltip.hidden = true;
}

function groupTooltip(group: GroupView): string[] {
  const node = group.node;
  if (!node || node.unknown) {
    return [groupTitle(group), 'No process has claimed these sockets.'];
  }
  return [nodeLabel(node, 200), `state: ${node.state}`, `${safeText(node.runtime.name)} ${safeText(node.runtime.version)} on ${safeText(node.host)}`, `${group.socketIds.length} socket(s)`];
}

function socketTooltip(socket: SocketView): string[] {
  const lines = [socketTitle(socket)];
  for (const bind of socket.binds) {
    lines.push(`binds ${safeText(bind)}`);
  }
  for (const connect of socket.connects) {
    lines.push(`connects ${safeText(connect)}`);
  }
  if (socket.unknown) {
    lines.push('A routing id no known socket claims.');
  }
  return lines;
}

function edgeTooltip(edge: EdgeView): string[] {
  const from = model.sockets.get(edge.from)?.item;
  const to = model.sockets.get(edge.to)?.item;
  const observed = model.edges.get(edge.id);
  const now = clock.now(Date.now());
  const ages = observed ? edgeAgesAt(observed, now) : { heartbeatAgeMs: null, trafficAgeMs: null };
  const lines = [
    `${from ? socketTitle(from) : edge.from} → ${to ? socketTitle(to) : edge.to}`,
    safeText(edge.endpoint),
    `${stateStyle(edge.state).glyph} ${stateStyle(edge.state).meaning}`,
    edgeLabel(edge.state, ages.heartbeatAgeMs, ages.trafficAgeMs, edge.lastDisconnect ? now - edge.lastDisconnect.at : null),
  ];
  const detail = disconnectDetail(edge);
  if (detail) {
    lines.push(`last disconnect: ${detail}`);
  }
  return lines;
}

// ---- toolbar -------------------------------------------------------------------------------------

function syncControls(): void {
  filterText.value = view.filters.text;
  filterState.value = view.filters.state;
  hideDisconnected.checked = view.filters.hideDisconnected;
  layoutSelect.value = view.layout;
  legend.hidden = !view.legendOpen;
  legendButton.setAttribute('aria-expanded', String(view.legendOpen));
  refreshTypeOptions();
}

function refreshTypeOptions(): void {
  const types = socketTypesPresent(model);
  if (view.filters.socketType && !types.includes(view.filters.socketType)) {
    types.push(view.filters.socketType);
  }
  const wanted = ['', ...types];
  const current = Array.from(filterType.options).map((o) => o.value);
  if (current.join('|') !== wanted.join('|')) {
    clear(filterType);
    for (const type of wanted) {
      const option = el('option', { text: type === '' ? 'all types' : type });
      option.value = type;
      filterType.appendChild(option);
    }
  }
  filterType.value = view.filters.socketType;
}

function refreshToolbar(): void {
  refreshTypeOptions();
  const counts = `${model.nodes.size} processes · ${model.sockets.size} sockets · ${model.edges.size} connections`;
  const shown = isFiltering(view.filters) || view.filters.hideDisconnected ? ` (showing ${visible.sockets.length} sockets, ${visible.edges.length} connections)` : '';
  const collector = model.collector && !model.collector.listening ? ' · collector not listening' : '';
  const malformed = model.collector ? Object.values(model.collector.malformed).reduce((sum, n) => sum + n, 0) : 0;
  const discarded = model.collector?.discarded ? Object.values(model.collector.discarded).reduce((sum, n) => sum + n, 0) : 0;
  const held = paused ? ` · paused${heldUpdates ? `, ${heldUpdates} update(s) held` : ''}` : '';
  statusText.textContent = `${counts}${shown}${collector}${malformed ? ` · ${malformed} malformed frame(s)` : ''}${discarded ? ` · ${discarded} telemetry item(s) discarded` : ''}${held}`;
  emptyMessage.hidden = visible.groups.length > 0;
  emptyMessage.textContent = !receivedAnything ? 'Waiting for telemetry…' : model.nodes.size === 0 && model.sockets.size === 0 ? 'No ZeroMQ processes seen yet.' : 'Nothing matches the filters.';
  pauseButton.textContent = paused ? 'Resume' : 'Pause';
  pauseButton.setAttribute('aria-pressed', String(paused));
}

function onFiltersChanged(): void {
  view.filters = {
    text: filterText.value.slice(0, 200),
    socketType: filterType.value as ViewState['filters']['socketType'],
    state: filterState.value as EdgeState | '',
    hideDisconnected: hideDisconnected.checked,
  };
  saveState();
  render();
}

function setPaused(next: boolean): void {
  paused = next;
  if (!paused) {
    heldUpdates = 0;
    render();
  }
  refreshToolbar();
}

function buildLegend(): void {
  legend.appendChild(el('h3', { text: 'Connections (arrow: connecting socket → bound socket)' }));
  for (const state of EDGE_STATES) {
    const style = STATE_STYLES[state];
    const swatch = document.createElementNS(SVG_NS, 'svg');
    swatch.setAttribute('width', '44');
    swatch.setAttribute('height', '12');
    swatch.setAttribute('class', 'swatch');
    const line = document.createElementNS(SVG_NS, 'line');
    line.setAttribute('x1', '2');
    line.setAttribute('y1', '6');
    line.setAttribute('x2', '42');
    line.setAttribute('y2', '6');
    line.setAttribute('class', `edge-line ${style.cssClass}`);
    swatch.appendChild(line);
    const row = el('div', { className: 'legend-row' });
    row.appendChild(swatch);
    row.appendChild(el('span', { text: `${style.glyph} ${state}: ${style.meaning}` }));
    legend.appendChild(row);
  }
  legend.appendChild(el('h3', { text: 'Boxes' }));
  for (const [className, text] of [
    ['legend-process', 'process: name (pid), its sockets inside'],
    ['legend-unknown', 'dashed: unknown peer (a routing id no known socket claims)'],
    ['legend-exited', 'greyed: process exited (kept until cleared)'],
    ['legend-badge', '⊘ badge: last disconnect message (or reason) on that connection'],
  ]) {
    legend.appendChild(el('div', { className: `legend-row ${className}`, text }));
  }
  legend.appendChild(el('p', { className: 'muted', text: 'Labels: ♥ heartbeat age, or traffic age when no heartbeat was ever seen.' }));
}

filterText.addEventListener('input', onFiltersChanged);
filterType.addEventListener('change', onFiltersChanged);
filterState.addEventListener('change', onFiltersChanged);
hideDisconnected.addEventListener('change', onFiltersChanged);
layoutSelect.addEventListener('change', () => {
  view.layout = (layoutSelect.value === 'layered' ? 'layered' : 'force') satisfies LayoutMode;
  view.positions = {};
  structureKey = '';
  relayoutRequested = true;
  userMovedView = false;
  render();
  saveState();
});
fitButton.addEventListener('click', () => {
  userMovedView = false;
  fit();
});
pauseButton.addEventListener('click', () => {
  const next = !paused;
  setPaused(next);
  vscode.postMessage({ type: 'setPaused', paused: next });
});
legendButton.addEventListener('click', () => {
  view.legendOpen = !view.legendOpen;
  legend.hidden = !view.legendOpen;
  legendButton.setAttribute('aria-expanded', String(view.legendOpen));
  saveState();
});
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && view.selection !== null) {
    select_(null);
  }
});
new ResizeObserver(() => {
  if (!userMovedView) {
    fit();
  }
}).observe(svgElement);

// ---- messages ----------------------------------------------------------------------------------------

function onHostMessage(message: HostMessage): void {
  switch (message.type) {
    case 'snapshot':
      model.applySnapshot(message.snapshot);
      clock.sync(model.takenAt, Date.now());
      receivedAnything = true;
      break;
    case 'diff':
      model.applyDiff(message.diff);
      clock.sync(model.takenAt, Date.now());
      receivedAnything = true;
      if (!paused) {
        schedulePatch(message.diff);
        return;
      }
      break;
    case 'reveal':
      reveal(message.id);
      return;
    case 'paused':
      setPaused(message.paused);
      return;
    case 'requestSvg':
      vscode.postMessage({ type: 'svg', requestId: message.requestId, svg: svgExport() });
      return;
  }
  if (paused) {
    // Frozen picture: the model keeps up (bounded like the store), the drawing waits for resume.
    heldUpdates++;
    refreshToolbar();
    return;
  }
  scheduleRender();
}

/** The export is an SVG file whatever draws the page: a canvas-mode graph is drawn as SVG once for it. */
function svgExport(): string {
  if (!canvasMode) {
    return exportSvg(svgElement, viewport.node() as SVGGElement);
  }
  svgForExport = true;
  try {
    render();
    return exportSvg(svgElement, viewport.node() as SVGGElement);
  } finally {
    svgForExport = false;
    render();
  }
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  if (isHostMessage(event.data)) {
    onHostMessage(event.data);
  }
});

buildLegend();
syncControls();
if (view.transform) {
  svg.call(zoomBehavior.transform, zoomIdentity.translate(view.transform.x, view.transform.y).scale(view.transform.k));
}
applyLevelOfDetail(currentTransform().k);
setInterval(tickAges, AGE_TICK_MS);
render();
vscode.postMessage({ type: 'ready' });
