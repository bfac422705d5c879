/** The one agent per process, however many times preload.js / index.js are loaded. */
import { Agent, type AgentConfig } from './agent';
import { hookLoads, patchLoaded } from './patch';

const KEY = Symbol.for('zmq-topology.agent');
type Holder = { [KEY]?: Agent };

export function currentAgent(): Agent | undefined {
  return (globalThis as Holder)[KEY];
}

/** Starts the agent unless one runs; undefined when there is no collector endpoint. */
export function startAgent(config: Partial<AgentConfig> = {}): Agent | undefined {
  const existing = currentAgent();
  if (existing) return existing;
  const endpoint = config.endpoint ?? process.env.ZMQ_TOPOLOGY_ENDPOINT;
  if (!endpoint) return undefined;
  const agent = new Agent({
    endpoint,
    node: config.node ?? process.env.ZMQ_TOPOLOGY_NODE,
    heartbeats: config.heartbeats ?? process.env.ZMQ_TOPOLOGY_HEARTBEATS,
  }, __dirname);
  (globalThis as Holder)[KEY] = agent;
  hookLoads(agent);
  patchLoaded(agent);
  return agent;
}
