/** Client-only shapes of the chat panel: attachments, stored conversations, panel messages. */
import type { AgentStep } from './agent';
import type { ChatMessageParams, ChatResult } from './protocol';

export interface LspRange {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

/** One `context` item of `byok/chat` (DESIGN.md, "Chat context and agent mode"). */
export interface ContextItem {
  kind: 'selection' | 'file';
  uri: string;
  range?: LspRange;
  text?: string;
}

/** An attachment as the panel shows it: a chip with a label and its token count. */
export interface Attachment {
  id: string;
  kind: 'selection' | 'file' | 'image';
  label: string;
  /** file/selection: the document; image: none. */
  uri?: string;
  range?: LspRange;
  /** selection text; for images a data: URL. */
  text?: string;
  tokens?: number;
  estimated?: boolean;
}

export interface ContentPart {
  type: 'text' | 'image_url';
  text?: string;
  image_url?: { url: string };
}

/** What a stored assistant answer shows under it. */
export interface AnswerMeta {
  modelId?: string | null;
  inputTokens?: number;
  outputTokens?: number;
  costUsd?: number | null;
  fallback?: boolean;
  finishReason?: string | null;
  stopped?: boolean;
  reasoning?: string;
  toolCalls?: unknown[];
  /** Agent mode: the steps the loop ran. */
  steps?: AgentStep[];
  /** Agent mode: the assistant tool-call turns and tool results the loop added (the
   * result's `messages`), sent again before this answer with the next question. */
  turns?: ChatMessageParams[];
}

export interface StoredMessage {
  role: 'user' | 'assistant';
  content: string;
  /** user: what was attached (labels and token counts; images keep their data URL). */
  attachments?: Attachment[];
  meta?: AnswerMeta;
}

export interface Conversation {
  id: string;
  title: string;
  modelId: string;
  mode?: 'ask' | 'agent';
  createdAt: number;
  updatedAt: number;
  messages: StoredMessage[];
}

export interface ConversationSummary {
  id: string;
  title: string;
  updatedAt: number;
  messages: number;
}

export type CodeAction = 'copy' | 'insert' | 'apply';

/** One `byok/chat` message as the panel sends it (tool turns keep their call ids). */
export interface WireMessage {
  role: string;
  content: string | ContentPart[] | ChatMessageParams['content'];
  toolCalls?: ChatMessageParams['toolCalls'];
  toolCallId?: ChatMessageParams['toolCallId'];
}

export interface ChatSendParams {
  messages: WireMessage[];
  modelId?: string;
  chatId?: string;
  context?: ContextItem[];
  mode?: 'ask' | 'agent';
}

/** Chat-panel messages webview -> extension host (besides the common ones in protocol.ts). */
export type ChatToHost =
  | { type: 'chatSend'; chatId: string; params: ChatSendParams }
  | { type: 'codeAction'; action: CodeAction; code: string; lang?: string; file?: string }
  | { type: 'openLink'; href: string }
  | { type: 'attachActiveFile' }
  | { type: 'attachFile'; path: string }
  | { type: 'listFiles'; query: string; seq: number }
  | { type: 'countTokens'; attachment: Attachment; modelId?: string }
  | { type: 'pickModel'; retry: boolean }
  | { type: 'conversationSave'; conversation: Conversation }
  | { type: 'conversationOpen'; id: string }
  | { type: 'conversationDelete'; id: string }
  | { type: 'conversationsList' }
  | { type: 'approveAnswer'; id: number; approved: boolean };

/** Chat-panel messages extension host -> webview. */
export type ChatToWebview =
  | { type: 'attach'; attachment: Attachment; focus?: boolean }
  | { type: 'files'; seq: number; paths: string[] }
  | { type: 'modelPicked'; modelId: string; retry: boolean }
  | { type: 'conversations'; items: ConversationSummary[]; activeId?: string }
  | { type: 'conversation'; conversation: Conversation }
  | { type: 'notice'; text: string }
  | { type: 'agentStep'; step: AgentStep }
  /** Agent mode: `run_command` waits for Run / Reject in the panel (answered by approveAnswer). */
  | { type: 'approveCommand'; id: number; chatId: string; command: string; cwd: string };

/** `byok/chat`'s result with the fields newer servers add. */
export type ChatAnswer = ChatResult & { costUsd?: number | null; fallback?: boolean };
