/**
 * Agent mode end-to-end in real VS Code (code-server): Agent is chosen in the chat panel, the
 * fake model reads a file and proposes an edit, the diff opens and the user accepts it, the
 * edit lands in the editor through workspace/applyEdit, and the model's final answer shows
 * under the steps; a follow-up runs a command the user allows with Run in the panel and
 * still carries the first answer's tool turns (test-artifacts/agent-e2e-*.png).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe } from 'node:test';
import type { FrameLocator, Page } from 'playwright-core';
import { freePort, log, PYTHON, REPO, Session, Steps, waitForLine } from './support';

let session: Session | undefined;
let page: Page;
let fakeUrl = '';
const steps = new Steps(() => session);
const step = steps.step.bind(steps);
const webview = (): FrameLocator => session!.webview();

const KEY = 'sk-test-AgentKey-0123456789abcdefWXYZ';
const SETTINGS = {
  'byok.server.pythonPath': PYTHON,
  'byok.inlineCompletion.enabled': false,
  'files.autoSave': 'off',
  'byok.agent.allowCommands': true,
};
const APP = "def main():\n    print('hello')\n";
const EDITED = "def main():\n    print('hello, world')\n";

interface FakeRequest {
  method: string;
  path: string;
  json: Record<string, any> | null;
}

async function fakeRequests(): Promise<FakeRequest[]> {
  const all = (await (await fetch(`${fakeUrl}/__fake/requests`)).json()) as FakeRequest[];
  return all.filter((r) => r.method === 'POST' && r.path === '/v1/chat/completions');
}

async function scriptFake(...replies: Record<string, unknown>[]): Promise<void> {
  const r = await fetch(`${fakeUrl}/__fake/script`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(replies) });
  assert.equal(r.status, 200, await r.text());
}

function config(fake: string): string {
  return [
    'version: 1',
    'providers:',
    '  - id: fake',
    '    template: custom',
    '    name: Fake Agent',
    '    enabled: true',
    `    base_url: ${fake}/v1`,
    '    api_key_env: BYOK_E2E_AGENT_KEY',
    '    models:',
    '      - name: agent-model',
    '        task: chat',
    '        n_ctx: 16000',
    '        capabilities: {tools: true, agent: true}',
    '      - name: plain-model',
    '        task: chat',
    '        n_ctx: 16000',
    'active:',
    '  chat: fake/agent-model',
    '',
  ].join('\n');
}

const call = (name: string, args: Record<string, unknown>) => ({ name, arguments: JSON.stringify(args), fragments: 2 });

describe('VS Code agent mode end-to-end (code-server)', { timeout: 900_000 }, () => {
  before(async () => {
    assert.ok(fs.existsSync(PYTHON), `Python with byok-ls expected at ${PYTHON}`);
    session = new Session({ name: 'agent-e2e', files: { 'app.py': APP }, settings: SETTINGS, env: { BYOK_E2E_AGENT_KEY: KEY } });
    const port = await freePort();
    const fake = session.spawn('fake-openai', PYTHON, ['-m', 'tests.fakes', 'openai', '--host', '127.0.0.1', '--port', String(port), '--expect-key', KEY], {
      cwd: REPO,
      env: { ...process.env, PYTHONUNBUFFERED: '1' },
    });
    fakeUrl = (await waitForLine(fake, /listening on (http:\/\/127\.0\.0\.1:\d+)/, 60_000))[1];
    fs.writeFileSync(path.join(session.configDir, 'config.yaml'), config(fakeUrl));
    await session.start();
    page = session.page;
    await session.openWorkbench();
  });

  after(async () => {
    log(`agent steps:\n  ${steps.summary()}`);
    await session?.stop();
  });

  const OPEN = 'the chat panel offers Agent mode for a model marked for tools and agent';
  step(OPEN, [], async () => {
    await session!.openByokView();
    await page.locator('#workbench\\.parts\\.sidebar .monaco-list-row', { hasText: 'Fake Agent' }).first().waitFor({ timeout: 90_000 });
    await session!.runCommand('BYOK: Open Chat');
    const w = webview();
    const agent = w.locator('#mode-agent');
    await agent.waitFor({ timeout: 60_000 });
    // The plain model cannot: the toggle says why.
    await w.locator('#model').selectOption('fake/plain-model');
    await w.locator('#mode-reason', { hasText: /not marked for Tools and Agent/ }).waitFor();
    assert.equal(await agent.isDisabled(), true);
    await w.locator('#model').selectOption('fake/agent-model');
    await w.locator('#mode-agent:not([disabled])').waitFor();
    assert.equal(await w.locator('#mode-reason').textContent(), '');
    await agent.check();
    await session!.shot('agent-mode');
  });

  const ACCEPT = 'the model reads, proposes an edit, the diff opens and Accept applies it';
  step(ACCEPT, [OPEN], async () => {
    await scriptFake(
      { tool_calls: [call('read_file', { path: 'app.py' })], path: '/v1/chat/completions' },
      { text: 'Changing the greeting.', tool_calls: [call('propose_edit', { path: 'app.py', oldText: "print('hello')", newText: "print('hello, world')" })], path: '/v1/chat/completions' },
      { text: 'Done: the greeting now says hello, world.', path: '/v1/chat/completions' },
    );
    const w = webview();
    await w.locator('#input').fill('Greet the world instead.');
    await w.locator('#send').click();
    // The diff of the proposal opens, and VS Code asks.
    await page.locator('.tab', { hasText: 'app.py (proposed)' }).first().waitFor({ timeout: 60_000 });
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'BYOK agent wants to change app.py' });
    await toast.waitFor({ timeout: 30_000 });
    await session!.shot('diff-and-approval');
    await toast.locator('.monaco-button', { hasText: 'Accept' }).click();
    await w.locator('.msg.assistant[data-done="true"]', { hasText: 'Done: the greeting now says hello, world.' }).waitFor({ timeout: 60_000 });
    await w.locator('.agent-step[data-tool="read_file"][data-status="done"]').waitFor();
    await w.locator('.agent-step[data-tool="propose_edit"][data-status="done"]').waitFor();
    await session!.shot('steps-and-answer');
    const reqs = await fakeRequests();
    assert.equal(reqs.length, 3);
    const last = JSON.stringify(reqs[2].json?.messages);
    assert.ok(last.includes('The user accepted; app.py was changed.'), last);
    assert.ok(JSON.stringify(reqs[1].json?.messages).includes("print('hello')"), 'the file content reached the model');
  });

  step('the accepted edit is in the editor, unsaved until the user saves it', [ACCEPT], async () => {
    // workspace/applyEdit changed the open document, not the disk: the user saves (or undoes).
    const file = path.join(session!.workspace, 'app.py');
    assert.equal(fs.readFileSync(file, 'utf8'), APP);
    await page.locator('.tab.dirty', { hasText: 'app.py' }).click();
    const lines = page.locator('.editor-group-container', { has: page.locator('.tab.active', { hasText: 'app.py' }) }).locator('.monaco-editor .view-lines').first();
    await page.waitForFunction(() => (document.querySelector('.editor-instance .view-lines')?.textContent ?? '').replace(/\u00a0/g, ' ').includes("print('hello, world')"), undefined, { timeout: 30_000 });
    await lines.click();
    await page.keyboard.press('Control+S');
    const deadline = Date.now() + 15_000;
    while (fs.readFileSync(file, 'utf8') !== EDITED && Date.now() < deadline) await page.waitForTimeout(200);
    assert.equal(fs.readFileSync(file, 'utf8'), EDITED);
    await session!.shot('saved');
  });

  step('a follow-up runs a command after Run in the panel and carries the earlier tool turns', [ACCEPT], async () => {
    await scriptFake(
      { tool_calls: [call('run_command', { command: 'echo byok-e2e-ran' })], path: '/v1/chat/completions' },
      { text: 'The command printed byok-e2e-ran.', path: '/v1/chat/completions' },
    );
    const before = (await fakeRequests()).length;
    // Saving brought app.py forward: back to the chat.
    await session!.runCommand('BYOK: Open Chat');
    const w = webview();
    await w.locator('#input').fill('Now run echo.');
    await w.locator('#send').click();
    const run = w.getByRole('button', { name: 'Run command: echo byok-e2e-ran' });
    await run.waitFor({ timeout: 60_000 });
    assert.equal(await page.locator('.monaco-dialog-box').count(), 0, 'asked in the panel, not in a dialog');
    await session!.shot('command-approval-in-panel');
    await run.click();
    await w.locator('.msg.assistant[data-done="true"]', { hasText: 'The command printed byok-e2e-ran.' }).waitFor({ timeout: 60_000 });
    await w.locator('.agent-step[data-tool="run_command"][data-status="done"]').waitFor();
    const reqs = (await fakeRequests()).slice(before);
    assert.equal(reqs.length, 2);
    const sent = reqs[0].json?.messages as { role: string; content: unknown; tool_calls?: { id: string }[]; tool_call_id?: string }[];
    // The first answer's turns come back: its read_file and propose_edit calls and their results.
    const callIds = sent.filter((m) => m.role === 'assistant').flatMap((m) => (m.tool_calls ?? []).map((c) => c.id));
    const results = sent.filter((m) => m.role === 'tool');
    assert.equal(results.length, 2, JSON.stringify(sent));
    for (const r of results) assert.ok(r.tool_call_id && callIds.includes(r.tool_call_id), JSON.stringify(r));
    assert.ok(JSON.stringify(results).includes('The user accepted; app.py was changed.'), JSON.stringify(results));
    assert.ok(JSON.stringify(reqs[1].json?.messages).includes('byok-e2e-ran'), 'the command output reached the model');
  });
});
