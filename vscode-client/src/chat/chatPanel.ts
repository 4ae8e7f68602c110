/** The chat panel's extension-host side: byok/chat with context, code actions, conversations. */
import * as vscode from 'vscode';
import { Panel } from '../panels';
import type { Attachment, ChatAnswer, ChatSendParams, ChatToHost, ChatToWebview, ContextItem } from '../shared/chatTypes';
import { ConversationStore } from '../shared/conversationStore';
import { commandFolder, type CommandApprover } from '../agent';
import type { AgentStep, ApproveParams } from '../shared/agent';
import { asRpcError, INVALID_PARAMS } from '../shared/errors';
import { inlineContext } from '../shared/inlineContext';
import { modelsForTask } from '../shared/modelId';
import { WEBVIEW_METHODS, type Provider, type ToHost, type ToWebview } from '../shared/protocol';
import type { ByokServer } from '../server';
import { runCodeAction, type ProposedContent } from './codeActions';
import { displayPath, fileAttachment, listWorkspaceFiles, selectionAttachment, workspaceDocument, type EditorTracker } from './editorContext';

export interface ChatDeps {
  tracker: EditorTracker;
  proposed: ProposedContent;
  /** `byok/agent/step` notifications (agent mode). */
  onAgentStep: vscode.Event<AgentStep>;
  /** Lets the open panel answer `run_command` approvals itself. */
  askCommandsWith(approver: CommandApprover): vscode.Disposable;
}

const CHARS_PER_TOKEN = 3.5;

export class ChatPanel extends Panel {
  private static current: ChatPanel | undefined;
  private readonly running = new Map<string, vscode.CancellationTokenSource>();
  /** run_command questions shown in the panel, by id, waiting for Run / Reject. */
  private readonly asked = new Map<number, (approved: boolean) => void>();
  private askedCount = 0;
  private readonly store: ConversationStore;
  private ready = false;
  private readonly queued: (ToWebview | ChatToWebview)[] = [];
  protected override methods: readonly string[] = [...WEBVIEW_METHODS, 'byok/tokens/count'];

  /** Opens (or reveals) the chat; beside the editor when there is one, so both stay visible. */
  static show(context: vscode.ExtensionContext, server: ByokServer, deps: ChatDeps): ChatPanel {
    if (ChatPanel.current) ChatPanel.current.reveal();
    else ChatPanel.current = new ChatPanel(context, server, deps, { column: vscode.window.activeTextEditor ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active });
    return ChatPanel.current;
  }

  /** After a window reload VS Code hands back the panel it had (its webview state holds the chat). */
  static restore(context: vscode.ExtensionContext, server: ByokServer, deps: ChatDeps, existing: vscode.WebviewPanel): void {
    ChatPanel.current?.dispose();
    ChatPanel.current = new ChatPanel(context, server, deps, { existing });
  }

  private constructor(
    context: vscode.ExtensionContext,
    server: ByokServer,
    private readonly deps: ChatDeps,
    where: { column?: vscode.ViewColumn; existing?: vscode.WebviewPanel },
  ) {
    super(context, server, 'byok.chat', 'BYOK Chat', 'chat.js', 'chat', () => (ChatPanel.current = undefined), where);
    this.store = new ConversationStore(context.workspaceState);
    this.disposables.push(
      server.onChatDelta((delta) => {
        if (this.running.has(delta.chatId)) this.post({ type: 'chatDelta', delta });
      }),
      deps.onAgentStep((step) => {
        if (this.running.has(step.chatId)) this.post({ type: 'agentStep', step });
      }),
      deps.askCommandsWith((p, token) => this.askCommand(p, token)),
      { dispose: () => this.running.forEach((c) => c.cancel()) },
      { dispose: () => [...this.asked.values()].forEach((answer) => answer(false)) },
    );
  }

  /** Shows the command on its step with Run / Reject; undefined for a chat this panel is
   * not running (the dialog asks instead). Stop or closing the panel counts as Reject. */
  private askCommand(p: ApproveParams, token?: vscode.CancellationToken): Promise<boolean | undefined> {
    if (!this.running.has(p.chatId)) return Promise.resolve(undefined);
    if (token?.isCancellationRequested) return Promise.resolve(false);
    const id = ++this.askedCount;
    return new Promise<boolean>((resolve) => {
      const answer = (approved: boolean) => {
        this.asked.delete(id);
        cancelled?.dispose();
        resolve(approved);
      };
      this.asked.set(id, answer);
      // Declared after ``answer`` reads it: the token was not cancelled yet, so it fires later.
      const cancelled = token?.onCancellationRequested(() => answer(false));
      // The question must be seen: bring the panel forward without taking the editor's focus.
      if (!this.panel.visible) this.panel.reveal(undefined, true);
      this.post({ type: 'approveCommand', id, chatId: p.chatId, command: String(p.arguments.command ?? ''), cwd: commandFolder() });
    });
  }

  protected override post(msg: ToWebview | ChatToWebview): void {
    if (!this.ready) this.queued.push(msg);
    else void this.panel.webview.postMessage(msg);
  }

  /** Attaches the active editor's selection (or its file when nothing is selected). */
  async attachSelection(editor: vscode.TextEditor): Promise<void> {
    const a = editor.selection.isEmpty ? fileAttachment(editor.document) : selectionAttachment(editor.document, editor.selection);
    await this.attach(a, a.kind === 'selection' ? a.text ?? '' : editor.document.getText());
  }

  private async attach(a: Attachment, text: string): Promise<void> {
    const counted = await this.count(text);
    this.post({ type: 'attach', attachment: { ...a, ...counted }, focus: true });
  }

  private async count(text: string): Promise<{ tokens: number; estimated: boolean }> {
    try {
      const r = await this.server.request<{ tokens: number; estimated: boolean }>('byok/tokens/count', { text });
      return { tokens: r.tokens, estimated: r.estimated };
    } catch {
      return { tokens: Math.ceil(text.length / CHARS_PER_TOKEN), estimated: true };
    }
  }

  protected override async onMessage(m: ToHost): Promise<void> {
    if (m.type === 'ready') {
      this.ready = true;
      for (const q of this.queued.splice(0)) void this.panel.webview.postMessage(q);
    }
    return super.onMessage(m);
  }

  protected override async onOtherMessage(raw: ToHost): Promise<void> {
    const m = raw as unknown as ChatToHost | { type: 'chatStop'; chatId: string };
    switch (m.type) {
      case 'chatStop':
        this.running.get(m.chatId)?.cancel();
        return;
      case 'chatSend':
        return this.chat(m.chatId, m.params);
      case 'approveAnswer':
        this.asked.get(m.id)?.(m.approved === true);
        return;
      case 'codeAction':
        return runCodeAction(m.action, m.code, m.file, this.deps.tracker, this.deps.proposed).catch((e: unknown) => {
          void vscode.window.showErrorMessage(`BYOK: ${asRpcError(e).message}`);
        });
      case 'openLink': {
        const uri = vscode.Uri.parse(m.href, true);
        if (['http', 'https', 'mailto'].includes(uri.scheme)) await vscode.env.openExternal(uri);
        return;
      }
      case 'attachActiveFile': {
        const last = this.deps.tracker.last;
        if (!last) {
          this.post({ type: 'notice', text: 'No file to attach: open one in an editor first.' });
          return;
        }
        const doc = await vscode.workspace.openTextDocument(last.uri);
        return this.attach(fileAttachment(doc), doc.getText());
      }
      case 'attachFile': {
        const doc = await workspaceDocument(m.path);
        if (!doc) {
          this.post({ type: 'notice', text: `${m.path} is not a readable file in this workspace.` });
          return;
        }
        return this.attach(fileAttachment(doc), doc.getText());
      }
      case 'listFiles':
        this.post({ type: 'files', seq: m.seq, paths: await listWorkspaceFiles(m.query) });
        return;
      case 'pickModel':
        return this.pickModel(m.retry);
      case 'conversationsList':
        this.post({ type: 'conversations', items: this.store.list() });
        return;
      case 'conversationSave':
        this.post({ type: 'conversations', items: await this.store.save(m.conversation) });
        return;
      case 'conversationOpen': {
        const c = this.store.get(m.id);
        if (c) this.post({ type: 'conversation', conversation: c });
        return;
      }
      case 'conversationDelete':
        this.post({ type: 'conversations', items: await this.store.delete(m.id) });
        return;
      default:
        return;
    }
  }

  private async pickModel(retry: boolean): Promise<void> {
    let providers: Provider[] = [];
    try {
      providers = (await this.server.request<{ providers: Provider[] }>('byok/providers/list', {})).providers ?? [];
    } catch (e) {
      void vscode.window.showErrorMessage(`BYOK: ${asRpcError(e).message}`);
      return;
    }
    const items = modelsForTask(providers, 'chat').map((c) => ({ label: c.model.name, description: c.provider.name || c.provider.id, detail: c.modelId, modelId: c.modelId }));
    if (!items.length) {
      await vscode.commands.executeCommand('byok.configureProviders');
      return;
    }
    const pick = await vscode.window.showQuickPick(items, { title: 'BYOK: model for this conversation', placeHolder: 'Answer with…' });
    if (pick) this.post({ type: 'modelPicked', modelId: pick.modelId, retry });
  }

  private async chat(chatId: string, params: ChatSendParams): Promise<void> {
    const cts = new vscode.CancellationTokenSource();
    this.running.set(chatId, cts);
    try {
      let result: ChatAnswer;
      try {
        result = await this.server.request<ChatAnswer>('byok/chat', { ...params, chatId }, cts.token);
      } catch (e) {
        const err = asRpcError(e);
        // A server without `context` support refuses the field: say the same thing in the prompt.
        if (err.code !== INVALID_PARAMS || !params.context?.length || !/^context/.test(err.message)) throw e;
        const inlined = await inlineContext(params, (item) => this.readContext(item));
        result = await this.server.request<ChatAnswer>('byok/chat', { ...inlined, chatId }, cts.token);
      }
      this.post({ type: 'chatDone', chatId, result });
    } catch (e) {
      this.post({ type: 'chatError', chatId, error: asRpcError(e) });
    } finally {
      this.running.delete(chatId);
      cts.dispose();
    }
  }

  private async readContext(item: ContextItem): Promise<{ label: string; text: string } | undefined> {
    try {
      const uri = vscode.Uri.parse(item.uri, true);
      if (item.kind === 'selection' && item.text != null) return { label: displayPath(uri), text: item.text };
      if (!vscode.workspace.getWorkspaceFolder(uri)) return undefined;
      const doc = await vscode.workspace.openTextDocument(uri);
      return { label: displayPath(uri), text: doc.getText() };
    } catch {
      return undefined;
    }
  }
}
