/** One assistant answer: Thinking (collapsed), tool steps, markdown body, meta line, actions. */
import type { AgentStep } from '../../shared/agent';
import type { AnswerMeta } from '../../shared/chatTypes';
import { StepList, type CommandQuestion } from '../agentSteps';
import { h } from '../dom';
import { decorateCodeBlocks } from './codeBlocks';
import { renderMarkdown } from './markdown';

export interface ToolStep {
  step?: number;
  tool: string;
  arguments?: unknown;
  status?: string;
  result?: unknown;
}

function money(v: number): string {
  return `$${v.toFixed(v < 0.01 ? 5 : v < 1 ? 4 : 2)}`;
}

export function metaText(m: AnswerMeta): string {
  const bits: string[] = [];
  if (m.modelId) bits.push(m.modelId);
  if (m.fallback) bits.push('fallback');
  if (m.inputTokens != null || m.outputTokens != null) bits.push(`${m.inputTokens ?? '?'} in / ${m.outputTokens ?? '?'} out tokens`);
  if (m.costUsd != null) bits.push(money(m.costUsd));
  if (m.finishReason && m.finishReason !== 'stop' && m.finishReason !== 'tool_calls') bits.push(`finish: ${m.finishReason}`);
  if (m.stopped) bits.push('Stopped.');
  return bits.join(' · ');
}

function pretty(v: unknown): string {
  if (typeof v === 'string') {
    try {
      return JSON.stringify(JSON.parse(v), null, 2);
    } catch {
      return v;
    }
  }
  return JSON.stringify(v, null, 2) ?? '';
}

export class AnswerView {
  readonly root: HTMLElement;
  readonly content = h('div', { className: 'content markdown' });
  private readonly thinking: HTMLDetailsElement;
  private readonly thinkingText = h('div', { className: 'reasoning-text' });
  /** Tool calls and agent steps go here (agent mode plugs into addToolStep). */
  readonly tools = h('div', { className: 'tool-steps', hidden: true });
  readonly meta = h('div', { className: 'meta muted' });
  readonly fallbackNote = h('div', { className: 'fallback-note', hidden: true, role: 'note' });
  readonly actions = h('div', { className: 'answer-actions' });
  private text = '';
  private pending = 0;
  private stepList: StepList | undefined;
  readonly steps: AgentStep[] = [];

  constructor(label = 'Assistant') {
    this.thinking = h('details', { className: 'reasoning', hidden: true }, h('summary', {}, 'Thinking'), this.thinkingText);
    this.root = h('article', { className: 'msg assistant', 'aria-label': label }, h('div', { className: 'role' }, label), this.fallbackNote, this.thinking, this.tools, this.content, this.meta, this.actions);
  }

  /** Renders markdown at most once per frame while streaming; `now` renders at once. */
  setText(text: string, now = false): void {
    this.text = text;
    if (now) {
      if (this.pending) cancelAnimationFrame(this.pending);
      this.pending = 0;
      this.render();
      return;
    }
    if (this.pending) return;
    this.pending = requestAnimationFrame(() => {
      this.pending = 0;
      this.render();
    });
  }

  private render(): void {
    this.content.replaceChildren(renderMarkdown(this.text));
    decorateCodeBlocks(this.content);
    this.root.dispatchEvent(new CustomEvent('rendered', { bubbles: true }));
  }

  get markdown(): string {
    return this.text;
  }

  setReasoning(text: string): void {
    if (!text) return;
    this.thinking.hidden = false;
    this.thinkingText.textContent = text;
  }

  setToolCalls(calls: unknown[]): void {
    const merged = new Map<number, { name: string; arguments: string }>();
    for (const [i, raw] of calls.entries()) {
      const c = raw as { index?: number; name?: string; arguments?: string; function?: { name?: string; arguments?: string } };
      const idx = typeof c.index === 'number' ? c.index : i;
      const cur = merged.get(idx) ?? { name: '', arguments: '' };
      cur.name = c.name ?? c.function?.name ?? cur.name;
      cur.arguments += c.arguments ?? c.function?.arguments ?? '';
      merged.set(idx, cur);
    }
    this.tools.querySelectorAll('.tool-call').forEach((e) => e.remove());
    for (const c of merged.values()) this.addToolStep({ tool: c.name || 'tool', arguments: c.arguments, status: 'call' });
  }

  /** A `byok/agent/step` of this answer: shown in order, updated in place when it finishes. */
  agentStep(step: AgentStep): void {
    this.steplist().update(step);
    const i = this.steps.findIndex((s) => s.step === step.step && (s.callId ?? s.tool) === (step.callId ?? step.tool));
    if (i >= 0) this.steps[i] = step;
    else this.steps.push(step);
  }

  /** `run_command` waiting for the user: Run / Reject on its step. */
  askCommand(q: CommandQuestion, answer: (approved: boolean) => void): HTMLElement {
    return this.steplist().askCommand(q, answer);
  }

  private steplist(): StepList {
    if (!this.stepList) {
      this.stepList = new StepList();
      this.tools.append(this.stepList.element);
    }
    this.tools.hidden = false;
    return this.stepList;
  }

  addToolStep(s: ToolStep): void {
    this.tools.hidden = false;
    const body = h('div', { className: 'tool-body' }, h('div', { className: 'muted' }, 'Arguments'), h('pre', { className: 'tool-args' }, pretty(s.arguments ?? {})));
    if (s.result !== undefined) body.append(h('div', { className: 'muted' }, 'Result'), h('pre', { className: 'tool-result' }, pretty(s.result)));
    const status = s.status ? ` — ${s.status}` : '';
    this.tools.append(h('details', { className: 'tool-call', 'data-tool': s.tool, 'data-status': s.status ?? '' }, h('summary', {}, `Tool: ${s.tool}${status}`), body));
  }

  setMeta(m: AnswerMeta): void {
    this.meta.textContent = metaText(m);
    if (m.fallback && m.modelId) {
      this.fallbackNote.hidden = false;
      this.fallbackNote.textContent = `Answered by the fallback model ${m.modelId}: the active model was unavailable.`;
    }
  }
}
