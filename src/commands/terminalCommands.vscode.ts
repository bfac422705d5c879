/**
 * "ZeroMQ: Open Instrumented Terminal": a terminal in which every Node.js and Python process started
 * is instrumented (the agent environment of agentEnv(), merged with what the terminal inherits).
 */
import * as vscode from 'vscode';
import type { CommandContext } from './context.vscode';
import { extensionAgentEnv } from '../agent/environment';
import { endpointOrStart } from './collectorCommands.vscode';
import { guarded } from '../host/log.vscode';
import { UserFacingError } from '../host/openSource';
import type { TerminalEnvironment } from '../launch/instrumentedTerminals.vscode';

export const INSTRUMENTED_TERMINAL_NAME = 'ZeroMQ (instrumented)';

export async function openInstrumentedTerminal(ctx: CommandContext, terminals: TerminalEnvironment): Promise<vscode.Terminal> {
  if (!vscode.workspace.isTrusted) {
    throw new UserFacingError('The workspace is not trusted, so no terminal is instrumented (trust it first)');
  }
  const endpoint = await endpointOrStart(ctx);
  // When every terminal is instrumented already, adding the variables again would double NODE_OPTIONS.
  const viaCollection = terminals.plan().kind === 'apply';
  const env = viaCollection ? {} : extensionAgentEnv({
    endpoint,
    extensionPath: ctx.extensionPath,
    heartbeats: ctx.control.currentSettings.heartbeats,
    base: process.env,
  });
  const terminal = vscode.window.createTerminal({
    name: INSTRUMENTED_TERMINAL_NAME,
    env,
    iconPath: new vscode.ThemeIcon('type-hierarchy'),
    message: `ZeroMQ Topology: Node.js and Python processes started here report to ${endpoint}.`,
  });
  terminal.show();
  ctx.log.info(`Opened "${INSTRUMENTED_TERMINAL_NAME}" (agents report to ${endpoint}${viaCollection ? '; variables from zmqTopology.instrumentTerminals' : ''})`);
  return terminal;
}

export function registerTerminalCommands(ctx: CommandContext, terminals: TerminalEnvironment): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('zmqTopology.openInstrumentedTerminal', guarded(ctx.log, 'Open Instrumented Terminal', () => openInstrumentedTerminal(ctx, terminals))),
  ];
}
