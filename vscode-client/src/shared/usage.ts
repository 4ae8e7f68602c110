/** Renders `byok/usage` as a Markdown report. */
import type { UsageResult } from './protocol';

function money(v: number | null | undefined): string {
  return v == null ? '—' : `$${v.toFixed(v < 1 ? 4 : 2)}`;
}

function cell(s: string | null | undefined): string {
  return (s ?? '-').replace(/\|/g, '\\|');
}

export function formatUsageMarkdown(u: UsageResult, title = 'BYOK usage'): string {
  const lines = [`# ${title}`, ''];
  if (!u.rows?.length) {
    lines.push('No requests recorded yet.');
    return lines.join('\n') + '\n';
  }
  lines.push('| Provider | Model | Task | Requests | Input tokens | Output tokens | Cost | Errors |');
  lines.push('|---|---|---|---:|---:|---:|---:|---:|');
  for (const r of u.rows) {
    lines.push(`| ${cell(r.providerId)} | ${cell(r.model)} | ${r.task} | ${r.requests} | ${r.inputTokens} | ${r.outputTokens} | ${money(r.costUsd)} | ${r.errors} |`);
  }
  const t = u.totals;
  if (t) lines.push(`| **Total** | | | ${t.requests ?? ''} | ${t.inputTokens ?? ''} | ${t.outputTokens ?? ''} | ${money(t.costUsd)} | ${t.errors ?? ''} |`);
  return lines.join('\n') + '\n';
}
