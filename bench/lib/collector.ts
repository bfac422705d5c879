/** A real collector + store in the benchmark process, as the extension host runs them. */
import net from 'node:net';
import { Collector } from '../../src/collector/collector';
import { TopologyStore } from '../../src/model/store';

export interface RunningCollector {
  store: TopologyStore;
  collector: Collector;
  endpoint: string;
  stop(): Promise<void>;
}

export async function startCollector(store = new TopologyStore()): Promise<RunningCollector> {
  store.start();
  const collector = new Collector(store, { port: 0, fallbackToFreePort: false });
  const endpoint = await collector.start();
  return {
    store, collector, endpoint,
    stop: async () => {
      await collector.stop();
      store.dispose();
    },
  };
}

/** A loopback endpoint nobody listens on (an agent pointed here drops everything). */
export async function deadEndpoint(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `tcp://127.0.0.1:${port}`;
}
