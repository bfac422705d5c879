/**
 * The vscode side of the sidebar tree: maps the pure descriptors of topologyTree.ts onto TreeItems
 * (viewRefresher.vscode.ts decides when).
 */
import * as vscode from 'vscode';
import type { TopologySnapshot } from '../shared/snapshot';
import { buildTopologyTree, type TreeItemDescriptor } from './topologyTree';

export class TopologyTreeProvider implements vscode.TreeDataProvider<TreeItemDescriptor>, vscode.Disposable {
  private roots: TreeItemDescriptor[] = [];
  private readonly parents = new Map<TreeItemDescriptor, TreeItemDescriptor>();
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changeEmitter.event;

  /** Rebuilds the tree from a snapshot (ids are stable, so expansion and selection survive). */
  update(snapshot: TopologySnapshot): void {
    this.roots = buildTopologyTree(snapshot);
    this.parents.clear();
    const link = (items: TreeItemDescriptor[], parent?: TreeItemDescriptor) => {
      for (const item of items) {
        if (parent) this.parents.set(item, parent);
        link(item.children, item);
      }
    };
    link(this.roots);
    this.changeEmitter.fire();
  }

  /** The descriptors as last built (for commands that look an item up). */
  get items(): readonly TreeItemDescriptor[] {
    return this.roots;
  }

  getTreeItem(d: TreeItemDescriptor): vscode.TreeItem {
    const state = d.children.length === 0
      ? vscode.TreeItemCollapsibleState.None
      : d.expanded ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed;
    const item = new vscode.TreeItem(d.label, state);
    item.id = d.id;
    item.description = d.description;
    // Untrusted text inside is escaped by topologyTree.ts; this string is also not trusted and allows no HTML.
    const tooltip = new vscode.MarkdownString(d.tooltip, false);
    tooltip.isTrusted = false;
    tooltip.supportHtml = false;
    item.tooltip = tooltip;
    item.iconPath = new vscode.ThemeIcon(d.icon.id, d.icon.color ? new vscode.ThemeColor(d.icon.color) : undefined);
    item.contextValue = d.contextValue;
    return item;
  }

  getChildren(d?: TreeItemDescriptor): TreeItemDescriptor[] {
    return d ? d.children : this.roots;
  }

  getParent(d: TreeItemDescriptor): TreeItemDescriptor | undefined {
    return this.parents.get(d);
  }

  dispose(): void {
    this.changeEmitter.dispose();
  }
}
