/**
 * The client's trace of the LSP traffic (`byok.trace.server: verbose`) prints every request's
 * params, and `byok/providers/add|update` (and their `byok.providers.*` commands) carry the
 * pasted API key in `apiKey`. The trace goes through a channel that replaces those values
 * before anything is written.
 */

/** Methods of an output channel that take the text to write. */
const TEXT_METHODS = new Set(['append', 'appendLine', 'replace', 'trace', 'debug', 'info', 'warn', 'error']);

/** `"apiKey": "<anything, escapes included>"`, in pretty-printed or compact JSON. */
const API_KEY_VALUE = /("apiKey"\s*:\s*)"(?:[^"\\]|\\.)*"/g;

export const REDACTED = '[redacted]';

/** The text with every JSON `apiKey` string value replaced. */
export function redactApiKeys(text: string): string {
  return text.replace(API_KEY_VALUE, `$1"${REDACTED}"`);
}

/**
 * A view of `channel` whose writing methods redact API keys; everything else (log level,
 * its change event, show, dispose) is the channel's own.
 */
export function redactingChannel<T extends object>(channel: T): T {
  return new Proxy(channel, {
    get(target, prop, _receiver) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (typeof prop === 'string' && TEXT_METHODS.has(prop)) {
        return (...args: unknown[]) => method.apply(target, args.map((a) => (typeof a === 'string' ? redactApiKeys(a) : a)));
      }
      return method.bind(target);
    },
  });
}
