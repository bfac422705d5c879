// The project's own lint rules: the layer rule of docs/ARCHITECTURE.md, "Layers" (imports point one
// way), where `vscode` may be imported, and the one zeromq loader. test/unit/lint-layers.test.ts
// proves each rule fails on what it forbids.
import * as path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

/** Each layer and the layers it may import (its own always). Lower layers come later. */
export const LAYERS = {
  'src/extension.ts': ['src/commands', 'src/views', 'src/launch', 'src/host', 'src/cli', 'src/agent', 'src/collector', 'src/probe', 'src/recording', 'src/model', 'src/protocol', 'src/shared'],
  'src/commands': ['src/views', 'src/launch', 'src/host', 'src/agent', 'src/collector', 'src/probe', 'src/recording', 'src/model', 'src/protocol', 'src/shared'],
  'src/views': ['src/host', 'src/agent', 'src/collector', 'src/probe', 'src/recording', 'src/model', 'src/protocol', 'src/shared'],
  'src/launch': ['src/host', 'src/agent', 'src/collector', 'src/probe', 'src/recording', 'src/model', 'src/protocol', 'src/shared'],
  'src/host': ['src/agent', 'src/collector', 'src/probe', 'src/recording', 'src/model', 'src/protocol', 'src/shared'],
  'src/cli': ['src/agent', 'src/collector', 'src/probe', 'src/recording', 'src/model', 'src/protocol', 'src/shared'],
  'src/probe': ['src/collector', 'src/model', 'src/protocol', 'src/shared'],
  'src/collector': ['src/recording', 'src/model', 'src/protocol', 'src/shared'],
  'src/recording': ['src/model', 'src/protocol', 'src/shared'],
  'src/model': ['src/protocol', 'src/shared'],
  'src/agent': ['src/protocol', 'src/shared'],
  'src/protocol': ['src/shared'],
  'src/shared': [],
  webview: ['src/shared'],
};

function layerOf(file) {
  const rel = path.relative(ROOT, file).split(path.sep).join('/');
  if (rel.startsWith('..')) return undefined;
  for (const layer of Object.keys(LAYERS)) {
    if (rel === layer || rel.startsWith(`${layer}/`)) return layer;
  }
  return undefined;
}

/** Calls `check(node, specifier, typeOnly)` for every import, re-export, dynamic import and require. */
function eachImport(check) {
  const source = (node, typeOnly) => {
    if (node.source && typeof node.source.value === 'string') check(node.source, node.source.value, typeOnly);
  };
  return {
    ImportDeclaration: (node) => source(node, node.importKind === 'type' || (node.specifiers.length > 0 && node.specifiers.every((s) => s.importKind === 'type'))),
    ExportNamedDeclaration: (node) => source(node, node.exportKind === 'type'),
    ExportAllDeclaration: (node) => source(node, node.exportKind === 'type'),
    ImportExpression: (node) => {
      if (node.source.type === 'Literal' && typeof node.source.value === 'string') check(node.source, node.source.value, false);
    },
    TSImportType: (node) => {
      const arg = node.argument?.literal ?? node.argument;
      if (arg && typeof arg.value === 'string') check(arg, arg.value, true);
    },
    CallExpression: (node) => {
      if (node.callee.type === 'Identifier' && node.callee.name === 'require' && node.arguments[0]?.type === 'Literal' && typeof node.arguments[0].value === 'string') {
        check(node.arguments[0], node.arguments[0].value, false);
      }
    },
  };
}

const layers = {
  meta: { type: 'problem', docs: { description: 'imports point down the layers of docs/ARCHITECTURE.md, never up or sideways' }, schema: [] },
  create(context) {
    const from = layerOf(context.filename);
    if (!from) return {};
    return eachImport((node, spec) => {
      if (!spec.startsWith('.')) return;
      const to = layerOf(path.resolve(path.dirname(context.filename), spec));
      if (!to || to === from || LAYERS[from].includes(to)) return;
      context.report({ node, message: `${from} may not import ${to} (${spec}): layers point one way, see docs/ARCHITECTURE.md "Layers"` });
    });
  },
};

const vscodeAdapters = {
  meta: { type: 'problem', docs: { description: "only *.vscode.ts files (and src/extension.ts) import 'vscode'" }, schema: [] },
  create(context) {
    const rel = path.relative(ROOT, context.filename).split(path.sep).join('/');
    if (!rel.startsWith('src/') || rel === 'src/extension.ts' || rel.endsWith('.vscode.ts')) return {};
    return eachImport((node, spec) => {
      if (spec === 'vscode') context.report({ node, message: `'vscode' is imported only by *.vscode.ts adapters: keep ${rel} pure, or name it ${rel.replace(/\.ts$/, '.vscode.ts')} (docs/ARCHITECTURE.md "Naming")` });
    });
  },
};

const ZEROMQ_LOADERS = new Set(['src/collector/zmq.ts']);

const oneZeromqLoader = {
  meta: { type: 'problem', docs: { description: 'zeromq is loaded in one module of the extension (src/collector/zmq.ts)' }, schema: [] },
  create(context) {
    const rel = path.relative(ROOT, context.filename).split(path.sep).join('/');
    // The agent patches the app's own copies of zeromq; the loader is the extension's one copy.
    if (!rel.startsWith('src/') || rel.startsWith('src/agent/') || ZEROMQ_LOADERS.has(rel)) return {};
    return eachImport((node, spec, typeOnly) => {
      if ((spec === 'zeromq' || spec.startsWith('zeromq/')) && !typeOnly) {
        context.report({ node, message: `zeromq is loaded only by src/collector/zmq.ts (loadZeromq): a broken binary must be told once, not crash ${rel}` });
      }
    });
  },
};

export default { rules: { layers, 'vscode-adapters': vscodeAdapters, 'one-zeromq-loader': oneZeromqLoader } };
