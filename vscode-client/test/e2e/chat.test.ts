/**
 * The chat panel end-to-end in real VS Code (code-server): select code -> BYOK: Ask About
 * Selection -> the fake provider receives the selection -> a markdown answer with a highlighted
 * code block -> Insert at Cursor -> Apply to File (diff, then Apply) -> the conversation is still
 * listed after a window reload -> an out_of_credit answer offers Switch Model, which answers with
 * another model. Each step is photographed in the dark and the light theme
 * (test-artifacts/chat-e2e-*.png).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe } from 'node:test';
import type { FrameLocator, Page } from 'playwright-core';
import { freePort, log, PYTHON, REPO, Session, Steps, waitForLine } from './support';

let session: Session | undefined;
let page: Page;
let fakeUrl = '';
const steps = new Steps(() => session);
const step = steps.step.bind(steps);
const webview = (): FrameLocator => session!.webview();

const SETTINGS = {
  'byok.server.pythonPath': PYTHON,
  'byok.inlineCompletion.enabled': false,
  'editor.quickSuggestions': { other: false, comments: false, strings: false },
  'editor.suggestOnTriggerCharacters': false,
  'editor.autoClosingBrackets': 'never',
  'files.autoSave': 'off',
};

const MATH = 'function add(a, b) {\n  return a + b;\n}\n\nmodule.exports = { add };\n';
const INSERTED = 'function mul(a, b) {\n  return a * b;\n}\n';
const APPLIED = 'function add(a, b) {\n  // Adds two numbers.\n  return a + b;\n}\n\nmodule.exports = { add };\n';
const ANSWER = [
  '## What it does',
  '',
  '`add` returns the **sum** of its two arguments.',
  '',
  'A companion:',
  '',
  '```js',
  INSERTED + '```',
  '',
  'And the file with a comment:',
  '',
  '```js math.js',
  APPLIED + '```',
].join('\n');

interface FakeRequest {
  method: string;
  path: string;
  json: Record<string, any> | null;
  status: number;
}

async function fakeRequests(): Promise<FakeRequest[]> {
  return (await (await fetch(`${fakeUrl}/__fake/requests`)).json()) as FakeRequest[];
}

async function scriptFake(...replies: Record<string, unknown>[]): Promise<void> {
  const r = await fetch(`${fakeUrl}/__fake/script`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(replies) });
  assert.equal(r.status, 200, await r.text());
}

function config(fake: string): string {
  const model = (name: string, price: number): string =>
    `      - name: ${name}\n        task: chat\n        n_ctx: 16000\n        prices: {input_per_mtok: ${price}, output_per_mtok: ${price * 4}}\n`;
  const provider = (id: string, name: string, models: string): string =>
    `  - id: ${id}\n    template: custom\n    name: ${name}\n    enabled: true\n    base_url: ${fake}/v1\n    models:\n${models}`;
  return `version: 1\nproviders:\n${provider('fake', 'Fake OpenAI', model('gpt-4o-mini', 0.15))}${provider('backup', 'Backup', model('gpt-4o', 2.5))}active:\n  chat: fake/gpt-4o-mini\n`;
}

/** Screenshot in the dark theme, then the same screen in the light theme, then back. */
async function shots(name: string): Promise<void> {
  const s = session!;
  const toggle = async (to: 'vs' | 'vs-dark'): Promise<void> => {
    await s.runCommand('Preferences: Toggle between Light/Dark Themes');
    await page.locator(to === 'vs' ? '.monaco-workbench.vs:not(.vs-dark)' : '.monaco-workbench.vs-dark').waitFor({ timeout: 15_000 });
    await page.waitForTimeout(500);
  };
  await s.shot(`${name}-dark`);
  await toggle('vs');
  await s.shot(`${name}-light`);
  await toggle('vs-dark');
}

/** Waits until the visible text of the first editor includes `text` (the editor draws spaces as U+00A0). */
async function editorShows(text: string, timeout = 30_000): Promise<void> {
  await page.waitForFunction((t) => (document.querySelector('.editor-instance .view-lines')?.textContent ?? '').replace(/\u00a0/g, ' ').includes(t), text, { timeout });
}

function editorFor(file: string) {
  return page.locator('.editor-group-container', { has: page.locator('.tab.active', { hasText: file }) }).locator('.monaco-editor .view-lines').first();
}

async function saveEditor(file: string): Promise<void> {
  await editorFor(file).click();
  await page.keyboard.press('Control+S');
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && (await page.locator('.tab.dirty', { hasText: file }).count()) > 0) await page.waitForTimeout(200);
}

const onDisk = (f: string): string => fs.readFileSync(path.join(session!.workspace, f), 'utf8');

describe('VS Code chat end-to-end (code-server)', { timeout: 900_000 }, () => {
  before(async () => {
    assert.ok(fs.existsSync(PYTHON), `Python with byok-ls expected at ${PYTHON}`);
    session = new Session({ name: 'chat-e2e', files: { 'math.js': MATH }, settings: SETTINGS });
    const fakePort = await freePort();
    const fake = session.spawn('fake-openai', PYTHON, ['-m', 'tests.fakes', 'openai', '--host', '127.0.0.1', '--port', String(fakePort)], { cwd: REPO, env: { ...process.env, PYTHONUNBUFFERED: '1' } });
    fakeUrl = (await waitForLine(fake, /listening on (http:\/\/127\.0\.0\.1:\d+)/, 60_000))[1];
    fs.writeFileSync(path.join(session.configDir, 'config.yaml'), config(fakeUrl));
    await session.start();
    page = session.page;
    await session.openWorkbench();
  });

  after(async () => {
    log(`chat steps:\n  ${steps.summary()}`);
    await session?.stop();
  });

  const ASK = 'select code, BYOK: Ask About Selection, the provider receives the selection';
  step(ASK, [], async () => {
    await session!.openByokView();
    await page.locator('#workbench\\.parts\\.sidebar .monaco-list-row', { hasText: 'Fake OpenAI' }).first().waitFor({ timeout: 90_000 });
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget .quick-input-box input').fill('math.js');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'math.js' }).first().waitFor();
    await page.keyboard.press('Enter');
    const editor = editorFor('math.js');
    await editor.waitFor();
    await editor.click();
    await page.keyboard.press('Control+Home');
    for (let i = 0; i < 3; i++) await page.keyboard.press('Shift+ArrowDown');
    await session!.runCommand('BYOK: Ask About Selection');
    const w = webview();
    const chip = w.locator('#chips .chip[data-kind="selection"]');
    await chip.waitFor({ timeout: 60_000 });
    assert.match((await chip.textContent()) ?? '', /math\.js:1-3.*tokens/);
    await scriptFake({ text: ANSWER, chunks: 12, delay_chunks: 0.15, path: '/v1/chat/completions' });
    const before = (await fakeRequests()).length;
    await w.locator('#input').fill('Explain this code');
    await shots('01-ask-about-selection');
    await w.locator('#send').click();
    await w.locator('.msg.assistant[data-done="true"]').waitFor({ timeout: 60_000 });
    const chat = (await fakeRequests()).slice(before).filter((r) => r.method === 'POST' && r.path === '/v1/chat/completions');
    assert.equal(chat.length, 1, JSON.stringify(chat.map((r) => r.status)));
    const sent = JSON.stringify(chat[0].json?.messages);
    assert.ok(sent.includes('function add(a, b) {\\n  return a + b;\\n}'), `the selection reached the provider: ${sent}`);
    assert.ok(sent.includes('Explain this code'));
  });

  const RENDERED = 'the markdown answer renders with a highlighted code block';
  step(RENDERED, [ASK], async () => {
    const w = webview();
    const content = w.locator('.msg.assistant .content').last();
    assert.equal(await content.locator('h2').textContent(), 'What it does');
    assert.equal(await content.locator('strong').textContent(), 'sum');
    assert.equal(await content.locator('.code-block').count(), 2);
    assert.ok((await content.locator('pre code .hljs-keyword').count()) > 0, 'highlighted');
    assert.equal(await content.locator('.code-block').nth(1).locator('.code-label').textContent(), 'math.js');
    assert.match((await w.locator('.msg.assistant .meta').last().textContent()) ?? '', /fake\/gpt-4o-mini · \d+ in \/ \d+ out tokens · \$/);
    await shots('02-markdown-answer');
  });

  const INSERT = 'Insert at Cursor changes the editor';
  step(INSERT, [RENDERED], async () => {
    const editor = editorFor('math.js');
    await editor.click();
    await page.keyboard.press('Control+End');
    await webview().locator('.code-block').first().locator('button[data-code-action="insert"]').click();
    await editorShows('return a * b;');
    await shots('03-inserted');
    await saveEditor('math.js');
    assert.equal(onDisk('math.js'), MATH + INSERTED);
  });

  const APPLY = 'Apply to File shows a diff and applies it on Apply';
  step(APPLY, [INSERT], async () => {
    await webview().locator('.code-block').nth(1).locator('button[data-code-action="apply"]').click();
    await page.locator('.monaco-diff-editor').first().waitFor({ timeout: 30_000 });
    await page.locator('.tab', { hasText: 'proposed by BYOK chat' }).first().waitFor();
    const apply = page.locator('.notifications-toasts .notification-toast', { hasText: 'Apply the proposed change to math.js?' }).locator('.monaco-button', { hasText: /^Apply$/ });
    await apply.waitFor();
    await shots('04-apply-diff');
    assert.equal(onDisk('math.js'), MATH + INSERTED, 'nothing changes before the user accepts');
    await apply.click();
    await page.locator('.monaco-diff-editor').first().waitFor({ state: 'detached', timeout: 15_000 }).catch(() => undefined);
    await editorShows('// Adds two numbers.');
    await saveEditor('math.js');
    assert.equal(onDisk('math.js'), APPLIED);
    // One edit: a single undo brings back the file as it was before Apply.
    await editorFor('math.js').click();
    await page.keyboard.press('Control+Z');
    await editorShows('return a * b;', 15_000);
    await saveEditor('math.js');
    assert.equal(onDisk('math.js'), MATH + INSERTED);
    await shots('05-applied-and-undone');
  });

  const RELOAD = 'the conversation is still listed after a window reload';
  step(RELOAD, [ASK], async () => {
    await page.reload();
    await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    // The extension is up again (its status bar item is back) before its command is asked for.
    await page.locator('.statusbar-item', { hasText: 'no completion model' }).first().waitFor({ timeout: 60_000 });
    await session!.runCommand('BYOK: Open Chat');
    const w = webview();
    await w.locator('#history').waitFor({ timeout: 60_000 });
    await w.locator('#history').click();
    const item = w.locator('[data-conversation] .conversation-open', { hasText: 'Explain this code' });
    await item.waitFor({ timeout: 30_000 });
    await item.click();
    await w.locator('.msg.assistant .content h2', { hasText: 'What it does' }).waitFor();
    await shots('06-after-reload-history');
  });

  step('an out_of_credit answer offers Switch Model, which answers with another model', [ASK], async () => {
    const w = webview();
    await w.locator('#input').waitFor();
    const quota = 'You exceeded your current quota, please check your plan and billing details.';
    await scriptFake(
      { status: 429, body: { error: { message: quota, type: 'insufficient_quota', param: null, code: 'insufficient_quota' } }, path: '/v1/chat/completions' },
      { text: 'Answered by the backup model.', chunks: 2, path: '/v1/chat/completions' },
    );
    const before = (await fakeRequests()).length;
    await w.locator('#input').fill('One more question');
    await w.locator('#send').click();
    const err = w.locator('.msg.error[data-kind="out_of_credit"]');
    await err.waitFor({ timeout: 60_000 });
    assert.match((await err.locator('.error-headline').textContent()) ?? '', /Out of credit at Fake OpenAI/);
    await shots('07-out-of-credit');
    await err.locator('button', { hasText: 'Switch Model' }).click();
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: 'backup/gpt-4o' }).first();
    await row.waitFor();
    // One theme only: toggling the theme would close the quick pick.
    await session!.shot('08-switch-model-pick-dark');
    await row.click();
    const answer = w.locator('.msg.assistant[data-done="true"]', { hasText: 'Answered by the backup model.' });
    await answer.waitFor({ timeout: 60_000 });
    assert.match((await answer.locator('.meta').textContent()) ?? '', /backup\/gpt-4o/);
    assert.equal(await w.locator('#model').inputValue(), 'backup/gpt-4o', 'the conversation now uses that model');
    const reqs = (await fakeRequests()).slice(before).filter((r) => r.path === '/v1/chat/completions');
    assert.deepEqual(reqs.map((r) => [r.json?.model, r.status]), [['gpt-4o-mini', 429], ['gpt-4o', 200]]);
    await shots('09-switched');
  });

  step('the chat webview logged no CSP violations or script errors', [ASK], async () => {
    assert.deepEqual(session!.webviewErrors, []);
  });
});
