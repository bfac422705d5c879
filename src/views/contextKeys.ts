/**
 * The context keys package.json's `when` clauses use, computed from the state. Pure (no vscode).
 */
import type { CollectorPhase, TopologySnapshot } from '../shared/snapshot';

export interface ContextKeyValues {
  'zmqTopology.collectorRunning': boolean;
  /** 'starting' | 'running' | 'stopped' | 'failed' */
  'zmqTopology.collectorState': CollectorPhase;
  /** At least one process (any state) is in the topology: the tree shows it instead of the welcome. */
  'zmqTopology.hasNodes': boolean;
  'zmqTopology.hasSockets': boolean;
  'zmqTopology.hasExited': boolean;
  'zmqTopology.paused': boolean;
}

export function contextKeyValues(snapshot: TopologySnapshot, phase: CollectorPhase, paused: boolean): ContextKeyValues {
  return {
    'zmqTopology.collectorRunning': phase === 'running',
    'zmqTopology.collectorState': phase,
    'zmqTopology.hasNodes': snapshot.nodes.length > 0 || snapshot.sockets.length > 0,
    'zmqTopology.hasSockets': snapshot.sockets.some((s) => !s.unknown),
    'zmqTopology.hasExited': snapshot.nodes.some((n) => n.state === 'exited'),
    'zmqTopology.paused': paused,
  };
}
