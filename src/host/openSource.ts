/**
 * Go to Socket Source, the pure part: where a socket's creation site (SocketView.site) is, as an
 * editor opens it; and the error whose message is meant for the user as it is.
 */
import type { CreationSite } from '../shared/sockets';

/** An error whose message says, in the user's terms, what is missing: shown as it is, not as a crash. */
export class UserFacingError extends Error {}

export interface SourceLocation {
  /** A file:// URI when the site was one (ESM stacks), else an absolute or relative path. */
  kind: 'uri' | 'path';
  value: string;
  /** Zero-based, for an editor selection. */
  line: number;
  character: number;
}

/** Where to open a creation site: stack traces give 1-based lines and columns. */
export function sourceLocation(site: CreationSite): SourceLocation {
  const line = Math.max(0, Math.floor(site.line) - 1);
  const character = site.column !== undefined ? Math.max(0, Math.floor(site.column) - 1) : 0;
  if (/^file:\/\//i.test(site.file)) return { kind: 'uri', value: site.file, line, character };
  return { kind: 'path', value: site.file, line, character };
}
