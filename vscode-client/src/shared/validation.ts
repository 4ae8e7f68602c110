/** Client-side form checks (instant feedback; the server stays the authority) and form <-> wire conversion. */
import { REASONING_STYLES, type Model, type Task, type VocabularyResult } from './protocol';

export type FormErrors = Record<string, string>;

export interface ProviderForm {
  template: string;
  id: string;
  name: string;
  baseUrl: string;
  apiKey: string;
  apiKeyEnv: string;
  enabled: boolean;
  allowInsecureHttp: boolean;
}

const SLUG = /^[a-z0-9][a-z0-9_-]*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}

export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\./.test(h);
}

export function validateProviderForm(f: ProviderForm, mode: 'add' | 'edit'): FormErrors {
  const errors: FormErrors = {};
  if (mode === 'add' && !f.template) errors.template = 'Choose a template.';
  if (mode === 'add' && f.id.trim() && !SLUG.test(f.id.trim()))
    errors.id = 'Use lower-case letters, digits, "-" and "_" (e.g. openai-work).';
  if (!f.baseUrl.trim()) errors.baseUrl = 'Enter the base URL of the API.';
  else if (!isHttpUrl(f.baseUrl.trim())) errors.baseUrl = 'Not a valid http(s) URL.';
  else {
    const u = new URL(f.baseUrl.trim());
    if (u.protocol === 'http:' && !isLoopbackHost(u.hostname) && !f.allowInsecureHttp && (f.apiKey || f.apiKeyEnv))
      errors.baseUrl = 'Plain http:// sends the key unencrypted: use https://, or tick "Allow insecure HTTP".';
  }
  if (f.apiKeyEnv.trim() && !ENV_NAME.test(f.apiKeyEnv.trim())) errors.apiKeyEnv = 'Not a valid environment variable name.';
  if (/\s/.test(f.apiKey.trim()) || (f.apiKey !== '' && f.apiKey.trim() === ''))
    errors.apiKey = 'The key contains spaces: paste it again.';
  return errors;
}

/** Params for byok/providers/add or /update. The key is sent only when one was typed. */
export function providerParams(f: ProviderForm, mode: 'add' | 'edit', removeKey = false): Record<string, unknown> {
  const p: Record<string, unknown> = {};
  if (mode === 'add') {
    p.template = f.template;
    if (f.id.trim()) p.id = f.id.trim();
  } else {
    p.id = f.id;
  }
  if (f.name.trim()) p.name = f.name.trim();
  p.baseUrl = f.baseUrl.trim();
  if (f.apiKey.trim()) p.apiKey = f.apiKey.trim();
  else if (mode === 'edit' && removeKey) p.apiKey = '';
  if (f.apiKeyEnv.trim()) p.apiKeyEnv = f.apiKeyEnv.trim();
  else if (mode === 'edit') p.apiKeyEnv = null;
  p.enabled = f.enabled;
  if (f.allowInsecureHttp) p.allowInsecureHttp = true;
  return p;
}

export interface ModelForm {
  task: Task;
  name: string;
  nCtx: string;
  tokenizer: string;
  defaultTemperature: string;
  reasoningStyle: string;
  fim: string;
  tools: boolean;
  multimodality: boolean;
  clicks: boolean;
  agent: boolean;
}

/** Which inputs the model dialog shows for a task. */
export function modelFieldsForTask(task: Task): string[] {
  switch (task) {
    case 'chat':
      return ['name', 'nCtx', 'tokenizer', 'defaultTemperature', 'reasoningStyle', 'tools', 'multimodality', 'clicks', 'agent'];
    case 'completion':
      return ['name', 'nCtx', 'tokenizer', 'fim'];
    case 'embeddings':
      return ['name', 'nCtx'];
  }
}

function isPositiveInt(s: string): boolean {
  return /^\d+$/.test(s.trim()) && Number(s) > 0;
}

/** Every `fim` value the server accepts, from its byok/vocabulary answer. */
export function fimChoices(v: Pick<VocabularyResult, 'fimModes' | 'fimFamilies'>): string[] {
  return [...v.fimModes, ...v.fimFamilies.map((family) => `template:${family}`)];
}

/** ``fimModes``: what fimChoices() made of the server's vocabulary (empty: not known yet, the
 * server alone decides). */
export function validateModelForm(f: ModelForm, existingNames: readonly string[] = [], fimModes: readonly string[] = []): FormErrors {
  const errors: FormErrors = {};
  const fields = modelFieldsForTask(f.task);
  const name = f.name.trim();
  if (!name) errors.name = 'Enter the model name the provider uses (e.g. gpt-4o).';
  else if (existingNames.includes(name)) errors.name = `A ${f.task} model named "${name}" already exists for this provider.`;
  if (f.nCtx.trim() && !isPositiveInt(f.nCtx)) errors.nCtx = 'Context window must be a whole number of tokens, e.g. 128000.';
  if (fields.includes('defaultTemperature') && f.defaultTemperature.trim()) {
    const t = Number(f.defaultTemperature);
    if (!Number.isFinite(t) || t < 0 || t > 2) errors.defaultTemperature = 'Temperature must be between 0 and 2.';
  }
  if (fields.includes('reasoningStyle') && f.reasoningStyle && !REASONING_STYLES.includes(f.reasoningStyle as never))
    errors.reasoningStyle = 'Choose a reasoning style.';
  if (fields.includes('fim') && f.fim && fimModes.length && !fimModes.includes(f.fim)) errors.fim = 'Choose a fill-in-the-middle mode.';
  return errors;
}

/** The Model object sent to byok/models/add|update: only the fields the task uses. */
export function modelFromForm(f: ModelForm): Model {
  const fields = modelFieldsForTask(f.task);
  const m: Model = { name: f.name.trim(), task: f.task };
  if (f.nCtx.trim()) m.nCtx = Number(f.nCtx.trim());
  if (fields.includes('tokenizer') && f.tokenizer.trim()) m.tokenizer = f.tokenizer.trim();
  if (fields.includes('defaultTemperature') && f.defaultTemperature.trim()) m.defaultTemperature = Number(f.defaultTemperature);
  if (fields.includes('reasoningStyle')) m.reasoningStyle = (f.reasoningStyle || 'none') as Model['reasoningStyle'];
  if (fields.includes('tools'))
    m.capabilities = { tools: f.tools, multimodality: f.multimodality, clicks: f.clicks, agent: f.agent };
  if (fields.includes('fim')) m.fim = f.fim || 'native';
  return m;
}

export function modelToForm(m: Partial<Model> & { task: Task }): ModelForm {
  return {
    task: m.task,
    name: m.name ?? '',
    nCtx: m.nCtx != null ? String(m.nCtx) : '',
    tokenizer: m.tokenizer ?? '',
    defaultTemperature: m.defaultTemperature != null ? String(m.defaultTemperature) : '',
    reasoningStyle: m.reasoningStyle ?? 'none',
    fim: m.fim ?? (m.task === 'completion' ? 'native' : ''),
    tools: !!m.capabilities?.tools,
    multimodality: !!m.capabilities?.multimodality,
    clicks: !!m.capabilities?.clicks,
    agent: !!m.capabilities?.agent,
  };
}

/** Human text for a provider's key status; the hint is the only part of a key ever shown. */
export function describeKey(key: { present: boolean; source?: string | null; hint?: string | null } | null | undefined, apiKeyEnv?: string | null): string {
  if (!key || !key.present) return apiKeyEnv ? `No key: $${apiKeyEnv} is not set` : 'No key';
  const hint = key.hint ? ` ${key.hint}` : '';
  switch (key.source) {
    case 'env':
      return `Key from $${apiKeyEnv ?? 'env'}${hint}`;
    case 'keyring':
      return `Key in keyring${hint}`;
    default:
      return `Key set${key.source ? ` (${key.source})` : ''}${hint}`;
  }
}
