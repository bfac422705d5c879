/**
 * The toolbar's find box: Ctrl/Cmd+F (or its button) opens it, typing counts the matches
 * (find.ts), Enter centres and selects the next one through the same path as the host's `reveal`
 * (Shift+Enter the previous one), Escape closes it. Unlike the filter it hides nothing.
 */
import { el } from './dom';
import { countText, findMatches, stepMatch } from './find';
import type { GraphModel } from './graphModel';

export interface FindHooks {
  model(): GraphModel;
  /** Centre and select an item (dropping filters that hide it). */
  reveal(id: string): void;
}

export class FindBox {
  readonly toggle: HTMLButtonElement;
  readonly box: HTMLElement;
  readonly input: HTMLInputElement;
  readonly count: HTMLElement;
  private matches: string[] = [];
  private at = -1;
  /** The query and model version the matches were computed for. */
  private computedQuery = '';
  private computedVersion = -1;

  /** Puts the button and the (closed) box into the toolbar, before `before`. */
  constructor(toolbar: HTMLElement, before: Element | null, private readonly hooks: FindHooks) {
    this.toggle = el('button', { className: 'secondary', text: 'Find', title: 'Find a process or socket and centre it (Ctrl+F)' });
    this.toggle.type = 'button';
    this.toggle.id = 'find-toggle';
    this.toggle.setAttribute('aria-expanded', 'false');
    this.input = el('input');
    this.input.type = 'search';
    this.input.id = 'find-text';
    this.input.placeholder = 'Find: name, pid, endpoint, routing id';
    this.input.setAttribute('aria-label', 'Find a process or socket');
    this.input.spellcheck = false;
    this.count = el('span', { className: 'find-count' });
    this.count.setAttribute('role', 'status');
    this.count.setAttribute('aria-live', 'polite');
    this.box = el('span', { className: 'find-box' }, this.input, this.count);
    this.box.id = 'find';
    this.box.hidden = true;
    toolbar.insertBefore(this.toggle, before);
    toolbar.insertBefore(this.box, before);

    this.toggle.addEventListener('click', () => (this.box.hidden ? this.open() : this.close()));
    this.input.addEventListener('input', () => this.recount());
    this.input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') {
        event.preventDefault();
        this.next(event.shiftKey ? -1 : 1);
      } else if (event.key === 'Escape') {
        // Closing the box is all Escape does here: the page's Escape (clear the selection) waits.
        event.stopPropagation();
        this.close();
      }
    });
  }

  /** Ctrl/Cmd+F anywhere on the page opens the box (the page is the graph). */
  listen(target: Document): void {
    target.addEventListener('keydown', (event) => {
      if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === 'f') {
        event.preventDefault();
        this.open();
      }
    });
  }

  open(): void {
    this.box.hidden = false;
    this.toggle.setAttribute('aria-expanded', 'true');
    this.input.focus();
    this.input.select();
  }

  close(): void {
    this.box.hidden = true;
    this.toggle.setAttribute('aria-expanded', 'false');
    this.toggle.focus();
  }

  /** Goes to the next (1) or previous (-1) match, centring and selecting it. */
  next(step: 1 | -1): void {
    this.refreshMatches();
    this.at = stepMatch(this.at, this.matches.length, step);
    if (this.at >= 0) {
      this.hooks.reveal(this.matches[this.at]);
    }
    this.count.textContent = countText(this.at, this.matches.length, this.input.value);
  }

  private recount(): void {
    this.refreshMatches();
    this.count.textContent = countText(this.at, this.matches.length, this.input.value);
  }

  /** Matches anew when the query or the model changed, staying on the current match if it is still one. */
  private refreshMatches(): void {
    const model = this.hooks.model();
    const query = this.input.value;
    if (query === this.computedQuery && model.version === this.computedVersion) {
      return;
    }
    const queryChanged = query !== this.computedQuery;
    const current = this.matches[this.at];
    this.computedQuery = query;
    this.computedVersion = model.version;
    this.matches = findMatches(model, query.slice(0, 200));
    this.at = queryChanged || current === undefined ? -1 : this.matches.indexOf(current);
  }
}
