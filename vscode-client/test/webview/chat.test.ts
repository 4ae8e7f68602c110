import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { emptyActive, launch, posted, screenshot, serve, stubVsCodeApi, TEMPLATES, toWebview, watchProblems, type Served } from './harness';

let served: Served;
let browser: Browser;
let page: Page;
let problems: string[];

const providers = [
  { id: 'fake', template: 'custom', name: 'Fake', enabled: true, baseUrl: 'http://127.0.0.1:1/v1', key: { present: true, source: 'keyring', hint: 'sk-…1234' },
    models: [{ name: 'gpt-4o-mini', task: 'chat' }, { name: 'gpt-4o', task: 'chat' }, { name: 'instruct', task: 'completion' }] },
  { id: 'off', template: 'custom', name: 'Off', enabled: false, baseUrl: 'http://127.0.0.1:2/v1', key: { present: false, source: null, hint: null }, models: [{ name: 'hidden', task: 'chat' }] },
];

async function open(): Promise<void> {
  page = await browser.newPage({ viewport: { width: 800, height: 700 } });
  problems = watchProblems(page);
  await page.addInitScript(stubVsCodeApi, { templates: TEMPLATES, providers, active: { ...emptyActive(), chat: 'fake/gpt-4o-mini' } });
  await page.goto(served.url('chat'));
  await page.waitForSelector('#model option[value="fake/gpt-4o"]', { state: 'attached' });
}

async function lastSend(): Promise<any> {
  const sends = (await posted(page)).filter((m) => m.type === 'chatSend');
  return sends[sends.length - 1];
}

describe('Chat webview', () => {
  before(async () => {
    served = await serve();
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await served?.close();
  });
  beforeEach(async () => {
    await page?.close();
  });

  it('lists chat models of enabled providers, active first', async () => {
    await open();
    const options = await page.$$eval('#model option', (o) => o.map((x) => [(x as HTMLOptionElement).value, x.textContent]));
    assert.deepEqual(options.map((o) => o[0]), ['', 'fake/gpt-4o-mini', 'fake/gpt-4o']);
    assert.match(options[0][1] ?? '', /Active chat model \(fake\/gpt-4o-mini\)/);
    assert.deepEqual(problems, []);
  });

  it('sends byok/chat and renders out-of-order deltas in order, reasoning collapsed', async () => {
    await open();
    await page.selectOption('#model', 'fake/gpt-4o');
    await page.fill('#input', 'Say hello');
    await page.keyboard.press('Enter');
    const send = await lastSend();
    assert.equal(send.params.modelId, 'fake/gpt-4o');
    assert.deepEqual(send.params.messages, [{ role: 'user', content: 'Say hello' }]);
    assert.equal(send.params.chatId, send.chatId);
    assert.equal(await page.isVisible('#stop'), true);
    const chatId = send.chatId;
    for (const d of [
      { index: 2, text: 'lo, ' },
      { index: 0, reasoning: 'The user wants a greeting.' },
      { index: 1, text: 'Hel' },
      { index: 4, text: '!' },
    ]) await toWebview(page, { type: 'chatDelta', delta: { chatId, ...d } });
    await page.waitForFunction(() => document.querySelector('.msg.assistant .content')?.textContent === 'Hello, ');
    await toWebview(page, { type: 'chatDelta', delta: { chatId, index: 3, text: 'world' } });
    await page.waitForFunction(() => document.querySelector('.msg.assistant .content')?.textContent === 'Hello, world!');
    assert.equal(await page.getAttribute('.msg.assistant', 'data-deltas'), '5');
    assert.equal(await page.$eval('details.reasoning', (d) => (d as HTMLDetailsElement).open), false, 'reasoning collapsed');
    assert.equal(await page.isVisible('details.reasoning'), true);
    assert.equal(await page.textContent('details.reasoning .reasoning-text'), 'The user wants a greeting.');
    await screenshot(page, 'webview-chat-streaming');
    await toWebview(page, { type: 'chatDone', chatId, result: { content: 'Hello, world!', finishReason: 'stop', usage: { inputTokens: 9, outputTokens: 4 }, modelId: 'fake/gpt-4o' } });
    await page.waitForSelector('.msg.assistant[data-done="true"]');
    assert.match(await page.textContent('.msg.assistant .meta') ?? '', /fake\/gpt-4o · 9 in \/ 4 out tokens/);
    assert.equal(await page.isVisible('#stop'), false);
    // A follow-up carries the history.
    await page.fill('#input', 'Again');
    await page.click('#send');
    const second = await lastSend();
    assert.deepEqual(second.params.messages.map((m: any) => m.role), ['user', 'assistant', 'user']);
    assert.equal(second.params.messages[1].content, 'Hello, world!');
    assert.notEqual(second.chatId, chatId);
    assert.deepEqual(problems, []);
  });

  it('ignores deltas of other chats', async () => {
    await open();
    await page.fill('#input', 'x');
    await page.click('#send');
    const { chatId } = await lastSend();
    await toWebview(page, { type: 'chatDelta', delta: { chatId: 'other', index: 0, text: 'WRONG' } });
    await toWebview(page, { type: 'chatDelta', delta: { chatId, index: 0, text: 'right' } });
    await page.waitForFunction(() => document.querySelector('.msg.assistant .content')?.textContent === 'right');
  });

  it('Stop posts chatStop and a cancelled request is shown as stopped', async () => {
    await open();
    await page.fill('#input', 'long story');
    await page.click('#send');
    const { chatId } = await lastSend();
    await toWebview(page, { type: 'chatDelta', delta: { chatId, index: 0, text: 'Once upon' } });
    await page.click('#stop');
    const stops = (await posted(page)).filter((m) => m.type === 'chatStop');
    assert.deepEqual(stops, [{ type: 'chatStop', chatId }]);
    await toWebview(page, { type: 'chatError', chatId, error: { code: -32800, message: 'Request cancelled' } });
    await page.waitForSelector('.msg.assistant[data-stopped="true"]');
    assert.match(await page.textContent('.msg.assistant .meta') ?? '', /Stopped/);
    assert.equal(await page.isEnabled('#send'), true);
  });

  it('shows an auth error with the action that fixes it', async () => {
    await open();
    await page.fill('#input', 'hi');
    await page.click('#send');
    const { chatId } = await lastSend();
    await toWebview(page, { type: 'chatError', chatId, error: { code: -32001, message: 'Your key for fake was rejected (401): check it in Configure Providers.', data: { kind: 'auth_failed' } } });
    await page.waitForSelector('.msg.error[data-kind="auth_failed"]');
    assert.match(await page.textContent('.msg.error') ?? '', /rejected \(401\)/);
    await screenshot(page, 'webview-chat-auth-error');
    await page.click('.msg.error button:has-text("Configure Providers")');
    const cmds = (await posted(page)).filter((m) => m.type === 'command');
    assert.deepEqual(cmds, [{ type: 'command', command: 'byok.configureProviders' }]);
    assert.equal(await page.inputValue('#input'), 'hi', 'the unanswered question comes back for a retry');
  });

  it('no active model error offers Switch Chat Model', async () => {
    await open();
    await page.fill('#input', 'hi');
    await page.click('#send');
    const { chatId } = await lastSend();
    await toWebview(page, { type: 'chatError', chatId, error: { code: -32012, message: 'No active chat model.', data: { kind: 'no_active_model' } } });
    await page.waitForSelector('.msg.error button:has-text("Switch Chat Model")');
  });
});
