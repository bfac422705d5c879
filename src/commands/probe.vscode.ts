/**
 * "ZeroMQ: Probe Endpoint…" and "ZeroMQ: Remove Probe": they edit the `zmqTopology.probes` setting,
 * and the probe service (host/probes.vscode.ts) starts and stops probes to match it.
 */
import * as vscode from 'vscode';
import { guarded } from '../host/log.vscode';
import { socketTypeChoices, withoutProbe, withProbe } from '../host/probes';
import type { ProbeService } from '../host/probes.vscode';
import { probeEndpointProblem, probeKey, readProbeSettings, SECTION, SETTINGS, type ProbeSetting } from '../host/settings';
import type { CommandContext } from './context.vscode';

function settingsTarget(): vscode.ConfigurationTarget {
  return vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
}

async function writeProbes(probes: ProbeSetting[]): Promise<void> {
  await vscode.workspace.getConfiguration(SECTION).update(SETTINGS.probes, probes, settingsTarget());
}

/** "ZeroMQ: Probe Endpoint…": endpoint (checked as typed), then the remote socket type with the probe type it gets. */
export async function probeEndpoint(endpointArg?: unknown, typeArg?: unknown): Promise<ProbeSetting | undefined> {
  if (!vscode.workspace.isTrusted) throw new Error('The workspace is not trusted, so no probe is started');
  const endpoint = typeof endpointArg === 'string' ? endpointArg : await vscode.window.showInputBox({
    title: 'ZeroMQ: Probe Endpoint',
    prompt: 'The endpoint a ZeroMQ app binds (or connects to). The extension holds its own monitored socket there and never takes a message.',
    placeHolder: 'tcp://127.0.0.1:5556',
    validateInput: (text) => probeEndpointProblem(text),
    ignoreFocusOut: true,
  });
  if (endpoint === undefined) return undefined;
  const problem = probeEndpointProblem(endpoint);
  if (problem) throw new Error(`cannot probe "${endpoint}": ${problem}`);
  const choices = socketTypeChoices();
  const chosen = typeof typeArg === 'string'
    ? choices.find((c) => c.socketType === typeArg.toUpperCase())
    : await vscode.window.showQuickPick(choices, {
      title: `ZeroMQ: Probe ${endpoint.trim()}`,
      placeHolder: 'The socket type of the app at this endpoint (decides a probe type that cannot take its messages)',
      matchOnDescription: true,
      matchOnDetail: true,
    });
  if (!chosen) {
    if (typeof typeArg === 'string') throw new Error(`"${typeArg}" is not a socket type a probe can watch`);
    return undefined;
  }
  const setting: ProbeSetting = { endpoint: endpoint.trim(), socketType: chosen.socketType };
  const current = readProbeSettings(vscode.workspace.getConfiguration(SECTION).get(SETTINGS.probes)).probes;
  if (current.some((p) => probeKey(p) === probeKey(setting))) {
    void vscode.window.showInformationMessage(`ZeroMQ Topology: ${setting.endpoint} (${setting.socketType}) is probed already.`);
    return setting;
  }
  // The settings change starts the probe (ProbeService.sync).
  await writeProbes(withProbe(current, setting));
  return setting;
}

/** "ZeroMQ: Remove Probe": pick a running probe (with its state), remove it from the setting. */
export async function removeProbe(service: ProbeService, endpointArg?: unknown): Promise<void> {
  const running = service.list();
  const current = readProbeSettings(vscode.workspace.getConfiguration(SECTION).get(SETTINGS.probes)).probes;
  let target: ProbeSetting | undefined;
  if (typeof endpointArg === 'string') {
    target = current.find((p) => p.endpoint === endpointArg.trim());
    if (!target) throw new Error(`no probe on "${endpointArg}"`);
  } else {
    if (current.length === 0) {
      void vscode.window.showInformationMessage('ZeroMQ Topology: no probe is configured.');
      return;
    }
    const pick = await vscode.window.showQuickPick(current.map((setting) => {
      const status = running.find((r) => probeKey(r.setting) === probeKey(setting));
      return {
        label: setting.endpoint,
        description: `${setting.socketType === 'UNKNOWN' ? 'type not given' : setting.socketType} · ${status?.state ?? 'not running'}`,
        detail: status?.lastError,
        setting,
      };
    }), { title: 'ZeroMQ: Remove Probe', placeHolder: 'Probe to remove' });
    target = pick?.setting;
  }
  if (target) await writeProbes(withoutProbe(current, target));
}

export function registerProbeCommands(ctx: CommandContext, service: ProbeService): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('zmqTopology.probeEndpoint', guarded(ctx.log, 'Probe Endpoint', (endpoint?: unknown, type?: unknown) => probeEndpoint(endpoint, type))),
    vscode.commands.registerCommand('zmqTopology.removeProbe', guarded(ctx.log, 'Remove Probe', (endpoint?: unknown) => removeProbe(service, endpoint))),
  ];
}
