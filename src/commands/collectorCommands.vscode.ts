/**
 * Start / Stop / Restart Collector. Starting is also what activation does; failures are told with
 * the reason (zeromq not loading is told as such) and a "Show Output" action.
 */
import * as vscode from 'vscode';
import type { CommandContext } from './context.vscode';
import { ZeroMqLoadError } from '../host/collectorControl.vscode';
import { showError } from '../host/log.vscode';
import { UserFacingError } from '../host/openSource';

/** Starts the collector and tells the user how it went; never throws. */
export async function startCollector(ctx: CommandContext, restart = false): Promise<boolean> {
  const { control, log } = ctx;
  try {
    if (restart) await control.restart();
    else await control.start();
    return true;
  } catch (err) {
    if (err instanceof ZeroMqLoadError) {
      log.error('zeromq did not load, so the collector cannot run. The rest of the extension works, but no telemetry is received.', err.reason);
      // The first line says why; the Output channel has the require stack and the rest.
      const why = err.message.split('\n')[0];
      const choice = await vscode.window.showErrorMessage(`ZeroMQ Topology: the collector is not running. ${why}`, 'Show Output');
      if (choice === 'Show Output') log.show();
    } else {
      await showError(log, 'ZeroMQ Topology: the collector did not start', err);
    }
    return false;
  }
}

export async function stopCollector(ctx: CommandContext): Promise<void> {
  try {
    await ctx.control.stop();
  } catch (err) {
    await showError(ctx.log, 'Stopping the collector failed', err);
  }
}

export function registerCollectorCommands(ctx: CommandContext): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('zmqTopology.startCollector', () => startCollector(ctx)),
    vscode.commands.registerCommand('zmqTopology.stopCollector', () => stopCollector(ctx)),
    vscode.commands.registerCommand('zmqTopology.restartCollector', () => startCollector(ctx, true)),
  ];
}

/** The collector's endpoint, starting it first when it is not running (the user asked for something that needs it). */
export async function endpointOrStart(ctx: CommandContext): Promise<string> {
  if (ctx.control.phase !== 'running' && !(await startCollector(ctx))) {
    throw new UserFacingError('The collector is not running, so there is no endpoint to point agents at');
  }
  const endpoint = ctx.control.endpoint;
  if (!endpoint) throw new UserFacingError('The collector is not running, so there is no endpoint to point agents at');
  return endpoint;
}
