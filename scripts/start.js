#!/usr/bin/env node
// `npm start`: builds what is stale, then runs the demo system instrumented with the live topology
// table in this terminal (`zmq-topology demo`). Arguments after `--` go to the demo command.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

function newestMtime(dir) {
  if (!fs.existsSync(dir)) return 0;
  return fs.readdirSync(dir, { withFileTypes: true }).reduce((newest, e) => {
    const p = path.join(dir, e.name);
    return Math.max(newest, e.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }, 0);
}

function buildIfStale() {
  const bundles = ['extension.js', 'agent.js', 'cli.js', 'webview.js'].map((f) => path.join(root, 'dist', f));
  const oldestBundle = Math.min(...bundles.map((b) => (fs.existsSync(b) ? fs.statSync(b).mtimeMs : 0)));
  const newestSource = Math.max(newestMtime(path.join(root, 'src')), newestMtime(path.join(root, 'webview')));
  if (oldestBundle > newestSource) return;
  console.log('Building the extension, agent and CLI bundles (webpack, ~30 s the first time)…');
  const r = spawnSync(process.execPath, [path.join(root, 'node_modules', 'webpack', 'bin', 'webpack.js'), '--mode', 'production'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('Build failed; see the errors above.');
    process.exit(r.status ?? 1);
  }
}

buildIfStale();
const r = spawnSync(process.execPath, [path.join(root, 'bin', 'zmq-topology.js'), 'demo', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
