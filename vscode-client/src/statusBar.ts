/** Status bar item: the active completion model; click to switch. */
import * as vscode from 'vscode';
import { shortModelLabel } from './shared/modelId';
import type { Active, StatusResult } from './shared/protocol';
import type { ByokServer } from './server';

export class CompletionStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('byok.completionModel', vscode.StatusBarAlignment.Right, 100);
  private readonly subs: vscode.Disposable[];

  constructor(private readonly server: ByokServer) {
    this.item.name = 'BYOK Completion Model';
    this.item.command = 'byok.switchCompletionModel';
    this.subs = [
      server.onConfigChanged(() => void this.refresh()),
      server.onDidChangeState(() => void this.refresh()),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('byok.inlineCompletion') && void this.refresh()),
    ];
    this.item.show();
  }

  dispose(): void {
    this.subs.forEach((s) => s.dispose());
    this.item.dispose();
  }

  async refresh(): Promise<void> {
    const enabled = vscode.workspace.getConfiguration('byok.inlineCompletion').get<boolean>('enabled', true);
    if (!this.server.state.running) {
      const st = this.server.state;
      const starting = st.reason === 'starting';
      this.item.text = starting ? '$(loading~spin) BYOK' : '$(warning) BYOK';
      this.item.tooltip = st.message;
      this.item.command = starting ? undefined : 'byok.showServerLog';
      return;
    }
    this.item.command = 'byok.switchCompletionModel';
    let active: Active | null = null;
    try {
      active = await this.server.request<Active>('byok/active/get');
    } catch (e) {
      this.item.text = '$(warning) BYOK';
      this.item.tooltip = (e as { message?: string }).message ?? String(e);
      return;
    }
    const label = shortModelLabel(active.completion, 'no completion model');
    this.item.text = `${enabled ? '$(sparkle)' : '$(circle-slash)'} ${label}`;
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**BYOK** — inline completion ${enabled ? 'on' : 'off'}\n\n`);
    md.appendMarkdown(`Completion: \`${active.completion ?? 'none'}\`  \nChat: \`${active.chat ?? 'none'}\`\n\n`);
    try {
      const status = await this.server.request<StatusResult>('byok/status');
      for (const p of status.providers ?? []) {
        const bits = [p.lastOutcome ?? 'no requests yet'];
        if (p.coolDownS) bits.push(`cooling down ${Math.round(p.coolDownS)} s`);
        if (p.spentTodayUsd != null) bits.push(`$${p.spentTodayUsd.toFixed(2)} today${p.budgetDailyUsd != null ? ` of $${p.budgetDailyUsd.toFixed(2)}` : ''}`);
        md.appendMarkdown(`- \`${p.id}\`: ${bits.join(', ')}\n`);
      }
    } catch {
      // byok/status is optional for the tooltip.
    }
    md.appendMarkdown('\nClick to switch the completion model.');
    this.item.tooltip = md;
    this.item.accessibilityInformation = { label: `BYOK completion model ${label}${enabled ? '' : ', inline completion off'}` };
  }
}
