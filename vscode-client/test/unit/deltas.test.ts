import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChatStreams, DeltaAssembler } from '../../src/shared/deltas';

describe('delta ordering', () => {
  it('appends in index order even when notifications arrive out of order', () => {
    const a = new DeltaAssembler();
    assert.deepEqual(a.push({ chatId: 'c', modelId: 'p/m', index: 1, text: 'lo' }), []);
    assert.equal(a.text, '');
    assert.equal(a.waiting, 1);
    const ready = a.push({ chatId: 'c', modelId: 'p/m', index: 0, text: 'Hel' });
    assert.deepEqual(ready.map((d) => d.index), [0, 1]);
    assert.equal(a.text, 'Hello');
    a.push({ chatId: 'c', modelId: 'p/m', index: 3, text: '!' });
    a.push({ chatId: 'c', modelId: 'p/m', index: 2, text: ' world' });
    assert.equal(a.text, 'Hello world!');
    assert.equal(a.expectedIndex, 4);
  });
  it('drops duplicates and stale indices', () => {
    const a = new DeltaAssembler();
    a.push({ chatId: 'c', modelId: 'p/m', index: 0, text: 'a' });
    assert.deepEqual(a.push({ chatId: 'c', modelId: 'p/m', index: 0, text: 'a' }), []);
    a.push({ chatId: 'c', modelId: 'p/m', index: 2, text: 'c' });
    assert.deepEqual(a.push({ chatId: 'c', modelId: 'p/m', index: 2, text: 'X' }), []);
    a.push({ chatId: 'c', modelId: 'p/m', index: 1, text: 'b' });
    assert.equal(a.text, 'abc');
  });
  it('keeps reasoning and tool calls apart from text', () => {
    const a = new DeltaAssembler();
    a.push({ chatId: 'c', modelId: 'p/m', index: 0, reasoning: 'think ' });
    a.push({ chatId: 'c', modelId: 'p/m', index: 1, reasoning: 'more' });
    a.push({ chatId: 'c', modelId: 'p/m', index: 2, text: 'answer' });
    a.push({ chatId: 'c', modelId: 'p/m', index: 3, toolCall: { name: 'f' } });
    assert.equal(a.reasoning, 'think more');
    assert.equal(a.text, 'answer');
    assert.deepEqual(a.toolCalls, [{ name: 'f' }]);
  });
  it('routes concurrent chats by chatId and ignores unknown ones', () => {
    const s = new ChatStreams();
    s.open('a');
    s.open('b');
    s.push({ chatId: 'b', modelId: 'p/m', index: 0, text: 'B' });
    s.push({ chatId: 'a', modelId: 'p/m', index: 0, text: 'A' });
    assert.deepEqual(s.push({ chatId: 'zzz', modelId: 'p/m', index: 0, text: '?' }), []);
    assert.equal(s.get('a')?.text, 'A');
    assert.equal(s.get('b')?.text, 'B');
    s.close('a');
    assert.equal(s.get('a'), undefined);
  });
  it('handles a long shuffled stream', () => {
    const parts = Array.from({ length: 200 }, (_, i) => `${i},`);
    const order = parts.map((_, i) => i);
    let seed = 42;
    for (let i = order.length - 1; i > 0; i--) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const j = seed % (i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    const a = new DeltaAssembler();
    for (const i of order) a.push({ chatId: 'c', modelId: 'p/m', index: i, text: parts[i] });
    assert.equal(a.text, parts.join(''));
  });
});
