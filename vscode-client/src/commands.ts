/** Command implementations: model switching, usage report, config file. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { configFile } from './shared/configPath';
import { modelsForTask } from './shared/modelId';
import type { Active, Provider, RpcError, Task, UsageResult } from './shared/protocol';
import { formatUsageMarkdown } from './shared/usage';
import type { ByokServer } from './server';

interface ModelPick extends vscode.QuickPickItem {
  modelId?: string | null;
  configure?: boolean;
  toggle?: boolean;
}

export async function toggleInlineCompletion(): Promise<void> {
  const cfg = vscode.workspace.getConfiguration('byok.inlineCompletion');
  const enabled = cfg.get<boolean>('enabled', true);
  await cfg.update('enabled', !enabled, vscode.ConfigurationTarget.Global);
  vscode.window.setStatusBarMessage(`BYOK: inline completion ${enabled ? 'off' : 'on'}`, 3000);
}

function showError(e: unknown): void {
  const err = e as RpcError;
  const kind = err?.data?.kind;
  const actions = kind === 'server_down' ? ['Show Server Log'] : ['Configure Providers'];
  void vscode.window.showErrorMessage(`BYOK: ${err?.message ?? String(e)}`, ...actions).then((a) => {
    if (a === 'Configure Providers') void vscode.commands.executeCommand('byok.configureProviders');
    if (a === 'Show Server Log') void vscode.commands.executeCommand('byok.showServerLog');
  });
}

export async function switchModel(server: ByokServer, task: Task): Promise<void> {
  let providers: Provider[];
  let active: Active;
  try {
    [providers, active] = await Promise.all([
      server.request<{ providers: Provider[] }>('byok/providers/list').then((r) => r.providers ?? []),
      server.request<Active>('byok/active/get'),
    ]);
  } catch (e) {
    showError(e);
    return;
  }
  const current = active[task];
  const items: ModelPick[] = [];
  let lastProvider = '';
  for (const c of modelsForTask(providers, task)) {
    if (c.provider.id !== lastProvider) {
      items.push({ label: c.provider.name || c.provider.id, kind: vscode.QuickPickItemKind.Separator });
      lastProvider = c.provider.id;
    }
    items.push({
      label: `${c.modelId === current ? '$(check) ' : ''}${c.model.name}`,
      description: c.modelId,
      detail: c.model.nCtx ? `${c.model.nCtx.toLocaleString('en-US')} token context` : undefined,
      modelId: c.modelId,
    });
  }
  items.push({ label: '', kind: vscode.QuickPickItemKind.Separator });
  if (current) items.push({ label: '$(close) No active model', description: `stop using ${current}`, modelId: null });
  if (task === 'completion') {
    const on = vscode.workspace.getConfiguration('byok.inlineCompletion').get<boolean>('enabled', true);
    items.push({ label: on ? '$(circle-slash) Turn Inline Completion Off' : '$(sparkle) Turn Inline Completion On', toggle: true });
  }
  items.push({ label: '$(gear) Configure Providers…', configure: true });
  const pick = await vscode.window.showQuickPick(items, {
    title: task === 'chat' ? 'BYOK: Switch Chat Model' : 'BYOK: Switch Completion Model',
    placeHolder: items.some((i) => i.modelId) ? `Active ${task} model: ${current ?? 'none'}` : `No ${task} models yet: add one in Configure Providers`,
    matchOnDescription: true,
  });
  if (!pick) return;
  if (pick.toggle) {
    await toggleInlineCompletion();
    return;
  }
  if (pick.configure) {
    await vscode.commands.executeCommand('byok.configureProviders');
    return;
  }
  if (pick.modelId === undefined) return;
  try {
    await server.request<Active>('byok/active/set', { task, modelId: pick.modelId });
    vscode.window.setStatusBarMessage(`BYOK: ${task} model ${pick.modelId ?? 'cleared'}`, 3000);
  } catch (e) {
    showError(e);
  }
}

/** Read-only `byok:/usage.md` documents (no "save changes?" prompt), shown as a Markdown preview. */
export class UsageDocuments implements vscode.TextDocumentContentProvider {
  static readonly uri = vscode.Uri.parse('byok:/BYOK%20Usage.md');
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private text = '';

  provideTextDocumentContent(): string {
    return this.text;
  }

  set(text: string): void {
    this.text = text;
    this.changed.fire(UsageDocuments.uri);
  }
}

export async function showUsage(server: ByokServer, docs: UsageDocuments): Promise<void> {
  try {
    const usage = await server.request<UsageResult>('byok/usage', {});
    docs.set(formatUsageMarkdown(usage));
    try {
      await vscode.commands.executeCommand('markdown.showPreview', UsageDocuments.uri);
    } catch {
      await vscode.window.showTextDocument(UsageDocuments.uri, { preview: true });
    }
  } catch (e) {
    showError(e);
  }
}

export async function openConfig(): Promise<void> {
  const file = configFile(process.env, process.platform, os.homedir(), path.join);
  if (!fs.existsSync(file)) {
    const pick = await vscode.window.showInformationMessage(`BYOK: no config file yet (${file}). It is created when you add a provider.`, 'Configure Providers');
    if (pick) await vscode.commands.executeCommand('byok.configureProviders');
    return;
  }
  await vscode.window.showTextDocument(vscode.Uri.file(file));
}
