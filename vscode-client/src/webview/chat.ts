/**
 * Chat panel: conversations (stored by the host per workspace), model per conversation,
 * attachments (selection, files, images) as chips, streamed markdown answers with code actions,
 * errors with a way out. The pieces live in ./chat/*; this file wires them together.
 */
import type { Attachment, ChatAnswer, ChatSendParams, ChatToHost, ChatToWebview, ContextItem, Conversation, StoredMessage } from '../shared/chatTypes';
import { chatErrorActions, chatErrorHeadline, retryAfter } from '../shared/chatErrors';
import { turnTexts, wireHistory } from '../shared/chatHistory';
import { ChatStreams } from '../shared/deltas';
import { errorKind } from '../shared/errors';
import { modelsForTask, type ModelChoice } from '../shared/modelId';
import type { Active, Provider, RpcError } from '../shared/protocol';
import { agentAvailability } from '../shared/agent';
import { ModeToggle, type ChatMode } from './agentSteps';
import { AnswerView } from './chat/answer';
import { chip, renderChips, sameAttachment } from './chat/chips';
import { onCodeAction, onLinkClick } from './chat/codeBlocks';
import { renderHistory } from './chat/history';
import { FileMention } from './chat/mention';
import { byId, h } from './dom';
import { getState, onMessage, post as postAny, rpc, runCommand, setState } from './host';

const post = (m: ChatToHost | { type: 'chatStop'; chatId: string } | { type: 'ready' }): void => postAny(m as never);

interface Saved {
  conversation: Conversation;
  attachments: Attachment[];
}

function newConversation(modelId = ''): Conversation {
  const now = Date.now();
  return { id: `c-${now.toString(36)}-${Math.random().toString(36).slice(2, 8)}`, title: 'New chat', modelId, createdAt: now, updatedAt: now, messages: [] };
}

const saved = getState<Saved>();
let conv: Conversation = saved?.conversation ?? newConversation();
let attachments: Attachment[] = saved?.attachments ?? [];
let providers: Provider[] = [];
let active: Active | null = null;
let choices: ModelChoice[] = [];
let activeChat: string | null = null;
let chatCounter = 0;
let attachCounter = 0;
let view: AnswerView | null = null;
const streams = new ChatStreams();

// ---------------------------------------------------------------- layout

const app = byId('app');
const picker = h('select', { id: 'model', 'aria-label': 'Model for this conversation', 'aria-describedby': 'model-help' });
const modeSlot = h('span', { id: 'mode-slot', className: 'mode-slot' });
/** The running answer was asked for in Agent mode. */
let agentAnswer = false;
const modeToggle = new ModeToggle(conv.mode ?? 'ask', (mode: ChatMode) => {
  conv.mode = mode;
  persist();
});
modeSlot.append(modeToggle.element);
const modelHelp = h('span', { id: 'model-help', className: 'muted' });
const historyBtn = h('button', { id: 'history', type: 'button', className: 'secondary', 'aria-expanded': 'false', 'aria-controls': 'history-panel' }, 'History');
const newChatBtn = h('button', { id: 'new-chat', type: 'button', className: 'secondary' }, 'New Chat');
const historyPanel = h('section', { id: 'history-panel', 'aria-label': 'Conversations', hidden: true });
const transcript = h('div', { id: 'transcript', role: 'log', 'aria-live': 'polite', 'aria-label': 'Conversation', tabindex: '0' });
const warning = h('div', { id: 'fit-warning', role: 'alert', hidden: true });
const chips = h('div', { id: 'chips', className: 'chips', 'aria-label': 'Attached context', hidden: true });
const input = h('textarea', { id: 'input', rows: 3, placeholder: 'Ask the model… (Enter sends, Shift+Enter new line, @ attaches a file)' });
const attachFileBtn = h('button', { id: 'attach-file', type: 'button', className: 'secondary', title: 'Attach the active editor’s file' }, 'Attach File');
const attachImageBtn = h('button', { id: 'attach-image', type: 'button', className: 'secondary' }, 'Image');
const imagePicker = h('input', { id: 'image-input', type: 'file', accept: 'image/png,image/jpeg,image/gif,image/webp', hidden: true, 'aria-hidden': 'true', tabindex: '-1' });
const imageHelp = h('span', { id: 'image-help', className: 'muted small-text' });
const sendBtn = h('button', { id: 'send', type: 'submit', className: 'primary' }, 'Send');
const stopBtn = h('button', { id: 'stop', type: 'button', className: 'secondary', hidden: true }, 'Stop');
const mention = new FileMention(input, {
  query: (text, seq) => post({ type: 'listFiles', query: text, seq }),
  choose: (p) => post({ type: 'attachFile', path: p }),
});
const composer = h(
  'form',
  { id: 'composer', novalidate: true },
  chips,
  h('label', { for: 'input', className: 'sr-only' }, 'Message'),
  h('div', { className: 'input-wrap' }, input, mention.list),
  h('div', { className: 'composer-buttons' }, attachFileBtn, attachImageBtn, imagePicker, imageHelp, h('span', { className: 'spacer' }), sendBtn, stopBtn),
);

app.replaceChildren(
  h('header', { className: 'chat-header' }, h('label', { for: 'model' }, 'Model'), picker, modeSlot, modelHelp, h('span', { className: 'spacer' }), historyBtn, newChatBtn),
  historyPanel,
  transcript,
  warning,
  composer,
);
app.removeAttribute('aria-busy');

function persist(): void {
  setState<Saved>({ conversation: conv, attachments });
}

function saveConversation(): void {
  conv.updatedAt = Date.now();
  persist();
  if (conv.messages.length) post({ type: 'conversationSave', conversation: conv });
}

// ---------------------------------------------------------------- models

function modelChoice(modelId: string): ModelChoice | undefined {
  return choices.find((c) => c.modelId === modelId);
}

function effectiveModel(): string {
  return conv.modelId || active?.chat || '';
}

function providerName(id: string): string | undefined {
  const p = providers.find((x) => x.id === id);
  return p ? p.name || p.id : undefined;
}

function updateImageButton(): void {
  const c = modelChoice(effectiveModel());
  modeToggle.setAvailability(agentAvailability(effectiveModel() || null, c?.model.capabilities ?? undefined));
  const ok = !!c?.model.capabilities?.multimodality;
  attachImageBtn.disabled = !ok;
  const reason = c ? `${c.modelId} does not take images (no multimodality capability).` : 'Choose a chat model that takes images.';
  attachImageBtn.title = ok ? 'Attach an image (or paste / drop one into the message)' : reason;
  attachImageBtn.setAttribute('aria-label', ok ? 'Attach an image' : `Attach an image (unavailable: ${reason})`);
  imageHelp.textContent = ok || !c ? '' : 'Images: not supported by this model';
}

async function loadModels(): Promise<void> {
  try {
    const [p, a] = await Promise.all([rpc<{ providers: Provider[] }>('byok/providers/list'), rpc<Active>('byok/active/get')]);
    providers = p.providers ?? [];
    active = a;
    choices = modelsForTask(providers, 'chat');
    const activeLabel = a.chat ? `Active chat model (${a.chat})` : 'Active chat model (none set)';
    picker.replaceChildren(
      h('option', { value: '' }, activeLabel),
      ...choices.map((c) => h('option', { value: c.modelId }, `${c.model.name} — ${c.provider.name || c.provider.id}`)),
    );
    if (conv.modelId && !choices.some((c) => c.modelId === conv.modelId)) conv.modelId = '';
    picker.value = conv.modelId;
    modelHelp.textContent = choices.length ? '' : 'No chat models: add one in Configure Providers.';
  } catch (e) {
    modelHelp.textContent = `Models unavailable: ${(e as RpcError).message}`;
  }
  updateImageButton();
}

picker.addEventListener('change', () => {
  conv.modelId = picker.value;
  updateImageButton();
  persist();
  if (conv.messages.length) saveConversation();
});

// ---------------------------------------------------------------- attachments

function renderAttachments(): void {
  renderChips(chips, attachments, (a) => {
    attachments = attachments.filter((x) => x !== a);
    renderAttachments();
    persist();
    input.focus();
  });
}

function addAttachment(a: Attachment): void {
  const same = attachments.findIndex((x) => sameAttachment(x, a));
  if (same >= 0) attachments[same] = a;
  else attachments.push(a);
  warning.hidden = true;
  renderAttachments();
  persist();
}

function addImage(file: File): void {
  if (attachImageBtn.disabled) {
    showNotice(attachImageBtn.title);
    return;
  }
  const reader = new FileReader();
  reader.onload = () => addAttachment({ id: `img-${++attachCounter}`, kind: 'image', label: file.name || 'pasted image', text: String(reader.result) });
  reader.readAsDataURL(file);
}

attachFileBtn.addEventListener('click', () => post({ type: 'attachActiveFile' }));
attachImageBtn.addEventListener('click', () => imagePicker.click());
imagePicker.addEventListener('change', () => {
  for (const f of Array.from(imagePicker.files ?? [])) addImage(f);
  imagePicker.value = '';
});
input.addEventListener('paste', (ev) => {
  const files = Array.from(ev.clipboardData?.files ?? []).filter((f) => f.type.startsWith('image/'));
  if (!files.length) return;
  ev.preventDefault();
  files.forEach(addImage);
});
composer.addEventListener('dragover', (ev) => ev.preventDefault());
composer.addEventListener('drop', (ev) => {
  const files = Array.from(ev.dataTransfer?.files ?? []).filter((f) => f.type.startsWith('image/'));
  if (!files.length) return;
  ev.preventDefault();
  files.forEach(addImage);
});

function showNotice(text: string): void {
  warning.hidden = false;
  warning.className = 'notice';
  warning.replaceChildren(h('span', {}, text), h('button', { type: 'button', className: 'secondary small', onclick: () => (warning.hidden = true) }, 'Dismiss'));
}

// ---------------------------------------------------------------- transcript

function userBubble(m: StoredMessage): HTMLElement {
  const atts = m.attachments?.length ? h('div', { className: 'chips' }, ...m.attachments.map((a) => chip(a))) : null;
  return h('article', { className: 'msg user', 'aria-label': 'You' }, h('div', { className: 'role' }, 'You'), atts, h('div', { className: 'content' }, m.content));
}

function answerFor(m: StoredMessage): AnswerView {
  const v = new AnswerView();
  v.setReasoning(m.meta?.reasoning ?? '');
  for (const step of m.meta?.steps ?? []) v.agentStep(step);
  if (m.meta?.toolCalls?.length) v.setToolCalls(m.meta.toolCalls);
  v.setText(m.content, true);
  if (m.meta) v.setMeta(m.meta);
  if (m.meta?.stopped) v.root.dataset.stopped = 'true';
  v.root.dataset.done = 'true';
  return v;
}

function regenerateButton(): HTMLElement {
  return h('button', { type: 'button', className: 'secondary small regenerate', onclick: () => regenerate() }, 'Regenerate');
}

function scrollToEnd(): void {
  transcript.scrollTop = transcript.scrollHeight;
}

function renderConversation(): void {
  const nodes: HTMLElement[] = [];
  let lastAnswer: AnswerView | null = null;
  for (const m of conv.messages) {
    if (m.role === 'user') nodes.push(userBubble(m));
    else {
      lastAnswer = answerFor(m);
      nodes.push(lastAnswer.root);
    }
  }
  if (lastAnswer && conv.messages[conv.messages.length - 1]?.role === 'assistant') lastAnswer.actions.append(regenerateButton());
  if (!nodes.length) nodes.push(h('p', { className: 'muted empty-hint' }, 'Ask about your code. Select code and run “BYOK: Ask About Selection”, attach the active file, or type @ to attach a workspace file.'));
  transcript.replaceChildren(...nodes);
  picker.value = conv.modelId;
  updateImageButton();
  scrollToEnd();
}

onCodeAction(transcript, (req) => post({ type: 'codeAction', ...req }));
onLinkClick(transcript, (href) => post({ type: 'openLink', href }));
transcript.addEventListener('rendered', () => {
  if (activeChat) scrollToEnd();
});

// ---------------------------------------------------------------- sending

function setBusy(busy: boolean): void {
  sendBtn.disabled = busy;
  stopBtn.hidden = !busy;
  transcript.setAttribute('aria-busy', String(busy));
}

function contextItems(): ContextItem[] {
  const out: ContextItem[] = [];
  for (const m of conv.messages) {
    for (const a of m.attachments ?? []) {
      if (a.kind === 'image' || !a.uri) continue;
      const item: ContextItem = { kind: a.kind, uri: a.uri };
      if (a.range) item.range = a.range;
      if (a.kind === 'selection' && a.text != null) item.text = a.text;
      if (!out.some((o) => o.uri === item.uri && JSON.stringify(o.range ?? null) === JSON.stringify(item.range ?? null))) out.push(item);
    }
  }
  return out;
}

function wireMessages(): ChatSendParams['messages'] {
  return wireHistory(conv.messages, !!modelChoice(effectiveModel())?.model.capabilities?.multimodality);
}

/** Sends the conversation as it is (its last message is the user's). */
function dispatch(): void {
  view = new AnswerView();
  view.root.classList.add('streaming');
  view.root.dataset.deltas = '0';
  transcript.querySelectorAll('.regenerate').forEach((b) => b.remove());
  transcript.append(view.root);
  scrollToEnd();
  const chatId = `chat-${Date.now().toString(36)}-${++chatCounter}`;
  activeChat = chatId;
  streams.open(chatId);
  setBusy(true);
  const params: ChatSendParams = { messages: wireMessages(), chatId };
  if (conv.modelId) params.modelId = conv.modelId;
  agentAnswer = modeToggle.mode === 'agent';
  if (agentAnswer) params.mode = 'agent';
  const ctx = contextItems();
  if (ctx.length) params.context = ctx;
  post({ type: 'chatSend', chatId, params });
}

interface FitCheck {
  tokens: number;
  nCtx: number | null;
  estimated: boolean;
}

/** Asks the server whether the conversation plus attachments fits the model; null = can't tell. */
async function checkFit(text: string): Promise<FitCheck | null> {
  const texts = [...conv.messages.map((m) => m.content), ...turnTexts(conv.messages), text];
  let extra = 0;
  for (const a of [...attachments, ...conv.messages.flatMap((m) => m.attachments ?? [])]) if (a.kind !== 'image') extra += a.tokens ?? 0;
  try {
    const params: { texts: string[]; modelId?: string } = { texts };
    if (effectiveModel()) params.modelId = effectiveModel();
    const r = await rpc<{ tokens: number; nCtx: number | null; estimated: boolean }>('byok/tokens/count', params);
    return { tokens: r.tokens + extra, nCtx: r.nCtx, estimated: r.estimated };
  } catch {
    return null;
  }
}

function largestAttachment(): Attachment | undefined {
  return [...attachments].filter((a) => a.kind !== 'image').sort((a, b) => (b.tokens ?? 0) - (a.tokens ?? 0))[0];
}

function dropOldestTurn(): boolean {
  // A turn = a user message and the answer after it; the newest turn is kept.
  const firstAnswer = conv.messages.findIndex((m, i) => i > 0 && m.role === 'user');
  if (firstAnswer <= 0) return false;
  conv.messages.splice(0, firstAnswer);
  renderConversation();
  saveConversation();
  return true;
}

function showFitWarning(fit: FitCheck, text: string): void {
  warning.className = 'fit-warning';
  warning.hidden = false;
  const largest = largestAttachment();
  const approx = fit.estimated ? 'about ' : '';
  warning.replaceChildren(
    h('p', {}, `This message needs ${approx}${fit.tokens.toLocaleString('en-US')} tokens, more than the model’s context window of ${(fit.nCtx ?? 0).toLocaleString('en-US')}.`),
    h(
      'div',
      { className: 'warning-actions' },
      conv.messages.length >= 2 ? h('button', { type: 'button', className: 'secondary', id: 'drop-oldest', onclick: () => (dropOldestTurn(), void trySend(text)) }, 'Drop Oldest Turns') : null,
      largest
        ? h('button', { type: 'button', className: 'secondary', id: 'drop-largest', onclick: () => ((attachments = attachments.filter((a) => a !== largest)), renderAttachments(), void trySend(text)) }, `Drop ${largest.label}`)
        : null,
      h('button', { type: 'button', className: 'secondary', id: 'send-anyway', onclick: () => send(text) }, 'Send Anyway'),
      h('button', { type: 'button', className: 'secondary', onclick: () => ((warning.hidden = true), input.focus()) }, 'Cancel'),
    ),
  );
  (warning.querySelector('button') as HTMLButtonElement | null)?.focus();
}

async function trySend(textArg?: string): Promise<void> {
  const text = (textArg ?? input.value).trim();
  if ((!text && !attachments.length) || activeChat) return;
  warning.hidden = true;
  const fit = await checkFit(text);
  // The server's own check: a few tokens per message and room for a short answer.
  const overhead = 4 * (conv.messages.length + 1) + 16;
  if (fit?.nCtx && fit.tokens + overhead > fit.nCtx) {
    showFitWarning(fit, text);
    return;
  }
  send(text);
}

function send(text: string): void {
  if (activeChat) return;
  warning.hidden = true;
  input.value = '';
  mention.close();
  // A question that got no answer (an error) is replaced by the new one.
  if (conv.messages[conv.messages.length - 1]?.role === 'user') conv.messages.pop();
  const m: StoredMessage = { role: 'user', content: text };
  if (attachments.length) m.attachments = attachments;
  attachments = [];
  renderAttachments();
  conv.messages.push(m);
  if (conv.messages.length === 1) conv.title = 'New chat';
  renderConversation();
  saveConversation();
  dispatch();
}

function regenerate(): void {
  if (activeChat) return;
  if (conv.messages[conv.messages.length - 1]?.role === 'assistant') conv.messages.pop();
  if (conv.messages[conv.messages.length - 1]?.role !== 'user') return;
  renderConversation();
  dispatch();
}

function retry(): void {
  if (activeChat || conv.messages[conv.messages.length - 1]?.role !== 'user') return;
  transcript.querySelectorAll('.msg.error').forEach((e) => e.remove());
  dispatch();
}

function stop(): void {
  if (activeChat) post({ type: 'chatStop', chatId: activeChat });
}

function finish(chatId: string): void {
  streams.close(chatId);
  // A question the loop no longer waits for (stopped, failed) must not stay clickable.
  view?.root.querySelectorAll('.step-approval').forEach((e) => e.remove());
  if (activeChat === chatId) activeChat = null;
  view?.root.classList.remove('streaming');
  setBusy(false);
  input.focus();
}

function errorBubble(err: RpcError): HTMLElement {
  const kind = errorKind(err);
  const wait = retryAfter(err);
  const box = h(
    'div',
    { className: 'msg error', role: 'alert', 'data-kind': kind ?? '' },
    h('div', { className: 'error-headline' }, chatErrorHeadline(err, providerName)),
    h('div', { className: 'content' }, err.message),
    wait ? h('div', { className: 'muted' }, `The provider asks to wait ${wait} s before retrying.`) : null,
  );
  const actions = h('div', { className: 'error-actions' });
  for (const a of chatErrorActions(kind)) {
    const onclick = (): void => {
      if ('command' in a) runCommand(a.command);
      else if (a.local === 'retry') retry();
      else if (a.local === 'switchModel') post({ type: 'pickModel', retry: true });
      else if (a.local === 'dropOldest') {
        if (dropOldestTurn()) retry();
      }
    };
    actions.append(h('button', { type: 'button', className: 'secondary', 'data-action': 'command' in a ? a.command : a.local, onclick }, a.label));
  }
  box.append(actions);
  return box;
}

onMessage((raw) => {
  const msg = raw as unknown as ChatToWebview | { type: string; [k: string]: unknown };
  switch (msg.type) {
    case 'chatDelta': {
      const delta = (raw as Extract<typeof raw, { type: 'chatDelta' }>).delta;
      if (delta.chatId !== activeChat || !view) return;
      if (!streams.push(delta).length) return;
      const a = streams.get(delta.chatId);
      if (!a) return;
      view.setText(a.text);
      view.setReasoning(a.reasoning);
      // Agent mode: the server runs the calls, shown as steps (agentStep), not as raw calls.
      if (a.toolCalls.length && !agentAnswer) view.setToolCalls(a.toolCalls);
      const d = delta as typeof delta & { modelId?: string; fallback?: boolean };
      if (d.fallback && d.modelId) view.setMeta({ modelId: d.modelId, fallback: true });
      view.root.dataset.deltas = String(a.expectedIndex);
      break;
    }
    case 'chatDone': {
      const { chatId, result } = raw as Extract<typeof raw, { type: 'chatDone' }>;
      if (chatId !== activeChat || !view) return;
      const r = result as ChatAnswer;
      const a = streams.get(chatId);
      const text = r.content ?? a?.text ?? '';
      view.setText(text, true);
      view.setReasoning(r.reasoning ?? a?.reasoning ?? '');
      const calls = agentAnswer ? [] : r.toolCalls ?? a?.toolCalls ?? [];
      if (calls.length) view.setToolCalls(calls);
      const meta = {
        modelId: r.modelId,
        inputTokens: r.usage?.inputTokens,
        outputTokens: r.usage?.outputTokens,
        costUsd: r.costUsd,
        fallback: !!r.fallback,
        finishReason: r.finishReason,
        reasoning: r.reasoning ?? a?.reasoning ?? undefined,
        toolCalls: calls.length ? calls : undefined,
        steps: view.steps.length ? view.steps.slice() : undefined,
        turns: agentAnswer && r.messages?.length ? r.messages : undefined,
      };
      view.setMeta(meta);
      view.root.dataset.done = 'true';
      view.actions.append(regenerateButton());
      conv.messages.push({ role: 'assistant', content: text, meta });
      saveConversation();
      finish(chatId);
      break;
    }
    case 'chatError': {
      const { chatId, error } = raw as Extract<typeof raw, { type: 'chatError' }>;
      if (chatId !== activeChat || !view) return;
      const cancelled = error.code === -32800 || errorKind(error) === 'cancelled';
      const a = streams.get(chatId);
      const partial = a?.text ?? '';
      if (cancelled) {
        view.setMeta({ stopped: true });
        view.root.dataset.stopped = 'true';
        if (partial) {
          conv.messages.push({ role: 'assistant', content: partial, meta: { stopped: true, reasoning: a?.reasoning || undefined } });
          view.actions.append(regenerateButton());
        } else view.root.classList.add('empty');
      } else {
        if (!partial) view.root.remove();
        else view.root.dataset.broken = 'true';
        transcript.append(errorBubble(error));
      }
      saveConversation();
      finish(chatId);
      scrollToEnd();
      break;
    }
    case 'attach': {
      const m = msg as Extract<ChatToWebview, { type: 'attach' }>;
      addAttachment(m.attachment);
      if (m.focus) input.focus();
      break;
    }
    case 'files': {
      const m = msg as Extract<ChatToWebview, { type: 'files' }>;
      mention.show(m.seq, m.paths);
      break;
    }
    case 'modelPicked': {
      const m = msg as Extract<ChatToWebview, { type: 'modelPicked' }>;
      conv.modelId = m.modelId;
      picker.value = m.modelId;
      updateImageButton();
      persist();
      if (m.retry) retry();
      break;
    }
    case 'conversations': {
      const m = msg as Extract<ChatToWebview, { type: 'conversations' }>;
      renderHistory(historyPanel, m.items, conv.id, {
        open: (id) => post({ type: 'conversationOpen', id }),
        remove: (id) => {
          post({ type: 'conversationDelete', id });
          if (id === conv.id) startNewChat();
        },
      });
      historyBtn.textContent = `History (${m.items.length})`;
      break;
    }
    case 'conversation': {
      const m = msg as Extract<ChatToWebview, { type: 'conversation' }>;
      if (activeChat) stop();
      conv = m.conversation;
      modeToggle.set(conv.mode ?? 'ask');
      persist();
      renderConversation();
      toggleHistory(false);
      break;
    }
    case 'notice':
      showNotice((msg as Extract<ChatToWebview, { type: 'notice' }>).text);
      break;
    case 'agentStep': {
      const { step } = msg as Extract<ChatToWebview, { type: 'agentStep' }>;
      if (step.chatId === activeChat && view) view.agentStep(step);
      break;
    }
    case 'approveCommand': {
      const q = msg as Extract<ChatToWebview, { type: 'approveCommand' }>;
      const answer = (approved: boolean) => post({ type: 'approveAnswer', id: q.id, approved });
      // Not this panel's running answer (it was stopped or the panel reloaded): nothing to ask.
      if (q.chatId !== activeChat || !view) return answer(false);
      view.askCommand(q, answer).focus();
      scrollToEnd();
      break;
    }
    case 'configChanged':
      void loadModels();
      break;
    case 'serverState': {
      const m = raw as Extract<typeof raw, { type: 'serverState' }>;
      if (m.running) void loadModels();
      else modelHelp.textContent = m.message ?? 'The byok-ls server is not running.';
      break;
    }
  }
});

function startNewChat(): void {
  if (activeChat) stop();
  conv = newConversation(conv.modelId);
  attachments = [];
  renderAttachments();
  persist();
  renderConversation();
  post({ type: 'conversationsList' });
  input.focus();
}

function toggleHistory(show = historyPanel.hidden): void {
  historyPanel.hidden = !show;
  historyBtn.setAttribute('aria-expanded', String(show));
  if (show) post({ type: 'conversationsList' });
}

newChatBtn.addEventListener('click', () => startNewChat());
historyBtn.addEventListener('click', () => toggleHistory());
stopBtn.addEventListener('click', () => stop());
composer.addEventListener('submit', (ev) => {
  ev.preventDefault();
  void trySend();
});
input.addEventListener('keydown', (ev) => {
  if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing && !mention.open) {
    ev.preventDefault();
    void trySend();
  }
  if (ev.key === 'Escape' && activeChat) stop();
});

renderAttachments();
renderConversation();
post({ type: 'ready' });
post({ type: 'conversationsList' });
void loadModels();
input.focus();
