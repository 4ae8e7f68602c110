/** Configure Providers panel: providers, keys (status only), models per task, active models. */
import { errorActions, errorKind, fieldForError, testStatusLabel } from '../shared/errors';
import { formatModelId, groupModelsByTask, taskOf } from '../shared/modelId';
import {
  REASONING_STYLES,
  TASKS,
  type Active,
  type DiscoveredModel,
  type Model,
  type Provider,
  type RpcError,
  type Task,
  type Template,
  type TestResult,
  type VocabularyResult,
} from '../shared/protocol';
import {
  describeKey,
  fimChoices,
  modelFieldsForTask,
  modelFromForm,
  modelToForm,
  providerParams,
  validateModelForm,
  validateProviderForm,
  type FormErrors,
  type ModelForm,
  type ProviderForm,
} from '../shared/validation';
import { byId, h, replaceKeepingFocus } from './dom';
import { onMessage, post, rpc, runCommand } from './host';

const TASK_LABEL: Record<Task, string> = { chat: 'Chat', completion: 'Completion', embeddings: 'Embeddings' };

interface State {
  templates: Template[];
  providers: Provider[];
  active: Active | null;
  tests: Map<string, TestResult | 'pending' | RpcError>;
  loadError: RpcError | null;
  /** The server's words (FIM modes and families, ...): the menus offer exactly these. */
  vocabulary: VocabularyResult | null;
}

const state: State = { templates: [], providers: [], active: null, tests: new Map(), loadError: null, vocabulary: null };

// ---------------------------------------------------------------- page skeleton

const app = byId('app');
const banner = h('div', { id: 'banner', role: 'alert', className: 'banner', hidden: true });
const activeBox = h('section', { id: 'active-models', 'aria-labelledby': 'active-heading', className: 'active-models' });
const list = h('div', { id: 'providers', className: 'providers' });
const announcer = h('div', { id: 'announcer', role: 'status', 'aria-live': 'polite', className: 'sr-only' });

app.replaceChildren(
  h(
    'header',
    { className: 'page-header' },
    h('h1', {}, 'Configure Providers'),
    h(
      'div',
      { className: 'toolbar' },
      h('button', { id: 'add-provider', type: 'button', className: 'primary', onclick: () => openProviderDialog('add') }, 'Add Provider'),
      h('button', { id: 'open-config', type: 'button', className: 'secondary', onclick: () => runCommand('byok.openConfig') }, 'Open Config File'),
    ),
  ),
  banner,
  activeBox,
  list,
  announcer,
);
app.removeAttribute('aria-busy');

function announce(text: string): void {
  announcer.textContent = '';
  setTimeout(() => (announcer.textContent = text), 30);
}

function showBanner(err: RpcError | null, prefix = ''): void {
  if (!err) {
    banner.hidden = true;
    banner.replaceChildren();
    return;
  }
  banner.hidden = false;
  banner.replaceChildren(
    h('span', { className: 'banner-text' }, prefix + err.message),
    ...errorActions(errorKind(err)).map((a) => h('button', { type: 'button', className: 'secondary', onclick: () => runCommand(a.command) }, a.label)),
  );
}

// ---------------------------------------------------------------- loading

async function load(): Promise<void> {
  try {
    const [t, p, a, v] = await Promise.all([
      state.templates.length ? Promise.resolve({ templates: state.templates }) : rpc<{ templates: Template[] }>('byok/templates/list'),
      rpc<{ providers: Provider[] }>('byok/providers/list'),
      rpc<Active>('byok/active/get'),
      state.vocabulary ? Promise.resolve(state.vocabulary) : rpc<VocabularyResult>('byok/vocabulary'),
    ]);
    state.templates = t.templates ?? [];
    if (!state.vocabulary) {
      state.vocabulary = v;
      mf.fim.replaceChildren(...fimChoices(v).map((s) => h('option', { value: s }, s)));
    }
    state.providers = p.providers ?? [];
    state.active = a;
    state.loadError = null;
    showBanner(null);
  } catch (e) {
    state.loadError = e as RpcError;
    showBanner(e as RpcError, 'Could not load the configuration: ');
  }
  render();
}

onMessage((msg) => {
  if (msg.type === 'configChanged') void load();
  if (msg.type === 'serverState') {
    if (msg.running) void load();
    else showBanner({ code: -32099, message: msg.message ?? 'The byok-ls server is not running.', data: { kind: 'server_down' } });
  }
});

// ---------------------------------------------------------------- rendering

function templateName(id: string): string {
  return state.templates.find((t) => t.id === id)?.name ?? id;
}

function isActive(task: Task, modelId: string): boolean {
  return !!state.active && state.active[task] === modelId;
}

function renderActive(): void {
  const a = state.active;
  activeBox.replaceChildren(
    h('h2', { id: 'active-heading' }, 'Active models'),
    h(
      'dl',
      { className: 'active-list' },
      ...TASKS.flatMap((task) => [
        h('dt', {}, TASK_LABEL[task]),
        h('dd', { 'data-active-task': task }, a?.[task] ?? h('span', { className: 'muted' }, 'none')),
      ]),
    ),
  );
}

function testLine(p: Provider): HTMLElement {
  const r = state.tests.get(p.id);
  const box = h('div', { className: 'test-result', role: 'status', 'aria-live': 'polite', 'data-test-for': p.id });
  if (!r) return box;
  if (r === 'pending') {
    box.append(h('span', { className: 'muted' }, 'Testing connection…'));
  } else if ('code' in r) {
    box.dataset.status = errorKind(r) ?? 'error';
    box.append(h('span', { className: 'status-bad' }, `Test failed: ${r.message}`));
  } else {
    box.dataset.status = r.status;
    const parts = [testStatusLabel(r.status)];
    if (r.latencyMs != null) parts.push(`${Math.round(r.latencyMs)} ms`);
    if (r.ok && r.modelsFound != null) parts.push(`${r.modelsFound} models found`);
    box.append(h('span', { className: r.ok ? 'status-ok' : 'status-bad' }, parts.join(' · ')));
    if (r.message) box.append(h('span', { className: 'test-message' }, ` — ${r.message}`));
  }
  return box;
}

function modelItem(p: Provider, m: Model): HTMLElement {
  const modelId = formatModelId(p.id, m.name);
  const active = isActive(taskOf(m), modelId);
  const facts: string[] = [];
  if (m.nCtx) facts.push(`${m.nCtx.toLocaleString('en-US')} ctx`);
  if (m.task === 'completion' && m.fim) facts.push(`FIM ${m.fim}`);
  if (m.task === 'chat' && m.reasoningStyle && m.reasoningStyle !== 'none') facts.push(`reasoning ${m.reasoningStyle}`);
  const caps = m.capabilities ? Object.entries(m.capabilities).filter(([, v]) => v).map(([k]) => k) : [];
  if (caps.length) facts.push(caps.join(', '));
  const fk = `${p.id}/${m.task}/${m.name}`;
  return h(
    'li',
    { className: 'model' + (active ? ' is-active' : ''), 'data-model': m.name, 'data-task': m.task },
    h('span', { className: 'model-name' }, m.name),
    active ? h('span', { className: 'badge' }, `active ${m.task}`) : null,
    facts.length ? h('span', { className: 'muted model-facts' }, facts.join(' · ')) : null,
    h(
      'span',
      { className: 'model-actions' },
      active
        ? null
        : h(
            'button',
            { type: 'button', className: 'secondary', 'data-fk': `${fk}/use`, 'aria-label': `Use ${m.name} for ${m.task}`, onclick: () => setActive(taskOf(m), modelId) },
            `Use for ${m.task}`,
          ),
      h('button', { type: 'button', className: 'secondary', 'data-fk': `${fk}/edit`, 'aria-label': `Edit model ${m.name}`, onclick: () => openModelDialog(p, taskOf(m), m) }, 'Edit'),
      h('button', { type: 'button', className: 'secondary danger', 'data-fk': `${fk}/remove`, 'aria-label': `Remove model ${m.name}`, onclick: () => removeModel(p, m) }, 'Remove'),
    ),
  );
}

function providerCard(p: Provider): HTMLElement {
  const groups = groupModelsByTask(p.models ?? []);
  const tpl = state.templates.find((t) => t.id === p.template);
  const tasks = TASKS.filter((t) => groups[t].length || !tpl || tpl.tasks.includes(t) || p.template === 'custom');
  const headingId = `provider-${p.id}-name`;
  return h(
    'section',
    { className: 'provider' + (p.enabled ? '' : ' is-disabled'), 'data-provider-id': p.id, 'aria-labelledby': headingId },
    h(
      'div',
      { className: 'provider-head' },
      h('h2', { id: headingId }, p.name || p.id),
      h('span', { className: 'muted' }, `${p.id} · ${templateName(p.template)}`),
      h(
        'label',
        { className: 'toggle' },
        h('input', {
          type: 'checkbox',
          role: 'switch',
          checked: p.enabled,
          'data-fk': `${p.id}/enabled`,
          'aria-label': `Enable ${p.name || p.id}`,
          onchange: (ev: Event) => setEnabled(p, (ev.target as HTMLInputElement).checked),
        }),
        h('span', {}, 'Enabled'),
      ),
    ),
    h(
      'dl',
      { className: 'provider-meta' },
      h('dt', {}, 'Base URL'),
      h('dd', { className: 'base-url' }, p.baseUrl),
      h('dt', {}, 'API key'),
      h('dd', { className: 'key-status' + (p.key?.present ? '' : ' muted'), 'data-key-present': String(!!p.key?.present) }, describeKey(p.key, p.apiKeyEnv)),
    ),
    h(
      'div',
      { className: 'actions' },
      h('button', { type: 'button', 'data-fk': `${p.id}/test`, onclick: () => testProvider(p.id), 'aria-label': `Test connection to ${p.name || p.id}` }, 'Test Connection'),
      h('button', { type: 'button', className: 'secondary', 'data-fk': `${p.id}/edit`, onclick: () => openProviderDialog('edit', p), 'aria-label': `Edit ${p.name || p.id}` }, 'Edit'),
      h('button', { type: 'button', className: 'secondary danger', 'data-fk': `${p.id}/remove`, onclick: () => removeProvider(p), 'aria-label': `Remove ${p.name || p.id}` }, 'Remove'),
    ),
    testLine(p),
    ...tasks.map((task) =>
      h(
        'section',
        { className: 'model-group', 'data-task': task, 'aria-label': `${TASK_LABEL[task]} models of ${p.name || p.id}` },
        h('h3', {}, `${TASK_LABEL[task]} models`),
        groups[task].length ? h('ul', { className: 'models' }, ...groups[task].map((m) => modelItem(p, m))) : h('p', { className: 'muted empty' }, 'None yet.'),
        h(
          'button',
          { type: 'button', className: 'secondary add-model', 'data-fk': `${p.id}/${task}/add`, 'aria-label': `Add ${task} model to ${p.name || p.id}`, onclick: () => openModelDialog(p, task) },
          `Add ${task} model`,
        ),
      ),
    ),
  );
}

function render(): void {
  renderActive();
  if (!state.providers.length) {
    replaceKeepingFocus(
      list,
      h(
        'div',
        { className: 'empty-state' },
        h('p', {}, state.loadError ? 'The provider list is not available.' : 'No providers yet.'),
        state.loadError ? null : h('p', { className: 'muted' }, 'Add a provider with your own API key, or a local server such as Ollama or LM Studio.'),
      ),
    );
    return;
  }
  replaceKeepingFocus(list, ...state.providers.map(providerCard));
}

// ---------------------------------------------------------------- provider actions

async function setEnabled(p: Provider, enabled: boolean): Promise<void> {
  try {
    await rpc('byok/providers/update', { id: p.id, enabled });
    announce(`${p.name || p.id} ${enabled ? 'enabled' : 'disabled'}`);
    await load();
  } catch (e) {
    showBanner(e as RpcError);
    await load();
  }
}

async function testProvider(id: string, into?: HTMLElement): Promise<TestResult | null> {
  state.tests.set(id, 'pending');
  render();
  if (into) into.replaceChildren(h('span', { className: 'muted' }, 'Testing connection…'));
  let result: TestResult | null = null;
  try {
    result = await rpc<TestResult>('byok/providers/test', { id });
    state.tests.set(id, result);
    announce(`Test connection: ${testStatusLabel(result.status)}`);
  } catch (e) {
    state.tests.set(id, e as RpcError);
  }
  render();
  if (into) {
    const line = testLine({ id } as Provider);
    into.replaceChildren(...Array.from(line.childNodes));
    into.dataset.status = line.dataset.status ?? '';
  }
  return result;
}

async function removeProvider(p: Provider): Promise<void> {
  const ok = await confirmDialog(`Remove provider "${p.name || p.id}"? Its stored API key is deleted too.`, 'Remove');
  if (!ok) return;
  try {
    await rpc('byok/providers/remove', { id: p.id });
    state.tests.delete(p.id);
    announce(`Removed ${p.name || p.id}`);
  } catch (e) {
    showBanner(e as RpcError);
  }
  await load();
}

async function setActive(task: Task, modelId: string): Promise<void> {
  try {
    state.active = await rpc<Active>('byok/active/set', { task, modelId });
    announce(`${modelId} is now the active ${task} model`);
  } catch (e) {
    showBanner(e as RpcError);
  }
  await load();
}

async function removeModel(p: Provider, m: Model): Promise<void> {
  const ok = await confirmDialog(`Remove ${m.task} model "${m.name}" from ${p.name || p.id}?`, 'Remove');
  if (!ok) return;
  try {
    await rpc('byok/models/remove', { providerId: p.id, name: m.name, task: m.task });
  } catch (e) {
    showBanner(e as RpcError);
  }
  await load();
}

// ---------------------------------------------------------------- shared form helpers

function field(id: string, label: string, input: HTMLElement, help?: string): HTMLElement {
  const errId = `${id}-error`;
  const helpId = help ? `${id}-help` : undefined;
  input.id = id;
  input.setAttribute('aria-describedby', [helpId, errId].filter(Boolean).join(' '));
  return h(
    'div',
    { className: 'field', 'data-field-wrap': id },
    h('label', { for: id }, label),
    input,
    help ? h('div', { id: helpId, className: 'help muted' }, help) : null,
    h('div', { id: errId, className: 'field-error', 'aria-live': 'polite' }),
  );
}

function checkboxField(id: string, label: string, hint?: string): HTMLElement {
  const errId = `${id}-error`;
  const helpId = `${id}-help`;
  return h(
    'div',
    { className: 'field checkbox', 'data-field-wrap': id },
    h('input', { type: 'checkbox', id, 'aria-describedby': hint ? `${helpId} ${errId}` : errId }),
    h('label', { for: id }, label),
    hint ? h('span', { id: helpId, className: 'help muted' }, ` — ${hint}`) : null,
    h('div', { id: errId, className: 'field-error', 'aria-live': 'polite' }),
  );
}

function setFieldErrors(prefix: string, fields: readonly string[], errors: FormErrors, formError: HTMLElement, general?: string): void {
  for (const f of fields) {
    const input = document.getElementById(`${prefix}${f}`);
    const err = document.getElementById(`${prefix}${f}-error`);
    const msg = errors[f];
    if (err) err.textContent = msg ?? '';
    if (input) {
      if (msg) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
    }
  }
  formError.textContent = general ?? '';
  formError.hidden = !general;
  const first = fields.find((f) => errors[f]);
  if (first) document.getElementById(`${prefix}${first}`)?.focus();
}

function inputEl(attrs: Record<string, string> = {}): HTMLInputElement {
  return h('input', { type: 'text', spellcheck: 'false', autocomplete: 'off', ...attrs });
}

function selectEl(options: readonly (string | [string, string])[]): HTMLSelectElement {
  return h('select', {}, ...options.map((o) => (Array.isArray(o) ? h('option', { value: o[0] }, o[1]) : h('option', { value: o }, o))));
}

function confirmDialog(text: string, okLabel: string): Promise<boolean> {
  return new Promise((resolve) => {
    const dlg = h('dialog', { className: 'confirm', 'aria-label': 'Confirm' });
    const close = (v: boolean): void => {
      dlg.close();
      dlg.remove();
      resolve(v);
    };
    dlg.append(
      h('p', {}, text),
      h(
        'div',
        { className: 'dialog-buttons' },
        h('button', { type: 'button', className: 'danger', onclick: () => close(true) }, okLabel),
        h('button', { type: 'button', className: 'secondary', onclick: () => close(false) }, 'Cancel'),
      ),
    );
    dlg.addEventListener('cancel', (ev) => {
      ev.preventDefault();
      close(false);
    });
    document.body.append(dlg);
    dlg.showModal();
  });
}

// ---------------------------------------------------------------- provider dialog

const PF_FIELDS = ['template', 'id', 'name', 'baseUrl', 'apiKey', 'apiKeyEnv', 'enabled', 'allowInsecureHttp'] as const;

const pf = {
  template: selectEl([]),
  id: inputEl({ placeholder: 'default: the template id' }),
  name: inputEl(),
  baseUrl: inputEl({ type: 'url', inputmode: 'url' }),
  apiKey: inputEl({ type: 'password', autocomplete: 'new-password' }),
  apiKeyEnv: inputEl({ placeholder: 'e.g. OPENAI_API_KEY (optional)' }),
};
const pfTitle = h('h2', { id: 'pf-title' }, 'Add Provider');
const pfFormError = h('div', { id: 'pf-form-error', className: 'form-error', role: 'alert', hidden: true });
const pfStatus = h('div', { id: 'pf-test-result', className: 'test-result', role: 'status', 'aria-live': 'polite' });
const pfKeyNote = h('div', { id: 'pf-key-note', className: 'help muted' });
const pfTemplateHelp = h('div', { id: 'pf-template-help', className: 'help muted' });
const pfRemoveKeyWrap = checkboxField('pf-removeKey', 'Remove the stored key');
const pfForm = h(
  'form',
  { id: 'provider-form', novalidate: true },
  pfTitle,
  h('div', { className: 'field', 'data-field-wrap': 'pf-template' }),
  field('pf-id', 'Provider id', pf.id, 'A short unique slug used in model ids ("id/model").'),
  field('pf-name', 'Display name', pf.name),
  field('pf-baseUrl', 'Base URL', pf.baseUrl),
  field('pf-apiKey', 'API key', pf.apiKey),
  pfKeyNote,
  pfRemoveKeyWrap,
  field('pf-apiKeyEnv', 'Read the key from environment variable', pf.apiKeyEnv),
  checkboxField('pf-enabled', 'Enabled'),
  checkboxField('pf-allowInsecureHttp', 'Allow insecure HTTP (send the key over plain http:// to a non-local host)'),
  pfFormError,
  pfStatus,
  h(
    'div',
    { className: 'dialog-buttons' },
    h('button', { type: 'submit', id: 'pf-save', className: 'primary' }, 'Save'),
    h('button', { type: 'button', id: 'pf-test', onclick: () => void saveProvider(true) }, 'Test Connection'),
    h('button', { type: 'button', id: 'pf-cancel', className: 'secondary', onclick: () => providerDialog.close() }, 'Close'),
  ),
);
// The template select is placed with its own label/help.
pfForm.replaceChild(field('pf-template', 'Template', pf.template), pfForm.querySelector('[data-field-wrap="pf-template"]') as HTMLElement);
pfForm.querySelector('[data-field-wrap="pf-template"]')?.append(pfTemplateHelp);
const providerDialog = h('dialog', { id: 'provider-dialog', 'aria-labelledby': 'pf-title' }, pfForm);
document.body.append(providerDialog);

let pfMode: 'add' | 'edit' = 'add';
let pfEditing: Provider | null = null;
let pfLastTemplateUrl = '';

function checkbox(id: string): HTMLInputElement {
  return byId<HTMLInputElement>(id);
}

function applyTemplate(t: Template | undefined): void {
  if (!t) return;
  if (!pf.baseUrl.value || pf.baseUrl.value === pfLastTemplateUrl) pf.baseUrl.value = t.baseUrl ?? '';
  pfLastTemplateUrl = t.baseUrl ?? '';
  pf.name.placeholder = t.name;
  pf.id.placeholder = `default: ${t.id}`;
  pf.apiKeyEnv.placeholder = t.keyEnv ? `e.g. ${t.keyEnv} (optional)` : 'optional';
  pfTemplateHelp.replaceChildren(`${t.wireFormat} · ${t.tasks.join(', ')}${t.needsKey ? '' : ' · no key needed'}`);
}

pf.template.addEventListener('change', () => applyTemplate(state.templates.find((t) => t.id === pf.template.value)));

function openProviderDialog(mode: 'add' | 'edit', p?: Provider): void {
  pfMode = mode;
  pfEditing = p ?? null;
  pfTitle.textContent = mode === 'add' ? 'Add Provider' : `Edit ${p?.name || p?.id}`;
  pf.template.replaceChildren(...state.templates.map((t) => h('option', { value: t.id }, t.name)));
  pf.template.disabled = mode === 'edit';
  (pfForm.querySelector('[data-field-wrap="pf-id"]') as HTMLElement).hidden = mode === 'edit';
  pf.apiKey.value = '';
  pfStatus.replaceChildren();
  pfStatus.dataset.status = '';
  pfLastTemplateUrl = '';
  if (mode === 'add') {
    const def = state.templates.find((t) => t.id === 'custom') ?? state.templates[0];
    pf.template.value = def?.id ?? '';
    pf.id.value = '';
    pf.name.value = '';
    pf.baseUrl.value = '';
    pf.apiKeyEnv.value = '';
    checkbox('pf-enabled').checked = true;
    checkbox('pf-allowInsecureHttp').checked = false;
    applyTemplate(def);
    pf.apiKey.placeholder = 'Paste your API key';
    pfKeyNote.textContent = 'Sent once to the byok-ls server, which stores it in your OS keyring. It is never shown again.';
    pfRemoveKeyWrap.hidden = true;
  } else if (p) {
    pf.template.value = p.template;
    pf.id.value = p.id;
    pf.name.value = p.name ?? '';
    pf.baseUrl.value = p.baseUrl ?? '';
    pf.apiKeyEnv.value = p.apiKeyEnv ?? '';
    checkbox('pf-enabled').checked = p.enabled;
    checkbox('pf-allowInsecureHttp').checked = !!p.allowInsecureHttp;
    const t = state.templates.find((x) => x.id === p.template);
    if (t) pfTemplateHelp.replaceChildren(`${t.wireFormat} · ${t.tasks.join(', ')}`);
    pf.apiKey.placeholder = p.key?.present ? 'Leave empty to keep the stored key' : 'Paste your API key';
    pfKeyNote.textContent = describeKey(p.key, p.apiKeyEnv);
    pfRemoveKeyWrap.hidden = !(p.key?.present && p.key.source !== 'env');
  }
  checkbox('pf-removeKey').checked = false;
  setFieldErrors('pf-', PF_FIELDS, {}, pfFormError);
  if (!providerDialog.open) providerDialog.showModal();
  (mode === 'add' ? pf.template : pf.name).focus();
}

function readProviderForm(): ProviderForm {
  return {
    template: pf.template.value,
    id: pfMode === 'edit' ? (pfEditing?.id ?? '') : pf.id.value,
    name: pf.name.value,
    baseUrl: pf.baseUrl.value,
    apiKey: pf.apiKey.value,
    apiKeyEnv: pf.apiKeyEnv.value,
    enabled: checkbox('pf-enabled').checked,
    allowInsecureHttp: checkbox('pf-allowInsecureHttp').checked,
  };
}

function showServerError(prefix: string, fields: readonly string[], err: RpcError, formError: HTMLElement, aliases: Record<string, string> = {}): void {
  const fe = fieldForError(err, fields, aliases);
  if (fe.field) setFieldErrors(prefix, fields, { [fe.field]: fe.message }, formError);
  else setFieldErrors(prefix, fields, {}, formError, err.message);
}

async function saveProvider(thenTest: boolean): Promise<void> {
  const form = readProviderForm();
  const errors = validateProviderForm(form, pfMode);
  if (Object.keys(errors).length) {
    setFieldErrors('pf-', PF_FIELDS, errors, pfFormError);
    return;
  }
  setFieldErrors('pf-', PF_FIELDS, {}, pfFormError);
  const params = providerParams(form, pfMode, checkbox('pf-removeKey').checked);
  let saved: Provider;
  try {
    const res = await rpc<{ provider: Provider }>(pfMode === 'add' ? 'byok/providers/add' : 'byok/providers/update', params);
    saved = res.provider;
  } catch (e) {
    showServerError('pf-', PF_FIELDS, e as RpcError, pfFormError);
    return;
  }
  pf.apiKey.value = '';
  announce(`Saved ${saved.name || saved.id}`);
  await load();
  if (!thenTest) {
    providerDialog.close();
    return;
  }
  // Stay in the dialog, now editing the saved provider, and show the test result here.
  openProviderDialog('edit', state.providers.find((p) => p.id === saved.id) ?? saved);
  await testProvider(saved.id, pfStatus);
}

pfForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  void saveProvider(false);
});

// ---------------------------------------------------------------- model dialog

const MF_FIELDS = ['task', 'name', 'nCtx', 'tokenizer', 'defaultTemperature', 'reasoningStyle', 'fim', 'tools', 'multimodality', 'clicks', 'agent'] as const;

const mf = {
  task: selectEl(TASKS.map((t) => [t, TASK_LABEL[t]] as [string, string])),
  name: inputEl({ list: 'mf-name-options', placeholder: 'e.g. gpt-4o' }),
  nCtx: inputEl({ inputmode: 'numeric', placeholder: 'e.g. 128000' }),
  tokenizer: inputEl({ placeholder: 'hf://org/repo, a file path, or empty to estimate' }),
  defaultTemperature: inputEl({ inputmode: 'decimal', placeholder: 'e.g. 0.2' }),
  reasoningStyle: selectEl(REASONING_STYLES.map((s) => s)),
  fim: selectEl([]), // filled from byok/vocabulary
};
const mfDatalist = h('datalist', { id: 'mf-name-options' });
const mfTitle = h('h2', { id: 'mf-title' }, 'Add model');
const mfFormError = h('div', { id: 'mf-form-error', className: 'form-error', role: 'alert', hidden: true });
const mfDiscoverStatus = h('div', { id: 'mf-discover-status', className: 'help muted', role: 'status', 'aria-live': 'polite' });
const mfCaps = h(
  'fieldset',
  { className: 'caps', 'data-field-wrap': 'mf-capabilities' },
  h('legend', {}, 'Capabilities'),
  checkboxField('mf-tools', 'Tools', 'calls tools (function calling)'),
  checkboxField('mf-multimodality', 'Multimodality', 'reads images'),
  checkboxField('mf-clicks', 'Clicks', 'acts on screenshots by clicking; no feature uses this yet'),
  checkboxField('mf-agent', 'Agent', 'offered Agent mode in chat (needs Tools too)'),
);
const mfForm = h(
  'form',
  { id: 'model-form', novalidate: true },
  mfTitle,
  h('p', { id: 'mf-provider', className: 'muted' }),
  field('mf-task', 'Task', mf.task),
  field('mf-name', 'Model name', mf.name),
  mfDatalist,
  h('div', { className: 'inline-buttons' }, h('button', { type: 'button', id: 'mf-discover', className: 'secondary', onclick: () => void discoverModels() }, 'Discover Models'), mfDiscoverStatus),
  field('mf-nCtx', 'Context window (tokens)', mf.nCtx),
  field('mf-tokenizer', 'Tokenizer', mf.tokenizer),
  field('mf-defaultTemperature', 'Default temperature', mf.defaultTemperature),
  field('mf-reasoningStyle', 'Reasoning style', mf.reasoningStyle),
  field('mf-fim', 'Fill-in-the-middle mode', mf.fim, 'native: the provider’s FIM endpoint; template: a raw prompt for that model family; chat: a chat model fills the hole.'),
  mfCaps,
  checkboxField('mf-makeActive', 'Make this the active model for its task'),
  mfFormError,
  h(
    'div',
    { className: 'dialog-buttons' },
    h('button', { type: 'submit', id: 'mf-save', className: 'primary' }, 'Save'),
    h('button', { type: 'button', id: 'mf-cancel', className: 'secondary', onclick: () => modelDialog.close() }, 'Cancel'),
  ),
);
const modelDialog = h('dialog', { id: 'model-dialog', 'aria-labelledby': 'mf-title' }, mfForm);
document.body.append(modelDialog);

let mfProvider: Provider | null = null;
let mfEditing: Model | null = null;
let mfDiscovered: DiscoveredModel[] = [];

function showFieldsForTask(task: Task): void {
  const visible = modelFieldsForTask(task);
  for (const f of ['nCtx', 'tokenizer', 'defaultTemperature', 'reasoningStyle', 'fim']) {
    (mfForm.querySelector(`[data-field-wrap="mf-${f}"]`) as HTMLElement).hidden = !visible.includes(f);
  }
  mfCaps.hidden = !visible.includes('tools');
  fillDatalist();
}

mf.task.addEventListener('change', () => showFieldsForTask(mf.task.value as Task));
mf.name.addEventListener('change', () => {
  const d = mfDiscovered.find((x) => x.name === mf.name.value);
  if (d?.nCtx && !mf.nCtx.value) mf.nCtx.value = String(d.nCtx);
});

function fillDatalist(): void {
  const task = mf.task.value as Task;
  mfDatalist.replaceChildren(...mfDiscovered.filter((d) => !d.task || d.task === task).map((d) => h('option', { value: d.name })));
}

function openModelDialog(p: Provider, task: Task, m?: Model): void {
  mfProvider = p;
  mfEditing = m ?? null;
  mfDiscovered = [];
  mfDiscoverStatus.textContent = '';
  mfTitle.textContent = m ? `Edit ${task} model` : `Add ${task} model`;
  byId('mf-provider').textContent = `Provider: ${p.name || p.id}`;
  const f = modelToForm(m ? { ...m, task } : { task, name: '' });
  mf.task.value = f.task;
  mf.task.disabled = !!m;
  mf.name.value = f.name;
  mf.nCtx.value = f.nCtx;
  mf.tokenizer.value = f.tokenizer;
  mf.defaultTemperature.value = f.defaultTemperature;
  mf.reasoningStyle.value = f.reasoningStyle || 'none';
  mf.fim.value = f.fim || 'native';
  for (const c of ['tools', 'multimodality', 'clicks', 'agent'] as const) checkbox(`mf-${c}`).checked = f[c];
  const modelId = m ? formatModelId(p.id, m.name) : '';
  checkbox('mf-makeActive').checked = m ? isActive(task, modelId) : false;
  showFieldsForTask(task);
  setFieldErrors('mf-', MF_FIELDS, {}, mfFormError);
  if (!modelDialog.open) modelDialog.showModal();
  mf.name.focus();
}

function readModelForm(): ModelForm {
  return {
    task: mf.task.value as Task,
    name: mf.name.value,
    nCtx: mf.nCtx.value,
    tokenizer: mf.tokenizer.value,
    defaultTemperature: mf.defaultTemperature.value,
    reasoningStyle: mf.reasoningStyle.value,
    fim: mf.fim.value,
    tools: checkbox('mf-tools').checked,
    multimodality: checkbox('mf-multimodality').checked,
    clicks: checkbox('mf-clicks').checked,
    agent: checkbox('mf-agent').checked,
  };
}

async function discoverModels(): Promise<void> {
  if (!mfProvider) return;
  mfDiscoverStatus.textContent = 'Asking the provider for its models…';
  try {
    const res = await rpc<{ models: DiscoveredModel[] }>('byok/providers/discover', { id: mfProvider.id });
    mfDiscovered = res.models ?? [];
    fillDatalist();
    const n = mfDatalist.children.length;
    mfDiscoverStatus.textContent = `Found ${mfDiscovered.length} models${n !== mfDiscovered.length ? ` (${n} for this task)` : ''}: pick one in the name field.`;
  } catch (e) {
    mfDiscoverStatus.textContent = `Discovery failed: ${(e as RpcError).message}`;
  }
}

const MODEL_ALIASES: Record<string, string> = { model: 'name', capabilities: 'tools', modelName: 'name' };

mfForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  void saveModel();
});

async function saveModel(): Promise<void> {
  const p = mfProvider;
  if (!p) return;
  const form = readModelForm();
  const existing = (p.models ?? []).filter((m) => m.task === form.task && m.name !== mfEditing?.name).map((m) => m.name);
  const errors = validateModelForm(form, existing, state.vocabulary ? fimChoices(state.vocabulary) : []);
  if (Object.keys(errors).length) {
    setFieldErrors('mf-', MF_FIELDS, errors, mfFormError);
    return;
  }
  const model = modelFromForm(form);
  try {
    if (mfEditing) {
      await rpc('byok/models/update', { providerId: p.id, name: mfEditing.name, task: mfEditing.task, model });
    } else {
      await rpc('byok/models/add', { providerId: p.id, model });
    }
  } catch (e) {
    showServerError('mf-', MF_FIELDS, e as RpcError, mfFormError, MODEL_ALIASES);
    return;
  }
  const modelId = formatModelId(p.id, model.name);
  if (checkbox('mf-makeActive').checked && !isActive(taskOf(model), modelId)) {
    try {
      state.active = await rpc<Active>('byok/active/set', { task: model.task, modelId });
    } catch (e) {
      showServerError('mf-', MF_FIELDS, e as RpcError, mfFormError, MODEL_ALIASES);
      await load();
      return;
    }
  }
  modelDialog.close();
  announce(`Saved ${model.task} model ${model.name}`);
  await load();
}

// ---------------------------------------------------------------- start

post({ type: 'ready' });
void load();
