/** The real TopologyStore, counting what it is given (the ingest benchmark's meter). */
import { TopologyStore as Store } from '../../src/model/store';
import type { TelemetryMsg } from '../../src/protocol/types';

export class TopologyStore extends Store {
  /** Messages applied, and events in them (per-peer traffic records, monitor events, other messages). */
  readonly counts = { messages: 0, events: 0 };

  override apply(agentKey: string, msg: TelemetryMsg, receivedAt: number): void {
    this.counts.messages++;
    this.counts.events += msg.t === 'traffic' ? msg.peers.length : 1;
    super.apply(agentKey, msg, receivedAt);
  }
}
