/**
 * Commands about one socket or connection: Reveal Socket in Graph, Go to Socket Source (both with a
 * quick pick when not run from the tree), Copy Endpoint and Copy Routing Id (tree context menu).
 */
import * as vscode from 'vscode';
import type { CommandContext } from './context.vscode';
import { socketPicks } from './socket';
import { openSocketSource } from '../host/openSource.vscode';
import { GraphPanel } from '../views/graphPanel.vscode';
import type { TreeItemDescriptor } from '../views/topologyTree';
import { guarded } from '../host/log.vscode';

/** A tree item passed by a context menu, or a plain id string passed by executeCommand. */
function targetOf(arg: unknown): Partial<TreeItemDescriptor> | undefined {
  if (typeof arg === 'string') return { socketId: arg, graphId: arg };
  if (typeof arg === 'object' && arg !== null && typeof (arg as { id?: unknown }).id === 'string') return arg as Partial<TreeItemDescriptor>;
  return undefined;
}

async function pickSocket(ctx: CommandContext, title: string, onlyWithSource: boolean): Promise<string | undefined> {
  const picks = socketPicks(ctx.control.snapshot(), { onlyWithSource });
  if (picks.length === 0) {
    void vscode.window.showInformationMessage(onlyWithSource ? 'No socket with a known creation site in the topology yet.' : 'No socket in the topology yet.');
    return undefined;
  }
  const chosen = await vscode.window.showQuickPick(
    picks.map((p) => ({ label: p.label, description: p.description, detail: p.detail, socketId: p.socketId })),
    { title, matchOnDescription: true, matchOnDetail: true },
  );
  return chosen?.socketId;
}

export async function revealInGraph(ctx: CommandContext, arg?: unknown): Promise<void> {
  const target = targetOf(arg);
  const id = target?.graphId ?? target?.socketId ?? (await pickSocket(ctx, 'Reveal Socket in Graph', false));
  if (id) GraphPanel.reveal(ctx.graph, id);
}

export async function goToSource(ctx: CommandContext, arg?: unknown): Promise<void> {
  const target = targetOf(arg);
  const socketId = target?.socketId ?? (await pickSocket(ctx, 'Go to Socket Source', true));
  if (socketId) await openSocketSource(ctx.control.snapshot(), socketId);
}

async function copy(text: string | undefined, what: string): Promise<void> {
  if (!text) {
    void vscode.window.showInformationMessage(`This item has no ${what}.`);
    return;
  }
  await vscode.env.clipboard.writeText(text);
  vscode.window.setStatusBarMessage(`$(copy) Copied ${what}`, 2000);
}

export function registerSocketCommands(ctx: CommandContext): vscode.Disposable[] {
  const { log } = ctx;
  return [
    vscode.commands.registerCommand('zmqTopology.revealSocket', guarded(log, 'Reveal in Graph', (arg?: unknown) => revealInGraph(ctx, arg))),
    vscode.commands.registerCommand('zmqTopology.goToSource', guarded(log, 'Go to Source', (arg?: unknown) => goToSource(ctx, arg))),
    vscode.commands.registerCommand('zmqTopology.copyEndpoint', guarded(log, 'Copy Endpoint', (arg?: unknown) => copy(targetOf(arg)?.endpoint, 'endpoint'))),
    vscode.commands.registerCommand('zmqTopology.copyRoutingId', guarded(log, 'Copy Routing Id', (arg?: unknown) => copy(targetOf(arg)?.routingId, 'routing id'))),
  ];
}
