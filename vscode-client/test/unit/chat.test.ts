import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Conversation } from '../../src/shared/chatTypes';
import { chatErrorActions, chatErrorHeadline, retryAfter } from '../../src/shared/chatErrors';
import { codeBlockInfo } from '../../src/shared/codeBlocks';
import { ConversationStore, MAX_CONVERSATIONS, titleFor } from '../../src/shared/conversationStore';
import { rankPaths } from '../../src/shared/fileMatch';
import { inlineContext, lineSpan } from '../../src/shared/inlineContext';
import { safeRelativePath } from '../../src/shared/paths';

describe('codeBlockInfo', () => {
  it('reads the language and the file a fence names', () => {
    assert.deepEqual(codeBlockInfo('ts src/a.ts'), { lang: 'ts', file: 'src/a.ts' });
    assert.deepEqual(codeBlockInfo('python:app/main.py'), { lang: 'python', file: 'app/main.py' });
    assert.deepEqual(codeBlockInfo('js title="lib/x.js"'), { lang: 'js', file: 'lib/x.js' });
    assert.deepEqual(codeBlockInfo('src/util.rs'), { lang: 'rs', file: 'src/util.rs' });
    assert.deepEqual(codeBlockInfo('Python'), { lang: 'python' });
    assert.deepEqual(codeBlockInfo(''), { lang: '' });
    assert.deepEqual(codeBlockInfo('bash'), { lang: 'bash' });
  });
});

class MemoryKV {
  data = new Map<string, unknown>();
  get<T>(k: string): T | undefined {
    return this.data.get(k) as T | undefined;
  }
  async update(k: string, v: unknown): Promise<void> {
    if (v === undefined) this.data.delete(k);
    else this.data.set(k, JSON.parse(JSON.stringify(v)));
  }
}

function conv(id: string, updatedAt: number, text = `question ${id}`): Conversation {
  return { id, title: 'New chat', modelId: '', createdAt: updatedAt, updatedAt, messages: [{ role: 'user', content: text }, { role: 'assistant', content: 'answer' }] };
}

describe('ConversationStore', () => {
  it('saves, lists newest first with titles, reopens and deletes', async () => {
    const kv = new MemoryKV();
    const store = new ConversationStore(kv);
    await store.save(conv('a', 1, 'How do I parse   JSON\nin Python?'));
    await store.save(conv('b', 2));
    assert.deepEqual(store.list().map((s) => [s.id, s.title, s.messages]), [['b', 'question b', 2], ['a', 'How do I parse JSON in Python?', 2]]);
    assert.equal(store.get('a')?.messages[0].content, 'How do I parse   JSON\nin Python?');
    // A new store over the same state (a restart) sees the same list.
    assert.deepEqual(new ConversationStore(kv).list().map((s) => s.id), ['b', 'a']);
    await store.delete('b');
    assert.deepEqual(store.list().map((s) => s.id), ['a']);
    assert.equal(store.get('b'), undefined);
    assert.equal(kv.data.has('byok.chat.conversation.b'), false);
  });

  it('does not list empty conversations and keeps at most MAX_CONVERSATIONS', async () => {
    const kv = new MemoryKV();
    const store = new ConversationStore(kv);
    await store.save({ ...conv('empty', 1), messages: [] });
    assert.deepEqual(store.list(), []);
    for (let i = 0; i < MAX_CONVERSATIONS + 3; i++) await store.save(conv(`c${i}`, i + 10));
    assert.equal(store.list().length, MAX_CONVERSATIONS);
    assert.equal(store.get('c0'), undefined, 'the oldest entry is removed with its index row');
    assert.ok(store.get(`c${MAX_CONVERSATIONS + 2}`));
  });

  it('titles: first user line, shortened; attachment when the text is empty', () => {
    assert.equal(titleFor([{ role: 'user', content: 'x'.repeat(100) }]).length, 60);
    assert.equal(titleFor([{ role: 'user', content: '', attachments: [{ id: '1', kind: 'selection', label: 'a.ts:1-3' }] }]), 'About a.ts:1-3');
  });
});

describe('chat errors', () => {
  it('every error kind of the issue has a way out', () => {
    const labels = (k: string): string[] => chatErrorActions(k).map((a) => a.label);
    assert.deepEqual(labels('out_of_credit'), ['Switch Model', 'Configure Providers', 'Retry']);
    assert.deepEqual(labels('auth_failed'), ['Edit Key', 'Switch Model', 'Retry']);
    assert.ok(labels('rate_limited').includes('Retry'));
    assert.ok(labels('budget_exceeded').includes('Switch Model'));
    assert.ok(labels('context_too_long').includes('Drop Oldest Turns'));
    assert.ok(labels('no_active_model').includes('Switch Model'));
    assert.deepEqual(labels('cancelled'), []);
  });
  it('headline names the provider by its display name', () => {
    const err = { code: -32001, message: 'x', data: { kind: 'out_of_credit', providerId: 'oa', model: 'gpt-4o' } };
    assert.equal(chatErrorHeadline(err, (id) => (id === 'oa' ? 'OpenAI' : undefined)), 'Out of credit at OpenAI (gpt-4o)');
    assert.equal(chatErrorHeadline({ code: 1, message: 'x' }, () => undefined), 'The answer failed');
    assert.equal(retryAfter({ code: 1, message: 'x', data: { kind: 'rate_limited', retryAfterS: 2.2 } }), 3);
  });
});

describe('paths and files', () => {
  it('keeps named files inside the workspace', () => {
    assert.equal(safeRelativePath('src/a.ts', '/ws'), 'src/a.ts');
    assert.equal(safeRelativePath('./src/../b.ts', '/ws'), 'b.ts');
    assert.equal(safeRelativePath('/ws/c/d.ts', '/ws'), 'c/d.ts');
    assert.equal(safeRelativePath('../etc/passwd', '/ws'), undefined);
    assert.equal(safeRelativePath('/etc/passwd', '/ws'), undefined);
    assert.equal(safeRelativePath('', '/ws'), undefined);
  });
  it('ranks file names before paths, then shorter', () => {
    const paths = ['docs/mathematics.md', 'src/math.ts', 'test/math.test.ts', 'src/format.ts', 'lib/m/a/t/h.ts'];
    assert.deepEqual(rankPaths(paths, 'math'), ['src/math.ts', 'test/math.test.ts', 'docs/mathematics.md', 'lib/m/a/t/h.ts'], 'letters in order come last');
    assert.deepEqual(rankPaths(paths, 'fmt'), ['src/format.ts']);
    assert.equal(rankPaths(paths, '').length, paths.length);
  });
});

describe('inlineContext (servers without context support)', () => {
  it('line spans are 1-based and skip an empty last line', () => {
    const r = (a: number, b: number, c = 0) => ({ start: { line: a, character: 0 }, end: { line: b, character: c } });
    assert.equal(lineSpan(r(0, 3)), '1-3');
    assert.equal(lineSpan(r(0, 3, 2)), '1-4');
    assert.equal(lineSpan(r(4, 4, 5)), '5');
    assert.equal(lineSpan(r(4, 5)), '5');
  });

  it('writes the attachments into the last user message and drops the field', async () => {
    const params = {
      messages: [{ role: 'user', content: 'old' }, { role: 'assistant', content: 'a' }, { role: 'user', content: 'What does it do?' }],
      context: [
        { kind: 'selection' as const, uri: 'file:///ws/a.ts', range: { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } }, text: 'const x = "```";' },
        { kind: 'file' as const, uri: 'file:///ws/gone.ts' },
      ],
    };
    const out = await inlineContext(params, async (item) => (item.text != null ? { label: 'a.ts', text: item.text } : undefined));
    assert.equal(out.context, undefined);
    assert.equal(out.messages[0].content, 'old');
    assert.equal(out.messages[2].content, 'Selected code from a.ts (line 1):\n````\nconst x = "```";\n````\n\nWhat does it do?');
    assert.equal(params.messages[2].content, 'What does it do?', 'the input is not changed');
  });
});
