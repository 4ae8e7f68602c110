/**
 * Chat conversations of one workspace, kept in the extension's workspace state (a Memento):
 * an index of summaries plus one entry per conversation. Only what the user and the model
 * wrote is stored, never a key or a provider setting.
 */
import type { Conversation, ConversationSummary, StoredMessage } from './chatTypes';

/** The part of vscode.Memento the store needs (so it can be tested without VS Code). */
export interface KeyValue {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): Thenable<void> | Promise<void>;
}

const INDEX = 'byok.chat.conversations';
const ENTRY = (id: string): string => `byok.chat.conversation.${id}`;
/** Oldest conversations beyond this are dropped, so workspace state stays small. */
export const MAX_CONVERSATIONS = 100;
const TITLE_CHARS = 60;

export function titleFor(messages: readonly StoredMessage[]): string {
  const first = messages.find((m) => m.role === 'user');
  const text = (first?.content ?? '').replace(/\s+/g, ' ').trim();
  if (!text) {
    const att = first?.attachments?.[0];
    return att ? `About ${att.label}` : 'New chat';
  }
  return text.length > TITLE_CHARS ? `${text.slice(0, TITLE_CHARS - 1)}…` : text;
}

function isConversation(v: unknown): v is Conversation {
  const c = v as Conversation;
  return !!c && typeof c.id === 'string' && Array.isArray(c.messages);
}

export class ConversationStore {
  constructor(private readonly kv: KeyValue) {}

  list(): ConversationSummary[] {
    const items = this.kv.get<ConversationSummary[]>(INDEX);
    return Array.isArray(items) ? [...items].sort((a, b) => b.updatedAt - a.updatedAt) : [];
  }

  get(id: string): Conversation | undefined {
    const c = this.kv.get<unknown>(ENTRY(id));
    return isConversation(c) ? c : undefined;
  }

  /** Saves (creates or replaces) a conversation; one with no messages is not listed. */
  async save(c: Conversation): Promise<ConversationSummary[]> {
    if (!c.messages.length) return this.list();
    const title = c.title && c.title !== 'New chat' ? c.title : titleFor(c.messages);
    const stored: Conversation = { ...c, title };
    const summary: ConversationSummary = { id: c.id, title, updatedAt: c.updatedAt, messages: c.messages.length };
    const items = [summary, ...this.list().filter((s) => s.id !== c.id)];
    const dropped = items.splice(MAX_CONVERSATIONS);
    await this.kv.update(ENTRY(c.id), stored);
    for (const d of dropped) await this.kv.update(ENTRY(d.id), undefined);
    await this.kv.update(INDEX, items);
    return items;
  }

  async delete(id: string): Promise<ConversationSummary[]> {
    const items = this.list().filter((s) => s.id !== id);
    await this.kv.update(ENTRY(id), undefined);
    await this.kv.update(INDEX, items);
    return items;
  }
}
