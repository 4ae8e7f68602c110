/** Shared machinery of the code-server end-to-end tests: processes, code-server, Chromium, steps. */
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { it } from 'node:test';
import { chromium, type Browser, type FrameLocator, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from '../webview/harness';

export const CLIENT = path.resolve(__dirname, '..', '..', '..');
export const REPO = path.resolve(CLIENT, '..');
export const ARTIFACTS = path.join(CLIENT, 'test-artifacts');
export const PYTHON = process.env.BYOK_E2E_PYTHON ?? path.join(REPO, '.venv', 'bin', 'python');
export const CS_DIR = process.env.BYOK_CODE_SERVER_DIR ?? path.join(os.homedir(), '.cache', 'byok-vscode-e2e', 'code-server');
const INSTALL_SCRIPT = path.resolve(REPO, '..', 'shared', 'tools', 'install-code-server.sh');
const PKG = JSON.parse(fs.readFileSync(path.join(CLIENT, 'package.json'), 'utf8')) as { publisher: string; name: string; version: string };
const started = Date.now();

export function log(msg: string): void {
  process.stderr.write(`[e2e +${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}\n`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export function waitForLine(child: cp.ChildProcess, re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re} (got: ${buf.slice(-500)})`)), timeoutMs);
    const onData = (d: Buffer): void => {
      buf += d.toString();
      const m = buf.match(re);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`process exited (${code}) before ${re}: ${buf.slice(-1500)}`));
    });
  });
}

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await fetch(url);
      if (r.status < 500) return;
    } catch {
      // not yet
    }
    if (Date.now() > end) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export function ensureCodeServer(): void {
  if (fs.existsSync(path.join(CS_DIR, 'node_modules', '.bin', 'code-server'))) return;
  log(`installing code-server into ${CS_DIR}`);
  cp.execFileSync('bash', [INSTALL_SCRIPT, CS_DIR], { stdio: 'inherit' });
}

export interface SessionOptions {
  /** Prefix of screenshot and log file names. */
  name: string;
  settings: Record<string, unknown>;
  env?: Record<string, string>;
  files?: Record<string, string>;
}

/** A code-server with the unpacked extension, plus a headless Chromium page on it. */
export class Session {
  readonly tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'byok-e2e-'));
  readonly configDir = path.join(this.tmp, 'config');
  readonly dataDir = path.join(this.tmp, 'data');
  readonly userData = path.join(this.tmp, 'user-data');
  readonly extDir = path.join(this.tmp, 'extensions');
  readonly workspace = path.join(this.tmp, 'workspace');
  private readonly children: cp.ChildProcess[] = [];
  private browser: Browser | undefined;
  page!: Page;
  url = '';
  private shotNo = 0;
  /** Console errors from webview frames (CSP refusals, script errors). */
  readonly webviewErrors: string[] = [];

  constructor(private readonly opts: SessionOptions) {
    for (const d of [this.configDir, this.dataDir, path.join(this.userData, 'User'), this.extDir, this.workspace]) fs.mkdirSync(d, { recursive: true });
    for (const [f, text] of Object.entries(opts.files ?? {})) fs.writeFileSync(path.join(this.workspace, f), text);
    fs.symlinkSync(CLIENT, path.join(this.extDir, `${PKG.publisher}.${PKG.name}-${PKG.version}`), 'dir');
    this.writeSettings(opts.settings);
  }

  writeSettings(extra: Record<string, unknown>): void {
    const base = {
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'workbench.enableExperiments': false,
      'security.workspace.trust.enabled': false,
      'telemetry.telemetryLevel': 'off',
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'extensions.ignoreRecommendations': true,
      'chat.disableAIFeatures': true,
      'workbench.colorTheme': 'Default Dark Modern',
    };
    fs.writeFileSync(path.join(this.userData, 'User', 'settings.json'), JSON.stringify({ ...base, ...extra }, null, 2));
  }

  spawn(name: string, cmd: string, args: string[], opts: cp.SpawnOptions): cp.ChildProcess {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const out = fs.createWriteStream(path.join(ARTIFACTS, `${this.opts.name}-${name}.log`));
    const child = cp.spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child.stdout?.pipe(out);
    child.stderr?.pipe(out);
    this.children.push(child);
    return child;
  }

  async start(): Promise<void> {
    ensureCodeServer();
    assert(fs.existsSync(path.join(CLIENT, 'dist', 'extension.js')), 'run the build first (npm run build)');
    const port = await freePort();
    const cs = this.spawn(
      'code-server',
      path.join(CS_DIR, 'node_modules', '.bin', 'code-server'),
      ['--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--user-data-dir', this.userData, '--extensions-dir', this.extDir, this.workspace],
      {
        cwd: this.tmp,
        env: {
          ...process.env,
          EXTENSIONS_GALLERY: '{}',
          BYOK_LS_CONFIG_DIR: this.configDir,
          BYOK_LS_DATA_DIR: this.dataDir,
          PYTHON_KEYRING_BACKEND: 'tests.support.keyrings.MemoryKeyring',
          // The server loads that test keyring from this checkout.
          PYTHONPATH: [path.dirname(CLIENT), process.env.PYTHONPATH].filter(Boolean).join(path.delimiter),
          ...this.opts.env,
        },
      },
    );
    cs.on('exit', (code) => log(`code-server exited (${code})`));
    this.url = `http://127.0.0.1:${port}`;
    await waitForHttp(`${this.url}/healthz`, 90_000);
    log(`code-server at ${this.url}`);
    this.browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS });
    this.page = await this.browser.newPage({ viewport: { width: 1400, height: 900 } });
    this.page.setDefaultTimeout(30_000);
    this.page.on('console', (m) => {
      const where = m.location().url ?? '';
      if ((m.type() === 'error' || /Refused to|Content Security Policy/.test(m.text())) && /webview|vscode-cdn|vscode-resource/.test(where))
        this.webviewErrors.push(`${m.text()} @ ${where}`);
    });
    this.page.on('pageerror', (e) => {
      if (/webview/.test(e.stack ?? '')) this.webviewErrors.push(`pageerror: ${e.message}`);
    });
  }

  async openWorkbench(): Promise<void> {
    await this.page.goto(`${this.url}/?folder=${encodeURIComponent(this.workspace)}`);
    await this.page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
  }

  async openByokView(): Promise<void> {
    const item = this.page.locator('.activitybar .action-item a[aria-label^="BYOK"], .activitybar li.action-item[aria-label^="BYOK"]').first();
    await item.waitFor({ timeout: 60_000 });
    await item.click();
    await this.page.locator('.composite.title', { hasText: /BYOK/ }).first().waitFor();
  }

  async stop(): Promise<void> {
    await this.browser?.close().catch(() => undefined);
    for (const c of this.children) {
      try {
        if (c.pid) process.kill(-c.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    if (!process.env.BYOK_E2E_KEEP) fs.rmSync(this.tmp, { recursive: true, force: true });
  }

  async shot(name: string): Promise<void> {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const file = path.join(ARTIFACTS, `${this.opts.name}-${String(++this.shotNo).padStart(2, '0')}-${name}.png`);
    await this.page.screenshot({ path: file });
    log(`screenshot ${path.basename(file)}`);
  }

  /** The webview (iframe.webview -> iframe#active-frame) of the visible editor panel. */
  webview(): FrameLocator {
    return this.page.frameLocator('iframe.webview.ready:visible').frameLocator('iframe#active-frame');
  }

  async runCommand(title: string): Promise<void> {
    await this.page.keyboard.press('F1');
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible' });
    await input.fill(`>${title}`);
    await this.page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor();
    await this.page.keyboard.press('Enter');
  }

  /** Tail of the extension's output channel (the server's stderr log), for failure messages. */
  serverLogTail(chars = 3000): string {
    const found: string[] = [];
    const walk = (d: string): void => {
      if (!fs.existsSync(d)) return;
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (/BYOK/.test(e.name)) found.push(p);
      }
    };
    walk(path.join(this.userData, 'logs'));
    return found.map((f) => `--- ${f}\n${fs.readFileSync(f, 'utf8').slice(-chars)}`).join('\n');
  }

  /** After a failed step: close webview dialogs and quick inputs so the next step starts clean. */
  async closeDialogs(): Promise<void> {
    try {
      const open = this.webview().locator('dialog[open]');
      for (let i = 0; i < 3 && (await open.count()) > 0; i++) {
        await open.first().locator('button.secondary', { hasText: /Cancel|Close/ }).first().click({ timeout: 2000 });
      }
    } catch {
      // no webview
    }
    await this.page.keyboard.press('Escape').catch(() => undefined);
  }
}

function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error(msg);
}

/** Named steps: a step whose prerequisites did not pass is skipped (and says which). */
export class Steps {
  readonly outcome = new Map<string, 'passed' | 'failed' | 'skipped'>();

  constructor(private readonly session: () => Session | undefined) {}

  step(name: string, needs: string[], fn: () => Promise<void>, timeout = 120_000): void {
    it(name, { timeout }, async (t) => {
      const missing = needs.filter((n) => this.outcome.get(n) !== 'passed');
      if (missing.length) {
        this.outcome.set(name, 'skipped');
        t.skip(`needs: ${missing.join(', ')}`);
        return;
      }
      const t0 = Date.now();
      try {
        await fn();
        this.outcome.set(name, 'passed');
        log(`PASS ${name} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
      } catch (e) {
        this.outcome.set(name, 'failed');
        log(`FAIL ${name}: ${(e as Error).message}`);
        const s = this.session();
        if (s) {
          await s.shot(`FAILED-${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`).catch(() => undefined);
          await s.closeDialogs();
          const tail = s.serverLogTail();
          if (tail) log(`server log:\n${tail}`);
        }
        throw e;
      }
    });
  }

  summary(): string {
    return [...this.outcome].map(([k, v]) => `${v.toUpperCase()} ${k}`).join('\n  ');
  }
}
