/** The ways out of a failed chat answer: which buttons each error kind gets. */
import type { RpcError } from './protocol';

export type ChatErrorAction =
  | { label: 'Switch Model'; local: 'switchModel' }
  | { label: 'Retry'; local: 'retry' }
  | { label: 'Drop Oldest Turns'; local: 'dropOldest' }
  | { label: 'Configure Providers' | 'Edit Key' | 'Open Config File'; command: string };

const SWITCH: ChatErrorAction = { label: 'Switch Model', local: 'switchModel' };
const RETRY: ChatErrorAction = { label: 'Retry', local: 'retry' };
const CONFIGURE: ChatErrorAction = { label: 'Configure Providers', command: 'byok.configureProviders' };
const EDIT_KEY: ChatErrorAction = { label: 'Edit Key', command: 'byok.configureProviders' };

export function chatErrorActions(kind: string | undefined): ChatErrorAction[] {
  switch (kind) {
    case 'out_of_credit':
      return [SWITCH, CONFIGURE, RETRY];
    case 'auth_failed':
      return [EDIT_KEY, SWITCH, RETRY];
    case 'rate_limited':
    case 'overloaded':
    case 'server_error':
    case 'timeout':
    case 'unreachable':
    case 'bad_response':
      return [RETRY, SWITCH, CONFIGURE];
    case 'budget_exceeded':
      return [SWITCH, CONFIGURE];
    case 'context_too_long':
      return [{ label: 'Drop Oldest Turns', local: 'dropOldest' }, SWITCH];
    case 'no_active_model':
    case 'model_not_found':
    case 'provider_disabled':
      return [SWITCH, CONFIGURE];
    case 'config_invalid':
      return [{ label: 'Open Config File', command: 'byok.openConfig' }];
    case 'cancelled':
      return [];
    default:
      return [RETRY, SWITCH];
  }
}

const HEADLINES: Record<string, string> = {
  out_of_credit: 'Out of credit',
  auth_failed: 'Key rejected',
  rate_limited: 'Rate limited',
  budget_exceeded: 'Budget reached',
  context_too_long: 'Conversation too long for the model',
  no_active_model: 'No chat model chosen',
  model_not_found: 'Model not found',
  provider_disabled: 'Provider disabled',
  overloaded: 'Provider overloaded',
  unreachable: 'Provider unreachable',
  timeout: 'Timed out',
};

/** "Out of credit at OpenAI" — the headline above the server's message. */
export function chatErrorHeadline(err: RpcError, providerName: (id: string) => string | undefined): string {
  const kind = typeof err.data?.kind === 'string' ? err.data.kind : undefined;
  const base = (kind && HEADLINES[kind]) ?? 'The answer failed';
  const pid = typeof err.data?.providerId === 'string' ? err.data.providerId : undefined;
  if (!pid) return base;
  const model = typeof err.data?.model === 'string' ? ` (${err.data.model})` : '';
  return `${base} at ${providerName(pid) ?? pid}${model}`;
}

/** Seconds to wait, when the provider said so. */
export function retryAfter(err: RpcError): number | undefined {
  const s = err.data?.retryAfterS;
  return typeof s === 'number' && s > 0 ? Math.ceil(s) : undefined;
}
