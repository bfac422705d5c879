/**
 * Opens the line of code that created a socket (SocketView.site). Errors say what is missing.
 */
import * as vscode from 'vscode';
import type { TopologySnapshot } from '../shared/snapshot';
import { nodeLabel, siteLabel, socketTitle } from '../shared/format';
import { sourceLocation, UserFacingError } from './openSource';

export async function openSocketSource(snapshot: TopologySnapshot, socketId: string): Promise<void> {
  const socket = snapshot.sockets.find((s) => s.id === socketId);
  if (!socket) throw new UserFacingError(`No socket ${JSON.stringify(socketId.slice(0, 200))} in the current topology (it may have been cleared)`);
  const node = snapshot.nodes.find((n) => n.id === socket.nodeId);
  const who = `${socketTitle(socket)}${node ? ` in ${nodeLabel(node)}` : ''}`;
  if (!socket.site) throw new UserFacingError(`The creation site of ${who} is not known (its agent did not report one)`);
  const loc = sourceLocation(socket.site);
  let uri: vscode.Uri;
  try {
    uri = loc.kind === 'uri' ? vscode.Uri.parse(loc.value, true) : vscode.Uri.file(loc.value);
  } catch (err) {
    throw new UserFacingError(`The creation site of ${who} is not a usable path: ${siteLabel(socket.site)} (${String(err)})`);
  }
  try {
    await vscode.workspace.fs.stat(uri);
  } catch {
    const where = node ? ` on host ${node.host}` : '';
    throw new UserFacingError(`Source file not found: ${siteLabel(socket.site)} (where ${who} was created${where}). Was the file moved, or does the process run on another machine or in a container?`);
  }
  const position = new vscode.Position(loc.line, loc.character);
  await vscode.window.showTextDocument(uri, { selection: new vscode.Range(position, position), preview: true });
}
