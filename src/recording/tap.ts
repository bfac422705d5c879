/**
 * The recorder as a tap on a TopologyStore: it sees every input the store gets (the collector's
 * telemetry, agent-gone and malformed calls, collector status, the probes' telemetry, Clear Exited,
 * the kernel's names of peers without an agent),
 * whoever makes the call, so the CLI and the extension record the same way without the collector or
 * the probes knowing. Each input is written first, then applied.
 */
import type { TopologyStore } from '../model/store';
import type { TelemetryMsg } from '../protocol/types';
import type { CollectorStatus, KernelPeer } from '../shared/snapshot';

/** What hears the store's inputs: the Recorder (a file), the live ring (memory), or both (SinkFanout). */
export interface InputSink {
  telemetry(agentKey: string, msg: TelemetryMsg, receivedAt: number): void;
  agentGone(agentKey: string, reason: string, at: number): void;
  malformed(agentKey: string | undefined, reason: string, detail: string): void;
  collectorStatus(status: CollectorStatus): void;
  clearExited(): void;
  kernelPeers(found: ReadonlyMap<string, KernelPeer[]>): void;
}

export interface StoreTap {
  /** Puts the store's own methods back. */
  dispose(): void;
}

export function tapStore(store: TopologyStore, recorder: InputSink): StoreTap {
  const own = {
    apply: store.apply,
    agentGone: store.agentGone,
    malformed: store.malformed,
    setCollectorStatus: store.setCollectorStatus,
    clearExited: store.clearExited,
    setKernelPeers: store.setKernelPeers,
  };
  const hadOwn = Object.keys(own).filter((k) => Object.prototype.hasOwnProperty.call(store, k));
  store.apply = function apply(agentKey, msg, receivedAt) {
    recorder.telemetry(agentKey, msg, receivedAt);
    own.apply.call(store, agentKey, msg, receivedAt);
  };
  store.agentGone = function agentGone(agentKey, reason, at) {
    recorder.agentGone(agentKey, reason, at);
    own.agentGone.call(store, agentKey, reason, at);
  };
  store.malformed = function malformed(agentKey, reason, detail) {
    recorder.malformed(agentKey, reason, detail);
    own.malformed.call(store, agentKey, reason, detail);
  };
  store.setCollectorStatus = function setCollectorStatus(status) {
    recorder.collectorStatus(status);
    own.setCollectorStatus.call(store, status);
  };
  store.clearExited = function clearExited() {
    recorder.clearExited();
    own.clearExited.call(store);
  };
  // Read every 2 s and mostly the same: written only when it changed the store, after it did (an input
  // that changes nothing changes nothing on replay either).
  store.setKernelPeers = function setKernelPeers(found) {
    const any = own.setKernelPeers.call(store, found);
    if (any) recorder.kernelPeers(found);
    return any;
  };
  return {
    dispose: () => {
      for (const key of Object.keys(own) as (keyof typeof own)[]) {
        if (hadOwn.includes(key)) (store as unknown as Record<string, unknown>)[key] = own[key];
        else delete (store as unknown as Record<string, unknown>)[key];
      }
    },
  };
}
