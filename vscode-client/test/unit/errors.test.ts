import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { asRpcError, errorActions, errorKind, fieldForError, lastPathSegment, testStatusLabel } from '../../src/shared/errors';

const PROVIDER_FIELDS = ['template', 'id', 'name', 'baseUrl', 'apiKey', 'apiKeyEnv', 'enabled'];
const MODEL_FIELDS = ['task', 'name', 'nCtx', 'tokenizer', 'defaultTemperature', 'reasoningStyle', 'fim', 'tools'];

describe('error -> field mapping', () => {
  it('maps an InvalidParams message prefix to the field and strips the prefix', () => {
    assert.deepEqual(fieldForError({ code: -32602, message: 'baseUrl: not a valid URL' }, PROVIDER_FIELDS), { field: 'baseUrl', message: 'not a valid URL' });
  });
  it('uses the last segment of a dotted/indexed path', () => {
    assert.equal(lastPathSegment('providers[0].baseUrl'), 'baseUrl');
    assert.equal(lastPathSegment('model.capabilities.tools'), 'tools');
    assert.deepEqual(fieldForError({ code: -32602, message: 'providers[0].baseUrl: not a valid URL' }, PROVIDER_FIELDS), { field: 'baseUrl', message: 'not a valid URL' });
    assert.deepEqual(fieldForError({ code: -32602, message: 'model.nCtx: Input should be greater than 0' }, MODEL_FIELDS), { field: 'nCtx', message: 'Input should be greater than 0' });
  });
  it('prefers data.field of a domain error and keeps its message', () => {
    const err = { code: -32003, message: 'A provider with id "openai" already exists: choose another id.', data: { kind: 'conflict', field: 'id' } };
    assert.deepEqual(fieldForError(err, PROVIDER_FIELDS), { field: 'id', message: err.message });
  });
  it('applies aliases (server "model" -> form "name")', () => {
    const err = { code: -32003, message: 'duplicate', data: { kind: 'conflict', field: 'model' } };
    assert.deepEqual(fieldForError(err, MODEL_FIELDS, { model: 'name' }), { field: 'name', message: 'duplicate' });
  });
  it('falls back to a form-level error for unknown fields or plain messages', () => {
    assert.deepEqual(fieldForError({ code: -32602, message: 'foo: bad' }, PROVIDER_FIELDS), { message: 'foo: bad' });
    assert.deepEqual(fieldForError({ code: -32010, message: 'Keyring unavailable: set apiKeyEnv' }, PROVIDER_FIELDS), { message: 'Keyring unavailable: set apiKeyEnv' });
  });
  it('does not take a URL scheme for a field name', () => {
    assert.deepEqual(fieldForError({ code: -32099, message: 'http://x refused' }, ['http', ...PROVIDER_FIELDS]), { message: 'http://x refused' });
  });
});

describe('error kinds and actions', () => {
  it('reads data.kind, and invalid_params from the code', () => {
    assert.equal(errorKind({ code: -32001, message: 'x', data: { kind: 'auth_failed' } }), 'auth_failed');
    assert.equal(errorKind({ code: -32602, message: 'x' }), 'invalid_params');
    assert.equal(errorKind({ code: -32603, message: 'x' }), undefined);
  });
  it('offers Configure Providers for key and credit problems, model switch for no active model', () => {
    for (const k of ['auth_failed', 'out_of_credit', 'provider_disabled', 'budget_exceeded'])
      assert.deepEqual(errorActions(k).map((a) => a.command), ['byok.configureProviders'], k);
    assert.ok(errorActions('no_active_model').some((a) => a.command === 'byok.configureProviders'));
    assert.ok(errorActions('no_active_model').some((a) => a.command === 'byok.switchChatModel'));
    assert.deepEqual(errorActions('bad_response'), []);
  });
  it('normalises thrown values', () => {
    assert.deepEqual(asRpcError({ code: -32602, message: 'x: y', data: { kind: 'invalid_params' } }), { code: -32602, message: 'x: y', data: { kind: 'invalid_params' } });
    assert.deepEqual(asRpcError(new Error('boom')), { code: -32603, message: 'boom' });
    assert.deepEqual(asRpcError('text'), { code: -32603, message: 'text' });
  });
  it('labels test statuses the way the issue names them', () => {
    assert.equal(testStatusLabel('auth_failed'), 'Bad key');
    assert.equal(testStatusLabel('out_of_credit'), 'No credit');
    assert.equal(testStatusLabel('ok'), 'Connected');
    assert.equal(testStatusLabel('something_new'), 'something new');
  });
});
