/**
 * docs/ARCHITECTURE.md invariant 6: what the Node agent, the Python agent and the manifest each
 * declare about the protocol agrees (read from the Python sources as text: no Python needed here).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AGENT_VERSION } from '../../src/agent/agent';
import { FINGERPRINT_BYTES, FINGERPRINT_FRAMES } from '../../src/protocol/fingerprint';
import { LIMITS, PROTOCOL_VERSION } from '../../src/protocol/types';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const PYTHON = path.join(ROOT, 'agents', 'python', 'zmq_topology');

/** The value of `NAME = …` in a Python module, evaluated for the simple forms used there. */
function pythonConstant(file: string, name: string): string | number {
  const source = fs.readFileSync(path.join(PYTHON, file), 'utf8');
  const match = new RegExp(`^${name}\\s*=\\s*(.+?)\\s*(?:#.*)?$`, 'm').exec(source);
  assert.ok(match, `${file} defines ${name}`);
  const value = match[1];
  if (/^"[^"]*"$/.test(value)) return value.slice(1, -1);
  assert.match(value, /^[\d\s*]+$/, `${name} is a number or a product of numbers: ${value}`);
  return value.split('*').reduce((product, n) => product * Number(n.trim()), 1);
}

test('the agents and the manifest declare the same versions', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  assert.equal(pythonConstant('__init__.py', 'AGENT_VERSION'), AGENT_VERSION);
  assert.equal(manifest.version, AGENT_VERSION, 'the extension ships the agents of its own version');
  assert.equal(pythonConstant('agent.py', 'PROTOCOL_VERSION'), PROTOCOL_VERSION);
});

test('the agents keep to the same limits and compute the same fingerprint', () => {
  assert.equal(pythonConstant('agent.py', 'FRAME_MAX'), LIMITS.frameBytes);
  assert.equal(pythonConstant('record.py', 'FIRST_MESSAGES'), LIMITS.firstMessages);
  assert.equal(pythonConstant('wire.py', 'FINGERPRINT_FRAMES'), FINGERPRINT_FRAMES);
  assert.equal(pythonConstant('wire.py', 'FINGERPRINT_BYTES'), FINGERPRINT_BYTES);
});
