/**
 * The extension's CURVE material for a collector bound off loopback: the collector's key pair,
 * generated once and kept in VS Code's SecretStorage (the OS keychain where there is one, never in
 * settings or on disk in clear), and the optional client allow-list from
 * `zmqTopology.collector.allowedClientKeys`. docs/REMOTE.md explains both.
 */
import * as vscode from 'vscode';
import { parseAllowedKeys, parseKeyPair, type CurveKeyPair } from '../collector/keys';
import { loadZeromq } from '../collector/zmq';
import type { Log } from './log.vscode';
import { SECTION } from './settings';

const SECRET_KEY = 'zmqTopology.collector.curveKeyPair';
export const ALLOWED_CLIENT_KEYS_SETTING = 'collector.allowedClientKeys';

export interface CollectorSecurity {
  curve: CurveKeyPair;
  /** Empty: any client that knows the server's public key is admitted. */
  allowedClientKeys: string[];
}

/** What CollectorControl asks for when the collector must require CURVE. */
export interface CollectorKeySource {
  security(): Promise<CollectorSecurity>;
}

export class CollectorKeys implements CollectorKeySource {
  constructor(private readonly secrets: vscode.SecretStorage, private readonly log: Log) {}

  async security(): Promise<CollectorSecurity> {
    return { curve: await this.keyPair(), allowedClientKeys: this.allowedClientKeys() };
  }

  /** The stored pair, or a new one stored now: agents keep working across restarts with the same key. */
  private async keyPair(): Promise<CurveKeyPair> {
    const stored = await this.secrets.get(SECRET_KEY);
    if (stored !== undefined) {
      try {
        return parseKeyPair(stored, 'the stored collector key pair');
      } catch (err) {
        // Unusable anyway: replace it, and say that agents need the new server key.
        this.log.error('The stored collector CURVE key pair is unusable; generating a new one (agents need the new ZMQ_TOPOLOGY_SERVER_KEY)', err);
      }
    }
    const keys = loadZeromq().curveKeyPair();
    await this.secrets.store(SECRET_KEY, JSON.stringify(keys));
    this.log.info(`Generated the collector's CURVE key pair (kept in VS Code's secret storage); public key ${keys.publicKey}`);
    return keys;
  }

  /** The allow-list setting; a malformed entry stops the start rather than silently admitting everyone. */
  private allowedClientKeys(): string[] {
    const raw = vscode.workspace.getConfiguration(SECTION).get<unknown>(ALLOWED_CLIENT_KEYS_SETTING);
    if (raw === undefined || raw === null) return [];
    if (!Array.isArray(raw) || raw.some((k) => typeof k !== 'string')) {
      throw new Error(`${SECTION}.${ALLOWED_CLIENT_KEYS_SETTING} must be a list of Z85 public keys`);
    }
    return parseAllowedKeys((raw as string[]).join('\n'), `${SECTION}.${ALLOWED_CLIENT_KEYS_SETTING} entry`);
  }
}
