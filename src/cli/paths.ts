/** Where the agents live, for the CLI: next to the bundle (dist/) or in the tsc output (out/src/cli). */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface AgentPaths {
  nodeAgent: string;
  pythonAgentDir: string;
  packageRoot: string;
}

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string }).name === 'zmq-topology') return dir;
    if (path.dirname(dir) === dir) throw new Error(`zmq-topology's package.json not found above ${from}`);
  }
}

export function agentPaths(fromDir: string = __dirname): AgentPaths {
  const packageRoot = findPackageRoot(fromDir);
  const bundled = path.join(fromDir, 'agent.js');
  const nodeAgent = fs.existsSync(bundled) ? bundled : path.join(fromDir, '..', 'agent', 'preload.js');
  return { nodeAgent, pythonAgentDir: path.join(packageRoot, 'agents', 'python'), packageRoot };
}
