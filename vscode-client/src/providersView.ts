/** The "Providers & Models" tree in the BYOK view container. */
import * as vscode from 'vscode';
import { formatModelId, taskOf } from './shared/modelId';
import { TASKS, type Active, type Model, type Provider, type Task } from './shared/protocol';
import { describeKey } from './shared/validation';
import type { ByokServer } from './server';

type Node =
  | { kind: 'message'; label: string; detail?: string; command?: vscode.Command; icon?: string }
  | { kind: 'active'; task: Task; modelId: string | null }
  | { kind: 'provider'; provider: Provider }
  | { kind: 'model'; provider: Provider; model: Model };

export class ProvidersView implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private providers: Provider[] = [];
  private active: Active | null = null;
  private error: string | null = null;
  private readonly subs: vscode.Disposable[];

  constructor(private readonly server: ByokServer) {
    this.subs = [server.onConfigChanged(() => void this.refresh()), server.onDidChangeState(() => void this.refresh())];
  }

  dispose(): void {
    this.subs.forEach((s) => s.dispose());
    this.changed.dispose();
  }

  async refresh(): Promise<void> {
    if (!this.server.state.running) {
      this.providers = [];
      this.active = null;
      this.error = this.server.state.message;
    } else {
      try {
        const [p, a] = await Promise.all([
          this.server.request<{ providers: Provider[] }>('byok/providers/list'),
          this.server.request<Active>('byok/active/get'),
        ]);
        this.providers = p.providers ?? [];
        this.active = a;
        this.error = null;
      } catch (e) {
        this.error = (e as { message?: string }).message ?? String(e);
      }
    }
    void vscode.commands.executeCommand('setContext', 'byok.hasProviders', this.providers.length > 0);
    this.changed.fire();
  }

  getChildren(node?: Node): Node[] {
    if (!node) {
      const st = this.server.state;
      if (!st.running && st.reason !== 'starting') {
        const headline =
          st.reason === 'not-installed' ? 'The byok-ls server is not installed' : st.reason === 'no-python' ? 'Python interpreter not found' : st.reason === 'stopped' ? 'The byok-ls server is stopped' : 'The byok-ls server is not running';
        const rows: Node[] = [{ kind: 'message', label: headline, detail: st.message, icon: 'warning' }];
        if (st.install)
          rows.push({ kind: 'message', label: st.install, detail: 'Copy the install command, run it in a terminal, then Restart Server.', icon: 'terminal', command: { command: 'byok.copyInstallCommand', title: 'Copy Install Command', arguments: [st.install] } });
        if (st.reason === 'no-python') rows.push({ kind: 'message', label: 'Set byok.server.pythonPath', icon: 'settings-gear', command: { command: 'workbench.action.openSettings', title: 'Open Settings', arguments: ['byok.server.pythonPath'] } });
        rows.push({ kind: 'message', label: 'Restart Server', icon: 'debug-restart', command: { command: 'byok.restartServer', title: 'Restart Server' } });
        rows.push({ kind: 'message', label: 'Show Server Log', icon: 'output', command: { command: 'byok.showServerLog', title: 'Show Server Log' } });
        return rows;
      }
      if (this.error && st.running)
        return [{ kind: 'message', label: this.error, icon: 'warning', command: { command: 'byok.showServerLog', title: 'Show Server Log' } }];
      if (!this.server.state.running) return [{ kind: 'message', label: 'Starting the byok-ls server…', icon: 'loading~spin' }];
      // An empty list shows the view's welcome content (Configure Providers button).
      if (!this.providers.length) return [];
      const act: Node[] = TASKS.map((task) => ({ kind: 'active', task, modelId: this.active?.[task] ?? null }));
      return [...act, ...this.providers.map((provider): Node => ({ kind: 'provider', provider }))];
    }
    if (node.kind === 'provider') return (node.provider.models ?? []).map((model): Node => ({ kind: 'model', provider: node.provider, model }));
    return [];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    switch (node.kind) {
      case 'message': {
        const item = new vscode.TreeItem(node.label);
        item.iconPath = node.icon ? new vscode.ThemeIcon(node.icon) : undefined;
        item.tooltip = node.detail ?? node.label;
        item.command = node.command;
        return item;
      }
      case 'active': {
        const label = node.task === 'chat' ? 'Chat' : node.task === 'completion' ? 'Completion' : 'Embeddings';
        const item = new vscode.TreeItem(label);
        item.description = node.modelId ?? 'none';
        item.iconPath = new vscode.ThemeIcon(node.task === 'chat' ? 'comment-discussion' : node.task === 'completion' ? 'sparkle' : 'symbol-array');
        item.tooltip = `Active ${node.task} model: ${node.modelId ?? 'none'}`;
        item.contextValue = `active-${node.task}`;
        if (node.task !== 'embeddings')
          item.command = { command: node.task === 'chat' ? 'byok.switchChatModel' : 'byok.switchCompletionModel', title: 'Switch' };
        return item;
      }
      case 'provider': {
        const p = node.provider;
        const item = new vscode.TreeItem(p.name || p.id, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `provider:${p.id}`;
        item.description = `${p.enabled ? '' : 'disabled · '}${describeKey(p.key, p.apiKeyEnv)}`;
        item.tooltip = new vscode.MarkdownString(`**${p.name || p.id}** (\`${p.id}\`, template ${p.template})\n\n${p.baseUrl}\n\n${describeKey(p.key, p.apiKeyEnv)}`);
        item.iconPath = new vscode.ThemeIcon(p.enabled ? 'plug' : 'circle-slash');
        item.contextValue = 'provider';
        return item;
      }
      case 'model': {
        const { provider: p, model: m } = node;
        const modelId = formatModelId(p.id, m.name);
        const activeFor = this.active && this.active[taskOf(m)] === modelId;
        const item = new vscode.TreeItem(m.name);
        item.id = `model:${p.id}:${m.task}:${m.name}`;
        item.description = `${m.task}${activeFor ? ' · active' : ''}`;
        item.iconPath = new vscode.ThemeIcon(activeFor ? 'pass-filled' : m.task === 'chat' ? 'comment' : m.task === 'completion' ? 'symbol-snippet' : 'symbol-array');
        item.tooltip = `${modelId} (${m.task}${m.nCtx ? `, ${m.nCtx} tokens` : ''})${activeFor ? ' — active' : ''}`;
        item.contextValue = 'model';
        return item;
      }
    }
  }
}
