/**
 * The hover tooltip: one element, filled with text lines (never HTML) and kept inside the graph's
 * container. `tooltipLines` finds an item's lines by kind and id, for the canvas's hit tests.
 */
import { clear, el } from './dom';
import { collectorNow, type GraphState } from './graphState';
import { edgeTooltip, groupTooltip, socketTooltip } from './itemText';

export type ItemKind = 'edge' | 'socket' | 'group';

export class Tooltip {
  constructor(private readonly element: HTMLElement, private readonly container: HTMLElement) {}

  show(event: MouseEvent, lines: readonly string[]): void {
    clear(this.element);
    for (const line of lines) {
      this.element.appendChild(el('div', { text: line }));
    }
    this.element.hidden = false;
    this.move(event);
  }

  move(event: MouseEvent): void {
    const tooltip = this.element;
    const bounds = this.container.getBoundingClientRect();
    const x = Math.min(event.clientX - bounds.left + 14, bounds.width - tooltip.offsetWidth - 4);
    const y = Math.min(event.clientY - bounds.top + 14, bounds.height - tooltip.offsetHeight - 4);
    // CSSOM writes are allowed by the CSP (only style attributes/elements are not).
    tooltip.style.left = `${Math.max(0, x)}px`;
    tooltip.style.top = `${Math.max(0, y)}px`;
  }

  hide(): void {
    this.element.hidden = true;
  }
}

/** The tooltip of a drawn item, or undefined when no item of that kind and id is drawn. */
export function tooltipLines(state: GraphState, kind: ItemKind, id: string): string[] | undefined {
  const { visible, index } = state;
  if (kind === 'edge') {
    const at = index.edges.get(id);
    return at === undefined ? undefined : edgeTooltip(state.model, visible.edges[at], collectorNow(state));
  }
  if (kind === 'socket') {
    const at = index.sockets.get(id);
    return at === undefined ? undefined : socketTooltip(visible.sockets[at]);
  }
  const at = index.groups.get(id);
  return at === undefined ? undefined : groupTooltip(state.model, visible.groups[at]);
}
