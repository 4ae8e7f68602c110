/** Entry point: starts the byok-ls client and registers the BYOK view, panels and commands. */
import * as vscode from 'vscode';
import { AgentHost, type CommandApprover } from './agent';
import { openConfig, showUsage, switchModel, toggleInlineCompletion, UsageDocuments } from './commands';
import { ChatPanel } from './chat/chatPanel';
import { PROPOSED_SCHEME, ProposedContent } from './chat/codeActions';
import { EditorTracker } from './chat/editorContext';
import { ConfigurePanel } from './panels';
import { ProvidersView } from './providersView';
import { ByokServer } from './server';
import { CompletionStatusBar } from './statusBar';

let server: ByokServer | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<{ server: ByokServer }> {
  const output = vscode.window.createOutputChannel('BYOK Language Server', { log: true });
  server = new ByokServer(context, output);
  const s = server;
  const view = new ProvidersView(s);
  const statusBar = new CompletionStatusBar(s);
  const usageDocs = new UsageDocuments();
  // One holder of proposed texts for both diff views: Apply to File and agent proposals.
  const proposed = new ProposedContent();
  const agent = new AgentHost(proposed);
  const chat = { tracker: new EditorTracker(), proposed, onAgentStep: agent.onStep, askCommandsWith: (a: CommandApprover) => agent.askCommandsWith(a) };
  context.subscriptions.push(
    output,
    agent,
    s.onDidCreateClient((client) => agent.attach(client)),
    s,
    view,
    statusBar,
    vscode.window.registerTreeDataProvider('byok.providers', view),
    vscode.workspace.registerTextDocumentContentProvider('byok', usageDocs),
    vscode.commands.registerCommand('byok.configureProviders', () => ConfigurePanel.show(context, s)),
    chat.tracker,
    vscode.workspace.registerTextDocumentContentProvider(PROPOSED_SCHEME, chat.proposed),
    vscode.commands.registerCommand('byok.openChat', () => void ChatPanel.show(context, s, chat)),
    vscode.commands.registerCommand('byok.askAboutSelection', async () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor) {
        void vscode.window.showInformationMessage('BYOK: select code in an editor first.');
        return;
      }
      await ChatPanel.show(context, s, chat).attachSelection(editor);
    }),
    vscode.window.registerWebviewPanelSerializer('byok.chat', {
      deserializeWebviewPanel: async (panel: vscode.WebviewPanel) => ChatPanel.restore(context, s, chat, panel),
    }),
    vscode.commands.registerCommand('byok.switchChatModel', () => switchModel(s, 'chat')),
    vscode.commands.registerCommand('byok.switchCompletionModel', () => switchModel(s, 'completion')),
    vscode.commands.registerCommand('byok.showUsage', () => showUsage(s, usageDocs)),
    vscode.commands.registerCommand('byok.openConfig', () => openConfig()),
    vscode.commands.registerCommand('byok.restartServer', () => s.restart()),
    vscode.commands.registerCommand('byok.showServerLog', () => output.show()),
    vscode.commands.registerCommand('byok.toggleInlineCompletion', () => toggleInlineCompletion()),
    vscode.commands.registerCommand('byok.refresh', () => view.refresh()),
    vscode.commands.registerCommand('byok.copyInstallCommand', async (cmd?: string) => {
      const st = s.state;
      const text = cmd ?? (!st.running ? st.install : undefined);
      if (!text) return;
      await vscode.env.clipboard.writeText(text);
      void vscode.window.showInformationMessage(`Copied: ${text} — run it in a terminal, then "BYOK: Restart Server".`);
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('byok.server.pythonPath')) {
        void vscode.window.showInformationMessage('BYOK: the Python interpreter changed.', 'Restart Server').then((p) => p && s.restart());
      }
    }),
  );
  void s.start();
  return { server: s };
}

export async function deactivate(): Promise<void> {
  await server?.stop();
}
