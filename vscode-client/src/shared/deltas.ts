/** Puts streamed `byok/chat/delta` notifications back in index order, per chat. */
import type { ChatDelta } from './protocol';

export class DeltaAssembler {
  private next = 0;
  private pending = new Map<number, ChatDelta>();
  text = '';
  reasoning = '';
  toolCalls: unknown[] = [];

  /** Accepts one delta; returns the deltas that are now in order (possibly none). Duplicates are dropped. */
  push(delta: ChatDelta): ChatDelta[] {
    if (!Number.isInteger(delta.index) || delta.index < this.next || this.pending.has(delta.index)) return [];
    this.pending.set(delta.index, delta);
    const ready: ChatDelta[] = [];
    for (let d = this.pending.get(this.next); d; d = this.pending.get(this.next)) {
      this.pending.delete(this.next);
      this.next++;
      if (d.text) this.text += d.text;
      if (d.reasoning) this.reasoning += d.reasoning;
      if (d.toolCall != null) this.toolCalls.push(d.toolCall);
      ready.push(d);
    }
    return ready;
  }

  /** Deltas still waiting for a missing index. */
  get waiting(): number {
    return this.pending.size;
  }

  get expectedIndex(): number {
    return this.next;
  }
}

/** Routes deltas of several concurrent chats to their own assembler. */
export class ChatStreams {
  private streams = new Map<string, DeltaAssembler>();

  open(chatId: string): DeltaAssembler {
    const a = new DeltaAssembler();
    this.streams.set(chatId, a);
    return a;
  }

  push(delta: ChatDelta): ChatDelta[] {
    const a = this.streams.get(delta.chatId);
    return a ? a.push(delta) : [];
  }

  get(chatId: string): DeltaAssembler | undefined {
    return this.streams.get(chatId);
  }

  close(chatId: string): void {
    this.streams.delete(chatId);
  }
}
