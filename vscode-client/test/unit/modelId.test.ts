import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatModelId, groupModelsByTask, modelsForTask, parseModelId, shortModelLabel } from '../../src/shared/modelId';
import type { Provider } from '../../src/shared/protocol';

const key = { present: false, source: null, hint: null };
const wire = { apiKeyEnv: null, allowInsecureHttp: false, budget: null };
const providers: Provider[] = [
  { id: 'openai', template: 'openai', name: 'OpenAI', enabled: true, baseUrl: 'https://api.openai.com/v1', key, ...wire, models: [
    { name: 'gpt-4o', task: 'chat' },
    { name: 'gpt-3.5-turbo-instruct', task: 'completion' },
  ] },
  { id: 'off', template: 'custom', name: 'Off', enabled: false, baseUrl: 'http://127.0.0.1:1/v1', key, ...wire, models: [{ name: 'x', task: 'chat' }] },
  { id: 'or', template: 'openrouter', name: 'OpenRouter', enabled: true, baseUrl: 'https://openrouter.ai/api/v1', key, ...wire, models: [
    { name: 'meta-llama/llama-3-70b', task: 'chat' },
  ] },
];

describe('model ids', () => {
  it('formats provider/model', () => assert.equal(formatModelId('openai', 'gpt-4o'), 'openai/gpt-4o'));
  it('splits on the first slash only, so model names may contain slashes', () => {
    assert.deepEqual(parseModelId('or/meta-llama/llama-3-70b'), { providerId: 'or', modelName: 'meta-llama/llama-3-70b' });
  });
  it('rejects ids without provider or model', () => {
    for (const bad of ['', null, undefined, 'gpt-4o', '/gpt-4o', 'openai/']) assert.equal(parseModelId(bad), null, String(bad));
  });
  it('round-trips', () => {
    const id = formatModelId('a-b_c', 'x/y:z');
    assert.deepEqual(parseModelId(id), { providerId: 'a-b_c', modelName: 'x/y:z' });
  });
  it('lists models of one task across enabled providers only', () => {
    assert.deepEqual(modelsForTask(providers, 'chat').map((c) => c.modelId), ['openai/gpt-4o', 'or/meta-llama/llama-3-70b']);
    assert.deepEqual(modelsForTask(providers, 'chat', true).map((c) => c.modelId), ['openai/gpt-4o', 'off/x', 'or/meta-llama/llama-3-70b']);
    assert.deepEqual(modelsForTask(providers, 'completion').map((c) => c.modelId), ['openai/gpt-3.5-turbo-instruct']);
    assert.deepEqual(modelsForTask(providers, 'embeddings'), []);
  });
  it('short label is the model name', () => {
    assert.equal(shortModelLabel('or/meta-llama/llama-3-70b'), 'meta-llama/llama-3-70b');
    assert.equal(shortModelLabel(null, 'none'), 'none');
  });
  it('groups by task', () => {
    const g = groupModelsByTask(providers[0].models);
    assert.deepEqual(g.chat.map((m) => m.name), ['gpt-4o']);
    assert.deepEqual(g.completion.map((m) => m.name), ['gpt-3.5-turbo-instruct']);
    assert.deepEqual(g.embeddings, []);
  });
});
