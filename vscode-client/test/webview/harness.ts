/** Serves a webview's real HTML/JS/CSS over loopback and drives it in headless Chromium with a stub acquireVsCodeApi. */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { makeNonce, renderWebviewHtml } from '../../src/shared/webviewHtml';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const ARTIFACTS = path.join(ROOT, 'test-artifacts');

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
];

export function chromiumPath(): string {
  for (const p of [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'])
    if (p && fs.existsSync(p)) return p;
  throw new Error('Chromium not found: apt-get install chromium (or set CHROMIUM_PATH)');
}

/** Theme variables VS Code would inject, so screenshots look like a dark editor. */
const THEME = `:root{--vscode-font-family:sans-serif;--vscode-font-size:13px;--vscode-foreground:#ccc;--vscode-editor-background:#1e1e1e;
--vscode-button-foreground:#fff;--vscode-button-background:#0e639c;--vscode-button-hoverBackground:#1177bb;--vscode-button-secondaryForeground:#fff;
--vscode-button-secondaryBackground:#3a3d41;--vscode-input-background:#3c3c3c;--vscode-input-foreground:#ccc;--vscode-input-border:#555;
--vscode-descriptionForeground:#9d9d9d;--vscode-errorForeground:#f48771;--vscode-focusBorder:#007fd4;--vscode-panel-border:#444;
--vscode-inputValidation-errorBorder:#be1100;--vscode-inputValidation-errorBackground:#5a1d1d;--vscode-badge-background:#4d4d4d;--vscode-badge-foreground:#fff;
--vscode-editorWidget-background:#252526;--vscode-dropdown-background:#3c3c3c;--vscode-dropdown-foreground:#ccc;--vscode-editor-font-family:monospace}`;

/** The same variables for a light and a high-contrast theme (VS Code also sets a body class). */
const LIGHT = `:root{--vscode-font-family:sans-serif;--vscode-font-size:13px;--vscode-foreground:#3b3b3b;--vscode-editor-background:#ffffff;--vscode-editor-foreground:#000;
--vscode-button-foreground:#fff;--vscode-button-background:#005fb8;--vscode-button-secondaryForeground:#3b3b3b;--vscode-button-secondaryBackground:#e5e5e5;
--vscode-input-background:#fff;--vscode-input-foreground:#3b3b3b;--vscode-input-border:#cecece;--vscode-descriptionForeground:#717171;--vscode-errorForeground:#e51400;
--vscode-focusBorder:#005fb8;--vscode-panel-border:#e5e5e5;--vscode-inputValidation-errorBorder:#be1100;--vscode-inputValidation-errorBackground:#f2dede;
--vscode-badge-background:#cccccc;--vscode-badge-foreground:#3b3b3b;--vscode-editorWidget-background:#f8f8f8;--vscode-textCodeBlock-background:#f3f3f3;
--vscode-dropdown-background:#fff;--vscode-dropdown-foreground:#3b3b3b;--vscode-editor-font-family:monospace;--vscode-textLink-foreground:#005fb8;
--vscode-symbolIcon-keywordForeground:#0000ff;--vscode-symbolIcon-functionForeground:#795e26;--vscode-symbolIcon-classForeground:#267f99;
--vscode-symbolIcon-variableForeground:#001080;--vscode-debugTokenExpression-string:#a31515;--vscode-debugTokenExpression-number:#098658;--vscode-textPreformat-foreground:#a31515}`;
const HC = `:root{--vscode-font-family:sans-serif;--vscode-font-size:13px;--vscode-foreground:#fff;--vscode-editor-background:#000;--vscode-editor-foreground:#fff;
--vscode-button-foreground:#fff;--vscode-button-background:#000;--vscode-button-border:#6fc3df;--vscode-button-secondaryForeground:#fff;--vscode-button-secondaryBackground:#000;
--vscode-input-background:#000;--vscode-input-foreground:#fff;--vscode-input-border:#6fc3df;--vscode-descriptionForeground:#fff;--vscode-errorForeground:#f48771;
--vscode-focusBorder:#f38518;--vscode-contrastBorder:#6fc3df;--vscode-contrastActiveBorder:#f38518;--vscode-panel-border:#6fc3df;--vscode-inputValidation-errorBorder:#be1100;
--vscode-inputValidation-errorBackground:#000;--vscode-badge-background:#000;--vscode-badge-foreground:#fff;--vscode-editorWidget-background:#0c141f;--vscode-textCodeBlock-background:#000;
--vscode-dropdown-background:#000;--vscode-dropdown-foreground:#fff;--vscode-editor-font-family:monospace;--vscode-textLink-foreground:#21a6ff;
--vscode-symbolIcon-keywordForeground:#569cd6;--vscode-symbolIcon-functionForeground:#dcdcaa;--vscode-debugTokenExpression-string:#ce9178;--vscode-debugTokenExpression-number:#b5cea8}`;
const DARK_TOKENS = `:root{--vscode-editor-foreground:#d4d4d4;--vscode-textCodeBlock-background:#2b2b2b;--vscode-textLink-foreground:#3794ff;--vscode-symbolIcon-keywordForeground:#569cd6;
--vscode-symbolIcon-functionForeground:#dcdcaa;--vscode-symbolIcon-classForeground:#4ec9b0;--vscode-symbolIcon-variableForeground:#9cdcfe;--vscode-debugTokenExpression-string:#ce9178;
--vscode-debugTokenExpression-number:#b5cea8;--vscode-textPreformat-foreground:#d7ba7d}`;
export type Theme = 'dark' | 'light' | 'hc';
const THEMES: Record<Theme, [string, string]> = { dark: [THEME + DARK_TOKENS, 'vscode-dark'], light: [LIGHT, 'vscode-light'], hc: [HC, 'vscode-high-contrast'] };

export interface Served {
  url: (view: 'configure' | 'chat', theme?: Theme) => string;
  close: () => Promise<void>;
}

export async function serve(): Promise<Served> {
  const files: Record<string, [string, string]> = {
    '/configure.js': [path.join(ROOT, 'dist/webview/configure.js'), 'text/javascript'],
    '/chat.js': [path.join(ROOT, 'dist/webview/chat.js'), 'text/javascript'],
    '/webview.css': [path.join(ROOT, 'media/webview.css'), 'text/css'],
  };
  let origin = '';
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const view = u.pathname.match(/^\/(configure|chat)\.html$/)?.[1];
    if (view) {
      const theme = (u.searchParams.get('theme') ?? 'dark') as Theme;
      const html = renderWebviewHtml({ title: view, cspSource: origin, nonce: makeNonce(), scriptUri: `${origin}/${view}.js`, styleUri: `${origin}/webview.css`, bodyAttrs: { 'data-view': view, class: THEMES[theme][1] } });
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(html.replace('</head>', `<link rel="stylesheet" href="${origin}/theme.css?theme=${theme}"></head>`));
      return;
    }
    if (u.pathname === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    if (u.pathname === '/theme.css') {
      res.writeHead(200, { 'content-type': 'text/css' });
      res.end(THEMES[(u.searchParams.get('theme') ?? 'dark') as Theme][0]);
      return;
    }
    const f = files[u.pathname];
    if (!f) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': f[1] });
    res.end(fs.readFileSync(f[0]));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: (view, theme = 'dark') => `${origin}/${view}.html?theme=${theme}`, close: () => new Promise((r) => server.close(() => r())) };
}

export async function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS });
}

export interface FakeData {
  templates: unknown[];
  vocabulary?: unknown;
  providers: unknown[];
  active: unknown;
  testResult?: unknown;
  discovered?: unknown[];
  /** Answer of byok/tokens/count; absent = the method is unknown (an older server). */
  tokenCount?: unknown;
}

/**
 * Runs in the page before the webview script: acquireVsCodeApi() whose postMessage records the message
 * and answers `rpc` like the server would (in-memory), with one-shot errors from window.__fake.failNext.
 */
export function stubVsCodeApi(data: FakeData): void {
  type Msg = { type: string; id?: number; method?: string; params?: Record<string, unknown>; chatId?: string; command?: string };
  const w = window as unknown as Record<string, unknown>;
  const fake = { ...data, failNext: {} as Record<string, unknown>, calls: [] as { method: string; params: unknown }[] };
  w.__fake = fake;
  w.__posted = [] as Msg[];
  let state: unknown;
  const reply = (m: unknown): void => void setTimeout(() => window.postMessage(m, '*'), 5);
  const providers = fake.providers as Record<string, any>[];
  const hint = (k: string): string => (k.length > 4 ? `${k.slice(0, 3)}…${k.slice(-4)}` : '…');
  const answer = (method: string, p: Record<string, any>): unknown => {
    switch (method) {
      case 'byok/vocabulary':
        return fake.vocabulary;
      case 'byok/templates/list':
        return { templates: fake.templates };
      case 'byok/providers/list':
        return { providers };
      case 'byok/active/get':
        return fake.active;
      case 'byok/active/set':
        (fake.active as Record<string, unknown>)[p.task] = p.modelId;
        return fake.active;
      case 'byok/providers/add': {
        const t = (fake.templates as Record<string, any>[]).find((x) => x.id === p.template);
        const prov = {
          id: p.id ?? p.template,
          template: p.template,
          name: p.name ?? t?.name,
          enabled: p.enabled ?? true,
          baseUrl: p.baseUrl ?? t?.baseUrl,
          apiKeyEnv: p.apiKeyEnv ?? null,
          key: p.apiKey ? { present: true, source: 'keyring', hint: hint(p.apiKey) } : { present: false, source: null, hint: null },
          models: [],
        };
        providers.push(prov);
        return { provider: prov };
      }
      case 'byok/providers/update': {
        const prov = providers.find((x) => x.id === p.id)!;
        for (const k of ['name', 'baseUrl', 'enabled', 'apiKeyEnv']) if (k in p) prov[k] = p[k];
        if (typeof p.apiKey === 'string') prov.key = p.apiKey ? { present: true, source: 'keyring', hint: hint(p.apiKey) } : { present: false, source: null, hint: null };
        return { provider: prov };
      }
      case 'byok/providers/remove':
        providers.splice(providers.findIndex((x) => x.id === p.id), 1);
        return { removed: true };
      case 'byok/providers/test':
        return fake.testResult ?? { ok: true, status: 'ok', latencyMs: 12, message: 'ok', modelsFound: 2 };
      case 'byok/providers/discover':
        return { models: fake.discovered ?? [] };
      case 'byok/tokens/count':
        if (!fake.tokenCount) throw { code: -32601, message: 'no byok/tokens/count' };
        return fake.tokenCount;
      case 'byok/models/add': {
        providers.find((x) => x.id === p.providerId)!.models.push(p.model);
        return { model: p.model };
      }
      case 'byok/models/update': {
        const prov = providers.find((x) => x.id === p.providerId)!;
        const i = prov.models.findIndex((m: any) => m.name === p.name && m.task === p.task);
        prov.models[i] = { ...prov.models[i], ...p.model };
        return { model: prov.models[i] };
      }
      case 'byok/models/remove': {
        const prov = providers.find((x) => x.id === p.providerId)!;
        prov.models = prov.models.filter((m: any) => !(m.name === p.name && m.task === p.task));
        return { removed: true };
      }
      default:
        throw { code: -32601, message: `no ${method}` };
    }
  };
  w.acquireVsCodeApi = () => ({
    getState: () => state,
    setState: (s: unknown) => (state = s),
    postMessage: (m: Msg) => {
      (w.__posted as Msg[]).push(JSON.parse(JSON.stringify(m)));
      if (m.type !== 'rpc') return;
      fake.calls.push({ method: m.method!, params: m.params });
      const err = fake.failNext[m.method!];
      if (err) {
        delete fake.failNext[m.method!];
        reply({ type: 'rpcError', id: m.id, error: err });
        return;
      }
      try {
        reply({ type: 'rpcResult', id: m.id, result: JSON.parse(JSON.stringify(answer(m.method!, m.params ?? {}))) });
      } catch (e) {
        reply({ type: 'rpcError', id: m.id, error: e });
      }
    },
  });
}

/** What byok/vocabulary answers (the real server's FIM families include starcoder2). */
export const VOCABULARY = {
  tasks: ['chat', 'completion', 'embeddings'],
  fimModes: ['native', 'chat'],
  fimFamilies: ['starcoder', 'starcoder2', 'codellama', 'deepseek-coder', 'qwen2.5-coder', 'codestral', 'codegemma'],
  reasoningStyles: ['none', 'openai', 'anthropic', 'deepseek'],
  capabilities: ['tools', 'multimodality', 'clicks', 'agent'],
  wireFormats: ['openai', 'anthropic', 'ollama', 'llamacpp', 'mistral'],
  errorCodes: { auth_failed: -32001, missing_key: -32023 },
};

export const TEMPLATES = [
  { id: 'openai', name: 'OpenAI', wireFormat: 'openai', baseUrl: 'https://api.openai.com/v1', needsKey: true, keyEnv: 'OPENAI_API_KEY', tasks: ['chat', 'completion', 'embeddings'], models: [], docsUrl: null },
  { id: 'ollama', name: 'Ollama', wireFormat: 'ollama', baseUrl: 'http://127.0.0.1:11434', needsKey: false, keyEnv: null, tasks: ['chat', 'completion', 'embeddings'], models: [], docsUrl: null },
  { id: 'custom', name: 'Custom (OpenAI-compatible)', wireFormat: 'openai', baseUrl: 'http://127.0.0.1:8000/v1', needsKey: false, keyEnv: null, tasks: ['chat', 'completion', 'embeddings'], models: [], docsUrl: null },
];

export function emptyActive(): Record<string, unknown> {
  return { chat: null, completion: null, embeddings: null, fallbacks: { chat: [], completion: [], embeddings: [] } };
}

export async function posted(page: Page): Promise<any[]> {
  return page.evaluate(() => (window as unknown as { __posted: unknown[] }).__posted);
}

export async function calls(page: Page, method?: string): Promise<{ method: string; params: any }[]> {
  const all = await page.evaluate(() => (window as unknown as { __fake: { calls: { method: string; params: unknown }[] } }).__fake.calls);
  return method ? all.filter((c) => c.method === method) : all;
}

export async function failNext(page: Page, method: string, error: unknown): Promise<void> {
  await page.evaluate(([m, e]) => ((window as any).__fake.failNext[m as string] = e), [method, error] as const);
}

export async function toWebview(page: Page, msg: unknown): Promise<void> {
  await page.evaluate((m) => window.postMessage(m, '*'), msg);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Collects CSP violations and page errors so each test can assert there were none. */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  return problems;
}
