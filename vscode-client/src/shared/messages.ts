/** Messages between the extension host and its webviews, and the JSON-RPC error shape the
 * client sees. Hand-written: the `byok/*` wire types are generated into protocol.ts. */
import type { ChatDelta, ChatMessageParams, ChatParams, ChatResult } from './protocol';

/** A chat message as the chat panel keeps it: plain text (a ChatMessageParams on the wire). */
export interface ChatMessage {
  role: ChatMessageParams['role'];
  content: string;
}

/** A JSON-RPC error as it reaches the client (ResponseError serialised). */
export interface RpcError {
  code: number;
  message: string;
  data?: { kind?: string; field?: string; [k: string]: unknown } | null;
}

/** The `byok/*` methods a webview may ask the extension host to forward to the server. */
export const WEBVIEW_METHODS: readonly string[] = [
  'byok/vocabulary',
  'byok/templates/list',
  'byok/providers/list',
  'byok/providers/get',
  'byok/providers/add',
  'byok/providers/update',
  'byok/providers/remove',
  'byok/providers/test',
  'byok/providers/discover',
  'byok/providers/detect',
  'byok/models/add',
  'byok/models/update',
  'byok/models/remove',
  'byok/active/get',
  'byok/active/set',
  'byok/status',
  'byok/usage',
];

/** Commands a webview may ask the extension host to run. */
export const WEBVIEW_COMMANDS: readonly string[] = [
  'byok.configureProviders',
  'byok.switchChatModel',
  'byok.switchCompletionModel',
  'byok.openConfig',
  'byok.restartServer',
  'byok.showServerLog',
  'byok.showUsage',
];

/** Messages between a webview and the extension host. */
export type ToHost =
  | { type: 'ready' }
  | { type: 'rpc'; id: number; method: string; params: unknown }
  | { type: 'command'; command: string; args?: unknown[] }
  | { type: 'chatSend'; chatId: string; params: ChatParams }
  | { type: 'chatStop'; chatId: string };

export type ToWebview =
  | { type: 'rpcResult'; id: number; result: unknown }
  | { type: 'rpcError'; id: number; error: RpcError }
  | { type: 'configChanged'; revision?: unknown }
  | { type: 'serverState'; running: boolean; message?: string }
  | { type: 'chatDelta'; delta: ChatDelta }
  | { type: 'chatDone'; chatId: string; result: ChatResult }
  | { type: 'chatError'; chatId: string; error: RpcError };
