/** Where the app created a socket: the first stack frame outside the agent and zeromq.js itself. */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CreationSite } from '../protocol/types';

const FRAME = /\(?((?:file:\/\/)?[^\s()]+):(\d+):(\d+)\)?\s*$/;
const ZEROMQ_FILE = /[\\/]node_modules[\\/]zeromq[\\/]/;

export function creationSite(agentDir: string): CreationSite | undefined {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 40;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  for (const line of stack.split('\n').slice(1)) {
    const m = FRAME.exec(line);
    if (!m) continue;
    let file = m[1];
    if (file.startsWith('node:')) continue;
    if (file.startsWith('file://')) {
      try {
        file = fileURLToPath(file);
      } catch {
        continue;
      }
    }
    if (!path.isAbsolute(file) || file.startsWith(agentDir + path.sep) || ZEROMQ_FILE.test(file)) continue;
    return { file, line: Number(m[2]), column: Number(m[3]) };
  }
  return undefined;
}
