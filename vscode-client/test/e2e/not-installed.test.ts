/**
 * Real VS Code with an interpreter that lacks byok-ls: the extension says so, shows the one
 * install command, and the BYOK view explains instead of staying empty.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe } from 'node:test';
import { log, Session, Steps } from './support';

let session: Session | undefined;
const steps = new Steps(() => session);
const LOADS = 'an interpreter without byok-ls: a notification names the install command';

describe('VS Code end-to-end: server not installed', { timeout: 300_000 }, () => {
  before(async () => {
    session = new Session({ name: 'e2e-not-installed', settings: {} });
    // python3 without site-packages: `import byok_ls` fails with ModuleNotFoundError.
    const python = path.join(session.tmp, 'bare-python');
    fs.writeFileSync(python, '#!/bin/sh\nexec python3 -I -S "$@"\n', { mode: 0o755 });
    session.writeSettings({ 'byok.server.pythonPath': python });
    await session.start();
  });

  after(async () => {
    await session?.stop();
    log(`steps:\n  ${steps.summary()}`);
  });

  steps.step(LOADS, [], async () => {
    const s = session!;
    await s.openWorkbench();
    const toast = s.page.locator('.notification-toast', { hasText: 'not installed' }).first();
    await toast.waitFor({ timeout: 60_000 });
    const text = (await toast.textContent()) ?? '';
    await s.shot('notification');
    assert.match(text, /-m pip install byok-ls/);
    assert.ok(await toast.locator('.monaco-button', { hasText: 'Copy Install Command' }).count(), 'offers to copy the command');
  });

  steps.step('the BYOK view explains the problem instead of an empty list', [LOADS], async () => {
    const s = session!;
    await s.openByokView();
    const sidebar = s.page.locator('#workbench\\.parts\\.sidebar');
    await sidebar.locator('.monaco-list-row', { hasText: 'The byok-ls server is not installed' }).first().waitFor({ timeout: 30_000 });
    await sidebar.locator('.monaco-list-row', { hasText: /-m pip install byok-ls$/ }).first().waitFor();
    await sidebar.locator('.monaco-list-row', { hasText: 'Restart Server' }).first().waitFor();
    await s.shot('view');
    // The status bar shows the problem instead of a model name.
    const item = s.page.locator('.statusbar-item', { hasText: /^\s*BYOK\s*$/ }).first();
    await item.waitFor();
    assert.equal(await item.locator('.codicon-warning').count(), 1);
  });
});
