/** Attachments of the next message, shown as removable chips with their token counts. */
import type { Attachment } from '../../shared/chatTypes';
import { h } from '../dom';

export function tokenLabel(a: Attachment): string {
  if (a.kind === 'image') return 'image';
  if (a.tokens == null) return '… tokens';
  return `${a.estimated ? '~' : ''}${a.tokens.toLocaleString('en-US')} tokens`;
}

export function chip(a: Attachment, onRemove?: (a: Attachment) => void): HTMLElement {
  const kind = a.kind === 'selection' ? 'sel' : a.kind === 'image' ? 'img' : 'file';
  const el = h(
    'span',
    { className: 'chip', 'data-kind': a.kind, 'data-attachment': a.id, title: a.uri ?? a.label },
    h('span', { className: 'chip-kind', 'aria-hidden': 'true' }, kind),
    a.kind === 'image' && a.text ? h('img', { className: 'thumb', src: a.text, alt: '' }) : null,
    h('span', { className: 'chip-label' }, a.label),
    h('span', { className: 'chip-tokens muted' }, tokenLabel(a)),
  );
  if (onRemove)
    el.append(h('button', { type: 'button', className: 'chip-remove', 'aria-label': `Remove ${a.label}`, title: `Remove ${a.label}`, onclick: () => onRemove(a) }, '×'));
  return el;
}

export function renderChips(container: HTMLElement, items: readonly Attachment[], onRemove?: (a: Attachment) => void): void {
  container.replaceChildren(...items.map((a) => chip(a, onRemove)));
  container.hidden = items.length === 0;
}

/** Same document and range (or whole file) = same attachment. */
export function sameAttachment(a: Attachment, b: Attachment): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'image') return a.text === b.text;
  return a.uri === b.uri && JSON.stringify(a.range ?? null) === JSON.stringify(b.range ?? null);
}
