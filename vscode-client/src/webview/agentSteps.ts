/** Agent mode in the chat panel: the Ask/Agent toggle and the steps of a running loop
 * (tool, arguments, result folded when long, what the user approved or rejected). */
import { describeArguments, isLongResult, STATUS_LABEL, type AgentStep } from '../shared/agent';
import { h } from './dom';

export type ChatMode = 'ask' | 'agent';

/** Two radio buttons; Agent is disabled, with the reason next to it, for models without
 * the Tools and Agent capabilities. */
export class ModeToggle {
  readonly element: HTMLElement;
  private readonly ask: HTMLInputElement;
  private readonly agent: HTMLInputElement;
  private readonly reason: HTMLElement;

  constructor(initial: ChatMode, onChange: (mode: ChatMode) => void) {
    const radio = (value: ChatMode, label: string) => {
      const input = h('input', { type: 'radio', name: 'chat-mode', id: `mode-${value}`, value, checked: initial === value });
      input.addEventListener('change', () => input.checked && onChange(value));
      return { input, label: h('label', { for: `mode-${value}` }, input, ` ${label}`) };
    };
    const ask = radio('ask', 'Ask');
    const agent = radio('agent', 'Agent');
    this.ask = ask.input;
    this.agent = agent.input;
    this.reason = h('span', { id: 'mode-reason', className: 'muted' });
    this.element = h('fieldset', { id: 'chat-mode', className: 'chat-mode', 'aria-describedby': 'mode-reason' }, h('legend', { className: 'sr-only' }, 'Mode'), ask.label, agent.label, this.reason);
  }

  /** Shows a conversation's own mode (Ask when Agent is unavailable). */
  set(mode: ChatMode): void {
    if (mode === 'agent' && !this.agent.disabled) this.agent.checked = true;
    else this.ask.checked = true;
  }

  get mode(): ChatMode {
    return this.agent.checked && !this.agent.disabled ? 'agent' : 'ask';
  }

  setAvailability(a: { enabled: boolean; reason?: string }): void {
    this.agent.disabled = !a.enabled;
    this.agent.title = a.reason ?? '';
    this.reason.textContent = a.enabled ? '' : a.reason ?? '';
    if (!a.enabled && this.agent.checked) this.ask.checked = true;
  }
}

/** The steps of one answer, updated in place as `running` turns into its outcome. */
export class StepList {
  readonly element = h('ol', { className: 'agent-steps', 'aria-label': 'Agent steps' });
  private readonly items = new Map<string, HTMLElement>();

  update(step: AgentStep): void {
    const key = `${step.step}:${step.callId ?? step.tool}`;
    const item = renderStep(step);
    const old = this.items.get(key);
    if (old) old.replaceWith(item);
    else this.element.append(item);
    this.items.set(key, item);
  }

  get size(): number {
    return this.items.size;
  }
}

export function renderStep(step: AgentStep): HTMLElement {
  const status = h('span', { className: `step-status status-${step.status}` }, STATUS_LABEL[step.status] ?? step.status);
  const head = h('div', { className: 'step-head' }, h('code', { className: 'step-tool' }, step.tool), ' ', h('span', { className: 'step-args' }, describeArguments(step.arguments)), ' ', status);
  const children: HTMLElement[] = [head];
  if (step.result !== undefined) {
    const body = h('pre', { className: 'step-result' }, step.result);
    if (isLongResult(step.result)) {
      const lines = step.result.split('\n').length;
      children.push(h('details', { className: 'step-details' }, h('summary', {}, `Result (${lines} lines)`), body));
    } else {
      children.push(body);
    }
  }
  return h('li', { className: `agent-step step-${step.status}`, 'data-tool': step.tool, 'data-status': step.status }, ...children);
}
