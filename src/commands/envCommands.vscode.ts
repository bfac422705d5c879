/**
 * Copy Agent Environment (shell lines that instrument what is started from that shell) and Start Demo
 * (the demo system, instrumented, in a terminal). Both need a running collector to point agents at.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CommandContext } from './context.vscode';
import { agentEnvText, extensionAgentEnv, extensionAgentPaths, shellKind } from '../agent/environment';
import { endpointOrStart } from './collectorCommands.vscode';
import { UserFacingError } from '../host/openSource';
import { guarded } from '../host/log.vscode';
import { DEMO_BASE_PORT, demoPortsFree, freeDemoBase, runningDemo } from './demo';

export async function copyAgentEnv(ctx: CommandContext): Promise<string> {
  const endpoint = await endpointOrStart(ctx);
  const text = agentEnvText({
    endpoint,
    extensionPath: ctx.extensionPath,
    heartbeats: ctx.control.currentSettings.heartbeats,
    serverKey: ctx.control.serverKey,
    shell: shellKind(vscode.env.shell),
  });
  await vscode.env.clipboard.writeText(text);
  ctx.log.info(`Agent environment copied to the clipboard:\n${text}`);
  void vscode.window.showInformationMessage(`Copied the agent environment for ${endpoint}. Paste it into a shell, then start your Node.js or Python app there.`);
  return text;
}

/**
 * Where to start the demo: its usual ports, or, when they are taken, what the user picks: the demo
 * already running here is shown instead, or another demo starts on free ports (never a second broker
 * dying with EADDRINUSE while its workers join the first one as unknown peers).
 */
async function demoBase(ctx: CommandContext): Promise<number | undefined> {
  const free = await demoPortsFree(DEMO_BASE_PORT);
  // A demo started on free ports reports here too: offered as well, not started again unasked.
  const snapshot = ctx.control.snapshot();
  const running = runningDemo(snapshot, DEMO_BASE_PORT) ?? runningDemo(snapshot);
  if (free && !running) return DEMO_BASE_PORT;
  const another = 'Start Another on Free Ports';
  const message = running
    ? `The demo already runs and reports here (${running.name}, pid ${running.pid}).`
    : `Ports ${DEMO_BASE_PORT}–${DEMO_BASE_PORT + 2} are taken (a demo that reports elsewhere, or another app).`;
  const choice = await vscode.window.showWarningMessage(`ZeroMQ Topology: ${message}`, ...(running ? ['Show Graph'] : []), another);
  if (choice === 'Show Graph') {
    await vscode.commands.executeCommand('zmqTopology.showGraph');
    return undefined;
  }
  if (choice !== another) return undefined;
  if (free) return DEMO_BASE_PORT;
  const base = await freeDemoBase(DEMO_BASE_PORT + 100);
  if (base === undefined) throw new UserFacingError('No three free ports in a row were found for another demo');
  return base;
}

export async function startDemo(ctx: CommandContext): Promise<vscode.Terminal | undefined> {
  const script = path.join(ctx.extensionPath, 'examples', 'demo', 'run.js');
  if (!fs.existsSync(script)) throw new UserFacingError(`The demo is not installed with this extension (${script} is missing)`);
  const { nodeAgent } = extensionAgentPaths(ctx.extensionPath);
  if (!fs.existsSync(nodeAgent)) throw new UserFacingError(`The Node agent is missing (${nodeAgent}); build the extension with "npm run build"`);
  const endpoint = await endpointOrStart(ctx);
  const base = await demoBase(ctx);
  if (base === undefined) return undefined;
  const env = {
    ...extensionAgentEnv({
      endpoint,
      extensionPath: ctx.extensionPath,
      heartbeats: ctx.control.currentSettings.heartbeats,
      serverKey: ctx.control.serverKey,
      base: process.env,
    }),
    ...(base !== DEMO_BASE_PORT ? { ZMQ_DEMO_PORT: String(base) } : {}),
  };
  // `node` from the user's PATH, run directly (no shell, so no quoting of paths): the terminal shows the
  // demo's log and Ctrl-C (or closing the terminal) stops the whole system.
  const terminal = vscode.window.createTerminal({
    name: 'ZeroMQ Demo',
    cwd: ctx.extensionPath,
    shellPath: 'node',
    shellArgs: [script],
    env,
    iconPath: new vscode.ThemeIcon('pulse'),
  });
  terminal.show(true);
  ctx.log.info(`Demo started in a terminal: node ${script} on ports ${base}–${base + 2} (agents report to ${endpoint})`);
  return terminal;
}

export function registerEnvCommands(ctx: CommandContext): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('zmqTopology.copyAgentEnv', guarded(ctx.log, 'Copy Agent Environment', () => copyAgentEnv(ctx))),
    vscode.commands.registerCommand('zmqTopology.startDemo', guarded(ctx.log, 'Start Demo', async () => {
      await startDemo(ctx);
    })),
  ];
}
