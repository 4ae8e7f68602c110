/** Turning server errors into something a form or a chat transcript can show. */
import type { RpcError } from './protocol';

export const INVALID_PARAMS = -32602;

export function asRpcError(e: unknown): RpcError {
  if (e && typeof e === 'object') {
    const o = e as { code?: unknown; message?: unknown; data?: unknown };
    const code = typeof o.code === 'number' ? o.code : -32603;
    const message = typeof o.message === 'string' ? o.message : String(e);
    const data = o.data && typeof o.data === 'object' ? (o.data as RpcError['data']) : undefined;
    return data ? { code, message, data } : { code, message };
  }
  return { code: -32603, message: String(e) };
}

export function errorKind(err: RpcError): string | undefined {
  if (err.data && typeof err.data.kind === 'string') return err.data.kind;
  if (err.code === INVALID_PARAMS) return 'invalid_params';
  return undefined;
}

/** Last identifier of a field path: "providers[0].baseUrl" -> "baseUrl", "model.nCtx" -> "nCtx". */
export function lastPathSegment(path: string): string {
  const parts = path.split(/[.[\]]+/).filter((p) => p !== '' && !/^\d+$/.test(p));
  return parts.length ? parts[parts.length - 1] : path;
}

const FIELD_PREFIX = /^\s*([A-Za-z_][\w]*(?:\[\d+\])*(?:\.[A-Za-z_]\w*(?:\[\d+\])*)*)\s*:\s+(.+)$/s;

export interface FieldError {
  /** A field of the form, or undefined when the error belongs to the whole form. */
  field?: string;
  message: string;
}

/**
 * Which form field a server error names. `data.field` wins; otherwise an InvalidParams message
 * "baseUrl: not a valid URL" names it. Only fields the form has count; aliases map server names
 * onto form names (e.g. {model: "name"}).
 */
export function fieldForError(err: RpcError, formFields: readonly string[], aliases: Record<string, string> = {}): FieldError {
  const known = (candidate: string | undefined): string | undefined => {
    if (!candidate) return undefined;
    for (const c of [candidate, lastPathSegment(candidate)]) {
      const mapped = aliases[c] ?? c;
      if (formFields.includes(mapped)) return mapped;
    }
    return undefined;
  };
  let message = err.message;
  const m = FIELD_PREFIX.exec(err.message);
  const dataField = typeof err.data?.field === 'string' ? err.data.field : undefined;
  let field = known(dataField);
  if (m) {
    const fromMessage = known(m[1]);
    field = field ?? fromMessage;
    if (field && (fromMessage === field || lastPathSegment(m[1]) === lastPathSegment(dataField ?? ''))) message = m[2].trim();
  }
  return field ? { field, message } : { message };
}

export interface ErrorAction {
  label: string;
  command: string;
}

/** The action that fixes an error of this kind, for a button next to the message. */
export function errorActions(kind: string | undefined): ErrorAction[] {
  switch (kind) {
    case 'auth_failed':
    case 'out_of_credit':
    case 'provider_disabled':
    case 'budget_exceeded':
    case 'keyring_unavailable':
    case 'insecure_url':
      return [{ label: 'Configure Providers', command: 'byok.configureProviders' }];
    case 'no_active_model':
    case 'model_not_found':
      return [
        { label: 'Switch Chat Model', command: 'byok.switchChatModel' },
        { label: 'Configure Providers', command: 'byok.configureProviders' },
      ];
    case 'config_invalid':
      return [{ label: 'Open Config File', command: 'byok.openConfig' }];
    case 'unreachable':
    case 'timeout':
      return [{ label: 'Configure Providers', command: 'byok.configureProviders' }];
    default:
      return [];
  }
}

const TEST_STATUS_LABELS: Record<string, string> = {
  ok: 'Connected',
  auth_failed: 'Bad key',
  out_of_credit: 'No credit',
  rate_limited: 'Rate limited',
  not_found: 'Not found',
  unreachable: 'Unreachable',
  timeout: 'Timed out',
  bad_response: 'Bad response',
  server_error: 'Server error',
};

export function testStatusLabel(status: string): string {
  return TEST_STATUS_LABELS[status] ?? status.replace(/_/g, ' ');
}
