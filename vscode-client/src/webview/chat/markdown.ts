/**
 * Model output -> sanitized DOM. markdown-it with raw HTML off parses it, highlight.js colours
 * fenced code (classes only; the colours come from the VS Code theme in webview.css), and
 * DOMPurify cleans the result again before anything reaches the document: the text is untrusted.
 */
import DOMPurify from 'dompurify';
import hljs from 'highlight.js/lib/common';
import MarkdownIt from 'markdown-it';
import { codeBlockInfo } from '../../shared/codeBlocks';

/** Blocks longer than this are shown plain: highlighting them would freeze the panel. */
export const MAX_HIGHLIGHT_CHARS = 40_000;

const md = new MarkdownIt({
  html: false,
  linkify: true,
  breaks: false,
  highlight(code, lang) {
    if (!lang || code.length > MAX_HIGHLIGHT_CHARS || !hljs.getLanguage(lang)) return '';
    try {
      return hljs.highlight(code, { language: lang, ignoreIllegals: true }).value;
    } catch {
      return '';
    }
  },
});

// Fences carry their language and the file they name (```ts src/a.ts) as data attributes, for
// the code actions; markdown-it escapes attribute values.
md.renderer.rules.fence = (tokens, idx, options, _env, self) => {
  const token = tokens[idx];
  const info = codeBlockInfo(token.info);
  const highlighted = options.highlight?.(token.content, info.lang, '') || md.utils.escapeHtml(token.content);
  const cls = info.lang ? ` class="hljs language-${md.utils.escapeHtml(info.lang)}"` : ' class="hljs"';
  const attrs = [`data-lang="${md.utils.escapeHtml(info.lang)}"`];
  if (info.file) attrs.push(`data-file="${md.utils.escapeHtml(info.file)}"`);
  void self;
  return `<pre ${attrs.join(' ')}><code${cls}>${highlighted}</code></pre>\n`;
};

const SAFE_URL = /^(?:https?:|mailto:)/i;

DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.nodeName === 'A') {
    const href = node.getAttribute('href') ?? '';
    if (!SAFE_URL.test(href)) node.removeAttribute('href');
    else node.setAttribute('title', href);
    node.removeAttribute('target');
  }
});

const PURIFY = {
  RETURN_DOM_FRAGMENT: true as const,
  ALLOWED_URI_REGEXP: /^(?:https?|mailto):/i,
  FORBID_TAGS: ['style', 'img', 'form', 'input', 'button', 'iframe', 'object', 'embed', 'svg', 'math'],
  FORBID_ATTR: ['style', 'id', 'name'],
};

/** Markdown source -> a fragment that is safe to insert (no script, no handler, no unsafe link). */
export function renderMarkdown(source: string): DocumentFragment {
  const frag = DOMPurify.sanitize(md.render(source), PURIFY);
  // markdown-it ends blocks with newlines; between block elements they are noise.
  for (const n of Array.from(frag.childNodes)) if (n.nodeType === Node.TEXT_NODE && !n.textContent?.trim()) n.remove();
  return frag;
}
