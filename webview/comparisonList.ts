/**
 * "What changed between t1 and t2" (the host's answer to `compare`), as a list under the timeline:
 * each change is a button that reveals its item in the graph (seeking first to an instant where the
 * item exists when the graph does not hold it now). Texts come from the host: shown with textContent.
 */
import { TIMELINE_LIMITS, type Comparison } from '../src/shared/timeline';
import { safeText } from '../src/shared/format';
import { el } from './dom';
import { CHANGE_GLYPHS, revealInstant } from './timelineModel';

export interface ComparisonActions {
  /** How an instant is written (an offset on the timeline). */
  offset(at: number): string;
  /** Reveal `id`; `at` is an instant at which it exists. */
  choose(id: string, at: number): void;
}

const CHANGE_WORDS = { added: 'added', removed: 'gone', state: 'state change' } as const;

export class ComparisonList {
  constructor(readonly root: HTMLElement, private readonly actions: ComparisonActions) {
    root.id = 'comparison';
    root.hidden = true;
    root.setAttribute('role', 'region');
    root.setAttribute('aria-label', 'Changes between two instants');
  }

  show(comparison: Comparison): void {
    const { root, actions } = this;
    const changes = comparison.changes.slice(0, TIMELINE_LIMITS.changes);
    const close = el('button', { className: 'secondary', text: '×', title: 'Close the comparison' });
    close.type = 'button';
    close.setAttribute('aria-label', 'Close the comparison');
    close.addEventListener('click', () => this.hide());
    const counts = (['added', 'removed', 'state'] as const)
      .map((kind) => [kind, changes.filter((c) => c.change === kind).length] as const)
      .filter(([, n]) => n > 0)
      .map(([kind, n]) => `${n} ${CHANGE_WORDS[kind]}`);
    const heading = el('h3', { text: `Changes from ${actions.offset(comparison.from)} to ${actions.offset(comparison.to)}: ${counts.length ? counts.join(', ') : 'none'}` });
    const list = el('ul', { className: 'plain comparison-items' });
    for (const change of changes) {
      const item = el('button', { className: `comparison-item change-${change.change}`, title: `${CHANGE_WORDS[change.change]}: reveal in the graph` },
        el('span', { className: 'change-glyph', text: CHANGE_GLYPHS[change.change] }),
        document.createTextNode(` ${safeText(change.text)}`));
      item.type = 'button';
      item.dataset.id = change.id;
      item.addEventListener('click', () => actions.choose(change.id, revealInstant(change.change, comparison)));
      list.appendChild(el('li', {}, item));
    }
    root.replaceChildren(el('div', { className: 'comparison-head' }, heading, close));
    root.appendChild(changes.length ? list : el('p', { className: 'muted', text: 'Nothing changed between those instants.' }));
    root.hidden = false;
  }

  hide(): void {
    this.root.hidden = true;
  }
}
