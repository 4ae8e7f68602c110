/** Agent mode, extension-host side: answers the server's `byok/agent/approve` (a diff view for
 * edits and new files, an explicit dialog for commands) and `byok/agent/diagnostics`, and
 * passes `byok/agent/step` notifications on to the chat panel. */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { proposedText, toLspDiagnostic, type AgentStep, type ApproveParams, type LspDiagnostic } from './shared/agent';

export const PROPOSED_SCHEME = 'byok-proposed';

/** Proposed file contents shown on the right of the diff view, by URI. */
class ProposedDocuments implements vscode.TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;

  set(uri: vscode.Uri, text: string): void {
    this.texts.set(uri.toString(), text);
    this.emitter.fire(uri);
  }

  delete(uri: vscode.Uri): void {
    this.texts.delete(uri.toString());
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '';
  }
}

export class AgentHost implements vscode.Disposable {
  private readonly stepEmitter = new vscode.EventEmitter<AgentStep>();
  readonly onStep = this.stepEmitter.event;
  private readonly proposed = new ProposedDocuments();
  private readonly disposables: vscode.Disposable[] = [];
  private serial = 0;

  constructor() {
    this.disposables.push(this.stepEmitter, vscode.workspace.registerTextDocumentContentProvider(PROPOSED_SCHEME, this.proposed));
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }

  /** Wires a freshly created language client (before it starts). */
  attach(client: LanguageClient): void {
    client.onNotification('byok/agent/step', (step: AgentStep) => this.stepEmitter.fire(step));
    client.onRequest('byok/agent/approve', (p: ApproveParams, token: vscode.CancellationToken) => this.approve(p, token));
    client.onRequest('byok/agent/diagnostics', (p: { uri?: string }) => this.diagnostics(p.uri));
  }

  async approve(p: ApproveParams, token?: vscode.CancellationToken): Promise<{ approved: boolean }> {
    if (p.tool === 'run_command') return { approved: await this.approveCommand(p) };
    if (p.tool === 'propose_edit' || p.tool === 'create_file') return { approved: await this.approveChange(p, token) };
    return { approved: false };
  }

  private async approveCommand(p: ApproveParams): Promise<boolean> {
    const command = String(p.arguments.command ?? '');
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
    const pick = await vscode.window.showWarningMessage(
      'BYOK agent wants to run a command',
      { modal: true, detail: `${command}\n\nin ${folder}` },
      'Run',
      "Don't Run",
    );
    return pick === 'Run';
  }

  /** Shows the change as a diff (current file on the left, proposal on the right) and asks. */
  private async approveChange(p: ApproveParams, token?: vscode.CancellationToken): Promise<boolean> {
    const rel = String(p.arguments.path ?? '');
    const root = vscode.workspace.workspaceFolders?.[0]?.uri;
    if (!root || !rel) return false;
    const target = rel.startsWith('/') ? vscode.Uri.file(rel) : vscode.Uri.joinPath(root, rel);
    let current = '';
    if (p.tool === 'propose_edit') {
      try {
        current = (await vscode.workspace.openTextDocument(target)).getText();
      } catch {
        return false;
      }
    }
    const after = proposedText(p, current);
    if (after === undefined) return false;
    const id = ++this.serial;
    const right = vscode.Uri.from({ scheme: PROPOSED_SCHEME, path: target.path, query: `n=${id}` });
    const left = p.tool === 'create_file' ? vscode.Uri.from({ scheme: PROPOSED_SCHEME, path: target.path, query: `empty=${id}` }) : target;
    this.proposed.set(right, after);
    if (p.tool === 'create_file') this.proposed.set(left, '');
    const name = vscode.workspace.asRelativePath(target);
    try {
      await vscode.commands.executeCommand('vscode.diff', left, right, `BYOK agent: ${name} (proposed)`, { preview: true });
      const verb = p.tool === 'create_file' ? 'create' : 'change';
      const asked = vscode.window.showInformationMessage(`BYOK agent wants to ${verb} ${name}.`, 'Accept', 'Reject');
      const cancelled = new Promise<undefined>((resolve) => token?.onCancellationRequested(() => resolve(undefined)));
      return (await Promise.race([asked, cancelled])) === 'Accept';
    } finally {
      this.proposed.delete(right);
      this.proposed.delete(left);
      await closeDiff(right);
    }
  }

  diagnostics(uri?: string): { diagnostics: LspDiagnostic[] } {
    const pairs: [vscode.Uri, readonly vscode.Diagnostic[]][] = uri
      ? [[vscode.Uri.parse(uri, true), vscode.languages.getDiagnostics(vscode.Uri.parse(uri, true))]]
      : vscode.languages.getDiagnostics();
    const out: LspDiagnostic[] = [];
    for (const [u, list] of pairs) {
      if (u.scheme !== 'file') continue;
      for (const d of list) out.push(toLspDiagnostic(u.toString(), d));
    }
    return { diagnostics: out };
  }
}

async function closeDiff(right: vscode.Uri): Promise<void> {
  for (const group of vscode.window.tabGroups.all) {
    for (const tab of group.tabs) {
      const input = tab.input;
      if (input instanceof vscode.TabInputTextDiff && input.modified.toString() === right.toString()) {
        await vscode.window.tabGroups.close(tab);
      }
    }
  }
}
