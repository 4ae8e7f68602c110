/** `@` in the input: a listbox of workspace files; choosing one attaches it. */
import { h } from '../dom';

export interface MentionHost {
  /** Ask for files matching the query; answer later with show(). */
  query(text: string, seq: number): void;
  choose(path: string): void;
}

export class FileMention {
  readonly list = h('ul', { id: 'mention-list', role: 'listbox', 'aria-label': 'Workspace files', hidden: true });
  private seq = 0;
  private items: string[] = [];
  private selected = 0;
  private start = -1;

  constructor(private readonly input: HTMLTextAreaElement, private readonly host: MentionHost) {
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-controls', 'mention-list');
    input.addEventListener('input', () => this.update());
    input.addEventListener('keydown', (ev) => this.onKey(ev), true);
    input.addEventListener('blur', () => setTimeout(() => this.close(), 150));
  }

  get open(): boolean {
    return !this.list.hidden;
  }

  private token(): { start: number; text: string } | undefined {
    const pos = this.input.selectionStart ?? 0;
    const before = this.input.value.slice(0, pos);
    const m = /(^|\s)@([^\s@]*)$/.exec(before);
    return m ? { start: pos - m[2].length - 1, text: m[2] } : undefined;
  }

  private update(): void {
    const t = this.token();
    if (!t) return this.close();
    this.start = t.start;
    this.host.query(t.text, ++this.seq);
  }

  /** The host's answer to query(); stale answers are ignored. */
  show(seq: number, paths: string[]): void {
    if (seq !== this.seq || !this.token()) return;
    this.items = paths.slice(0, 30);
    this.selected = 0;
    this.list.replaceChildren(
      ...this.items.map((p, i) =>
        h('li', { role: 'option', id: `mention-${i}`, 'aria-selected': String(i === 0), 'data-path': p, onmousedown: (ev: Event) => (ev.preventDefault(), this.pick(i)) }, p),
      ),
    );
    if (!this.items.length) this.list.replaceChildren(h('li', { className: 'muted', 'aria-disabled': 'true' }, 'No matching files'));
    this.list.hidden = false;
    this.input.setAttribute('aria-expanded', 'true');
    this.mark();
  }

  private mark(): void {
    this.list.querySelectorAll('li[role="option"]').forEach((li, i) => li.setAttribute('aria-selected', String(i === this.selected)));
    if (this.items.length) this.input.setAttribute('aria-activedescendant', `mention-${this.selected}`);
  }

  close(): void {
    this.list.hidden = true;
    this.input.setAttribute('aria-expanded', 'false');
    this.input.removeAttribute('aria-activedescendant');
  }

  private pick(i: number): void {
    const p = this.items[i];
    if (p == null) return;
    const end = this.input.selectionStart ?? this.input.value.length;
    this.input.value = this.input.value.slice(0, this.start) + this.input.value.slice(end);
    this.input.selectionStart = this.input.selectionEnd = this.start;
    this.close();
    this.host.choose(p);
  }

  private onKey(ev: KeyboardEvent): void {
    if (!this.open) return;
    if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
      ev.preventDefault();
      const n = this.items.length;
      if (n) this.selected = (this.selected + (ev.key === 'ArrowDown' ? 1 : n - 1)) % n;
      this.mark();
    } else if (ev.key === 'Enter' || ev.key === 'Tab') {
      if (!this.items.length) return;
      ev.preventDefault();
      ev.stopImmediatePropagation();
      this.pick(this.selected);
    } else if (ev.key === 'Escape') {
      ev.preventDefault();
      ev.stopImmediatePropagation();
      this.close();
    }
  }
}
