import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inlineCompletionMiddleware, type InlineSettings } from '../../src/inline';

type Provide = (doc: unknown, pos: unknown, ctx: unknown, token: unknown, next: (...a: unknown[]) => unknown) => Promise<unknown>;

function setup(settings: InlineSettings) {
  const mw = inlineCompletionMiddleware(() => settings);
  const provide = mw.provideInlineCompletionItems as unknown as Provide;
  const forwarded: unknown[] = [];
  const next = (doc: unknown) => {
    forwarded.push(doc);
    return [{ insertText: `for ${String(doc)}` }];
  };
  const token = () => ({ isCancellationRequested: false, onCancellationRequested: () => ({ dispose() {} }) });
  return { provide, next, forwarded, token };
}

const AUTOMATIC = { triggerKind: 1 };
const INVOKE = { triggerKind: 0 };

describe('inline completion middleware', () => {
  it('returns nothing and asks nobody when disabled', async () => {
    const { provide, next, forwarded, token } = setup({ enabled: false, debounceMs: 0 });
    assert.equal(await provide('a', 0, AUTOMATIC, token(), next), null);
    assert.deepEqual(forwarded, []);
  });
  it('forwards the latest of a burst of keystrokes only', async () => {
    const { provide, next, forwarded, token } = setup({ enabled: true, debounceMs: 40 });
    const results = await Promise.all(['a', 'ab', 'abc'].map((d) => provide(d, 0, AUTOMATIC, token(), next)));
    assert.deepEqual(forwarded, ['abc']);
    assert.deepEqual(results, [null, null, [{ insertText: 'for abc' }]]);
  });
  it('drops a request cancelled while waiting', async () => {
    const { provide, next, forwarded } = setup({ enabled: true, debounceMs: 1000 });
    let fire: () => void = () => undefined;
    const tok = { isCancellationRequested: false, onCancellationRequested: (l: () => void) => ((fire = l), { dispose() {} }) };
    const p = provide('x', 0, AUTOMATIC, tok, next);
    tok.isCancellationRequested = true;
    fire();
    assert.equal(await p, null);
    assert.deepEqual(forwarded, []);
  });
  it('does not debounce an explicit request', async () => {
    const { provide, next, forwarded, token } = setup({ enabled: true, debounceMs: 10_000 });
    const t0 = Date.now();
    await provide('x', 0, INVOKE, token(), next);
    assert.ok(Date.now() - t0 < 1000);
    assert.deepEqual(forwarded, ['x']);
  });
});
