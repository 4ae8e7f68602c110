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

  /** Asks, on the running `run_command` step, whether to run the command; ``answer`` gets
   * the click. The step's next update (done or rejected) replaces the question. */
  askCommand(q: CommandQuestion, answer: (approved: boolean) => void): HTMLElement {
    const steps = [...this.items.values()].filter((e) => e.dataset.tool === 'run_command' && e.dataset.status === 'running' && !e.querySelector('.step-approval'));
    let host = steps[steps.length - 1];
    if (!host) {
      host = renderStep({ chatId: q.chatId, step: 0, tool: 'run_command', arguments: { command: q.command }, status: 'running' });
      this.element.append(host);
    }
    const box = renderCommandQuestion(q, (approved) => {
      box.replaceChildren(h('p', { className: 'approval-answer', role: 'status' }, approved ? 'Approved: running…' : 'Rejected: the command will not run.'));
      answer(approved);
    });
    host.append(box);
    return box;
  }
}

export interface CommandQuestion {
  chatId: string;
  command: string;
  /** The folder the command runs in. */
  cwd: string;
}

/** The command (exactly as it will run) with Run and Reject buttons, labelled with it. */
function renderCommandQuestion(q: CommandQuestion, decide: (approved: boolean) => void): HTMLElement {
  const button = (approved: boolean, label: string, cls: string) =>
    h('button', { type: 'button', className: cls, 'aria-label': `${label} command: ${q.command}`, onclick: () => decide(approved) }, label);
  return h(
    'div',
    { className: 'step-approval', role: 'group', tabindex: '-1', 'aria-label': 'Approve command' },
    h('p', {}, q.cwd ? `Run this command in ${q.cwd}?` : 'Run this command?'),
    h('pre', { className: 'approval-command' }, h('code', {}, q.command)),
    h('div', { className: 'approval-actions' }, button(true, 'Run', 'approve-run'), ' ', button(false, 'Reject', 'secondary approve-reject')),
  );
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
