/**
 * The scene the canvas renderer draws (canvas mode, large graphs): built from the same state, layout
 * and texts as the SVG, so the two renderers show the same picture. Pure (tested in Node).
 */
import type { CanvasEdge, CanvasGroup, CanvasScene, CanvasSocket } from './canvasRenderer';
import { edgeCurve, labelAnchor, GROUP_WIDTH, socketCenter, type Bodies, type Routes } from './geometry';
import type { GraphState } from './graphState';
import type { Neighbourhood } from './neighbourhood';
import { badgeText, groupTitle, isRelated, socketEndpointText, socketFailing, socketNameText, socketTypeText, trafficWidth } from './itemText';

/** `lit`: the hovered neighbourhood (highlight.ts), whose edges are drawn as related. */
export function buildScene(state: GraphState, bodies: Bodies, routes: Routes = new Map(), lit: Neighbourhood | null = null): CanvasScene {
  const { visible, slots } = state;
  const id = state.view.selection;
  const groups: CanvasGroup[] = [];
  for (const group of visible.groups) {
    const body = bodies.get(group.id);
    if (body) {
      groups.push({
        id: group.id, x: body.x - GROUP_WIDTH / 2, y: body.y - body.height / 2, width: GROUP_WIDTH, height: body.height, title: groupTitle(state.model, group),
        exited: group.node?.state === 'exited', stale: group.node?.state === 'stale', unknown: group.alike === undefined && (group.node === undefined || group.node.unknown === true), selected: group.id === id,
      });
    }
  }
  const sockets: CanvasSocket[] = [];
  for (const socket of visible.sockets) {
    const center = socketCenter(slots, bodies, socket.id);
    if (center) {
      sockets.push({
        id: socket.id, x: center.x, y: center.y, typeText: socketTypeText(socket), nameText: socketNameText(socket), endpointText: socketEndpointText(socket),
        unknown: socket.unknown === true, closed: socket.closed, failed: socketFailing(socket), binder: socket.binds.length > 0, matched: visible.matched.has(socket.id), selected: socket.id === id,
      });
    }
  }
  const edges: CanvasEdge[] = [];
  for (const edge of visible.edges) {
    const curve = edgeCurve(slots, bodies, edge, routes);
    if (curve) {
      edges.push({
        id: edge.id, state: edge.state, curve, exited: edge.exited === true, retryStorm: edge.retryStorm, refused: edge.routingIdClash?.serves === false || edge.incompatible !== undefined || edge.unheard === true, selected: edge.id === id,
        related: isRelated(edge, id) || lit?.edges.has(edge.id) === true, badge: badgeText(edge), label: labelAnchor(curve, routes.get(edge.id)), traffic: trafficWidth(edge),
      });
    }
  }
  return { groups, sockets, edges };
}
