import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StoredMessage } from '../../src/shared/chatTypes';
import { turnTexts, wireHistory } from '../../src/shared/chatHistory';

const turns = [
  { role: 'assistant' as const, content: '', toolCalls: [{ id: 'call_1', name: 'read_file', arguments: '{"path":"src/a.ts"}' }] },
  { role: 'tool' as const, content: 'export const a = 1;', toolCallId: 'call_1' },
  { role: 'assistant' as const, content: 'Checking the tests.', toolCalls: [{ id: 'call_2', name: 'run_command', arguments: '{"command":"npm test"}' }] },
  { role: 'tool' as const, content: '3 passing', toolCallId: 'call_2' },
];

const agentConversation: StoredMessage[] = [
  { role: 'user', content: 'What is a?' },
  { role: 'assistant', content: 'a is 1 and the tests pass.', meta: { steps: [], turns } },
  { role: 'user', content: 'And where is it used?' },
];

describe('wireHistory', () => {
  it('puts an agent answer’s tool turns, in order, between its question and its final text', () => {
    assert.deepEqual(wireHistory(agentConversation, false), [
      { role: 'user', content: 'What is a?' },
      ...turns,
      { role: 'assistant', content: 'a is 1 and the tests pass.' },
      { role: 'user', content: 'And where is it used?' },
    ]);
  });

  it('keeps every tool result paired with the call id the assistant turn before it made', () => {
    const wire = wireHistory(agentConversation, false);
    for (const [i, m] of wire.entries()) {
      if (m.role !== 'tool') continue;
      const callIds = wire
        .slice(0, i)
        .filter((p) => p.role === 'assistant')
        .flatMap((p) => (p.toolCalls ?? []).map((c) => c.id));
      assert.ok(m.toolCallId && callIds.includes(m.toolCallId), `tool result ${i} answers a call made before it`);
    }
  });

  it('sends Ask-mode history unchanged, images only for models that take them', () => {
    const img = { id: 'i', kind: 'image' as const, label: 'shot.png', text: 'data:image/png;base64,AAAA' };
    const ask: StoredMessage[] = [
      { role: 'user', content: 'Look', attachments: [img] },
      { role: 'assistant', content: 'A cat.' },
    ];
    assert.deepEqual(wireHistory(ask, false), [
      { role: 'user', content: 'Look' },
      { role: 'assistant', content: 'A cat.' },
    ]);
    assert.deepEqual(wireHistory(ask, true)[0], {
      role: 'user',
      content: [
        { type: 'text', text: 'Look' },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
      ],
    });
  });

  it('counts the tool turns’ text (results and call arguments) for the context check', () => {
    assert.deepEqual(turnTexts(agentConversation), ['', '{"path":"src/a.ts"}', 'export const a = 1;', 'Checking the tests.', '{"command":"npm test"}', '3 passing']);
  });
});
