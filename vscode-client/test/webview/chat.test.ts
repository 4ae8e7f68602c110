import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { emptyActive, launch, posted, screenshot, serve, stubVsCodeApi, TEMPLATES, toWebview, watchProblems, type Served, type Theme } from './harness';

let served: Served;
let browser: Browser;
let page: Page;
let problems: string[];

const providers = [
  { id: 'fake', template: 'custom', name: 'Fake', enabled: true, baseUrl: 'http://127.0.0.1:1/v1', key: { present: true, source: 'keyring', hint: 'sk-…1234' },
    models: [{ name: 'gpt-4o-mini', task: 'chat' }, { name: 'gpt-4o', task: 'chat', capabilities: { multimodality: true, tools: true, agent: true } }, { name: 'instruct', task: 'completion' }] },
  { id: 'off', template: 'custom', name: 'Off', enabled: false, baseUrl: 'http://127.0.0.1:2/v1', key: { present: false, source: null, hint: null }, models: [{ name: 'hidden', task: 'chat' }] },
];

async function open(opts: { theme?: Theme; tokenCount?: unknown } = {}): Promise<void> {
  page = await browser.newPage({ viewport: { width: 800, height: 700 } });
  problems = watchProblems(page);
  const data = { templates: TEMPLATES, providers, active: { ...emptyActive(), chat: 'fake/gpt-4o-mini' }, tokenCount: opts.tokenCount };
  await page.addInitScript(stubVsCodeApi, data);
  await page.goto(served.url('chat', opts.theme));
  await page.waitForSelector('#model option[value="fake/gpt-4o"]', { state: 'attached' });
}

async function sends(): Promise<any[]> {
  return (await posted(page)).filter((m) => m.type === 'chatSend');
}

/** Types a message, sends it with Enter and returns the chatSend it produced. */
async function ask(text: string): Promise<any> {
  const n = (await sends()).length;
  await page.fill('#input', text);
  await page.keyboard.press('Enter');
  await page.waitForFunction((k) => (window as any).__posted.filter((m: any) => m.type === 'chatSend').length > k, n);
  const all = await sends();
  return all[all.length - 1];
}

async function answer(chatId: string, content: string, extra: Record<string, unknown> = {}): Promise<void> {
  await toWebview(page, { type: 'chatDone', chatId, result: { content, finishReason: 'stop', usage: { inputTokens: 9, outputTokens: 4 }, modelId: 'fake/gpt-4o-mini', ...extra } });
  await page.waitForSelector('.msg.assistant[data-done="true"]');
}

const MARKDOWN = [
  '# Plan',
  '',
  'Use `add` from the **helpers**:',
  '',
  '- one',
  '- two',
  '',
  '| a | b |',
  '|---|---|',
  '| 1 | 2 |',
  '',
  'See [the docs](https://example.com/docs).',
  '',
  '```ts src/math.ts',
  'export function add(a: number, b: number): number {',
  '  return a + b; // sum',
  '}',
  '```',
].join('\n');

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

  it('sends byok/chat and renders out-of-order deltas in order, Thinking collapsed', async () => {
    await open();
    await page.selectOption('#model', 'fake/gpt-4o');
    const send = await ask('Say hello');
    assert.equal(send.params.modelId, 'fake/gpt-4o');
    assert.deepEqual(send.params.messages, [{ role: 'user', content: 'Say hello' }]);
    assert.equal(send.params.chatId, send.chatId);
    assert.equal(send.params.context, undefined, 'nothing attached, no context');
    assert.equal(await page.isVisible('#stop'), true);
    const chatId = send.chatId;
    for (const d of [
      { index: 2, text: 'lo, ' },
      { index: 0, reasoning: 'The user wants a greeting.' },
      { index: 1, text: 'Hel' },
      { index: 4, text: '!' },
    ]) await toWebview(page, { type: 'chatDelta', delta: { chatId, ...d } });
    await page.waitForFunction(() => document.querySelector('.msg.assistant .content')?.textContent === 'Hello,');
    await toWebview(page, { type: 'chatDelta', delta: { chatId, index: 3, text: '**world**' } });
    await page.waitForFunction(() => document.querySelector('.msg.assistant .content strong')?.textContent === 'world');
    assert.equal(await page.textContent('.msg.assistant .content'), 'Hello, world!');
    assert.equal(await page.getAttribute('.msg.assistant', 'data-deltas'), '5');
    assert.equal(await page.$eval('details.reasoning', (d) => (d as HTMLDetailsElement).open), false, 'reasoning collapsed');
    assert.equal(await page.textContent('details.reasoning summary'), 'Thinking');
    assert.equal(await page.textContent('details.reasoning .reasoning-text'), 'The user wants a greeting.');
    await screenshot(page, 'webview-chat-streaming');
    await answer(chatId, 'Hello, **world**!', { modelId: 'fake/gpt-4o', costUsd: 0.00042 });
    assert.match((await page.textContent('.msg.assistant .meta')) ?? '', /fake\/gpt-4o · 9 in \/ 4 out tokens · \$0\.00042/);
    assert.equal(await page.isVisible('#stop'), false);
    assert.equal(await page.isVisible('.msg.assistant button.regenerate'), true);
    // A follow-up carries the history.
    const second = await ask('Again');
    assert.deepEqual(second.params.messages.map((m: any) => m.role), ['user', 'assistant', 'user']);
    assert.equal(second.params.messages[1].content, 'Hello, **world**!');
    assert.notEqual(second.chatId, chatId);
    assert.deepEqual(problems, []);
  });

  it('renders markdown with highlighted code and code actions that post what the block holds', async () => {
    await open();
    const { chatId } = await ask('How do I add?');
    await answer(chatId, MARKDOWN);
    const c = '.msg.assistant .content';
    assert.equal(await page.textContent(`${c} h1`), 'Plan');
    assert.equal(await page.textContent(`${c} code`), 'add');
    assert.equal(await page.locator(`${c} li`).count(), 2);
    assert.equal(await page.locator(`${c} table td`).count(), 2);
    assert.equal(await page.getAttribute(`${c} a`, 'href'), 'https://example.com/docs');
    // Highlighted by class, coloured by the theme.
    const kw = page.locator(`${c} pre code .hljs-keyword`).first();
    assert.equal(await kw.textContent(), 'export');
    const colour = await kw.evaluate((e) => getComputedStyle(e).color);
    assert.equal(colour, 'rgb(86, 156, 214)', 'keyword colour from --vscode-symbolIcon-keywordForeground');
    assert.equal(await page.textContent(`${c} .code-label`), 'src/math.ts');
    await screenshot(page, 'webview-chat-markdown-dark');

    await page.click('button[data-code-action="insert"]');
    await page.click('button[data-code-action="apply"]');
    await page.click('button[data-code-action="copy"]');
    const acts = (await posted(page)).filter((m) => m.type === 'codeAction');
    const code = 'export function add(a: number, b: number): number {\n  return a + b; // sum\n}\n';
    assert.deepEqual(acts, [
      { type: 'codeAction', action: 'insert', code, lang: 'ts', file: 'src/math.ts' },
      { type: 'codeAction', action: 'apply', code, lang: 'ts', file: 'src/math.ts' },
      { type: 'codeAction', action: 'copy', code, lang: 'ts', file: 'src/math.ts' },
    ]);
    assert.equal(await page.textContent('button[data-code-action="copy"]'), 'Copied');
    // Links open only through the host, on click.
    await page.click(`${c} a`);
    assert.deepEqual((await posted(page)).filter((m) => m.type === 'openLink'), [{ type: 'openLink', href: 'https://example.com/docs' }]);
    assert.match(page.url(), /chat\.html/, 'the webview did not navigate');
    assert.deepEqual(problems, []);
  });

  for (const theme of ['light', 'hc'] as Theme[]) {
    it(`is readable in the ${theme} theme`, async () => {
      await open({ theme });
      const { chatId } = await ask('How do I add?');
      await answer(chatId, MARKDOWN);
      const bodyClass = await page.getAttribute('body', 'class');
      assert.match(bodyClass ?? '', theme === 'light' ? /vscode-light/ : /vscode-high-contrast/);
      const kw = await page.locator('.msg.assistant pre code .hljs-keyword').first().evaluate((e) => getComputedStyle(e).color);
      assert.equal(kw, theme === 'light' ? 'rgb(0, 0, 255)' : 'rgb(86, 156, 214)');
      await screenshot(page, `webview-chat-markdown-${theme}`);
    });
  }

  it('hostile markdown: no script, no handler, no javascript: link, huge blocks stay plain', async () => {
    await open();
    const { chatId } = await ask('be evil');
    const huge = 'let x = 1;\n'.repeat(20_000);
    const evil = [
      '<script>window.__pwned = 1</script>',
      '<img src="x" onerror="window.__pwned = 2">',
      '<iframe src="https://evil.example"></iframe>',
      '[click me](javascript:window.__pwned=3)',
      '[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
      '<a href="javascript:window.__pwned=4">raw link</a>',
      '![tracker](https://evil.example/pixel.png)',
      '```html',
      '<script>window.__pwned = 5</script>',
      '```',
      '```js\n' + huge + '```',
    ].join('\n\n');
    await answer(chatId, evil);
    const c = page.locator('.msg.assistant .content');
    assert.equal(await c.locator('script, iframe, img, object, embed').count(), 0);
    const hrefs = await c.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    assert.ok(hrefs.every((h) => h === null || /^(https?|mailto):/.test(h)), JSON.stringify(hrefs));
    const handlers = await c.evaluate((root) => Array.from(root.querySelectorAll('*')).flatMap((e) => Array.from(e.attributes).filter((a) => a.name.startsWith('on')).map((a) => a.name)));
    assert.deepEqual(handlers, []);
    // The raw HTML is shown as text, and the code block holds it as code.
    assert.match((await c.textContent()) ?? '', /<script>window\.__pwned = 1<\/script>/);
    for (const a of await c.locator('a').all()) await a.click();
    assert.equal(await page.evaluate(() => (window as any).__pwned), undefined);
    // The huge block is complete, unhighlighted and scrollable; the page stayed responsive.
    const big = c.locator('pre[data-lang="js"] code');
    assert.equal((await big.textContent())?.length, huge.length);
    assert.equal(await big.locator('span').count(), 0);
    assert.equal(await page.locator('.code-block').count(), 2);
    await page.fill('#input', 'still typing');
    assert.equal(await page.inputValue('#input'), 'still typing');
    assert.deepEqual(problems.filter((p) => !/pixel\.png|evil\.example/.test(p)), []);
  });

  it('ignores deltas of other chats', async () => {
    await open();
    const { chatId } = await ask('x');
    await toWebview(page, { type: 'chatDelta', delta: { chatId: 'other', index: 0, text: 'WRONG' } });
    await toWebview(page, { type: 'chatDelta', delta: { chatId, index: 0, text: 'right' } });
    await page.waitForFunction(() => document.querySelector('.msg.assistant .content')?.textContent === 'right');
  });

  it('Stop posts chatStop and a cancelled request is shown as stopped; Regenerate asks again', async () => {
    await open();
    const { chatId } = await ask('long story');
    await toWebview(page, { type: 'chatDelta', delta: { chatId, index: 0, text: 'Once upon' } });
    await page.click('#stop');
    const stops = (await posted(page)).filter((m) => m.type === 'chatStop');
    assert.deepEqual(stops, [{ type: 'chatStop', chatId }]);
    await toWebview(page, { type: 'chatError', chatId, error: { code: -32800, message: 'Request cancelled' } });
    await page.waitForSelector('.msg.assistant[data-stopped="true"]');
    assert.match((await page.textContent('.msg.assistant .meta')) ?? '', /Stopped/);
    assert.equal(await page.isEnabled('#send'), true);
    const n = (await sends()).length;
    await page.click('button.regenerate');
    await page.waitForFunction((k) => (window as any).__posted.filter((m: any) => m.type === 'chatSend').length > k, n);
    const again = (await sends()).pop();
    assert.deepEqual(again.params.messages, [{ role: 'user', content: 'long story' }], 'the stopped answer is replaced, not sent back');
  });

  it('an auth error names the provider and offers Edit Key and Retry', async () => {
    await open();
    const { chatId } = await ask('hi');
    await toWebview(page, { type: 'chatError', chatId, error: { code: -32001, message: 'Your key for fake was rejected (401): check it in Configure Providers.', data: { kind: 'auth_failed', providerId: 'fake', model: 'gpt-4o-mini' } } });
    await page.waitForSelector('.msg.error[data-kind="auth_failed"]');
    assert.equal(await page.textContent('.msg.error .error-headline'), 'Key rejected at Fake (gpt-4o-mini)');
    assert.match((await page.textContent('.msg.error')) ?? '', /rejected \(401\)/);
    await screenshot(page, 'webview-chat-auth-error');
    await page.click('.msg.error button:has-text("Edit Key")');
    assert.deepEqual((await posted(page)).filter((m) => m.type === 'command'), [{ type: 'command', command: 'byok.configureProviders' }]);
    const n = (await sends()).length;
    await page.click('.msg.error button:has-text("Retry")');
    await page.waitForFunction((k) => (window as any).__posted.filter((m: any) => m.type === 'chatSend').length > k, n);
    const retried = (await sends()).pop();
    assert.deepEqual(retried.params.messages, [{ role: 'user', content: 'hi' }], 'the question is sent once again, not twice');
    assert.equal(await page.locator('.msg.error').count(), 0);
  });

  for (const [kind, labels] of [
    ['out_of_credit', ['Switch Model', 'Configure Providers', 'Retry']],
    ['rate_limited', ['Retry', 'Switch Model', 'Configure Providers']],
    ['budget_exceeded', ['Switch Model', 'Configure Providers']],
    ['context_too_long', ['Drop Oldest Turns', 'Switch Model']],
    ['no_active_model', ['Switch Model', 'Configure Providers']],
  ] as [string, string[]][]) {
    it(`${kind} offers ${labels.join(', ')}`, async () => {
      await open();
      const { chatId } = await ask('hi');
      await toWebview(page, { type: 'chatError', chatId, error: { code: -32001, message: `failed: ${kind}`, data: { kind, providerId: 'fake', retryAfterS: kind === 'rate_limited' ? 7 : undefined } } });
      await page.waitForSelector(`.msg.error[data-kind="${kind}"]`);
      assert.deepEqual(await page.locator('.msg.error .error-actions button').allTextContents(), labels);
      assert.match((await page.textContent('.msg.error .error-headline')) ?? '', / at Fake/);
      if (kind === 'rate_limited') assert.match((await page.textContent('.msg.error')) ?? '', /wait 7 s/);
    });
  }

  it('Switch Model asks the host for a model and answers again with it', async () => {
    await open();
    const { chatId } = await ask('hi');
    await toWebview(page, { type: 'chatError', chatId, error: { code: -32001, message: 'No credit left at Fake.', data: { kind: 'out_of_credit', providerId: 'fake' } } });
    await page.click('.msg.error button:has-text("Switch Model")');
    assert.deepEqual((await posted(page)).filter((m) => m.type === 'pickModel'), [{ type: 'pickModel', retry: true }]);
    const n = (await sends()).length;
    await toWebview(page, { type: 'modelPicked', modelId: 'fake/gpt-4o', retry: true });
    await page.waitForFunction((k) => (window as any).__posted.filter((m: any) => m.type === 'chatSend').length > k, n);
    const again = (await sends()).pop();
    assert.equal(again.params.modelId, 'fake/gpt-4o');
    assert.equal(await page.inputValue('#model'), 'fake/gpt-4o');
    await answer(again.chatId, 'Now it works.', { modelId: 'fake/gpt-4o', fallback: false });
  });

  it('a fallback answer says which model served it; tool calls show their arguments', async () => {
    await open();
    const { chatId } = await ask('hi');
    await answer(chatId, 'From the backup.', { modelId: 'backup/m', fallback: true, toolCalls: [{ id: 't1', name: 'read_file', arguments: '{"path":"a.ts"}' }] });
    assert.match((await page.textContent('.fallback-note')) ?? '', /fallback model backup\/m/);
    assert.match((await page.textContent('details.tool-call summary')) ?? '', /read_file/);
    assert.match((await page.textContent('details.tool-call .tool-args')) ?? '', /"path": "a.ts"/);
  });

  it('attachments: chips with token counts, removable, sent as context', async () => {
    await open();
    const sel = { id: 's1', kind: 'selection', label: 'src/a.ts:3-5', uri: 'file:///ws/src/a.ts', range: { start: { line: 2, character: 0 }, end: { line: 4, character: 1 } }, text: 'function a() {\n  return 1;\n}', tokens: 12, estimated: false };
    const file = { id: 'f1', kind: 'file', label: 'README.md', uri: 'file:///ws/README.md', tokens: 340, estimated: true };
    await toWebview(page, { type: 'attach', attachment: sel, focus: true });
    await toWebview(page, { type: 'attach', attachment: file });
    await page.waitForSelector('#chips .chip[data-attachment="f1"]');
    assert.deepEqual(await page.locator('#chips .chip .chip-tokens').allTextContents(), ['12 tokens', '~340 tokens']);
    await screenshot(page, 'webview-chat-chips');
    await page.click('#chips button[aria-label="Remove README.md"]');
    assert.equal(await page.locator('#chips .chip').count(), 1);
    const send = await ask('What does this do?');
    assert.deepEqual(send.params.context, [{ kind: 'selection', uri: sel.uri, range: sel.range, text: sel.text }]);
    assert.equal(await page.locator('#chips .chip').count(), 0, 'chips go with the message');
    assert.match((await page.textContent('.msg.user .chip')) ?? '', /src\/a\.ts:3-5/);
    // "Attach File" asks the host for the active editor's file.
    await page.click('#attach-file');
    assert.deepEqual((await posted(page)).filter((m) => m.type === 'attachActiveFile'), [{ type: 'attachActiveFile' }]);
  });

  it('@ offers workspace files; choosing one attaches it', async () => {
    await open();
    await page.click('#input');
    await page.keyboard.type('explain @mat');
    await page.waitForFunction(() => (window as any).__posted.some((m: any) => m.type === 'listFiles' && m.query === 'mat'));
    const q = (await posted(page)).filter((m) => m.type === 'listFiles').pop();
    await toWebview(page, { type: 'files', seq: q.seq, paths: ['src/math.ts', 'test/math.test.ts'] });
    await page.waitForSelector('#mention-list li[role="option"]');
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.getAttribute('#mention-list li[aria-selected="true"]', 'data-path'), 'test/math.test.ts');
    await page.keyboard.press('Enter');
    assert.deepEqual((await posted(page)).filter((m) => m.type === 'attachFile'), [{ type: 'attachFile', path: 'test/math.test.ts' }]);
    assert.equal(await page.inputValue('#input'), 'explain ');
    assert.equal(await page.isHidden('#mention-list'), true);
    assert.equal((await sends()).length, 0, 'Enter picked the file, it did not send');
  });

  it('warns before sending what does not fit the model and offers to drop the largest attachment', async () => {
    await open({ tokenCount: { tokens: 100, nCtx: 8192, estimated: false, modelId: 'fake/gpt-4o-mini' } });
    await toWebview(page, { type: 'attach', attachment: { id: 'f1', kind: 'file', label: 'huge.log', uri: 'file:///ws/huge.log', tokens: 9000, estimated: false } });
    await toWebview(page, { type: 'attach', attachment: { id: 'f2', kind: 'file', label: 'small.ts', uri: 'file:///ws/small.ts', tokens: 50, estimated: false } });
    await page.waitForSelector('#chips .chip[data-attachment="f2"]');
    await page.fill('#input', 'summarise');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#fit-warning:not([hidden])');
    assert.match((await page.textContent('#fit-warning')) ?? '', /9,150 tokens.*8,192/);
    assert.equal((await sends()).length, 0, 'nothing sent yet');
    await screenshot(page, 'webview-chat-too-long');
    await page.click('#drop-largest');
    await page.waitForFunction(() => (window as any).__posted.some((m: any) => m.type === 'chatSend'));
    const send = (await sends())[0];
    assert.deepEqual(send.params.context.map((c: any) => c.uri), ['file:///ws/small.ts']);
  });

  it('images: disabled with a reason for text-only models, attached and sent as parts for multimodal ones', async () => {
    await open();
    assert.equal(await page.isDisabled('#attach-image'), true);
    assert.match((await page.getAttribute('#attach-image', 'aria-label')) ?? '', /unavailable: fake\/gpt-4o-mini does not take images/);
    await page.selectOption('#model', 'fake/gpt-4o');
    assert.equal(await page.isEnabled('#attach-image'), true);
    // Paste a PNG into the message box.
    await page.focus('#input');
    await page.evaluate(() => {
      const bytes = Uint8Array.from(atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=='), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'dot.png', { type: 'image/png' }));
      document.getElementById('input')!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
    });
    await page.waitForSelector('#chips .chip[data-kind="image"] img.thumb');
    const send = await ask('What is in the picture?');
    const content = send.params.messages[0].content;
    assert.equal(content[0].text, 'What is in the picture?');
    assert.equal(content[1].type, 'image_url');
    assert.match(content[1].image_url.url, /^data:image\/png;base64,/);
  });

  it('conversations: saved after each answer, listed, reopened and deleted through the host', async () => {
    await open();
    const { chatId } = await ask('First question');
    await answer(chatId, 'First answer');
    const saves = (await posted(page)).filter((m) => m.type === 'conversationSave');
    const last = saves[saves.length - 1].conversation;
    assert.deepEqual(last.messages.map((m: any) => [m.role, m.content]), [['user', 'First question'], ['assistant', 'First answer']]);
    assert.equal(last.messages[1].meta.modelId, 'fake/gpt-4o-mini');
    await page.click('#history');
    assert.equal(await page.getAttribute('#history', 'aria-expanded'), 'true');
    const other = { id: 'c-old', title: 'Older chat', modelId: 'fake/gpt-4o', createdAt: 1, updatedAt: 2, messages: [{ role: 'user', content: 'old q' }, { role: 'assistant', content: '`old` answer', meta: { modelId: 'fake/gpt-4o' } }] };
    await toWebview(page, { type: 'conversations', items: [{ id: last.id, title: 'First question', updatedAt: 3, messages: 2 }, { id: 'c-old', title: 'Older chat', updatedAt: 2, messages: 2 }] });
    await page.waitForSelector('[data-conversation="c-old"]');
    await page.click('[data-conversation="c-old"] .conversation-open');
    assert.deepEqual((await posted(page)).filter((m) => m.type === 'conversationOpen'), [{ type: 'conversationOpen', id: 'c-old' }]);
    await toWebview(page, { type: 'conversation', conversation: other });
    await page.waitForFunction(() => document.querySelector('.msg.assistant .content code')?.textContent === 'old');
    assert.equal(await page.inputValue('#model'), 'fake/gpt-4o', 'the conversation keeps its model');
    await page.click('#history');
    await page.click('[data-conversation="c-old"] .conversation-delete');
    assert.deepEqual((await posted(page)).filter((m) => m.type === 'conversationDelete'), [{ type: 'conversationDelete', id: 'c-old' }]);
    assert.equal(await page.locator('.msg').count(), 0, 'deleting the open conversation starts a new one');
  });

  it('agent mode: offered only for models marked for it, sent as mode, steps shown and kept', async () => {
    await open();
    assert.equal(await page.isDisabled('#mode-agent'), true);
    assert.match((await page.textContent('#mode-reason')) ?? '', /fake\/gpt-4o-mini is not marked for Tools and Agent/);
    await page.selectOption('#model', 'fake/gpt-4o');
    assert.equal(await page.isEnabled('#mode-agent'), true);
    await page.check('#mode-agent');
    const send = await ask('Rename the helper');
    assert.equal(send.params.mode, 'agent');
    const chatId = send.chatId;
    await toWebview(page, { type: 'agentStep', step: { chatId: 'other', step: 1, tool: 'read_file', arguments: { path: 'x' }, status: 'running' } });
    await toWebview(page, { type: 'agentStep', step: { chatId, step: 1, callId: 'c1', tool: 'read_file', arguments: { path: 'src/a.ts' }, status: 'running' } });
    await toWebview(page, { type: 'agentStep', step: { chatId, step: 1, callId: 'c1', tool: 'read_file', arguments: { path: 'src/a.ts' }, status: 'done', result: 'export const a = 1;' } });
    await toWebview(page, { type: 'agentStep', step: { chatId, step: 2, callId: 'c2', tool: 'propose_edit', arguments: { path: 'src/a.ts' }, status: 'rejected', result: 'The user rejected the edit.' } });
    await page.waitForSelector('.agent-step[data-tool="propose_edit"]');
    assert.deepEqual(await page.locator('.agent-step').evaluateAll((li) => li.map((e) => [e.getAttribute('data-tool'), e.getAttribute('data-status')])), [['read_file', 'done'], ['propose_edit', 'rejected']]);
    assert.match((await page.textContent('.agent-step[data-tool="read_file"] .step-result')) ?? '', /export const a = 1;/);
    await screenshot(page, 'webview-chat-agent-steps');
    // In a narrow panel the header wraps: the model picker stays readable, New Chat stays on screen.
    await page.setViewportSize({ width: 480, height: 700 });
    assert.ok((await page.locator('#model').boundingBox())!.width >= 120, 'model picker not squeezed');
    const nc = (await page.locator('#new-chat').boundingBox())!;
    assert.ok(nc.x + nc.width <= 480, `New Chat visible (${JSON.stringify(nc)})`);
    await screenshot(page, 'webview-chat-narrow');
    await answer(chatId, 'I left the file as it was.', { modelId: 'fake/gpt-4o', steps: 3 });
    const saves = (await posted(page)).filter((m) => m.type === 'conversationSave');
    const conv = saves[saves.length - 1].conversation;
    assert.equal(conv.mode, 'agent');
    assert.deepEqual(conv.messages[1].meta.steps.map((s: any) => s.status), ['done', 'rejected']);
  });

  it('agent mode: a step is updated in place, a long result starts folded, raw tool calls are not repeated', async () => {
    await open();
    await page.selectOption('#model', 'fake/gpt-4o');
    await page.check('#mode-agent');
    const { chatId } = await ask('Read the file');
    const read = { chatId, step: 1, callId: 'c1', tool: 'read_file', arguments: { path: 'src/a.ts' } };
    // The model's streamed call arrives first; the server runs it, so it shows only as a step.
    await toWebview(page, { type: 'chatDelta', delta: { chatId, index: 0, toolCall: { index: 0, id: 'c1', name: 'read_file', arguments: '{"path": "src/a.ts"}' } } });
    await toWebview(page, { type: 'agentStep', step: { ...read, status: 'running' } });
    await page.waitForSelector('.agent-step[data-status="running"]');
    const long = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join('\n');
    await toWebview(page, { type: 'agentStep', step: { ...read, status: 'done', result: long } });
    await page.waitForSelector('.agent-step[data-status="done"]');
    assert.equal(await page.locator('.agent-step').count(), 1, 'running was replaced by its outcome');
    assert.equal(await page.locator('.agent-step details:not([open])').count(), 1, 'a long result starts folded');
    assert.match((await page.textContent('.agent-step summary')) ?? '', /Result \(30 lines\)/);
    await answer(chatId, 'It holds thirty lines.', { modelId: 'fake/gpt-4o', steps: 2 });
    assert.equal(await page.locator('.tool-call').count(), 0, 'no raw tool call besides the step');
  });

  it('agent mode: run_command asks on its step with labelled Run / Reject buttons and posts the choice', async () => {
    await open();
    await page.selectOption('#model', 'fake/gpt-4o');
    await page.check('#mode-agent');
    const { chatId } = await ask('Run the tests');
    const answers = async () => (await posted(page)).filter((m) => m.type === 'approveAnswer');
    // A question for a chat this panel is not running is refused at once, nothing shown.
    await toWebview(page, { type: 'approveCommand', id: 1, chatId: 'other', command: 'rm -rf /', cwd: '/ws' });
    await page.waitForFunction(() => (window as any).__posted.some((m: any) => m.type === 'approveAnswer'));
    assert.deepEqual(await answers(), [{ type: 'approveAnswer', id: 1, approved: false }]);
    assert.equal(await page.locator('.step-approval').count(), 0);

    const run = { chatId, step: 1, callId: 'c1', tool: 'run_command', arguments: { command: 'npm test' } };
    await toWebview(page, { type: 'agentStep', step: { ...run, status: 'running' } });
    await toWebview(page, { type: 'approveCommand', id: 2, chatId, command: 'npm test', cwd: '/ws' });
    const box = page.locator('.agent-step[data-tool="run_command"][data-status="running"] .step-approval');
    await box.waitFor();
    assert.equal(await box.getAttribute('aria-label'), 'Approve command');
    assert.equal(await box.locator('pre.approval-command').textContent(), 'npm test');
    assert.match((await box.textContent()) ?? '', /Run this command in \/ws\?/);
    assert.equal(await page.getByRole('button', { name: 'Run command: npm test' }).count(), 1);
    assert.equal(await page.getByRole('button', { name: 'Reject command: npm test' }).count(), 1);
    await screenshot(page, 'webview-chat-agent-approve-command');
    // The question takes focus; the keyboard reaches Run next and Enter answers.
    assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('step-approval')), true);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Run command: npm test');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => (window as any).__posted.filter((m: any) => m.type === 'approveAnswer').length === 2);
    assert.deepEqual((await answers())[1], { type: 'approveAnswer', id: 2, approved: true });
    assert.equal(await box.locator('button').count(), 0, 'answered: the buttons are gone');
    assert.match((await box.textContent()) ?? '', /Approved/);
    await toWebview(page, { type: 'agentStep', step: { ...run, status: 'done', result: '3 passing' } });
    await page.waitForSelector('.agent-step[data-status="done"]');
    assert.equal(await page.locator('.step-approval').count(), 0, 'the outcome replaces the question');

    // The second command is rejected with a click.
    const second = { chatId, step: 2, callId: 'c2', tool: 'run_command', arguments: { command: 'git push' } };
    await toWebview(page, { type: 'agentStep', step: { ...second, status: 'running' } });
    await toWebview(page, { type: 'approveCommand', id: 3, chatId, command: 'git push', cwd: '/ws' });
    await page.getByRole('button', { name: 'Reject command: git push' }).click();
    await page.waitForFunction(() => (window as any).__posted.filter((m: any) => m.type === 'approveAnswer').length === 3);
    assert.deepEqual((await answers())[2], { type: 'approveAnswer', id: 3, approved: false });
    assert.equal(await page.locator('.step-approval button').count(), 0);

    // Stopped while a question is open: it does not stay clickable.
    await toWebview(page, { type: 'agentStep', step: { ...second, step: 3, callId: 'c3', status: 'running' } });
    await toWebview(page, { type: 'approveCommand', id: 4, chatId, command: 'git push', cwd: '/ws' });
    await page.waitForSelector('.step-approval button');
    await toWebview(page, { type: 'chatError', chatId, error: { code: -32800, message: 'cancelled' } });
    await page.waitForSelector('.msg.assistant[data-stopped="true"]');
    assert.equal(await page.locator('.step-approval').count(), 0);
    assert.deepEqual(problems, []);
  });

  it('agent mode: a follow-up question carries the tool turns of the answer before it', async () => {
    await open();
    await page.selectOption('#model', 'fake/gpt-4o');
    await page.check('#mode-agent');
    const first = await ask('What is a?');
    const turns = [
      { role: 'assistant', content: '', toolCalls: [{ id: 'call_1', name: 'read_file', arguments: '{"path":"src/a.ts"}' }] },
      { role: 'tool', content: 'export const a = 1;', toolCallId: 'call_1' },
    ];
    await answer(first.chatId, 'a is 1.', { modelId: 'fake/gpt-4o', steps: 2, messages: turns });
    const saves = (await posted(page)).filter((m) => m.type === 'conversationSave');
    assert.deepEqual(saves[saves.length - 1].conversation.messages[1].meta.turns, turns, 'stored with the conversation');
    const follow = await ask('Where is it used?');
    assert.deepEqual(follow.params.messages, [
      { role: 'user', content: 'What is a?' },
      ...turns,
      { role: 'assistant', content: 'a is 1.' },
      { role: 'user', content: 'Where is it used?' },
    ]);
  });

  it('every control is reachable by keyboard and has a name', async () => {
    await open();
    const { chatId } = await ask('x');
    await answer(chatId, MARKDOWN);
    const unnamed = await page.evaluate(() =>
      Array.from(document.querySelectorAll('button, select, textarea, input:not([type="file"]), summary, a[href]'))
        .filter((e) => !(e as HTMLElement).hidden && (e as HTMLElement).offsetParent !== null)
        .filter((e) => {
          const label = e.getAttribute('aria-label') || e.textContent?.trim() || (e.id && document.querySelector(`label[for="${e.id}"]`)?.textContent);
          return !label || (e as HTMLElement).tabIndex < 0;
        })
        .map((e) => e.outerHTML.slice(0, 80)),
    );
    assert.deepEqual(unnamed, []);
    // Tab from the model picker reaches the code block's buttons.
    await page.focus('#model');
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press('Tab');
      seen.add(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.codeAction ?? document.activeElement!.id ?? ''));
    }
    for (const want of ['insert', 'apply', 'copy', 'history', 'new-chat']) assert.ok(seen.has(want), `${want} reachable: ${[...seen].join(',')}`);
  });
});
