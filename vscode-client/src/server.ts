/** The byok-ls language client: interpreter choice, install check, start/stop, notifications. */
import * as cp from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { CancellationToken, LanguageClient, State, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { asRpcError } from './shared/errors';
import { classifyProbe, expandPath, installCommand, pickPython, type PythonChoice } from './shared/python';
import type { ChatDelta, RpcError } from './shared/protocol';
import { inlineCompletionMiddleware } from './inline';
import { redactingChannel } from './shared/trace';

export type ServerState =
  | { running: true; python: PythonChoice }
  | { running: false; message: string; python?: PythonChoice; reason?: 'starting' | 'not-installed' | 'no-python' | 'crashed' | 'stopped'; install?: string };

export class ByokServer implements vscode.Disposable {
  client: LanguageClient | undefined;
  state: ServerState = { running: false, message: 'Starting the byok-ls server…', reason: 'starting' };
  private readonly stateEmitter = new vscode.EventEmitter<ServerState>();
  private readonly configEmitter = new vscode.EventEmitter<unknown>();
  private readonly deltaEmitter = new vscode.EventEmitter<ChatDelta>();
  private readonly clientEmitter = new vscode.EventEmitter<LanguageClient>();
  /** A new client exists and has not started: the place to add request handlers. */
  readonly onDidCreateClient = this.clientEmitter.event;
  readonly onDidChangeState = this.stateEmitter.event;
  readonly onConfigChanged = this.configEmitter.event;
  readonly onChatDelta = this.deltaEmitter.event;
  private starting: Promise<void> | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    readonly output: vscode.LogOutputChannel,
  ) {}

  dispose(): void {
    void this.stop();
    this.stateEmitter.dispose();
    this.configEmitter.dispose();
    this.deltaEmitter.dispose();
    this.clientEmitter.dispose();
  }

  private setState(s: ServerState): void {
    this.state = s;
    this.stateEmitter.fire(s);
  }

  async resolvePython(): Promise<PythonChoice> {
    const folder = vscode.workspace.workspaceFolders?.[0];
    const setting = vscode.workspace.getConfiguration('byok', folder?.uri).get<string>('server.pythonPath', '');
    const expanded = setting
      ? expandPath(setting, { home: process.env.HOME ?? process.env.USERPROFILE, workspaceFolder: folder?.uri.fsPath, env: process.env })
      : '';
    let fromExt: string | undefined;
    if (!expanded) fromExt = await pythonFromPythonExtension(folder?.uri);
    return pickPython(expanded, fromExt, process.platform);
  }

  /** Whether the workspace is a checkout of byok-ls itself (then `pip install -e .` is the fix). */
  private isSourceCheckout(): boolean {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder || folder.uri.scheme !== 'file') return false;
    try {
      const text = fs.readFileSync(path.join(folder.uri.fsPath, 'pyproject.toml'), 'utf8');
      return /^name\s*=\s*["']byok-ls["']/m.test(text);
    } catch {
      return false;
    }
  }

  start(): Promise<void> {
    this.starting ??= this.doStart().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async doStart(): Promise<void> {
    const python = await this.resolvePython();
    this.setState({ running: false, message: 'Starting the byok-ls server…', reason: 'starting', python });
    this.output.info(`Python interpreter: ${python.path} (from ${python.source})`);
    const probe = await probeServer(python.path);
    if (!probe.ok) {
      const cmd = installCommand(python.path, this.isSourceCheckout());
      const message =
        probe.reason === 'no-python'
          ? `BYOK: the Python interpreter "${python.path}" was not found. Set "byok.server.pythonPath", or install Python 3.11+ and run: ${cmd}`
          : probe.reason === 'not-installed'
            ? `BYOK: the byok-ls server is not installed for ${python.path}. Install it with: ${cmd}`
            : `BYOK: "${python.path} -c 'import byok_ls'" failed. Reinstall with: ${cmd}`;
      this.output.error(message);
      if (probe.detail) this.output.error(probe.detail.trim());
      this.setState({ running: false, message, python, reason: probe.reason === 'no-python' ? 'no-python' : 'not-installed', install: cmd });
      void vscode.window.showErrorMessage(message, 'Copy Install Command', 'Open Settings', 'Show Log').then(async (pick) => {
        if (pick === 'Copy Install Command') {
          await vscode.env.clipboard.writeText(cmd);
          void vscode.window.showInformationMessage(`Copied: ${cmd} — run it in a terminal, then "BYOK: Restart Server".`);
        } else if (pick === 'Open Settings') {
          void vscode.commands.executeCommand('workbench.action.openSettings', 'byok.server.pythonPath');
        } else if (pick === 'Show Log') {
          this.output.show();
        }
      });
      return;
    }

    const serverOptions: ServerOptions = {
      command: python.path,
      args: ['-m', 'byok_ls'],
      transport: TransportKind.stdio,
      // BYOK_LS_CONFIG_DIR, provider key env vars, PYTHON_KEYRING_BACKEND ... pass through.
      options: { env: { ...process.env, PYTHONUNBUFFERED: '1' } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: 'file' }, { scheme: 'untitled' }],
      outputChannel: this.output,
      // The verbose trace prints request params: the apiKey of providers/add|update must not.
      traceOutputChannel: redactingChannel(this.output),
      middleware: inlineCompletionMiddleware(() => {
        const c = vscode.workspace.getConfiguration('byok.inlineCompletion');
        return { enabled: c.get<boolean>('enabled', true), debounceMs: c.get<number>('debounceMs', 150) };
      }),
      synchronize: { configurationSection: 'byok' },
      initializationOptions: {
        client: 'byok-vscode',
        version: this.context.extension.packageJSON.version,
        // Changes reach the server as workspace/didChangeConfiguration (synchronize above).
        agent: { allowCommands: vscode.workspace.getConfiguration('byok.agent').get<boolean>('allowCommands', false) },
      },
    };
    const client = new LanguageClient('byok', 'BYOK Language Server', serverOptions, clientOptions);
    this.client = client;
    client.onDidChangeState((e) => {
      if (e.newState === State.Running) this.setState({ running: true, python });
      else if (e.newState === State.Stopped && this.client === client && this.state.running)
        this.setState({ running: false, message: 'The byok-ls server stopped. Run "BYOK: Restart Server".', python, reason: 'crashed' });
    });
    client.onNotification('byok/config/changed', (p: unknown) => this.configEmitter.fire(p));
    client.onNotification('byok/chat/delta', (d: ChatDelta) => this.deltaEmitter.fire(d));
    this.clientEmitter.fire(client);
    try {
      await client.start();
      this.output.info('byok-ls server started.');
      this.setState({ running: true, python });
    } catch (e) {
      const message = `BYOK: the byok-ls server failed to start: ${e instanceof Error ? e.message : String(e)}`;
      this.output.error(message);
      this.setState({ running: false, message, python, reason: 'crashed' });
      void vscode.window.showErrorMessage(message, 'Show Log').then((p) => p && this.output.show());
    }
  }

  async stop(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c) {
      try {
        await c.stop(5000);
      } catch (e) {
        this.output.warn(`stopping the server: ${String(e)}`);
      }
    }
    this.setState({ running: false, message: 'The byok-ls server is stopped.', reason: 'stopped' });
  }

  async restart(): Promise<void> {
    this.output.info('Restarting the byok-ls server…');
    await this.stop();
    await this.start();
  }

  /** Sends a `byok/*` request; rejects with an RpcError (also when the server is not running). */
  async request<T>(method: string, params: unknown = {}, token?: CancellationToken): Promise<T> {
    if (this.starting) await this.starting;
    const c = this.client;
    if (!c || !this.state.running) {
      const err: RpcError = { code: -32099, message: this.state.running ? 'The byok-ls server is not running.' : this.state.message, data: { kind: 'server_down' } };
      throw err;
    }
    try {
      return token ? await c.sendRequest<T>(method, params, token) : await c.sendRequest<T>(method, params);
    } catch (e) {
      throw asRpcError(e);
    }
  }
}

function probeServer(python: string): Promise<ReturnType<typeof classifyProbe>> {
  return new Promise((resolve) => {
    cp.execFile(python, ['-c', 'import byok_ls'], { env: process.env, timeout: 30000 }, (err, _stdout, stderr) => {
      resolve(classifyProbe(err as { code?: string | number | null } | null, String(stderr ?? (err ? err.message : ''))));
    });
  });
}

interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath?(resource?: vscode.Uri): { path: string } | undefined;
    resolveEnvironment?(env: { path: string } | string): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
  };
  settings?: { getExecutionDetails?(resource?: vscode.Uri): { execCommand?: string[] } | undefined };
}

/** The interpreter selected in the ms-python extension, if it is installed. */
async function pythonFromPythonExtension(resource?: vscode.Uri): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
  if (!ext) return undefined;
  try {
    const api = ext.isActive ? ext.exports : await Promise.race([ext.activate(), new Promise<undefined>((r) => setTimeout(() => r(undefined), 10000))]);
    if (!api) return undefined;
    const envPath = api.environments?.getActiveEnvironmentPath?.(resource);
    if (envPath && api.environments?.resolveEnvironment) {
      const resolved = await api.environments.resolveEnvironment(envPath);
      const exe = resolved?.executable?.uri?.fsPath;
      if (exe) return exe;
    }
    const exec = api.settings?.getExecutionDetails?.(resource)?.execCommand;
    if (exec?.length === 1) return exec[0];
    return envPath?.path;
  } catch {
    return undefined;
  }
}
