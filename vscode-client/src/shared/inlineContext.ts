/** For servers without `context` support: the attachments written into the last user message. */
import type { ChatSendParams, ContextItem, LspRange } from './chatTypes';

/** "3-5" (1-based); a selection that ends at the start of a line does not count that line. */
export function lineSpan(r: LspRange): string {
  const last = r.end.character === 0 && r.end.line > r.start.line ? r.end.line : r.end.line + 1;
  return last === r.start.line + 1 ? `${last}` : `${r.start.line + 1}-${last}`;
}

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
    const span = item.range ? lineSpan(item.range) : '';
    const where = span ? ` (${span.includes('-') ? 'lines' : 'line'} ${span})` : '';
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
