/**
 * The SVG renderer (graphs below a few hundred sockets, and every export): d3 data joins keyed by
 * id, one <g> per process group with its sockets inside, edges and their labels in layers above.
 * A full render re-joins; a diff that changes no structure patches only its own items' elements,
 * and positions are written only where they changed (attribute writes invalidate style/layout even
 * when the value is the same).
 */
import { drag } from 'd3-drag';
import { select, type Selection } from 'd3-selection';
import { EDGE_STATES, type EdgeView, type SocketView } from '../src/shared/snapshot';
import { isWithoutAgent, STATE_STYLES } from '../src/shared/format';
import type { GroupView } from './graphModel';
import type { GraphState } from './graphState';
import { BADGE_GAP, BADGE_HEIGHT } from './elkLayout';
import { ageLabel, aggregateLabel, badgeText, edgeClass, edgeTooltip, groupTitle, groupTooltip, isRelated, socketEndpointText, socketFailing, socketNameText, socketTooltip, socketTypeText, trafficWidth } from './itemText';
import { groupHeight, GROUP_PADDING, SOCKET_HEIGHT, SOCKET_WIDTH } from './layout';
import { wireItem, type ItemEvents } from './selection';
import { curvePath, edgeCurve, labelAnchor, GROUP_WIDTH, sortedSocketIds, type Bodies, type Routes } from './geometry';

/** What dragging a process box does (the same for the SVG's boxes and the canvas's). */
export interface DragHandlers {
  start(id: string, active: number): void;
  move(id: string, dx: number, dy: number): void;
  end(id: string, active: number): void;
}

export interface SvgItemHooks extends ItemEvents {
  readonly drag: DragHandlers;
  /** Collector-clock now, for tooltips. */
  now(): number;
}

type GroupSel = Selection<SVGGElement, GroupView, SVGGElement, unknown>;
type EdgeSel = Selection<SVGGElement, EdgeView, SVGGElement, unknown>;

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

export class SvgRenderer {
  readonly svg: Selection<SVGSVGElement, unknown, null, undefined>;
  readonly viewport: Selection<SVGGElement, unknown, null, undefined>;
  private readonly groupLayer: Selection<SVGGElement, unknown, null, undefined>;
  private readonly edgeLayer: Selection<SVGGElement, unknown, null, undefined>;
  private readonly labelLayer: Selection<SVGGElement, unknown, null, undefined>;
  private groupSel: GroupSel;
  private edgeSel: EdgeSel;
  private labelSel: EdgeSel;
  /**
   * The drawn elements by item id, refreshed by every full render: a diff that changes no structure
   * patches only its own items' elements through these (a full re-join of ~29k elements at 1,000
   * sockets costs hundreds of ms; a patch of the few hundred items in a 10 Hz diff costs little).
   */
  private readonly drawn = {
    groups: new Map<string, SVGGElement>(),
    sockets: new Map<string, SVGGElement>(),
    edges: new Map<string, SVGGElement>(),
    labels: new Map<string, SVGGElement>(),
  };
  /** Badge widths by badge text: measuring one forces a synchronous layout, so each text is measured once. */
  private readonly badgeWidths = new Map<string, number>();

  constructor(readonly element: SVGSVGElement, private readonly state: GraphState, private readonly hooks: SvgItemHooks) {
    this.svg = select(element);
    const defs = this.svg.append('defs');
    for (const state of EDGE_STATES) {
      // One arrowhead per state: marker colour cannot follow the edge's CSS class otherwise.
      defs.append('marker')
        .attr('id', `arrow-${state}`)
        .attr('class', `arrow ${STATE_STYLES[state].cssClass}`)
        .attr('viewBox', '0 0 10 10').attr('refX', 9).attr('refY', 5)
        .attr('markerWidth', 7).attr('markerHeight', 7).attr('markerUnits', 'userSpaceOnUse').attr('orient', 'auto')
        .append('path').attr('d', state === 'disconnected' ? 'M1,1 L9,9 M1,9 L9,1' : 'M0,0 L10,5 L0,10 z');
    }
    this.viewport = this.svg.append('g').attr('class', 'viewport');
    this.groupLayer = this.viewport.append('g').attr('class', 'groups');
    this.edgeLayer = this.viewport.append('g').attr('class', 'edges');
    this.labelLayer = this.viewport.append('g').attr('class', 'edge-labels');
    this.groupSel = this.groupLayer.selectAll<SVGGElement, GroupView>('g.group');
    this.edgeSel = this.edgeLayer.selectAll<SVGGElement, EdgeView>('g.edge');
    this.labelSel = this.labelLayer.selectAll<SVGGElement, EdgeView>('g.edge-label');
  }

  /** Joins the groups (their sockets from state.visible) and edges to draw: none in canvas mode. */
  render(groups: readonly GroupView[], edges: readonly EdgeView[]): void {
    const { hooks, state, drawn } = this;
    const model = state.model;
    const socketsById = new Map(state.visible.sockets.map((s) => [s.id, s]));
    this.groupSel = this.groupLayer.selectAll<SVGGElement, GroupView>('g.group')
      .data(groups, (d) => d.id)
      .join((enter) => {
        const g = enter.append('g').attr('class', 'group');
        g.append('rect').attr('class', 'group-box').attr('rx', 6).attr('width', GROUP_WIDTH);
        g.append('text').attr('class', 'group-label').attr('x', 8).attr('y', 15);
        g.append('g').attr('class', 'group-sockets');
        g.call(drag<SVGGElement, GroupView>()
          .on('start', (event: { active: number }, d) => hooks.drag.start(d.id, event.active))
          .on('drag', (event: { dx: number; dy: number }, d) => hooks.drag.move(d.id, event.dx, event.dy))
          .on('end', (event: { active: number }, d) => hooks.drag.end(d.id, event.active)));
        wireItem(g, hooks, (d) => groupTooltip(model, d), '.socket');
        return g;
      });
    drawn.groups.clear();
    this.groupSel.each((d, i, nodes) => {
      drawn.groups.set(d.id, nodes[i]);
      this.drawGroup(nodes[i], d);
    });

    drawn.sockets.clear();
    this.groupSel.select<SVGGElement>('g.group-sockets')
      .selectAll<SVGGElement, SocketView>('g.socket')
      .data((d) => sortedSocketIds(d).map((id) => socketsById.get(id)).filter((s): s is SocketView => s !== undefined), (d) => d.id)
      .join((enter) => {
        const s = enter.append('g').attr('class', 'socket');
        s.append('rect').attr('class', 'socket-box').attr('width', SOCKET_WIDTH).attr('height', SOCKET_HEIGHT).attr('rx', 4);
        s.append('text').attr('class', 'socket-type').attr('x', 8).attr('y', 15);
        s.append('text').attr('class', 'socket-name').attr('x', 8).attr('y', 30);
        s.append('text').attr('class', 'socket-endpoint').attr('x', SOCKET_WIDTH - 8).attr('y', 15).attr('text-anchor', 'end');
        wireItem(s, hooks, socketTooltip);
        return s;
      })
      .each((d, i, nodes) => {
        drawn.sockets.set(d.id, nodes[i]);
        setAttr(nodes[i], 'transform', `translate(${GROUP_PADDING},${state.slots.get(d.id)?.top ?? 0})`);
        this.drawSocket(nodes[i], d);
      });

    const edgeLines = (d: EdgeView): string[] => edgeTooltip(model, d, hooks.now());
    this.edgeSel = this.edgeLayer.selectAll<SVGGElement, EdgeView>('g.edge')
      .data(edges, (d) => d.id)
      .join((enter) => {
        const g = enter.append('g').attr('class', 'edge');
        g.append('path').attr('class', 'edge-line');
        g.append('path').attr('class', 'edge-hit');
        wireItem(g, hooks, edgeLines);
        return g;
      });
    drawn.edges.clear();
    this.edgeSel.each((d, i, nodes) => {
      drawn.edges.set(d.id, nodes[i]);
      this.drawEdge(nodes[i], d);
    });

    this.labelSel = this.labelLayer.selectAll<SVGGElement, EdgeView>('g.edge-label')
      .data(edges, (d) => d.id)
      .join((enter) => {
        const g = enter.append('g').attr('class', 'edge-label');
        g.append('text').attr('class', 'edge-age').attr('text-anchor', 'middle').attr('y', -4);
        const badge = g.append('g').attr('class', 'badge').attr('transform', `translate(0,${BADGE_GAP})`);
        badge.append('rect').attr('class', 'badge-box').attr('height', BADGE_HEIGHT).attr('rx', 3);
        badge.append('text').attr('class', 'badge-text').attr('text-anchor', 'middle').attr('y', 13);
        wireItem(g, hooks, edgeLines);
        return g;
      });
    drawn.labels.clear();
    const unmeasured: SVGGElement[] = [];
    this.labelSel.each((d, i, nodes) => {
      drawn.labels.set(d.id, nodes[i]);
      this.drawLabel(nodes[i], d, unmeasured);
    });
    this.measureBadges(unmeasured);
  }

  /** Redraws patched items in their elements (they are in state.visible already); edge ages at `now`. */
  patch(groups: readonly GroupView[], sockets: readonly SocketView[], edges: readonly EdgeView[], now: number): void {
    const drawn = this.drawn;
    for (const group of groups) {
      this.drawGroup(drawn.groups.get(group.id) as SVGGElement, group);
    }
    for (const socket of sockets) {
      this.drawSocket(drawn.sockets.get(socket.id) as SVGGElement, socket);
    }
    const unmeasured: SVGGElement[] = [];
    const labelsShown = this.edgeLabelsShown();
    for (const edge of edges) {
      this.drawEdge(drawn.edges.get(edge.id) as SVGGElement, edge);
      const label = drawn.labels.get(edge.id) as SVGGElement;
      this.drawLabel(label, edge, unmeasured);
      if (labelsShown) {
        this.drawAge(label, edge.id, now);
      }
    }
    this.measureBadges(unmeasured);
  }

  /** Moves groups, edges and labels to the bodies' positions (edges along their layered routes while those hold); what did not move is not written. */
  position(bodies: Bodies, routes: Routes): void {
    for (const [id, element] of this.drawn.groups) {
      const body = bodies.get(id);
      setAttr(element, 'transform', body ? `translate(${(body.x - GROUP_WIDTH / 2).toFixed(1)},${(body.y - body.height / 2).toFixed(1)})` : null);
    }
    for (const edge of this.state.visible.edges) {
      const element = this.drawn.edges.get(edge.id);
      const label = this.drawn.labels.get(edge.id);
      if (!element || !label) {
        continue;
      }
      const curve = edgeCurve(this.state.slots, bodies, edge, routes);
      const path = curve ? curvePath(curve) : '';
      for (const line of element.children) {
        setAttr(line, 'd', path);
      }
      const mid = curve ? labelAnchor(curve, routes.get(edge.id)) : undefined;
      setAttr(label, 'transform', mid ? `translate(${mid.x.toFixed(1)},${mid.y.toFixed(1)})` : null);
    }
  }

  markSelection(id: string | null): void {
    this.groupSel.classed('selected', (d) => d.id === id);
    this.groupSel.selectAll<SVGGElement, SocketView>('g.socket').classed('selected', (d) => d.id === id);
    this.edgeSel.classed('selected', (d) => d.id === id).classed('related', (d) => isRelated(d, id));
    this.labelSel.classed('selected', (d) => d.id === id);
  }

  /** Rewrites the age labels whose text changed. */
  drawAges(now: number): void {
    for (const [id, label] of this.drawn.labels) {
      this.drawAge(label, id, now);
    }
  }

  /** Whether edge labels are shown at this zoom (zoomView.ts sets the level-of-detail classes). */
  edgeLabelsShown(): boolean {
    return !this.element.classList.contains('lod-no-edge-labels');
  }

  private drawGroup(element: SVGGElement, group: GroupView): void {
    rebind(element, group);
    setAttr(element, 'data-id', group.id);
    const classes = element.classList;
    classes.toggle('exited', group.node?.state === 'exited');
    classes.toggle('stale', group.node?.state === 'stale');
    classes.toggle('probe', group.node?.probe === true);
    classes.toggle('unknown-group', group.alike === undefined && (group.node === undefined || group.node.unknown === true));
    classes.toggle('alike-group', group.alike !== undefined);
    setAttr(element.querySelector('rect.group-box') as Element, 'height', String(groupHeight(group.socketIds.length)));
    setText(element.querySelector('text.group-label'), groupTitle(this.state.model, group));
  }

  private drawSocket(element: SVGGElement, socket: SocketView): void {
    rebind(element, socket);
    setAttr(element, 'data-id', socket.id);
    const classes = element.classList;
    classes.toggle('unknown', socket.unknown === true);
    classes.toggle('without-agent', isWithoutAgent(socket));
    classes.toggle('closed', socket.closed);
    classes.toggle('failed', socketFailing(socket));
    classes.toggle('binder', socket.binds.length > 0);
    classes.toggle('matched', this.state.visible.matched.has(socket.id));
    setText(element.querySelector('text.socket-type'), socketTypeText(socket));
    setText(element.querySelector('text.socket-name'), socketNameText(socket));
    setText(element.querySelector('text.socket-endpoint'), socketEndpointText(socket));
  }

  private drawEdge(element: SVGGElement, edge: EdgeView): void {
    rebind(element, edge);
    setAttr(element, 'data-id', edge.id);
    setAttr(element, 'class', edgeClass(edge, 'edge', this.state.view.selection));
    setAttr(element.firstElementChild as Element, 'marker-end', `url(#arrow-${edge.state})`);
    // Width by traffic: a CSS variable style.css adds to the line width (CSSOM writes pass the CSP).
    const traffic = `${trafficWidth(edge)}px`;
    if (element.style.getPropertyValue('--traffic') !== traffic) {
      element.style.setProperty('--traffic', traffic);
    }
  }

  /** Label classes and the disconnect badge; badges whose text has no known width go to `unmeasured`. */
  private drawLabel(element: SVGGElement, edge: EdgeView, unmeasured: SVGGElement[]): void {
    rebind(element, edge);
    setAttr(element, 'data-id', edge.id);
    setAttr(element, 'class', edgeClass(edge, 'edge-label', this.state.view.selection));
    if (!this.state.model.edges.has(edge.id)) {
      // A group's aggregate edge has no ages to tick (drawAge): its label is drawn with it.
      setText(element.firstElementChild, aggregateLabel(edge));
    }
    const text = badgeText(edge);
    const badge = element.querySelector('g.badge') as SVGGElement;
    setAttr(badge, 'display', text === null ? 'none' : null);
    if (text !== null) {
      setText(badge.querySelector('text.badge-text'), text);
      const width = this.badgeWidths.get(text);
      if (width === undefined) {
        unmeasured.push(badge);
      } else {
        setBadgeWidth(badge, width);
      }
    }
  }

  /**
   * Sizes badges from their rendered text, in the font the workbench really uses (a per-character
   * estimate overflowed bold capitals in VS Code's font). All reads before all writes: one layout for
   * the batch, not one per badge. A badge laid out nowhere (hidden panel, labels hidden) gets the
   * estimate and is measured again when next drawn.
   */
  private measureBadges(badges: readonly SVGGElement[]): void {
    const measured = badges.map((badge) => {
      const text = badge.querySelector<SVGTextElement>('text.badge-text');
      return { badge, text: text?.textContent ?? '', length: text?.getComputedTextLength() ?? 0 };
    });
    for (const { badge, text, length } of measured) {
      const width = Math.ceil(length > 0 ? length : Array.from(text).length * 7) + 12;
      if (length > 0) {
        this.badgeWidths.set(text, width);
      }
      setBadgeWidth(badge, width);
    }
  }

  /** The age label's text now (collector clock). */
  private drawAge(label: SVGGElement, id: string, now: number): void {
    if (this.state.model.edges.has(id)) {
      setText(label.firstElementChild, ageLabel(this.state.model, id, now));
    }
  }
}

function setBadgeWidth(badge: SVGGElement, width: number): void {
  const box = badge.querySelector('rect.badge-box') as Element;
  setAttr(box, 'x', String(-width / 2));
  setAttr(box, 'width', String(width));
}
