/** Wire shapes of the `byok/*` LSP API (camelCase JSON). See DESIGN.md, "LSP API". */

export type Task = 'chat' | 'completion' | 'embeddings';
export const TASKS: readonly Task[] = ['chat', 'completion', 'embeddings'];

export type ReasoningStyle = 'none' | 'openai' | 'anthropic' | 'deepseek';
export const REASONING_STYLES: readonly ReasoningStyle[] = ['none', 'openai', 'anthropic', 'deepseek'];

export const FIM_MODES: readonly string[] = [
  'native',
  'template:starcoder',
  'template:codellama',
  'template:deepseek-coder',
  'template:qwen2.5-coder',
  'template:codestral',
  'template:codegemma',
  'chat',
];

export interface Capabilities {
  tools?: boolean;
  multimodality?: boolean;
  clicks?: boolean;
  agent?: boolean;
}

export interface Prices {
  inputPerMtok?: number | null;
  outputPerMtok?: number | null;
}

export interface Model {
  name: string;
  task: Task;
  nCtx?: number | null;
  tokenizer?: string | null;
  defaultTemperature?: number | null;
  reasoningStyle?: ReasoningStyle | null;
  capabilities?: Capabilities | null;
  fim?: string | null;
  maxOutputTokens?: number | null;
  prices?: Prices | null;
}

export interface KeyStatus {
  present: boolean;
  source: 'keyring' | 'env' | 'file' | string | null;
  hint: string | null;
}

export interface Provider {
  id: string;
  template: string;
  name: string;
  enabled: boolean;
  baseUrl: string;
  apiKeyEnv?: string | null;
  allowInsecureHttp?: boolean | null;
  key: KeyStatus;
  models: Model[];
}

export interface Template {
  id: string;
  name: string;
  wireFormat: string;
  baseUrl: string;
  needsKey: boolean;
  keyEnv?: string | null;
  tasks: Task[];
  models: Model[];
  docsUrl?: string | null;
}

export interface Active {
  chat: string | null;
  completion: string | null;
  embeddings: string | null;
  fallbacks: { chat: string[]; completion: string[]; embeddings: string[] };
}

export type TestStatus =
  | 'ok'
  | 'auth_failed'
  | 'out_of_credit'
  | 'rate_limited'
  | 'not_found'
  | 'unreachable'
  | 'timeout'
  | 'bad_response'
  | 'server_error';

export interface TestResult {
  ok: boolean;
  status: TestStatus | string;
  latencyMs?: number | null;
  message?: string | null;
  modelsFound?: number | null;
}

export interface DiscoveredModel {
  name: string;
  task?: Task | null;
  nCtx?: number | null;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
}

export interface ChatParams {
  messages: ChatMessage[];
  modelId?: string;
  chatId?: string;
  temperature?: number;
  maxTokens?: number;
}

export interface ChatResult {
  content: string;
  reasoning?: string | null;
  toolCalls?: unknown[] | null;
  finishReason?: string | null;
  usage?: { inputTokens?: number; outputTokens?: number } | null;
  modelId?: string | null;
}

export interface ChatDelta {
  chatId: string;
  index: number;
  text?: string | null;
  reasoning?: string | null;
  toolCall?: unknown;
}

export interface StatusResult {
  providers: {
    id: string;
    lastOutcome?: string | null;
    coolDownS?: number | null;
    spentTodayUsd?: number | null;
    budgetDailyUsd?: number | null;
  }[];
}

export interface UsageRow {
  providerId: string;
  model: string;
  task: string;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costUsd?: number | null;
  errors: number;
}

export interface UsageResult {
  rows: UsageRow[];
  totals?: Partial<UsageRow> | null;
}

/** A JSON-RPC error as it reaches the client (ResponseError serialised). */
export interface RpcError {
  code: number;
  message: string;
  data?: { kind?: string; field?: string; [k: string]: unknown } | null;
}

/** The `byok/*` methods a webview may ask the extension host to forward to the server. */
export const WEBVIEW_METHODS: readonly string[] = [
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
