/**
 * Neighbourhood highlight: hovering a process or socket (or focusing a process with the keyboard)
 * lights up its neighbourhood (neighbourhood.ts) and dims the rest. In the SVG the root gets the
 * class `hood-active` and the lit items the attribute `data-hood` (an attribute, not a class: the
 * renderer rewrites an edge's class attribute whole when a diff patches it, which would drop a
 * class but keeps the attribute). In canvas mode the hover comes from the canvas's hit test and the
 * scene draws the lit edges as related (canvasScene.ts).
 */
import type { GraphState } from './graphState';
import { neighbourhood, type Neighbourhood } from './neighbourhood';

/** The drawn items that can be lit, and which set of the neighbourhood each kind is looked up in. */
const ITEMS = 'g.group[data-id], g.socket[data-id], g.edge[data-id], g.edge-label[data-id]';

function setOf(hood: Neighbourhood, element: Element): Set<string> {
  const classes = element.classList;
  return classes.contains('group') ? hood.groups : classes.contains('socket') ? hood.sockets : hood.edges;
}

export interface HighlightHooks {
  /** Select an item (Enter or Space on a focused process). */
  select(id: string): void;
  /** The neighbourhood changed while the canvas draws the graph: redraw it. */
  canvasChanged(): void;
}

export class Highlight {
  /** The hovered or focused item, or null. */
  private source: string | null = null;
  private lit: Neighbourhood | null = null;
  private marked: Element[] = [];

  constructor(private readonly svg: SVGSVGElement, private readonly state: GraphState, private readonly hooks: HighlightHooks) {
    svg.addEventListener('mouseover', (event) => {
      if (!state.canvasMode) {
        this.show(itemIdAt(event.target, 'g.socket[data-id], g.group[data-id]'));
      }
    });
    svg.addEventListener('mouseleave', () => this.show(null));
    svg.addEventListener('focusin', (event) => this.show(itemIdAt(event.target, 'g.group[data-id]')));
    svg.addEventListener('focusout', () => this.show(null));
    svg.addEventListener('keydown', (event) => {
      const id = itemIdAt(event.target, 'g.group[data-id]');
      if (id !== null && (event.key === 'Enter' || event.key === ' ')) {
        event.preventDefault();
        hooks.select(id);
      }
    });
  }

  /** The neighbourhood lit now (the canvas scene draws it), or null. */
  get neighbourhood(): Neighbourhood | null {
    return this.lit;
  }

  /** Lights the neighbourhood of `id` (null: none). */
  show(id: string | null): void {
    if (id !== this.source) {
      this.source = id;
      this.refresh();
    }
  }

  /**
   * After a full render: processes become focusable, and the marks follow the newly drawn items
   * (the lit item may be gone, or its neighbourhood changed).
   */
  refresh(): void {
    for (const group of this.svg.querySelectorAll('g.group[data-id]:not([tabindex])')) {
      group.setAttribute('tabindex', '0');
    }
    for (const element of this.marked) {
      element.removeAttribute('data-hood');
    }
    this.marked = [];
    const hood = this.source === null ? null : neighbourhood(this.state.visible, this.source);
    const hadCanvasHood = this.lit !== null && this.state.canvasMode;
    this.lit = hood;
    this.svg.classList.toggle('hood-active', hood !== null && !this.state.canvasMode);
    if (this.state.canvasMode) {
      if (hood !== null || hadCanvasHood) {
        this.hooks.canvasChanged();
      }
      return;
    }
    if (hood !== null) {
      for (const element of this.svg.querySelectorAll(ITEMS)) {
        if (setOf(hood, element).has(element.getAttribute('data-id') ?? '')) {
          element.setAttribute('data-hood', '');
          this.marked.push(element);
        }
      }
    }
  }
}

function itemIdAt(target: EventTarget | null, selector: string): string | null {
  return target instanceof Element ? target.closest(selector)?.getAttribute('data-id') ?? null : null;
}
