import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { readSettings, SETTING_DEFAULTS, SETTINGS } from '../../src/host/settings';
import { isHostMessage } from '../../src/shared/messages';
import { DEFAULT_GROUP_THRESHOLD } from '../../webview/grouping';

test('zmqTopology.graph.groupThreshold: default 20 (the webview’s own default too), 0 turns grouping off, clamped, declared in package.json', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
    contributes: { configuration: { properties: Record<string, { default?: unknown; minimum?: number; maximum?: number }> } };
  };
  const prop = pkg.contributes.configuration.properties[`zmqTopology.${SETTINGS.groupThreshold}`];
  assert.ok(prop, 'declared');
  assert.equal(prop.default, SETTING_DEFAULTS.groupThreshold);
  assert.equal(DEFAULT_GROUP_THRESHOLD, SETTING_DEFAULTS.groupThreshold, 'the graph groups as the setting says before the host has told it');
  assert.deepEqual(readSettings(() => undefined).graph, { groupThreshold: 20 });
  assert.equal(readSettings((k) => (k === 'graph.groupThreshold' ? 0 : undefined)).graph.groupThreshold, 0);
  const clamped = readSettings((k) => (k === 'graph.groupThreshold' ? -5 : undefined));
  assert.equal(clamped.graph.groupThreshold, prop.minimum);
  assert.match(clamped.warnings[0] ?? '', /groupThreshold = -5 is outside 0…100000/);
  assert.equal(readSettings((k) => (k === 'graph.groupThreshold' ? 1e9 : undefined)).graph.groupThreshold, prop.maximum);
});

test('the options message reaches the webview only well formed', () => {
  assert.equal(isHostMessage({ type: 'options', options: { groupThreshold: 20 } }), true);
  assert.equal(isHostMessage({ type: 'options', options: { groupThreshold: '20' } }), false);
  assert.equal(isHostMessage({ type: 'options', options: { groupThreshold: Number.NaN } }), false);
  assert.equal(isHostMessage({ type: 'options' }), false);
});
