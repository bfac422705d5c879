// @ts-check
'use strict';
// Three bundles (docs/ARCHITECTURE.md "Folder map"): the extension host, the webview, and the agent/CLI for plain Node.
// zeromq stays external everywhere: bundling it breaks its native loader (cmake-ts/build/loader).
const path = require('node:path');

/** @type {import('webpack').Configuration} */
const shared = {
  devtool: 'source-map',
  resolve: { extensions: ['.ts', '.js'] },
  module: {
    rules: [{ test: /\.ts$/, exclude: /node_modules/, use: [{ loader: 'ts-loader', options: { transpileOnly: true } }] }],
  },
  infrastructureLogging: { level: 'warn' },
  stats: 'errors-warnings',
  performance: { hints: false },
};

/** @type {import('webpack').Configuration[]} */
module.exports = [
  {
    ...shared,
    name: 'extension',
    target: 'node',
    entry: { extension: './src/extension.ts' },
    output: { path: path.resolve(__dirname, 'dist'), filename: '[name].js', libraryTarget: 'commonjs2' },
    externals: { vscode: 'commonjs vscode', zeromq: 'commonjs zeromq' },
  },
  {
    ...shared,
    name: 'node-tools',
    target: 'node',
    // agent.js is loaded into app processes with `node -r`; cli.js is bin/zmq-topology.
    entry: { agent: './src/agent/preload.ts', cli: './src/cli/bin.ts' },
    output: { path: path.resolve(__dirname, 'dist'), filename: '[name].js', libraryTarget: 'commonjs2' },
    externals: { zeromq: 'commonjs zeromq', 'zeromq/v5-compat': 'commonjs zeromq/v5-compat' },
  },
  {
    ...shared,
    name: 'webview',
    target: 'web',
    entry: { webview: './webview/main.ts' },
    module: {
      rules: [
        ...(shared.module?.rules ?? []),
        // `import text from '…?raw'`: a file's text as a string. elkjs's worker script is bundled so, and
        // started from a blob: URL (webview/elkRunner.ts).
        { resourceQuery: /raw/, type: 'asset/source' },
      ],
    },
    output: { path: path.resolve(__dirname, 'dist'), filename: '[name].js' },
  },
];
