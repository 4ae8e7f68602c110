/** Webview panels (Configure Providers, Chat): HTML shell + forwarding of whitelisted requests. */
import * as vscode from 'vscode';
import { asRpcError } from './shared/errors';
import { WEBVIEW_COMMANDS, WEBVIEW_METHODS, type ToHost, type ToWebview } from './shared/protocol';
import { makeNonce, renderWebviewHtml } from './shared/webviewHtml';
import type { ByokServer } from './server';

export abstract class Panel implements vscode.Disposable {
  protected readonly panel: vscode.WebviewPanel;
  protected readonly disposables: vscode.Disposable[] = [];

  constructor(
    protected readonly context: vscode.ExtensionContext,
    protected readonly server: ByokServer,
    viewType: string,
    title: string,
    script: string,
    view: string,
    onDispose: () => void,
    where: { column?: vscode.ViewColumn; existing?: vscode.WebviewPanel } = {},
  ) {
    const webviewRoot = vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview');
    const media = vscode.Uri.joinPath(context.extensionUri, 'media');
    const options = { enableScripts: true, retainContextWhenHidden: true, localResourceRoots: [webviewRoot, media] };
    this.panel = where.existing ?? vscode.window.createWebviewPanel(viewType, title, where.column ?? vscode.ViewColumn.Active, options);
    if (where.existing) this.panel.webview.options = options;
    this.panel.iconPath = vscode.Uri.joinPath(media, 'byok.svg');
    const w = this.panel.webview;
    w.html = renderWebviewHtml({
      title,
      cspSource: w.cspSource,
      nonce: makeNonce(),
      scriptUri: w.asWebviewUri(vscode.Uri.joinPath(webviewRoot, script)).toString(),
      styleUri: w.asWebviewUri(vscode.Uri.joinPath(media, 'webview.css')).toString(),
      bodyAttrs: { 'data-view': view },
    });
    this.disposables.push(
      w.onDidReceiveMessage((m: ToHost) => void this.onMessage(m)),
      server.onConfigChanged((revision) => this.post({ type: 'configChanged', revision })),
      server.onDidChangeState((s) => this.post({ type: 'serverState', running: s.running, message: s.running ? undefined : s.message })),
      this.panel.onDidDispose(() => {
        onDispose();
        this.dispose();
      }),
    );
  }

  reveal(): void {
    this.panel.reveal();
  }

  /** The `byok/*` methods this panel's webview may call. */
  protected methods: readonly string[] = WEBVIEW_METHODS;

  protected post(msg: ToWebview): void {
    void this.panel.webview.postMessage(msg);
  }

  protected async onMessage(m: ToHost): Promise<void> {
    switch (m.type) {
      case 'ready':
        if (!this.server.state.running && this.server.state.reason !== 'starting')
          this.post({ type: 'serverState', running: false, message: this.server.state.message });
        return;
      case 'rpc': {
        if (!this.methods.includes(m.method)) {
          this.post({ type: 'rpcError', id: m.id, error: { code: -32601, message: `${m.method} is not available to this panel.` } });
          return;
        }
        try {
          const result = await this.server.request<unknown>(m.method, m.params ?? {});
          this.post({ type: 'rpcResult', id: m.id, result });
        } catch (e) {
          this.post({ type: 'rpcError', id: m.id, error: asRpcError(e) });
        }
        return;
      }
      case 'command':
        if (WEBVIEW_COMMANDS.includes(m.command)) await vscode.commands.executeCommand(m.command);
        return;
      default:
        await this.onOtherMessage(m);
    }
  }

  protected async onOtherMessage(_m: ToHost): Promise<void> {}

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

export class ConfigurePanel extends Panel {
  private static current: ConfigurePanel | undefined;

  static show(context: vscode.ExtensionContext, server: ByokServer): void {
    if (ConfigurePanel.current) ConfigurePanel.current.reveal();
    else ConfigurePanel.current = new ConfigurePanel(context, server);
  }

  private constructor(context: vscode.ExtensionContext, server: ByokServer) {
    super(context, server, 'byok.configure', 'BYOK: Configure Providers', 'configure.js', 'configure', () => (ConfigurePanel.current = undefined));
  }
}
