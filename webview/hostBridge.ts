/**
 * The page's side of the VS Code boundary: messages to the host, the state that survives hide/show
 * (saved at most every 100 ms), and host messages in (checked by isHostMessage). The bootstrap gets
 * the api from acquireVsCodeApi() and the window; nothing here runs until it is called.
 */
import { isHostMessage, type HostMessage, type WebviewMessage } from '../src/shared/messages';
import type { ViewState } from './viewState';

export interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  getState(): unknown;
  setState(state: ViewState): void;
}

const SAVE_DELAY_MS = 100;

export class HostBridge {
  private saveQueued = false;

  constructor(
    private readonly api: VsCodeApi,
    private readonly view: ViewState,
    private readonly schedule: (run: () => void, ms: number) => unknown = (run, ms) => setTimeout(run, ms),
  ) {}

  post(message: WebviewMessage): void {
    this.api.postMessage(message);
  }

  /** Saves the view state soon: a burst of changes is one write. */
  saveState(): void {
    if (this.saveQueued) {
      return;
    }
    this.saveQueued = true;
    this.schedule(() => {
      this.saveQueued = false;
      this.api.setState(this.view);
    }, SAVE_DELAY_MS);
  }

  /** Hands every well-formed host message posted to `target` to `handler`; anything else is dropped. */
  listen(target: Pick<Window, 'addEventListener'>, handler: (message: HostMessage) => void): void {
    target.addEventListener('message', (event: MessageEvent<unknown>) => {
      if (isHostMessage(event.data)) {
        handler(event.data);
      }
    });
  }
}
