import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  describeKey, fimChoices, isHttpUrl, modelFieldsForTask, modelFromForm, modelToForm, providerParams, validateModelForm, validateProviderForm,
  type ModelForm, type ProviderForm,
} from '../../src/shared/validation';

const pform = (o: Partial<ProviderForm> = {}): ProviderForm => ({
  template: 'custom', id: '', name: '', baseUrl: 'http://127.0.0.1:8080/v1', apiKey: '', apiKeyEnv: '', enabled: true, allowInsecureHttp: false, ...o,
});
const mform = (o: Partial<ModelForm> = {}): ModelForm => ({
  task: 'chat', name: 'gpt-4o', nCtx: '', tokenizer: '', defaultTemperature: '', reasoningStyle: 'none', fim: '', tools: false, multimodality: false, clicks: false, agent: false, ...o,
});

describe('provider form', () => {
  it('accepts a loopback http URL with a key', () => assert.deepEqual(validateProviderForm(pform({ apiKey: 'sk-1' }), 'add'), {}));
  it('rejects a missing or malformed base URL', () => {
    assert.ok(validateProviderForm(pform({ baseUrl: '' }), 'add').baseUrl);
    assert.ok(validateProviderForm(pform({ baseUrl: 'not a url' }), 'add').baseUrl);
    assert.ok(validateProviderForm(pform({ baseUrl: 'ftp://x/y' }), 'add').baseUrl);
    assert.equal(isHttpUrl('https://api.openai.com/v1'), true);
  });
  it('refuses a key over plain http to a remote host unless allowed', () => {
    assert.match(validateProviderForm(pform({ baseUrl: 'http://example.com/v1', apiKey: 'sk-1' }), 'add').baseUrl ?? '', /insecure|https/i);
    assert.deepEqual(validateProviderForm(pform({ baseUrl: 'http://example.com/v1', apiKey: 'sk-1', allowInsecureHttp: true }), 'add'), {});
    assert.deepEqual(validateProviderForm(pform({ baseUrl: 'http://example.com/v1' }), 'add'), {});
  });
  it('checks id slug and env var name', () => {
    assert.ok(validateProviderForm(pform({ id: 'Bad Id' }), 'add').id);
    assert.deepEqual(validateProviderForm(pform({ id: 'openai-work_2' }), 'add'), {});
    assert.ok(validateProviderForm(pform({ apiKeyEnv: '1BAD' }), 'add').apiKeyEnv);
  });
  it('sends the key only when one was typed; edit may delete it with ""', () => {
    const add = providerParams(pform({ apiKey: '  sk-abc  ', name: 'Fake' }), 'add');
    assert.deepEqual(add, { template: 'custom', name: 'Fake', baseUrl: 'http://127.0.0.1:8080/v1', apiKey: 'sk-abc', enabled: true });
    const editKeep = providerParams(pform({ id: 'p1' }), 'edit');
    assert.equal('apiKey' in editKeep, false);
    assert.equal(editKeep.id, 'p1');
    assert.equal(providerParams(pform({ id: 'p1' }), 'edit', true).apiKey, '');
  });
  it('describes key status with the hint only', () => {
    assert.equal(describeKey({ present: true, source: 'keyring', hint: 'sk-…wxyz' }), 'Key in keyring sk-…wxyz');
    assert.equal(describeKey({ present: true, source: 'env', hint: 'sk-…abcd' }, 'OPENAI_API_KEY'), 'Key from $OPENAI_API_KEY sk-…abcd');
    assert.equal(describeKey({ present: false, source: null, hint: null }), 'No key');
    assert.equal(describeKey({ present: false, source: null, hint: null }, 'X_KEY'), 'No key: $X_KEY is not set');
  });
});

describe('model form', () => {
  it('shows fields that match the task', () => {
    assert.deepEqual(modelFieldsForTask('embeddings'), ['name', 'nCtx']);
    assert.ok(modelFieldsForTask('completion').includes('fim'));
    assert.ok(!modelFieldsForTask('completion').includes('reasoningStyle'));
    assert.ok(modelFieldsForTask('chat').includes('agent'));
  });
  it('validates name, nCtx and temperature', () => {
    assert.ok(validateModelForm(mform({ name: ' ' })).name);
    assert.ok(validateModelForm(mform({ nCtx: '12k' })).nCtx);
    assert.ok(validateModelForm(mform({ nCtx: '0' })).nCtx);
    assert.ok(validateModelForm(mform({ defaultTemperature: '3' })).defaultTemperature);
    assert.ok(validateModelForm(mform(), ['gpt-4o']).name, 'duplicate name');
    assert.deepEqual(validateModelForm(mform({ nCtx: '128000', defaultTemperature: '0.2' })), {});
    const choices = fimChoices({ fimModes: ['native', 'chat'], fimFamilies: ['starcoder', 'starcoder2'] });
    assert.deepEqual(choices, ['native', 'chat', 'template:starcoder', 'template:starcoder2']);
    assert.ok(validateModelForm(mform({ task: 'completion', fim: 'template:nope' }), [], choices).fim);
    // The families the server names are accepted, whatever the client was built with.
    assert.deepEqual(validateModelForm(mform({ task: 'completion', fim: 'template:starcoder2' }), [], choices), {});
  });
  it('builds a chat model with capabilities and no FIM', () => {
    const m = modelFromForm(mform({ nCtx: '128000', defaultTemperature: '0.2', reasoningStyle: 'openai', tools: true, agent: true, fim: 'native' }));
    assert.deepEqual(m, { name: 'gpt-4o', task: 'chat', nCtx: 128000, defaultTemperature: 0.2, reasoningStyle: 'openai', capabilities: { tools: true, multimodality: false, clicks: false, agent: true } });
  });
  it('builds a completion model with FIM and no chat-only fields', () => {
    const m = modelFromForm(mform({ task: 'completion', name: 'qwen', nCtx: '8192', fim: 'template:qwen2.5-coder', tokenizer: 'hf://Qwen/Qwen2.5-Coder-1.5B', defaultTemperature: '1', tools: true }));
    assert.deepEqual(m, { name: 'qwen', task: 'completion', nCtx: 8192, tokenizer: 'hf://Qwen/Qwen2.5-Coder-1.5B', fim: 'template:qwen2.5-coder' });
  });
  it('builds an embeddings model with name and nCtx only', () => {
    assert.deepEqual(modelFromForm(mform({ task: 'embeddings', name: 'e', nCtx: '8191', tokenizer: 'x', tools: true })), { name: 'e', task: 'embeddings', nCtx: 8191 });
  });
  it('round-trips through the form', () => {
    const m = { name: 'c', task: 'completion' as const, nCtx: 4096, fim: 'native', tokenizer: null };
    assert.deepEqual(modelFromForm(modelToForm(m)), { name: 'c', task: 'completion', nCtx: 4096, fim: 'native' });
  });
});
