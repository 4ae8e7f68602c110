/** Agent mode, extension-host side: answers the server's `byok/agent/approve` (a diff view for
 * edits and new files; for commands Run / Reject in the chat panel, a dialog when it is closed) and `byok/agent/diagnostics`, and
 * passes `byok/agent/step` notifications on to the chat panel. */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { confirmDiff, type ProposedContent } from './chat/codeActions';
import { proposedText, toLspDiagnostic, type AgentStep, type ApproveParams, type LspDiagnostic } from './shared/agent';

/** Asks for a `run_command` approval somewhere other than a dialog (the chat panel);
 * undefined when it cannot ask (then the dialog does). */
export type CommandApprover = (p: ApproveParams, token?: vscode.CancellationToken) => Promise<boolean | undefined>;

export class AgentHost implements vscode.Disposable {
  private readonly stepEmitter = new vscode.EventEmitter<AgentStep>();
  readonly onStep = this.stepEmitter.event;
  private commandApprover: CommandApprover | undefined;

  /** ``proposed`` holds the right-hand side of diff views (shared with Apply to File). */
  constructor(private readonly proposed: ProposedContent) {}

  dispose(): void {
    this.stepEmitter.dispose();
  }

  /** The chat panel asks while it is open; disposing the result hands back to the dialog. */
  askCommandsWith(approver: CommandApprover): vscode.Disposable {
    this.commandApprover = approver;
    return { dispose: () => this.commandApprover === approver && (this.commandApprover = undefined) };
  }

  /** Wires a freshly created language client (before it starts). */
  attach(client: LanguageClient): void {
    client.onNotification('byok/agent/step', (step: AgentStep) => this.stepEmitter.fire(step));
    client.onRequest('byok/agent/approve', (p: ApproveParams, token: vscode.CancellationToken) => this.approve(p, token));
    client.onRequest('byok/agent/diagnostics', (p: { uri?: string }) => this.diagnostics(p.uri));
  }

  async approve(p: ApproveParams, token?: vscode.CancellationToken): Promise<{ approved: boolean }> {
    if (p.tool === 'run_command') return { approved: (await this.commandApprover?.(p, token)) ?? (await this.approveCommand(p)) };
    if (p.tool === 'propose_edit' || p.tool === 'create_file') return { approved: await this.approveChange(p, token) };
    return { approved: false };
  }

  private async approveCommand(p: ApproveParams): Promise<boolean> {
    const command = String(p.arguments.command ?? '');
    const folder = commandFolder();
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
    const name = vscode.workspace.asRelativePath(target, false);
    const creating = p.tool === 'create_file';
    const question = `BYOK agent wants to ${creating ? 'create' : 'change'} ${name}.`;
    // Stop pressed while the user decides (the token) counts as a rejection.
    return confirmDiff(this.proposed, creating ? undefined : target, name, after, `BYOK agent: ${name} (proposed)`, question, 'Accept', 'Reject', token);
  }

  diagnostics(uri?: string): { diagnostics: LspDiagnostic[] } {
    const one = uri ? vscode.Uri.parse(uri, true) : undefined;
    const pairs: [vscode.Uri, readonly vscode.Diagnostic[]][] = one ? [[one, vscode.languages.getDiagnostics(one)]] : vscode.languages.getDiagnostics();
    const out: LspDiagnostic[] = [];
    for (const [u, list] of pairs) {
      if (u.scheme !== 'file') continue;
      for (const d of list) out.push(toLspDiagnostic(u.toString(), d));
    }
    return { diagnostics: out };
  }
}

/** Where `run_command` runs: the first workspace folder (as the server picks it). */
export function commandFolder(): string {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
}
