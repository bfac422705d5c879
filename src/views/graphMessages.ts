/**
 * What the graph panel host does with a message from the webview, minus vscode: every message is
 * checked with isWebviewMessage() first, and anything else is refused and reported, never acted on.
 * Pure, so the refusal of hostile messages is tested in plain Node.
 */
import { isWebviewMessage, type WebviewMessage } from '../../webview/messages';

export interface WebviewMessageHandlers {
  ready(): void;
  goToSource(socketId: string): void;
  selected(id: string | null): void;
  copy(text: string): void;
  svg(requestId: number, svg: string): void;
  setPaused(paused: boolean): void;
  /** A message that failed validation; `summary` is safe to log (type and size only). */
  refused(summary: string): void;
}

/** A log-safe description of something that failed validation (never the content itself). */
export function describeRefused(raw: unknown): string {
  if (typeof raw !== 'object' || raw === null) return `a ${raw === null ? 'null' : typeof raw} value`;
  if (Array.isArray(raw)) return `an array of ${raw.length}`;
  const type = (raw as { type?: unknown }).type;
  const shownType = typeof type === 'string' ? JSON.stringify(type.slice(0, 40)) : typeof type;
  return `an object with type ${shownType} and keys ${Object.keys(raw).slice(0, 8).map((k) => JSON.stringify(k.slice(0, 40))).join(', ')}`;
}

/** Validates and dispatches; returns the message when it was accepted. */
export function routeWebviewMessage(raw: unknown, h: WebviewMessageHandlers): WebviewMessage | undefined {
  if (!isWebviewMessage(raw)) {
    h.refused(describeRefused(raw));
    return undefined;
  }
  switch (raw.type) {
    case 'ready': h.ready(); break;
    case 'goToSource': h.goToSource(raw.socketId); break;
    case 'selected': h.selected(raw.id); break;
    case 'copy': h.copy(raw.text); break;
    case 'svg': h.svg(raw.requestId, raw.svg); break;
    case 'setPaused': h.setPaused(raw.paused); break;
  }
  return raw;
}

/** Outstanding requestSvg round trips: each resolves with the webview's answer or fails on timeout. */
export class SvgRequests {
  private next = 1;
  private readonly pending = new Map<number, { resolve(svg: string): void; reject(err: Error): void; timer: ReturnType<typeof setTimeout> }>();

  /** Starts a request: `send` posts it; the promise settles on answer(), timeout or cancelAll(). */
  request(send: (requestId: number) => void, timeoutMs: number): Promise<string> {
    const requestId = this.next++;
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new Error(`the graph did not answer the SVG export within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.pending.set(requestId, { resolve, reject, timer });
      try {
        send(requestId);
      } catch (err) {
        clearTimeout(timer);
        this.pending.delete(requestId);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /** True when the answer matched a request we made (unsolicited answers are ignored). */
  answer(requestId: number, svg: string): boolean {
    const entry = this.pending.get(requestId);
    if (!entry) return false;
    clearTimeout(entry.timer);
    this.pending.delete(requestId);
    entry.resolve(svg);
    return true;
  }

  cancelAll(reason: string): void {
    for (const [id, entry] of this.pending) {
      clearTimeout(entry.timer);
      entry.reject(new Error(reason));
      this.pending.delete(id);
    }
  }

  get size(): number {
    return this.pending.size;
  }
}
