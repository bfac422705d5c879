/**
 * Runs ELK (elkLayout.ts builds its input) in a web worker, so a layout of hundreds of processes
 * never blocks drawing or input. The worker is elkjs's own worker script, bundled as text and started
 * from a blob: URL (a webview's scripts come from another origin than the page, and a worker must be
 * same-origin; the page's CSP allows `worker-src blob:` for this, src/views/graphPanel.ts). One layout
 * runs at a time; a newer request supersedes an older one, and a layout that takes too long is given
 * up (the worker is restarted) so the built-in layering stays.
 */
import ELK, { type ELK as ElkApi, type ElkNode } from 'elkjs/lib/elk-api';
import workerSource from 'elkjs/lib/elk-worker.min.js?raw';

/** A layout still running after this long is given up: the built-in layering stays on screen. */
const LAYOUT_TIMEOUT_MS = 15_000;

export class ElkRunner {
  private elk: ElkApi | null = null;
  private url: string | null = null;
  private generation = 0;

  /** ELK's layout of `graph`; 'superseded' when a newer request was made meanwhile; null when too slow or failed (`failed` says why). */
  async layout(graph: ElkNode, failed: (why: string) => void): Promise<ElkNode | 'superseded' | null> {
    const generation = ++this.generation;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const elk = this.start();
      const timeout = new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), LAYOUT_TIMEOUT_MS);
      });
      const result = await Promise.race([elk.layout(graph), timeout]);
      if (result === null) {
        this.restart();
        failed(`ELK took over ${LAYOUT_TIMEOUT_MS / 1000} s`);
        return null;
      }
      return generation === this.generation ? result : 'superseded';
    } catch (error) {
      this.restart();
      failed(error instanceof Error ? error.message : String(error));
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  private start(): ElkApi {
    if (this.elk === null) {
      this.url ??= URL.createObjectURL(new Blob([workerSource], { type: 'text/javascript' }));
      const url = this.url;
      this.elk = new ELK({ workerFactory: () => new Worker(url) });
    }
    return this.elk;
  }

  private restart(): void {
    this.elk?.terminateWorker();
    this.elk = null;
  }
}
