/** The list of this workspace's conversations: reopen, delete, start a new one. */
import type { ConversationSummary } from '../../shared/chatTypes';
import { h } from '../dom';

export interface HistoryActions {
  open(id: string): void;
  remove(id: string): void;
}

function when(t: number): string {
  const d = new Date(t);
  return `${d.toLocaleDateString()} ${d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}`;
}

export function renderHistory(list: HTMLElement, items: readonly ConversationSummary[], activeId: string, actions: HistoryActions): void {
  if (!items.length) {
    list.replaceChildren(h('p', { className: 'muted' }, 'No saved conversations in this workspace yet.'));
    return;
  }
  list.replaceChildren(
    h(
      'ul',
      { className: 'conversation-list', 'aria-label': 'Saved conversations' },
      ...items.map((c) =>
        h(
          'li',
          { 'data-conversation': c.id, className: c.id === activeId ? 'current' : '' },
          h('button', { type: 'button', className: 'link conversation-open', 'aria-current': c.id === activeId ? 'true' : null, onclick: () => actions.open(c.id) }, c.title),
          h('span', { className: 'muted' }, ` ${c.messages} messages · ${when(c.updatedAt)}`),
          h('button', { type: 'button', className: 'secondary small conversation-delete', 'aria-label': `Delete conversation ${c.title}`, onclick: () => actions.remove(c.id) }, 'Delete'),
        ),
      ),
    ),
  );
}
