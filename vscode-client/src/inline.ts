/** Inline completion middleware: the on/off setting and the debounce around the built-in feature. */
import type * as vscode from 'vscode';
import type { Middleware } from 'vscode-languageclient/node';
import { LatestOnlyDebouncer } from './shared/debounce';

export interface InlineSettings {
  enabled: boolean;
  debounceMs: number;
}

/** vscode.InlineCompletionTriggerKind.Invoke: the user asked explicitly (no debounce then). */
const TRIGGER_INVOKE = 0;

export function inlineCompletionMiddleware(settings: () => InlineSettings, debouncer = new LatestOnlyDebouncer()): Middleware {
  return {
    provideInlineCompletionItems: async (document, position, context, token, next) => {
      const s = settings();
      if (!s.enabled) return null;
      const ms = (context as vscode.InlineCompletionContext).triggerKind === TRIGGER_INVOKE ? 0 : Math.max(0, s.debounceMs);
      if (!(await debouncer.wait(ms, token))) return null;
      return next(document, position, context, token);
    },
  };
}
