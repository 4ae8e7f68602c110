/** For servers without `context` support: the attachments written into the last user message. */
import type { ChatSendParams, ContextItem } from './chatTypes';

export type ReadContext = (item: ContextItem) => Promise<{ label: string; text: string } | undefined>;

function fence(text: string): string {
  let ticks = '```';
  while (text.includes(ticks)) ticks += '`';
  return ticks;
}

export async function inlineContext(params: ChatSendParams, read: ReadContext): Promise<ChatSendParams> {
  const blocks: string[] = [];
  for (const item of params.context ?? []) {
    const got = await read(item);
    if (!got) continue;
    const where = item.range ? ` (lines ${item.range.start.line + 1}-${item.range.end.line + 1})` : '';
    const f = fence(got.text);
    blocks.push(`${item.kind === 'selection' ? 'Selected code from' : 'File'} ${got.label}${where}:\n${f}\n${got.text}\n${f}`);
  }
  const { context: _dropped, ...rest } = params;
  void _dropped;
  if (!blocks.length) return rest;
  const messages = rest.messages.map((m) => ({ ...m }));
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m.role !== 'user') continue;
    const prefix = blocks.join('\n\n') + '\n\n';
    if (typeof m.content === 'string') m.content = prefix + m.content;
    else m.content = [{ type: 'text', text: prefix }, ...m.content];
    break;
  }
  return { ...rest, messages };
}
