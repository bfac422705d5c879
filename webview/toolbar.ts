/**
 * The toolbar (filters, layout, fit, pause, legend toggle), the status line, the empty-graph
 * message and the legend. The texts are pure functions of the state (tested in Node); `Toolbar`
 * writes them into the page's elements and turns their events into `ToolbarActions`.
 */
import { EDGE_STATES, type EdgeState } from '../src/shared/snapshot';
import type { SocketType } from '../src/shared/sockets';
import { processCounts, processCountText, STATE_STYLES } from '../src/shared/format';
import { clear, el } from './dom';
import { isFiltering, socketTypesPresent, type Filters, type GraphModel } from './graphModel';
import type { GraphState } from './graphState';
import { layoutOf, type LayoutMode } from './viewState';

const SVG_NS = 'http://www.w3.org/2000/svg';

export interface ToolbarElements {
  filterText: HTMLInputElement;
  filterType: HTMLSelectElement;
  filterState: HTMLSelectElement;
  hideDisconnected: HTMLInputElement;
  layoutSelect: HTMLSelectElement;
  fitButton: HTMLButtonElement;
  pauseButton: HTMLButtonElement;
  legendButton: HTMLButtonElement;
  legend: HTMLElement;
  statusText: HTMLElement;
  emptyMessage: HTMLElement;
}

export interface ToolbarActions {
  filtersChanged(filters: Filters): void;
  layoutChanged(layout: LayoutMode): void;
  fit(): void;
  togglePause(): void;
  legendToggled(): void;
}

/** The status line: counts, what the filters show, collector trouble, pause. */
export function statusLine(state: GraphState): string {
  const { model, view, visible, paused, heldUpdates } = state;
  const processes = processCountText(processCounts([...model.nodes.values()].map((n) => n.item)));
  const counts = `${processes} · ${model.sockets.size} sockets · ${model.edges.size} connections`;
  const shown = isFiltering(view.filters) || view.filters.hideDisconnected ? ` (showing ${visible.sockets.length} sockets, ${visible.edges.length} connections)` : '';
  const collector = model.collector && !model.collector.listening ? ' · collector not listening' : '';
  const malformed = model.collector ? Object.values(model.collector.malformed).reduce((sum, n) => sum + n, 0) : 0;
  const discarded = model.collector?.discarded ? Object.values(model.collector.discarded).reduce((sum, n) => sum + n, 0) : 0;
  const held = paused ? ` · paused${heldUpdates ? `, ${heldUpdates} update(s) held` : ''}` : '';
  return `${counts}${shown}${collector}${malformed ? ` · ${malformed} malformed frame(s)` : ''}${discarded ? ` · ${discarded} telemetry item(s) discarded` : ''}${held}`;
}

/** What the empty graph says (shown only when no group is visible). */
export function emptyText(state: GraphState): string {
  const { model } = state;
  return !state.receivedAnything ? 'Waiting for telemetry…' : model.nodes.size === 0 && model.sockets.size === 0 ? 'No ZeroMQ processes seen yet.' : 'Nothing matches the filters.';
}

/** The type filter's options ('' = all): the types present, and the chosen one even when none is left. */
export function typeOptions(model: GraphModel, chosen: SocketType | ''): Array<SocketType | ''> {
  const types = socketTypesPresent(model);
  if (chosen && !types.includes(chosen)) {
    types.push(chosen);
  }
  return ['', ...types];
}

export class Toolbar {
  constructor(private readonly els: ToolbarElements, private readonly state: GraphState) {}

  bind(actions: ToolbarActions): void {
    const { filterText, filterType, filterState, hideDisconnected, layoutSelect, fitButton, pauseButton, legendButton } = this.els;
    const filtersChanged = (): void => actions.filtersChanged({
      text: filterText.value.slice(0, 200),
      socketType: filterType.value as Filters['socketType'],
      state: filterState.value as EdgeState | '',
      hideDisconnected: hideDisconnected.checked,
    });
    filterText.addEventListener('input', filtersChanged);
    filterType.addEventListener('change', filtersChanged);
    filterState.addEventListener('change', filtersChanged);
    hideDisconnected.addEventListener('change', filtersChanged);
    layoutSelect.addEventListener('change', () => actions.layoutChanged(layoutSelect.value === 'layered' ? 'layered' : 'force'));
    fitButton.addEventListener('click', () => actions.fit());
    pauseButton.addEventListener('click', () => actions.togglePause());
    legendButton.addEventListener('click', () => actions.legendToggled());
  }

  /** Puts the view state into the controls (at start, and when a reveal drops the filters). */
  sync(): void {
    const { view } = this.state;
    this.els.filterText.value = view.filters.text;
    this.els.filterState.value = view.filters.state;
    this.els.hideDisconnected.checked = view.filters.hideDisconnected;
    this.els.layoutSelect.value = layoutOf(view, this.state.model);
    this.showLegend();
    this.refreshTypeOptions();
  }

  showLegend(): void {
    const open = this.state.view.legendOpen;
    this.els.legend.hidden = !open;
    this.els.legendButton.setAttribute('aria-expanded', String(open));
  }

  refresh(): void {
    const { els, state } = this;
    this.refreshTypeOptions();
    els.statusText.textContent = statusLine(state);
    els.emptyMessage.hidden = state.visible.groups.length > 0;
    els.emptyMessage.textContent = emptyText(state);
    // Not chosen yet: the layout follows the topology (a ROUTER arriving makes it layered).
    const layout = layoutOf(state.view, state.model);
    if (els.layoutSelect.value !== layout) {
      els.layoutSelect.value = layout;
    }
    els.pauseButton.textContent = state.paused ? 'Resume' : 'Pause';
    els.pauseButton.setAttribute('aria-pressed', String(state.paused));
  }

  setStatus(text: string): void {
    this.els.statusText.textContent = text;
  }

  private refreshTypeOptions(): void {
    const filterType = this.els.filterType;
    const chosen = this.state.view.filters.socketType;
    const wanted = typeOptions(this.state.model, chosen);
    const current = Array.from(filterType.options).map((o) => o.value);
    if (current.join('|') !== wanted.join('|')) {
      clear(filterType);
      for (const type of wanted) {
        const option = el('option', { text: type === '' ? 'all types' : type });
        option.value = type;
        filterType.appendChild(option);
      }
    }
    filterType.value = chosen;
  }

  buildLegend(): void {
    const legend = this.els.legend;
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
      ['legend-process', 'process: name (pid), its sockets inside; a bound socket shows its endpoint (:5555)'],
      ['legend-unknown', 'dashed: unknown peer (a routing id no known socket claims)'],
      ['legend-exited', 'greyed: process exited (kept until cleared)'],
      ['legend-badge', '⊘ badge: last disconnect message (or reason) on that connection'],
    ]) {
      legend.appendChild(el('div', { className: `legend-row ${className}`, text }));
    }
    legend.appendChild(el('p', { className: 'muted', text: 'Labels: ♥ heartbeat age (traffic age when no heartbeat was ever seen) and msg/s; a glyph only when not connected. Wider lines carry more messages.' }));
  }
}
