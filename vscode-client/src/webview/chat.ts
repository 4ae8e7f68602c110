/** Chat panel: model picker, streamed answers (byok/chat/delta), reasoning collapsed, Stop. */
import { ChatStreams } from '../shared/deltas';
import { errorActions, errorKind } from '../shared/errors';
import { modelsForTask } from '../shared/modelId';
import type { Active, ChatMessage, ChatResult, Provider, RpcError } from '../shared/protocol';
import { byId, h } from './dom';
import { getState, onMessage, post, rpc, runCommand, setState } from './host';

interface Saved {
  history: ChatMessage[];
  modelId: string;
}

const saved = getState<Saved>();
const history: ChatMessage[] = saved?.history ?? [];
let chosenModel = saved?.modelId ?? '';
let activeChat: string | null = null;
let chatCounter = 0;
const streams = new ChatStreams();

const app = byId('app');
const picker = h('select', { id: 'model', 'aria-describedby': 'model-help' });
const modelHelp = h('span', { id: 'model-help', className: 'muted' });
const transcript = h('div', { id: 'transcript', role: 'log', 'aria-live': 'polite', 'aria-label': 'Conversation' });
const input = h('textarea', { id: 'input', rows: 3, placeholder: 'Ask the model… (Enter sends, Shift+Enter for a new line)' });
const sendBtn = h('button', { id: 'send', type: 'submit', className: 'primary' }, 'Send');
const stopBtn = h('button', { id: 'stop', type: 'button', className: 'secondary', hidden: true, onclick: () => stop() }, 'Stop');
const composer = h(
  'form',
  { id: 'composer', novalidate: true },
  h('label', { for: 'input', className: 'sr-only' }, 'Message'),
  input,
  h('div', { className: 'composer-buttons' }, sendBtn, stopBtn),
);

app.replaceChildren(
  h(
    'header',
    { className: 'chat-header' },
    h('label', { for: 'model' }, 'Model'),
    picker,
    modelHelp,
    h('button', { id: 'new-chat', type: 'button', className: 'secondary', onclick: () => newChat() }, 'New Chat'),
  ),
  transcript,
  composer,
);
app.removeAttribute('aria-busy');

function persist(): void {
  setState<Saved>({ history, modelId: chosenModel });
}

// ---------------------------------------------------------------- model picker

async function loadModels(): Promise<void> {
  try {
    const [p, a] = await Promise.all([rpc<{ providers: Provider[] }>('byok/providers/list'), rpc<Active>('byok/active/get')]);
    const choices = modelsForTask(p.providers ?? [], 'chat');
    const activeLabel = a.chat ? `Active chat model (${a.chat})` : 'Active chat model (none set)';
    picker.replaceChildren(
      h('option', { value: '' }, activeLabel),
      ...choices.map((c) => h('option', { value: c.modelId }, `${c.model.name} — ${c.provider.name || c.provider.id}`)),
    );
    if (chosenModel && !choices.some((c) => c.modelId === chosenModel)) chosenModel = '';
    picker.value = chosenModel;
    modelHelp.textContent = choices.length ? '' : 'No chat models: add one in Configure Providers.';
  } catch (e) {
    modelHelp.textContent = `Models unavailable: ${(e as RpcError).message}`;
  }
}

picker.addEventListener('change', () => {
  chosenModel = picker.value;
  persist();
});

// ---------------------------------------------------------------- transcript

function userBubble(text: string): HTMLElement {
  return h('article', { className: 'msg user', 'aria-label': 'You' }, h('div', { className: 'role' }, 'You'), h('div', { className: 'content' }, text));
}

interface AssistantView {
  root: HTMLElement;
  content: HTMLElement;
  reasoning: HTMLDetailsElement;
  reasoningText: HTMLElement;
  meta: HTMLElement;
}

function assistantBubble(text = '', reasoning = ''): AssistantView {
  const reasoningText = h('div', { className: 'reasoning-text' }, reasoning);
  const reasoningBox = h('details', { className: 'reasoning', hidden: !reasoning }, h('summary', {}, 'Reasoning'), reasoningText);
  const content = h('div', { className: 'content' }, text);
  const meta = h('div', { className: 'meta muted' });
  const root = h('article', { className: 'msg assistant', 'aria-label': 'Assistant' }, h('div', { className: 'role' }, 'Assistant'), reasoningBox, content, meta);
  return { root, content, reasoning: reasoningBox, reasoningText, meta };
}

function errorBubble(err: RpcError): HTMLElement {
  const kind = errorKind(err);
  return h(
    'div',
    { className: 'msg error', role: 'alert', 'data-kind': kind ?? '' },
    h('div', { className: 'content' }, err.message),
    h(
      'div',
      { className: 'error-actions' },
      ...errorActions(kind).map((a) => h('button', { type: 'button', className: 'secondary', onclick: () => runCommand(a.command) }, a.label)),
    ),
  );
}

function scrollToEnd(): void {
  transcript.scrollTop = transcript.scrollHeight;
}

function renderHistory(): void {
  transcript.replaceChildren(...history.map((m) => (m.role === 'user' ? userBubble(m.content) : assistantBubble(m.content).root)));
  scrollToEnd();
}

function newChat(): void {
  if (activeChat) stop();
  history.length = 0;
  persist();
  renderHistory();
  input.focus();
}

// ---------------------------------------------------------------- sending

let view: AssistantView | null = null;

function setBusy(busy: boolean): void {
  sendBtn.disabled = busy;
  stopBtn.hidden = !busy;
  transcript.setAttribute('aria-busy', String(busy));
}

function send(): void {
  const text = input.value.trim();
  if (!text || activeChat) return;
  input.value = '';
  history.push({ role: 'user', content: text });
  persist();
  transcript.append(userBubble(text));
  view = assistantBubble();
  view.root.classList.add('streaming');
  view.root.dataset.deltas = '0';
  transcript.append(view.root);
  scrollToEnd();
  const chatId = `chat-${Date.now().toString(36)}-${++chatCounter}`;
  activeChat = chatId;
  streams.open(chatId);
  setBusy(true);
  const params: { messages: ChatMessage[]; chatId: string; modelId?: string } = { messages: history.slice(), chatId };
  if (chosenModel) params.modelId = chosenModel;
  post({ type: 'chatSend', chatId, params });
}

function stop(): void {
  if (activeChat) post({ type: 'chatStop', chatId: activeChat });
}

function finish(chatId: string): void {
  streams.close(chatId);
  if (activeChat === chatId) activeChat = null;
  view?.root.classList.remove('streaming');
  setBusy(false);
  input.focus();
}

onMessage((msg) => {
  switch (msg.type) {
    case 'chatDelta': {
      if (msg.delta.chatId !== activeChat || !view) return;
      const ready = streams.push(msg.delta);
      if (!ready.length) return;
      const a = streams.get(msg.delta.chatId);
      if (!a) return;
      view.content.textContent = a.text;
      if (a.reasoning) {
        view.reasoning.hidden = false;
        view.reasoningText.textContent = a.reasoning;
      }
      view.root.dataset.deltas = String(a.expectedIndex);
      scrollToEnd();
      break;
    }
    case 'chatDone': {
      if (msg.chatId !== activeChat || !view) return;
      const r: ChatResult = msg.result;
      const a = streams.get(msg.chatId);
      const text = r.content ?? a?.text ?? '';
      if (text !== view.content.textContent) view.content.textContent = text;
      const reasoning = r.reasoning ?? a?.reasoning ?? '';
      if (reasoning) {
        view.reasoning.hidden = false;
        view.reasoningText.textContent = reasoning;
      }
      const bits = [r.modelId ?? ''];
      if (r.usage) bits.push(`${r.usage.inputTokens ?? '?'} in / ${r.usage.outputTokens ?? '?'} out tokens`);
      if (r.finishReason && r.finishReason !== 'stop') bits.push(`finish: ${r.finishReason}`);
      view.meta.textContent = bits.filter(Boolean).join(' · ');
      view.root.dataset.done = 'true';
      history.push({ role: 'assistant', content: text });
      persist();
      finish(msg.chatId);
      break;
    }
    case 'chatError': {
      if (msg.chatId !== activeChat || !view) return;
      const cancelled = msg.error.code === -32800 || errorKind(msg.error) === 'cancelled';
      const partial = streams.get(msg.chatId)?.text ?? '';
      if (cancelled) {
        view.meta.textContent = 'Stopped.';
        view.root.dataset.stopped = 'true';
        if (partial) history.push({ role: 'assistant', content: partial });
        else view.root.classList.add('empty');
      } else {
        if (!partial) view.root.remove();
        transcript.append(errorBubble(msg.error));
        // Drop the unanswered question so a retry does not send it twice.
        const last = history[history.length - 1];
        if (last?.role === 'user') {
          history.pop();
          input.value = last.content;
        }
      }
      persist();
      finish(msg.chatId);
      scrollToEnd();
      break;
    }
    case 'configChanged':
      void loadModels();
      break;
    case 'serverState':
      if (msg.running) void loadModels();
      else modelHelp.textContent = msg.message ?? 'The byok-ls server is not running.';
      break;
  }
});

composer.addEventListener('submit', (ev) => {
  ev.preventDefault();
  send();
});
input.addEventListener('keydown', (ev) => {
  if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
    ev.preventDefault();
    send();
  }
  if (ev.key === 'Escape' && activeChat) stop();
});

renderHistory();
post({ type: 'ready' });
void loadModels();
input.focus();
