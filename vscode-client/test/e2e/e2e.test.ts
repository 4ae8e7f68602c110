/**
 * End-to-end in real VS Code (code-server) driven like a user in headless Chromium:
 * BYOK view -> overflow menu -> Configure Providers -> add an OpenAI-compatible provider pointing at
 * the fake (tests.fakes) with a key -> chat + completion models -> Test Connection -> make active ->
 * ghost text in an editor -> streamed chat, Stop, a wrong key. Screenshots: test-artifacts/e2e-*.png.
 *
 * Env: BYOK_CODE_SERVER_DIR (install dir, default ~/.cache/byok-vscode-e2e/code-server),
 *      BYOK_E2E_PYTHON (default <repo>/.venv/bin/python), CHROMIUM_PATH, BYOK_E2E_KEEP=1 keeps temp dirs.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe } from 'node:test';
import type { FrameLocator, Page } from 'playwright-core';
import { freePort, log, PYTHON, REPO, Session, Steps, waitForLine } from './support';

const KEY = 'sk-e2e-test-key-0123456789abcdWXYZ';
let session: Session | undefined;
let page: Page;
let fakeUrl = '';
const steps = new Steps(() => session);
const step = steps.step.bind(steps);
const shot = (name: string): Promise<void> => session!.shot(name);
const webview = (): FrameLocator => session!.webview();
const runCommand = (title: string): Promise<void> => session!.runCommand(title);

interface FakeRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  json: Record<string, unknown> | null;
  status: number;
  closed_early?: boolean;
}

async function fakeRequests(): Promise<FakeRequest[]> {
  return (await (await fetch(`${fakeUrl}/__fake/requests`)).json()) as FakeRequest[];
}

async function scriptFake(reply: Record<string, unknown>): Promise<void> {
  const r = await fetch(`${fakeUrl}/__fake/script`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(reply) });
  assert.equal(r.status, 200, await r.text());
}

const SETTINGS = {
  'byok.server.pythonPath': PYTHON,
  'byok.inlineCompletion.debounceMs': 50,
  'editor.inlineSuggest.enabled': true,
  'editor.quickSuggestions': { other: false, comments: false, strings: false },
  'editor.suggestOnTriggerCharacters': false,
};

/** Opens the BYOK view's "…" (Views and More Actions) menu and returns it. */
async function openOverflowMenu() {
  const sidebar = page.locator('#workbench\\.parts\\.sidebar');
  await sidebar.hover();
  await sidebar.locator('.title-actions .action-label[aria-label*="More Actions"], .actions .action-label[aria-label*="More Actions"]').first().click();
  const menu = page.locator('.monaco-menu-container .monaco-menu, .context-view .monaco-menu').first();
  await menu.waitFor();
  // The workbench ignores a click that lands right after the menu opened.
  await page.waitForTimeout(400);
  return menu;
}

const PROVIDER = 'add an OpenAI-compatible provider (custom template) with the fake URL and a key';

describe('VS Code end-to-end (code-server)', { timeout: 900_000 }, () => {
  before(async () => {
    assert.ok(fs.existsSync(PYTHON), `Python with byok-ls expected at ${PYTHON}`);
    session = new Session({
      name: 'e2e',
      files: { 'sample.js': '// byok e2e\n\n' },
      settings: SETTINGS,
    });
    // The fake OpenAI-compatible provider (tests.fakes), requiring our key.
    const fakePort = await freePort();
    const fake = session.spawn('fake-openai', PYTHON, ['-m', 'tests.fakes', 'openai', '--host', '127.0.0.1', '--port', String(fakePort), '--expect-key', KEY], {
      cwd: REPO,
      env: { ...process.env, PYTHONUNBUFFERED: '1' },
    });
    fakeUrl = (await waitForLine(fake, /listening on (http:\/\/127\.0\.0\.1:\d+)/, 60_000))[1];
    log(`fake provider at ${fakeUrl}`);
    await session.start();
    page = session.page;
  });

  after(async () => {
    await session?.stop();
    log(`steps:\n  ${steps.summary()}`);
  });

  step('workbench loads and the BYOK view shows the server is up', [], async () => {
    await session!.openWorkbench();
    await session!.openByokView();
    // An empty provider list (the server answered) shows the welcome content with its button.
    await page.locator('.welcome-view-content a.monaco-button, .welcome-view-content .monaco-button', { hasText: 'Configure Providers' }).first().waitFor({ timeout: 60_000 });
    await shot('byok-view-welcome');
  });

  step('the view\'s "…" menu offers the six actions and opens Configure Providers', ['workbench loads and the BYOK view shows the server is up'], async () => {
    const menu = await openOverflowMenu();
    const labels = (await menu.locator('.action-label').allTextContents()).map((s) => s.trim()).filter(Boolean);
    for (const l of ['Configure Providers', 'Switch Chat Model', 'Switch Completion Model', 'Usage', 'Open Config File', 'Restart Server'])
      assert.ok(labels.includes(l), `menu has "${l}" (got ${JSON.stringify(labels)})`);
    await shot('overflow-menu');
    await menu.locator('.action-label', { hasText: 'Configure Providers' }).first().click();
    await webview().locator('h1', { hasText: 'Configure Providers' }).waitFor({ timeout: 60_000 });
    await webview().locator('#providers').waitFor();
    await shot('configure-providers-empty');
  });

  step(PROVIDER, ['the view\'s "…" menu offers the six actions and opens Configure Providers'], async () => {
    const w = webview();
    await w.locator('#add-provider').click();
    await w.locator('#provider-dialog').waitFor();
    const templates = await w.locator('#pf-template option').evaluateAll((o) => o.map((x) => (x as HTMLOptionElement).value));
    assert.ok(templates.includes('custom'), `templates: ${templates}`);
    await w.locator('#pf-template').selectOption('custom');
    await w.locator('#pf-id').fill('fake');
    await w.locator('#pf-name').fill('Fake OpenAI');
    await w.locator('#pf-baseUrl').fill(`${fakeUrl}/v1`);
    await w.locator('#pf-apiKey').fill(KEY);
    await shot('add-provider-form');
    await w.locator('#pf-save').click();
    const card = w.locator('[data-provider-id="fake"]');
    await card.waitFor();
    await assert.doesNotReject(card.locator('.key-status[data-key-present="true"]').waitFor());
    const keyText = (await card.locator('.key-status').textContent()) ?? '';
    assert.match(keyText, /WXYZ/, 'hint shows the last 4 characters');
    assert.ok(!keyText.includes('0123456789'), 'the key is not shown');
    assert.ok(!(await page.content()).includes(KEY));
    await shot('provider-added');
  });

  step('Discover Models fills the model name list from the provider', [PROVIDER], async () => {
    const w = webview();
    await w.locator('[data-provider-id="fake"] [data-task="chat"] .add-model').click();
    await w.locator('#model-dialog').waitFor();
    await w.locator('#mf-discover').click();
    const status = w.locator('#mf-discover-status', { hasText: /Found \d+ models|failed/ });
    await status.waitFor();
    const text = (await status.textContent()) ?? '';
    await shot('discover-models');
    assert.match(text, /Found \d+ models/);
    const names = await w.locator('#mf-name-options option').evaluateAll((o) => o.map((x) => (x as HTMLOptionElement).value));
    assert.ok(names.includes('gpt-4o-mini'), `discovered: ${names}`);
    const reqs = await fakeRequests();
    assert.ok(reqs.some((r) => r.method === 'GET' && r.path === '/v1/models' && r.headers.authorization === 'present'));
  });

  step('add a chat model', [PROVIDER], async () => {
    const w = webview();
    if (!(await w.locator('#model-dialog[open]').count())) await w.locator('[data-provider-id="fake"] [data-task="chat"] .add-model').click();
    await w.locator('#model-dialog').waitFor();
    assert.equal(await w.locator('#mf-task').inputValue(), 'chat');
    await w.locator('#mf-name').fill('gpt-4o-mini');
    await w.locator('#mf-nCtx').fill('128000');
    await w.locator('#mf-defaultTemperature').fill('0.2');
    await w.locator('#mf-tools').check();
    await shot('add-chat-model');
    await w.locator('#mf-save').click();
    await w.locator('[data-provider-id="fake"] [data-task="chat"] [data-model="gpt-4o-mini"]').waitFor();
  });

  step('add a completion model (FIM native)', [PROVIDER], async () => {
    const w = webview();
    await w.locator('[data-provider-id="fake"] [data-task="completion"] .add-model').click();
    await w.locator('#model-dialog').waitFor();
    await w.locator('#mf-name').fill('gpt-3.5-turbo-instruct');
    await w.locator('#mf-nCtx').fill('4096');
    await w.locator('#mf-fim').selectOption('native');
    await w.locator('#mf-save').click();
    await w.locator('[data-provider-id="fake"] [data-task="completion"] [data-model="gpt-3.5-turbo-instruct"]').waitFor();
    await shot('models-added');
  });

  step('Test Connection reports ok and the key reached the fake', [PROVIDER], async () => {
    const w = webview();
    await w.locator('[data-provider-id="fake"] button', { hasText: 'Test Connection' }).click();
    const result = w.locator('[data-test-for="fake"][data-status]');
    await result.waitFor({ timeout: 60_000 });
    const status = await result.getAttribute('data-status');
    const text = (await result.textContent()) ?? '';
    await shot('test-connection');
    assert.equal(status, 'ok', `test result: ${text}`);
    assert.match(text, /Connected/);
    const reqs = await fakeRequests();
    assert.ok(reqs.length > 0, 'the fake received the test request');
    const authed = reqs.filter((r) => r.headers.authorization === 'present');
    assert.ok(authed.length > 0, 'Authorization header arrived');
    assert.ok(authed.some((r) => r.status === 200), `with the right key (--expect-key): ${JSON.stringify(reqs.map((r) => [r.method, r.path, r.status]))}`);
  });

  step('make the models active; the status bar shows the completion model', ['add a chat model', 'add a completion model (FIM native)'], async () => {
    const w = webview();
    await w.locator('[aria-label="Use gpt-4o-mini for chat"]').click();
    await w.locator('[data-active-task="chat"]', { hasText: 'fake/gpt-4o-mini' }).waitFor();
    await w.locator('[aria-label="Use gpt-3.5-turbo-instruct for completion"]').click();
    await w.locator('[data-active-task="completion"]', { hasText: 'fake/gpt-3.5-turbo-instruct' }).waitFor();
    await page.locator('.statusbar-item', { hasText: 'gpt-3.5-turbo-instruct' }).first().waitFor({ timeout: 30_000 });
    await shot('models-active-status-bar');
  });

  step('status bar click opens the completion model quick pick', ['make the models active; the status bar shows the completion model'], async () => {
    await page.locator('.statusbar-item', { hasText: 'gpt-3.5-turbo-instruct' }).first().click();
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: 'gpt-3.5-turbo-instruct' }).first();
    await row.waitFor();
    await shot('switch-completion-quick-pick');
    await page.keyboard.press('Escape');
  });

  step('typing in an editor shows ghost text from the completion model', ['make the models active; the status bar shows the completion model'], async () => {
    await runCommand('View: Close All Editors');
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible' });
    await input.fill('sample.js');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'sample.js' }).first().waitFor();
    await page.keyboard.press('Enter');
    const editor = page.locator('.editor-instance .monaco-editor').first();
    await editor.waitFor();
    await editor.locator('.view-lines').click();
    await page.keyboard.press('Control+End');
    const before = (await fakeRequests()).length;
    await page.keyboard.type('function add(a, b) {\n', { delay: 30 });
    const ghost = page.locator('.monaco-editor .ghost-text-decoration, .monaco-editor .ghost-text-decoration-preview, .monaco-editor .ghost-text').first();
    await ghost.waitFor({ timeout: 45_000 });
    const ghostText = (await page.locator('.monaco-editor .ghost-text-decoration, .monaco-editor .ghost-text-decoration-preview, .monaco-editor .ghost-text').allTextContents()).join('');
    await shot('ghost-text');
    assert.ok(ghostText.trim().length > 0, 'ghost text is not empty');
    const reqs = (await fakeRequests()).slice(before);
    const completions = reqs.filter((r) => r.method === 'POST' && /\/v1\/(completions|chat\/completions)$/.test(r.path));
    assert.ok(completions.length > 0, `a completion request reached the fake: ${JSON.stringify(reqs.map((r) => r.path))}`);
    assert.ok(completions.every((r) => r.headers.authorization === 'present'));
    assert.ok(completions.some((r) => r.status === 200 && r.json && r.json.model === 'gpt-3.5-turbo-instruct'), 'sent to the active completion model with the right key');
    await page.keyboard.press('Tab');
    await page.waitForFunction((g) => (document.querySelector('.editor-instance .view-lines')?.textContent ?? '').replace(/\s+/g, '').includes(g), ghostText.replace(/\s+/g, '').slice(0, 8));
    await shot('ghost-text-accepted');
  });

  step('with byok.inlineCompletion.enabled off, typing shows no ghost text and asks nobody', ['typing in an editor shows ghost text from the completion model'], async () => {
    await runCommand('BYOK: Toggle Inline Completion');
    await page.locator('[aria-label*="inline completion off"]').first().waitFor({ timeout: 30_000 });
    try {
      const before = (await fakeRequests()).length;
      await page.locator('.editor-instance .monaco-editor .view-lines').first().click();
      await page.keyboard.press('Control+End');
      await page.keyboard.type('\nfunction sub(a, b) {\n', { delay: 30 });
      await page.waitForTimeout(2500);
      await shot('inline-disabled');
      assert.equal(await page.locator('.monaco-editor .ghost-text-decoration, .monaco-editor .ghost-text').count(), 0, 'no ghost text');
      const reqs = (await fakeRequests()).slice(before).filter((r) => /completions$/.test(r.path));
      assert.deepEqual(reqs.map((r) => r.path), [], 'no completion request while disabled');
    } finally {
      await page.keyboard.press('Escape');
      await runCommand('BYOK: Toggle Inline Completion');
      await page.locator('[aria-label*="inline completion off"]').first().waitFor({ state: 'detached', timeout: 30_000 });
    }
  });

  step('chat: send a message and see the answer stream', ['make the models active; the status bar shows the completion model'], async () => {
    // A slow multi-chunk answer, so the stream is visible.
    const answer = 'Streaming works: one, two, three, four, five, six, seven, eight.';
    await scriptFake({ text: answer, chunks: 8, delay_chunks: 0.4, path: '/v1/chat/completions' });
    await runCommand('View: Close All Editors');
    await runCommand('BYOK: Open Chat');
    const w = webview();
    await w.locator('#input').waitFor();
    await w.locator('#model option', { hasText: 'fake/gpt-4o-mini' }).first().waitFor({ state: 'attached' });
    const before = (await fakeRequests()).length;
    await w.locator('#input').fill('Count to eight, please.');
    await w.locator('#send').click();
    // Mid-stream: some deltas rendered, not done yet, Stop visible.
    await w.locator('.msg.assistant.streaming[data-deltas]:not([data-deltas="0"])').waitFor({ timeout: 45_000 });
    const partial = (await w.locator('.msg.assistant .content').last().textContent()) ?? '';
    assert.ok(await w.locator('#stop').isVisible(), 'Stop is offered while streaming');
    await shot('chat-streaming');
    await w.locator('.msg.assistant[data-done="true"]').waitFor({ timeout: 60_000 });
    const final = (await w.locator('.msg.assistant .content').last().textContent()) ?? '';
    const deltas = Number(await w.locator('.msg.assistant').last().getAttribute('data-deltas'));
    await shot('chat-done');
    assert.equal(final, answer);
    assert.ok(partial.length < answer.length, `a partial answer was on screen first (${JSON.stringify(partial)})`);
    assert.ok(deltas >= 2, `several deltas (${deltas})`);
    const chat = (await fakeRequests()).slice(before).filter((q) => q.method === 'POST' && q.path === '/v1/chat/completions');
    assert.equal(chat.length, 1, 'one chat request');
    assert.equal(chat[0].status, 200);
    assert.equal(chat[0].headers.authorization, 'present');
    assert.equal(chat[0].json?.model, 'gpt-4o-mini');
    assert.equal(chat[0].json?.stream, true);
    const messages = chat[0].json?.messages as { role: string; content: string }[];
    assert.equal(messages[messages.length - 1].content, 'Count to eight, please.');
  });

  step('chat: Stop cancels the answer and the upstream request', ['chat: send a message and see the answer stream'], async () => {
    await scriptFake({ text: 'a very slow answer that nobody will wait for, word by word by word', chunks: 30, delay_chunks: 0.5, path: '/v1/chat/completions' });
    const w = webview();
    const before = (await fakeRequests()).length;
    await w.locator('#input').fill('Tell me a long story.');
    await w.locator('#send').click();
    await w.locator('.msg.assistant.streaming[data-deltas]:not([data-deltas="0"])').waitFor({ timeout: 45_000 });
    await w.locator('#stop').click();
    await w.locator('.msg.assistant[data-stopped="true"]').waitFor({ timeout: 30_000 });
    await shot('chat-stopped');
    assert.ok(await w.locator('#send').isEnabled());
    // The server closes the upstream stream when the request is cancelled ($/cancelRequest).
    const end = Date.now() + 10_000;
    let chat: FakeRequest | undefined;
    while (Date.now() < end) {
      chat = (await fakeRequests()).slice(before).find((q) => q.method === 'POST' && q.path === '/v1/chat/completions');
      if (chat?.closed_early) break;
      await new Promise((res) => setTimeout(res, 250));
    }
    assert.ok(chat, 'the chat request reached the fake');
    assert.equal(chat.closed_early, true, `upstream closed early: ${JSON.stringify(chat)}`);
  });

  step('a wrong key shows "Bad key" on Test Connection and an auth error with its fix in chat', [PROVIDER, 'chat: send a message and see the answer stream'], async () => {
    await runCommand('BYOK: Configure Providers');
    let w = webview();
    await w.locator('[data-provider-id="fake"]').waitFor();
    try {
      await w.locator('[aria-label="Edit Fake OpenAI"]').click();
      await w.locator('#pf-apiKey').fill('sk-wrong-key-000000');
      await w.locator('#pf-test').click();
      const result = w.locator('#pf-test-result[data-status]:not([data-status=""])');
      await result.waitFor({ timeout: 30_000 });
      await shot('test-connection-bad-key');
      assert.equal(await result.getAttribute('data-status'), 'auth_failed', (await result.textContent()) ?? '');
      assert.match((await result.textContent()) ?? '', /Bad key/);
      await w.locator('#pf-cancel').click();
      await runCommand('BYOK: Open Chat');
      w = webview();
      await w.locator('#input').fill('Hello?');
      await w.locator('#send').click();
      const err = w.locator('.msg.error[data-kind="auth_failed"]');
      await err.waitFor({ timeout: 30_000 });
      await w.locator('.msg.error button', { hasText: 'Edit Key' }).waitFor();
      await shot('chat-auth-error');
      assert.ok(!((await err.textContent()) ?? '').includes('sk-wrong-key-000000'), 'the error does not echo the key');
    } finally {
      // Put the right key back through the UI.
      await runCommand('BYOK: Configure Providers');
      w = webview();
      await w.locator('[aria-label="Edit Fake OpenAI"]').click();
      await w.locator('#pf-apiKey').fill(KEY);
      await w.locator('#pf-save').click();
      await w.locator('#provider-dialog').waitFor({ state: 'hidden' });
    }
  });

  step('Open Config File (… menu) shows config.yaml with the provider and without the key', [PROVIDER], async () => {
    await runCommand('View: Close All Editors');
    const menu = await openOverflowMenu();
    await menu.locator('.action-label', { hasText: 'Open Config File' }).first().click();
    await page.locator('.tab', { hasText: 'config.yaml' }).first().waitFor();
    const text = (await page.locator('.editor-instance .view-lines').first().textContent()) ?? '';
    await shot('config-file');
    assert.match(text.replace(/\u00a0/g, ' '), /fake/);
    const onDisk = fs.readFileSync(path.join(session!.configDir, 'config.yaml'), 'utf8');
    assert.match(onDisk, /gpt-4o-mini/);
    assert.ok(!onDisk.includes(KEY) && !onDisk.includes('sk-wrong-key'), 'no key in config.yaml');
  });

  step('Usage (… menu) opens a report of the requests made', ['chat: send a message and see the answer stream'], async () => {
    await runCommand('View: Close All Editors');
    const menu = await openOverflowMenu();
    await menu.locator('.action-label', { hasText: 'Usage' }).first().click();
    await page.locator('.tab', { hasText: /Usage/ }).first().waitFor();
    const preview = webview();
    await preview.locator('h1', { hasText: 'BYOK usage' }).waitFor({ timeout: 30_000 });
    const cells = await preview.locator('table td').allTextContents();
    await shot('usage');
    assert.ok(cells.includes('gpt-4o-mini'), `the chat requests are in the report: ${JSON.stringify(cells)}`);
    assert.ok(cells.includes('gpt-3.5-turbo-instruct'), 'and the completions');
  });

  step('Restart Server (… menu) restarts the server and the view comes back', ['workbench loads and the BYOK view shows the server is up', PROVIDER], async () => {
    const menu = await openOverflowMenu();
    await menu.locator('.action-label', { hasText: 'Restart Server' }).first().click();
    const sidebar = page.locator('#workbench\\.parts\\.sidebar');
    await sidebar.locator('.monaco-list-row', { hasText: 'Fake OpenAI' }).first().waitFor({ timeout: 60_000 });
    await page.locator('.statusbar-item', { hasText: 'gpt-3.5-turbo-instruct' }).first().waitFor({ timeout: 60_000 });
    const end = Date.now() + 15_000;
    const restarted = /Restarting the byok-ls server[\s\S]*byok-ls server started/;
    while (!restarted.test(session!.serverLogTail(Infinity)) && Date.now() < end) await page.waitForTimeout(250);
    assert.ok(restarted.test(session!.serverLogTail(Infinity)), 'the output channel logs the restart');
    await shot('after-restart');
  });

  step('the webviews logged no CSP violations or script errors', ['the view\'s "…" menu offers the six actions and opens Configure Providers'], async () => {
    assert.deepEqual(session!.webviewErrors, []);
  });
});
