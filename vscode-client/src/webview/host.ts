/** Webview side of the host messaging: RPC forwarded to the server, commands, notifications. */
import type { RpcError, ToHost, ToWebview } from '../shared/protocol';

interface VsCodeApi {
  postMessage(msg: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const api: VsCodeApi = acquireVsCodeApi();
let seq = 0;
const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: RpcError) => void }>();
const listeners: ((msg: ToWebview) => void)[] = [];

window.addEventListener('message', (ev: MessageEvent) => {
  const msg = ev.data as ToWebview;
  if (!msg || typeof msg !== 'object' || typeof (msg as { type?: unknown }).type !== 'string') return;
  if (msg.type === 'rpcResult' || msg.type === 'rpcError') {
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.type === 'rpcResult') p.resolve(msg.result);
    else p.reject(msg.error);
    return;
  }
  for (const l of listeners) l(msg);
});

export function post(msg: ToHost): void {
  api.postMessage(msg);
}

/** Calls a `byok/*` method through the extension host; rejects with the server's RpcError. */
export function rpc<T>(method: string, params: unknown = {}): Promise<T> {
  const id = ++seq;
  return new Promise<T>((resolve, reject) => {
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    post({ type: 'rpc', id, method, params });
  });
}

export function runCommand(command: string): void {
  post({ type: 'command', command });
}

export function onMessage(fn: (msg: ToWebview) => void): void {
  listeners.push(fn);
}

export function getState<T>(): T | undefined {
  return api.getState() as T | undefined;
}

export function setState<T>(s: T): void {
  api.setState(s);
}
