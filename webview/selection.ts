/**
 * The selected item: what the host is told, which drawn items are marked, and the details pane
 * (rebuilt only when the selected item itself changed, so reading or copying in it is not
 * disturbed). `wireItem` is the one set of click and hover handlers every SVG item gets.
 */
import type { Selection } from 'd3-selection';
import type { EdgeView, NodeView, SocketView } from '../src/shared/snapshot';
import type { WebviewMessage } from '../src/shared/messages';
import { renderDetails, type DetailsTicker } from './details';
import type { GraphModel, Observed } from './graphModel';
import { collectorNow, type GraphState } from './graphState';
import type { Tooltip } from './tooltips';

/** The model entry the details pane shows for an id, or null. */
export function selectedSubject(model: GraphModel, id: string | null): Observed<EdgeView> | Observed<SocketView> | Observed<NodeView> | null {
  return id === null ? null : model.edges.get(id) ?? model.sockets.get(id) ?? model.nodes.get(id) ?? null;
}

export interface SelectionHost {
  post(message: WebviewMessage): void;
  saveState(): void;
}

export class SelectionController {
  private subject: unknown = undefined;
  private ticker: DetailsTicker | null = null;

  /** `mark` shows the selection on the drawn items (both renderers). */
  constructor(
    private readonly state: GraphState,
    private readonly pane: HTMLElement,
    private readonly host: SelectionHost,
    private readonly mark: (id: string | null) => void,
  ) {}

  select(id: string | null): void {
    this.state.view.selection = id;
    this.host.post({ type: 'selected', id });
    this.refresh();
    this.host.saveState();
  }

  /** Marks the selection again (after a render) and refreshes the details pane. */
  refresh(): void {
    this.mark(this.state.view.selection);
    this.refreshDetails();
  }

  refreshDetails(): void {
    const { model, view } = this.state;
    const subject = selectedSubject(model, view.selection);
    if (subject !== this.subject) {
      this.subject = subject;
      this.ticker = renderDetails(this.pane, view.selection, { model, now: () => collectorNow(this.state), until: this.state.instant, post: (m) => this.host.post(m) });
    }
  }

  /** Rebuilds the details pane even if the subject is the same (the timeline's instant changed). */
  invalidate(): void {
    this.subject = undefined;
    this.refreshDetails();
  }

  /** Refreshes the ages in the details pane. */
  tick(): void {
    this.ticker?.();
  }
}

export interface ItemEvents {
  select(id: string | null): void;
  readonly tooltip: Tooltip;
}

/**
 * Click selects the item (and goes no further up: a socket's click is not its process's), hover
 * shows its tooltip. `notInside`: clicks on descendants matching it are left to those.
 */
export function wireItem<T extends { id: string }, P extends Element>(
  items: Selection<SVGGElement, T, P, unknown>, events: ItemEvents, lines: (item: T) => string[], notInside?: string,
): void {
  items
    .on('click', (event: MouseEvent, d) => {
      if (notInside === undefined || (event.target as Element).closest(notInside) === null) {
        event.stopPropagation();
        events.select(d.id);
      }
    })
    .on('mouseenter', (event: MouseEvent, d) => events.tooltip.show(event, lines(d)))
    .on('mousemove', (event: MouseEvent) => events.tooltip.move(event))
    .on('mouseleave', () => events.tooltip.hide());
}
