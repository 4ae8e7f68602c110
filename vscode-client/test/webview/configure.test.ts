import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { calls, emptyActive, failNext, launch, screenshot, serve, stubVsCodeApi, TEMPLATES, toWebview, VOCABULARY, watchProblems, type Served } from './harness';

let served: Served;
let browser: Browser;
let page: Page;
let problems: string[];

const fakeProvider = () => ({
  id: 'fake', template: 'custom', name: 'Fake OpenAI', enabled: true, baseUrl: 'http://127.0.0.1:9999/v1', apiKeyEnv: null,
  key: { present: true, source: 'keyring', hint: 'sk-…wxyz' },
  models: [{ name: 'gpt-4o-mini', task: 'chat', nCtx: 128000 }, { name: 'gpt-3.5-turbo-instruct', task: 'completion', nCtx: 4096, fim: 'native' }],
});

async function open(providers: unknown[] = [], extra: Record<string, unknown> = {}): Promise<void> {
  page = await browser.newPage({ viewport: { width: 900, height: 900 } });
  problems = watchProblems(page);
  await page.addInitScript(stubVsCodeApi, { templates: TEMPLATES, vocabulary: VOCABULARY, providers, active: emptyActive(), ...extra });
  await page.goto(served.url('configure'));
  await page.waitForSelector('#providers');
  await page.waitForFunction(() => (window as any).__fake.calls.some((c: any) => c.method === 'byok/active/get'));
}

describe('Configure Providers webview', () => {
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

  it('loads templates, providers and active models; shows an empty state', async () => {
    await open();
    const methods = (await calls(page)).map((c) => c.method).sort();
    assert.deepEqual(methods, ['byok/active/get', 'byok/providers/list', 'byok/templates/list', 'byok/vocabulary']);
    assert.match(await page.textContent('#providers') ?? '', /No providers yet/);
    assert.deepEqual(problems, []);
  });

  it('adds a provider: template pre-fills the base URL, the key is sent once and never shown', async () => {
    await open();
    await page.click('#add-provider');
    assert.equal(await page.isVisible('#provider-dialog'), true);
    assert.equal(await page.inputValue('#pf-template'), 'custom');
    assert.equal(await page.inputValue('#pf-baseUrl'), 'http://127.0.0.1:8000/v1');
    await page.selectOption('#pf-template', 'openai');
    assert.equal(await page.inputValue('#pf-baseUrl'), 'https://api.openai.com/v1', 'template change replaces an untouched URL');
    assert.equal(await page.getAttribute('#pf-apiKey', 'type'), 'password');
    await page.fill('#pf-name', 'OpenAI (work)');
    await page.fill('#pf-apiKey', 'sk-test-1234567890abcdwxyz');
    await screenshot(page, 'webview-configure-add-provider');
    await page.click('#pf-save');
    await page.waitForSelector('[data-provider-id="openai"]');
    const add = await calls(page, 'byok/providers/add');
    assert.equal(add.length, 1);
    assert.deepEqual(add[0].params, { template: 'openai', name: 'OpenAI (work)', baseUrl: 'https://api.openai.com/v1', apiKey: 'sk-test-1234567890abcdwxyz', enabled: true });
    assert.equal(await page.isVisible('#provider-dialog'), false);
    assert.equal(await page.inputValue('#pf-apiKey'), '', 'password field cleared after save');
    const html = await page.content();
    assert.ok(!html.includes('1234567890abcd'), 'the key never appears in the page');
    assert.match(await page.textContent('[data-provider-id="openai"] .key-status') ?? '', /Key in keyring sk-…wxyz/);
    await screenshot(page, 'webview-configure-provider-added');
    assert.deepEqual(problems, []);
  });

  it('shows client-side validation next to the field without calling the server', async () => {
    await open();
    await page.click('#add-provider');
    await page.fill('#pf-baseUrl', 'not a url');
    await page.click('#pf-save');
    assert.match(await page.textContent('#pf-baseUrl-error') ?? '', /valid/);
    assert.equal(await page.getAttribute('#pf-baseUrl', 'aria-invalid'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'pf-baseUrl', 'focus moves to the bad field');
    assert.equal((await calls(page, 'byok/providers/add')).length, 0);
  });

  it('shows a server InvalidParams error next to the field it names', async () => {
    await open();
    await page.click('#add-provider');
    await failNext(page, 'byok/providers/add', { code: -32602, message: 'baseUrl: not a valid URL', data: { kind: 'invalid_params', field: 'baseUrl' } });
    await page.click('#pf-save');
    await page.waitForFunction(() => document.getElementById('pf-baseUrl-error')?.textContent === 'not a valid URL');
    assert.equal(await page.getAttribute('#pf-baseUrl', 'aria-invalid'), 'true');
    assert.equal(await page.isVisible('#provider-dialog'), true, 'dialog stays open');
    await screenshot(page, 'webview-configure-server-field-error');
  });

  it('shows a domain error with data.field next to that field, others at form level', async () => {
    await open([fakeProvider()]);
    await page.click('#add-provider');
    await page.fill('#pf-id', 'fake');
    await failNext(page, 'byok/providers/add', { code: -32003, message: 'A provider with id "fake" already exists.', data: { kind: 'conflict', field: 'id' } });
    await page.click('#pf-save');
    await page.waitForFunction(() => /already exists/.test(document.getElementById('pf-id-error')?.textContent ?? ''));
    await failNext(page, 'byok/providers/add', { code: -32020, message: 'No keyring backend: use apiKeyEnv or the file store.', data: { kind: 'keyring_unavailable' } });
    await page.fill('#pf-id', 'other');
    await page.click('#pf-save');
    await page.waitForFunction(() => /No keyring backend/.test(document.getElementById('pf-form-error')?.textContent ?? ''));
    assert.equal(await page.textContent('#pf-id-error'), '');
  });

  for (const [status, label] of [['ok', 'Connected'], ['auth_failed', 'Bad key'], ['out_of_credit', 'No credit'], ['unreachable', 'Unreachable']] as const) {
    it(`Test Connection shows ${status} as "${label}" with the message`, async () => {
      await open([fakeProvider()], { testResult: { ok: status === 'ok', status, latencyMs: 42, message: `message for ${status}`, modelsFound: status === 'ok' ? 3 : null } });
      await page.click('[data-provider-id="fake"] button:has-text("Test Connection")');
      const sel = `[data-test-for="fake"][data-status="${status}"]`;
      await page.waitForSelector(sel);
      const text = (await page.textContent(sel)) ?? '';
      assert.match(text, new RegExp(label));
      assert.match(text, new RegExp(`message for ${status}`));
      assert.deepEqual((await calls(page, 'byok/providers/test'))[0].params, { id: 'fake' });
      if (status === 'auth_failed') await screenshot(page, 'webview-configure-test-bad-key');
    });
  }

  it('Test Connection in the Add dialog saves first, then tests and shows the result there', async () => {
    await open();
    await page.click('#add-provider');
    await page.fill('#pf-apiKey', 'sk-abcdefgh');
    await page.click('#pf-test');
    await page.waitForSelector('#pf-test-result[data-status="ok"]');
    const methods = (await calls(page)).map((c) => c.method).filter((m) => /add|test/.test(m));
    assert.deepEqual(methods, ['byok/providers/add', 'byok/providers/test']);
    assert.match(await page.textContent('#pf-title') ?? '', /Edit/);
    assert.equal(await page.inputValue('#pf-apiKey'), '');
  });

  it('enable toggle updates the provider', async () => {
    await open([fakeProvider()]);
    await page.uncheck('[data-provider-id="fake"] input[role="switch"]');
    await page.waitForSelector('[data-provider-id="fake"].is-disabled');
    assert.deepEqual((await calls(page, 'byok/providers/update'))[0].params, { id: 'fake', enabled: false });
  });

  it('model dialog fields match the task', async () => {
    await open([fakeProvider()]);
    const visible = async (id: string) => page.isVisible(`#${id}`);
    await page.click('[data-provider-id="fake"] [data-task="chat"] .add-model');
    assert.equal(await page.inputValue('#mf-task'), 'chat');
    for (const id of ['mf-name', 'mf-nCtx', 'mf-tokenizer', 'mf-defaultTemperature', 'mf-reasoningStyle', 'mf-tools', 'mf-multimodality', 'mf-clicks', 'mf-agent'])
      assert.equal(await visible(id), true, `chat shows ${id}`);
    assert.equal(await visible('mf-fim'), false);
    // Clicks is stored but does nothing yet, and the dialog says so.
    assert.match((await page.textContent('#mf-clicks-help')) ?? '', /no feature uses this yet/);
    assert.match((await page.textContent('#mf-agent-help')) ?? '', /Agent mode/);
    assert.deepEqual(await page.$$eval('#mf-reasoningStyle option', (o) => o.map((x) => (x as HTMLOptionElement).value)), ['none', 'openai', 'anthropic', 'deepseek']);
    await screenshot(page, 'webview-configure-add-chat-model');
    await page.click('#mf-cancel');
    await page.click('[data-provider-id="fake"] [data-task="completion"] .add-model');
    assert.equal(await visible('mf-fim'), true);
    assert.equal(await visible('mf-tokenizer'), true);
    for (const id of ['mf-defaultTemperature', 'mf-reasoningStyle', 'mf-tools']) assert.equal(await visible(id), false, `completion hides ${id}`);
    // The server's vocabulary, not a copy in the client: starcoder2 is offered.
    assert.deepEqual(await page.$$eval('#mf-fim option', (o) => o.map((x) => (x as HTMLOptionElement).value)), [
      'native', 'chat', 'template:starcoder', 'template:starcoder2', 'template:codellama', 'template:deepseek-coder', 'template:qwen2.5-coder', 'template:codestral', 'template:codegemma',
    ]);
    await page.click('#mf-cancel');
    await page.click('[data-provider-id="fake"] [data-task="embeddings"] .add-model');
    assert.equal(await visible('mf-name'), true);
    assert.equal(await visible('mf-nCtx'), true);
    for (const id of ['mf-tokenizer', 'mf-fim', 'mf-reasoningStyle', 'mf-tools']) assert.equal(await visible(id), false, `embeddings hides ${id}`);
  });

  it('adds a chat model with capabilities, discovered names, and makes it active', async () => {
    await open([fakeProvider()], { discovered: [{ name: 'gpt-4.1', task: 'chat', nCtx: 1047576 }, { name: 'text-embedding-3-small', task: 'embeddings' }] });
    await page.click('[data-provider-id="fake"] [data-task="chat"] .add-model');
    await page.click('#mf-discover');
    await page.waitForFunction(() => /Found 2 models/.test(document.getElementById('mf-discover-status')?.textContent ?? ''));
    assert.deepEqual(await page.$$eval('#mf-name-options option', (o) => o.map((x) => (x as HTMLOptionElement).value)), ['gpt-4.1']);
    await page.fill('#mf-name', 'gpt-4.1');
    await page.dispatchEvent('#mf-name', 'change');
    assert.equal(await page.inputValue('#mf-nCtx'), '1047576', 'discovered nCtx fills an empty field');
    await page.fill('#mf-defaultTemperature', '0.3');
    await page.selectOption('#mf-reasoningStyle', 'openai');
    await page.check('#mf-tools');
    await page.check('#mf-agent');
    await page.check('#mf-makeActive');
    await page.click('#mf-save');
    await page.waitForSelector('[data-provider-id="fake"] [data-model="gpt-4.1"].is-active');
    assert.deepEqual((await calls(page, 'byok/models/add'))[0].params, {
      providerId: 'fake',
      model: { name: 'gpt-4.1', task: 'chat', nCtx: 1047576, defaultTemperature: 0.3, reasoningStyle: 'openai', capabilities: { tools: true, multimodality: false, clicks: false, agent: true } },
    });
    assert.deepEqual((await calls(page, 'byok/active/set'))[0].params, { task: 'chat', modelId: 'fake/gpt-4.1' });
    assert.equal(await page.textContent('[data-active-task="chat"]'), 'fake/gpt-4.1');
    await screenshot(page, 'webview-configure-models');
  });

  it('maps a model error "model.nCtx: ..." to the context window field', async () => {
    await open([fakeProvider()]);
    await page.click('[data-provider-id="fake"] [data-task="completion"] .add-model');
    await page.fill('#mf-name', 'starcoder2');
    await failNext(page, 'byok/models/add', { code: -32602, message: 'model.nCtx: Input should be less than 10000000' });
    await page.click('#mf-save');
    await page.waitForFunction(() => document.getElementById('mf-nCtx-error')?.textContent === 'Input should be less than 10000000');
  });

  it('edits and removes a model with update/remove params', async () => {
    await open([fakeProvider()]);
    await page.click('[aria-label="Edit model gpt-3.5-turbo-instruct"]');
    assert.equal(await page.inputValue('#mf-fim'), 'native');
    await page.selectOption('#mf-fim', 'template:starcoder');
    await page.click('#mf-save');
    await page.waitForFunction(() => (window as any).__fake.calls.some((c: any) => c.method === 'byok/models/update'));
    assert.deepEqual((await calls(page, 'byok/models/update'))[0].params, {
      providerId: 'fake', name: 'gpt-3.5-turbo-instruct', task: 'completion',
      model: { name: 'gpt-3.5-turbo-instruct', task: 'completion', nCtx: 4096, fim: 'template:starcoder' },
    });
    await page.click('[aria-label="Remove model gpt-4o-mini"]');
    await page.click('dialog.confirm button.danger');
    await page.waitForFunction(() => (window as any).__fake.calls.some((c: any) => c.method === 'byok/models/remove'));
    assert.deepEqual((await calls(page, 'byok/models/remove'))[0].params, { providerId: 'fake', name: 'gpt-4o-mini', task: 'chat' });
  });

  it('refreshes when the server says byok/config/changed', async () => {
    await open();
    await page.evaluate(() => (window as any).__fake.providers.push({
      id: 'other', template: 'ollama', name: 'Ollama', enabled: true, baseUrl: 'http://127.0.0.1:11434', key: { present: false, source: null, hint: null }, models: [],
    }));
    await toWebview(page, { type: 'configChanged', revision: 2 });
    await page.waitForSelector('[data-provider-id="other"]');
  });

  it('is keyboard accessible and every control is labelled', async () => {
    await open([fakeProvider()]);
    await page.focus('#add-provider');
    await page.keyboard.press('Enter');
    assert.equal(await page.isVisible('#provider-dialog'), true);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'pf-template');
    await page.keyboard.press('Escape');
    assert.equal(await page.isVisible('#provider-dialog'), false);
    const unlabelled = await page.$$eval('input, select, textarea, button', (els) =>
      els.filter((e) => {
        const el = e as HTMLInputElement;
        const label = el.labels?.length || el.getAttribute('aria-label') || (el.tagName === 'BUTTON' && el.textContent?.trim());
        return !label;
      }).map((e) => e.outerHTML.slice(0, 80)),
    );
    assert.deepEqual(unlabelled, []);
  });
});
