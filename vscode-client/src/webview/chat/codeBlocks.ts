/** Copy / Insert at Cursor / Apply to File on every rendered code block. */
import type { CodeAction } from '../../shared/chatTypes';
import { h } from '../dom';

const LABELS: Record<CodeAction, string> = { copy: 'Copy', insert: 'Insert at Cursor', apply: 'Apply to File' };

/** Wraps each <pre> of a rendered answer in a block with a toolbar. */
export function decorateCodeBlocks(container: HTMLElement, startIndex = 0): void {
  let n = startIndex;
  for (const pre of Array.from(container.querySelectorAll<HTMLPreElement>('pre'))) {
    if (pre.parentElement?.classList.contains('code-block')) continue;
    n++;
    const lang = pre.dataset.lang ?? '';
    const file = pre.dataset.file;
    const what = file ? `${file}` : lang ? `${lang} code` : `code block ${n}`;
    const toolbar = h(
      'div',
      { className: 'code-toolbar', role: 'toolbar', 'aria-label': `Actions for ${what}` },
      h('span', { className: 'code-label muted' }, file ?? lang ?? ''),
      ...(['copy', 'insert', 'apply'] as CodeAction[]).map((a) =>
        h('button', { type: 'button', className: 'secondary small', 'data-code-action': a, 'aria-label': `${LABELS[a]}: ${what}`, title: a === 'apply' ? `Review a diff against ${file ?? 'the active file'} before it is applied` : LABELS[a] }, LABELS[a]),
      ),
    );
    const block = h('div', { className: 'code-block' });
    pre.replaceWith(block);
    pre.tabIndex = 0;
    block.append(toolbar, pre);
  }
}

export interface CodeActionRequest {
  action: CodeAction;
  code: string;
  lang?: string;
  file?: string;
}

/** One listener for the whole transcript: a click on a code action button -> the request. */
export function onCodeAction(root: HTMLElement, fn: (req: CodeActionRequest) => void): void {
  root.addEventListener('click', (ev) => {
    const btn = (ev.target as HTMLElement).closest<HTMLButtonElement>('button[data-code-action]');
    if (!btn || !root.contains(btn)) return;
    const pre = btn.closest('.code-block')?.querySelector('pre');
    if (!pre) return;
    const req: CodeActionRequest = { action: btn.dataset.codeAction as CodeAction, code: pre.querySelector('code')?.textContent ?? pre.textContent ?? '' };
    if (pre.dataset.lang) req.lang = pre.dataset.lang;
    if (pre.dataset.file) req.file = pre.dataset.file;
    fn(req);
    if (req.action === 'copy') {
      btn.textContent = 'Copied';
      setTimeout(() => (btn.textContent = LABELS.copy), 1500);
    }
  });
}

/** Links in answers open only through the host (after this click), never inside the webview. */
export function onLinkClick(root: HTMLElement, fn: (href: string) => void): void {
  root.addEventListener('click', (ev) => {
    const a = (ev.target as HTMLElement).closest('a');
    if (!a || !root.contains(a)) return;
    ev.preventDefault();
    const href = a.getAttribute('href');
    if (href) fn(href);
  });
}
