/** Agent mode shapes and the pure logic around them (no vscode import: unit-tested). */

/** `byok/agent/step` (DESIGN.md, "Chat context and agent mode"). */
export interface AgentStep {
  chatId: string;
  step: number;
  callId?: string;
  tool: string;
  arguments: Record<string, unknown>;
  status: 'running' | 'done' | 'rejected' | 'error';
  result?: string;
}

/** `byok/agent/approve` params. */
export interface ApproveParams {
  chatId: string;
  tool: string;
  arguments: Record<string, unknown>;
  diff?: string;
}

export interface LspDiagnostic {
  uri: string;
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  severity: number;
  message: string;
  source?: string;
}

/** The file as it would be after the change, or undefined when it cannot be worked out
 * (the server checked the same: `oldText` occurs exactly once). */
export function proposedText(p: ApproveParams, current: string): string | undefined {
  if (p.tool === 'create_file') return String(p.arguments.content ?? '');
  const oldText = String(p.arguments.oldText ?? '');
  const newText = String(p.arguments.newText ?? '');
  const at = oldText ? current.indexOf(oldText) : -1;
  if (at < 0 || current.indexOf(oldText, at + 1) >= 0) return undefined;
  return current.slice(0, at) + newText + current.slice(at + oldText.length);
}

interface DiagnosticLike {
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  /** VS Code's DiagnosticSeverity: 0 error … 3 hint (LSP counts from 1). */
  severity: number;
  message: string;
  source?: string;
}

export function toLspDiagnostic(uri: string, d: DiagnosticLike): LspDiagnostic {
  const pos = (p: { line: number; character: number }) => ({ line: p.line, character: p.character });
  const out: LspDiagnostic = { uri, range: { start: pos(d.range.start), end: pos(d.range.end) }, severity: d.severity + 1, message: d.message };
  if (d.source) out.source = d.source;
  return out;
}

export interface Capabilities {
  tools?: boolean;
  agent?: boolean;
  multimodality?: boolean;
  clicks?: boolean;
}

/** Whether Agent mode can be offered for a model, and if not, why (shown on the toggle). */
export function agentAvailability(modelId: string | null | undefined, caps: Capabilities | undefined): { enabled: boolean; reason?: string } {
  if (!modelId) return { enabled: false, reason: 'Agent mode needs an active chat model.' };
  const missing = [caps?.tools ? '' : 'Tools', caps?.agent ? '' : 'Agent'].filter(Boolean);
  if (missing.length) {
    return { enabled: false, reason: `${modelId} is not marked for ${missing.join(' and ')}: turn ${missing.length > 1 ? 'them' : 'it'} on in Configure Providers to use Agent mode.` };
  }
  return { enabled: true };
}

/** One line for a step's arguments: `path: src/app.py, startLine: 3`; long values cut. */
export function describeArguments(args: Record<string, unknown>, max = 80): string {
  const parts = Object.entries(args).map(([k, v]) => {
    const text = typeof v === 'string' ? v : JSON.stringify(v);
    const oneLine = text.replace(/\s+/g, ' ');
    return `${k}: ${oneLine.length > max ? oneLine.slice(0, max - 1) + '…' : oneLine}`;
  });
  return parts.join(', ');
}

/** A result shown folded: longer than a few lines or a few hundred characters. */
export function isLongResult(text: string | undefined, lines = 6, chars = 400): boolean {
  if (!text) return false;
  return text.length > chars || text.split('\n').length > lines;
}

export const STATUS_LABEL: Record<AgentStep['status'], string> = {
  running: 'running…',
  done: 'done',
  rejected: 'rejected',
  error: 'failed',
};
