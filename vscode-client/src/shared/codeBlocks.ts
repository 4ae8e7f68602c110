/** What a fenced code block's info string says: its language and the file it is meant for. */

export interface CodeBlockInfo {
  lang: string;
  file?: string;
}

const FILE_ATTR = /^(?:file|path|title|filename)=["']?([^"']+)["']?$/i;

function looksLikePath(s: string): boolean {
  return /[/\\]/.test(s) || /^[\w.-]+\.[A-Za-z0-9]{1,8}$/.test(s);
}

/**
 * "ts src/a.ts", "python:app/main.py", "js title=lib/x.js", "src/a.ts" -> language and file.
 * A bare word is a language; a word with a slash or an extension is a file.
 */
export function codeBlockInfo(info: string): CodeBlockInfo {
  const words = info.trim().split(/\s+/).filter(Boolean);
  let lang = '';
  let file: string | undefined;
  for (const [i, raw] of words.entries()) {
    const attr = FILE_ATTR.exec(raw);
    if (attr) {
      file ??= attr[1];
      continue;
    }
    if (i === 0 && raw.includes(':') && !raw.includes('://')) {
      const [l, f] = raw.split(':', 2);
      lang = l;
      if (f) file ??= f;
      continue;
    }
    if (i === 0 && !looksLikePath(raw)) {
      lang = raw;
      continue;
    }
    if (looksLikePath(raw)) file ??= raw;
  }
  if (!lang && file) {
    const ext = /\.([A-Za-z0-9]+)$/.exec(file)?.[1];
    if (ext) lang = ext.toLowerCase();
  }
  return file ? { lang: lang.toLowerCase(), file } : { lang: lang.toLowerCase() };
}
