import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { configFile } from '../../src/shared/configPath';
import { LatestOnlyDebouncer } from '../../src/shared/debounce';
import { classifyProbe, expandPath, installCommand, pickPython } from '../../src/shared/python';
import { formatUsageMarkdown } from '../../src/shared/usage';
import { contentSecurityPolicy, escapeHtml, makeNonce, renderWebviewHtml } from '../../src/shared/webviewHtml';

describe('debounce', () => {
  it('keeps only the latest of a burst', async () => {
    const d = new LatestOnlyDebouncer();
    const results = await Promise.all([d.wait(30), d.wait(30), d.wait(30)]);
    assert.deepEqual(results, [false, false, true]);
  });
  it('waits at least the delay', async () => {
    const d = new LatestOnlyDebouncer();
    const t0 = Date.now();
    assert.equal(await d.wait(40), true);
    assert.ok(Date.now() - t0 >= 35);
  });
  it('drops a cancelled request at once', async () => {
    const d = new LatestOnlyDebouncer();
    const listeners: (() => void)[] = [];
    const token = { isCancellationRequested: false, onCancellationRequested: (l: () => void) => (listeners.push(l), { dispose() {} }) };
    const p = d.wait(10_000, token);
    token.isCancellationRequested = true;
    listeners.forEach((l) => l());
    assert.equal(await p, false);
  });
  it('a later request is not affected by an earlier cancelled one', async () => {
    const d = new LatestOnlyDebouncer();
    const first = d.wait(20, { isCancellationRequested: true });
    const second = d.wait(20);
    assert.deepEqual(await Promise.all([first, second]), [false, true]);
  });
});

describe('python interpreter', () => {
  it('prefers the setting, then the Python extension, then python3', () => {
    assert.deepEqual(pickPython('/venv/bin/python', '/other', 'linux'), { path: '/venv/bin/python', source: 'setting' });
    assert.deepEqual(pickPython('', '/sel/python', 'linux'), { path: '/sel/python', source: 'python-extension' });
    assert.deepEqual(pickPython(undefined, undefined, 'linux'), { path: 'python3', source: 'default' });
    assert.deepEqual(pickPython('  ', undefined, 'win32'), { path: 'python', source: 'default' });
  });
  it('expands ~, ${workspaceFolder} and ${env:X}', () => {
    assert.equal(expandPath('~/v/bin/python', { home: '/home/u' }), '/home/u/v/bin/python');
    assert.equal(expandPath('${workspaceFolder}/.venv/bin/python', { workspaceFolder: '/w' }), '/w/.venv/bin/python');
    assert.equal(expandPath('${env:PY}', { env: { PY: '/usr/bin/python3' } }), '/usr/bin/python3');
  });
  it('gives one install command', () => {
    assert.equal(installCommand('python3', false), 'python3 -m pip install byok-ls');
    assert.equal(installCommand('/a b/python', true), "'/a b/python' -m pip install -e .");
  });
  it('tells a missing interpreter from a missing module', () => {
    assert.deepEqual(classifyProbe(null, ''), { ok: true });
    assert.equal((classifyProbe({ code: 'ENOENT' }, '') as { reason: string }).reason, 'no-python');
    assert.equal((classifyProbe({ code: 1 }, "ModuleNotFoundError: No module named 'byok_ls'") as { reason: string }).reason, 'not-installed');
    assert.equal((classifyProbe({ code: 1 }, 'SyntaxError') as { reason: string }).reason, 'error');
  });
});

describe('config path', () => {
  it('honours BYOK_LS_CONFIG_DIR, else platform dirs', () => {
    assert.equal(configFile({ BYOK_LS_CONFIG_DIR: '/tmp/c' }, 'linux', '/h', path.posix.join), '/tmp/c/config.yaml');
    assert.equal(configFile({}, 'linux', '/h', path.posix.join), '/h/.config/byok-ls/config.yaml');
    assert.equal(configFile({ XDG_CONFIG_HOME: '/x' }, 'linux', '/h', path.posix.join), '/x/byok-ls/config.yaml');
    assert.equal(configFile({}, 'darwin', '/h', path.posix.join), '/h/Library/Application Support/byok-ls/config.yaml');
  });
});

describe('usage report', () => {
  it('renders rows and totals, escaping pipes', () => {
    const md = formatUsageMarkdown({
      rows: [{ providerId: 'p|1', model: 'm', task: 'chat', requests: 2, inputTokens: 10, outputTokens: 5, costUsd: 0.0012, errors: 0, estimated: false, fallbacks: 0 }],
      totals: { requests: 2, inputTokens: 10, outputTokens: 5, costUsd: 0.0012, errors: 0, estimated: false, fallbacks: 0 },
    });
    assert.match(md, /\| p\\\|1 \| m \| chat \| 2 \| 10 \| 5 \| \$0\.0012 \| 0 \|/);
    assert.match(md, /\*\*Total\*\*/);
    assert.match(formatUsageMarkdown({ rows: [], totals: { requests: 0, inputTokens: 0, outputTokens: 0, costUsd: null, errors: 0, estimated: false, fallbacks: 0 } }), /No requests recorded yet/);
  });
});

describe('webview html', () => {
  it('has a strict CSP with a nonce and no inline scripts or remote connections', () => {
    const nonce = makeNonce();
    assert.match(nonce, /^[A-Za-z0-9]{32}$/);
    const csp = contentSecurityPolicy('vscode-webview://x', nonce);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, new RegExp(`script-src 'nonce-${nonce}'`));
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.match(csp, /connect-src 'none'/);
    const html = renderWebviewHtml({ title: 'A<b>', cspSource: 'vscode-webview://x', nonce, scriptUri: 's.js', styleUri: 's.css' });
    assert.match(html, new RegExp(`<script nonce="${nonce}" src="s.js"></script>`));
    assert.match(html, /<title>A&lt;b&gt;<\/title>/);
    assert.equal(escapeHtml(`"'&`), '&quot;&#39;&amp;');
  });
});
