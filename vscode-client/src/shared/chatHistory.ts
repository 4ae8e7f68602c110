/** The `messages` of a `byok/chat` request built from a stored conversation (pure: unit-tested). */
import type { ContentPart, StoredMessage, WireMessage } from './chatTypes';

/** Each stored message in order; an agent-mode answer is preceded by the tool-call turns and
 * tool results its loop added, so a follow-up question still sees what the tools found.
 * Images go along only when the model takes them. */
export function wireHistory(messages: readonly StoredMessage[], multimodal: boolean): WireMessage[] {
  const out: WireMessage[] = [];
  for (const m of messages) {
    if (m.role === 'assistant') out.push(...(m.meta?.turns ?? []));
    const images = multimodal ? (m.attachments ?? []).filter((a) => a.kind === 'image' && a.text) : [];
    if (!images.length) {
      out.push({ role: m.role, content: m.content });
      continue;
    }
    const parts: ContentPart[] = [{ type: 'text', text: m.content }, ...images.map((a) => ({ type: 'image_url' as const, image_url: { url: a.text! } }))];
    out.push({ role: m.role, content: parts });
  }
  return out;
}

/** The text of the tool turns an answer carries (counted when checking the context fits). */
export function turnTexts(messages: readonly StoredMessage[]): string[] {
  const out: string[] = [];
  for (const t of messages.flatMap((m) => m.meta?.turns ?? [])) {
    if (typeof t.content === 'string') out.push(t.content);
    for (const c of t.toolCalls ?? []) out.push(c.arguments);
  }
  return out;
}
