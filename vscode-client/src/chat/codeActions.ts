/**
 * The host side of a code block's buttons: Copy, Insert at Cursor (last text editor, its
 * selection), Apply to File (a diff first; one undoable WorkspaceEdit only if the user accepts).
 */
import * as vscode from 'vscode';
import type { CodeAction } from '../shared/chatTypes';
import { safeRelativePath } from '../shared/paths';
import type { EditorTracker } from './editorContext';

export const PROPOSED_SCHEME = 'byok-chat-proposed';

/** Holds the right-hand side of diff views (the proposed text) in memory. */
export class ProposedContent implements vscode.TextDocumentContentProvider {
  private readonly docs = new Map<string, string>();
  private n = 0;

  add(name: string, text: string): vscode.Uri {
    const uri = vscode.Uri.from({ scheme: PROPOSED_SCHEME, path: `/${++this.n}/${name}` });
    this.docs.set(uri.toString(), text);
    return uri;
  }

  drop(uri: vscode.Uri): void {
    this.docs.delete(uri.toString());
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.docs.get(uri.toString()) ?? '';
  }
}

/** Which file a block is for: the one it names (inside the workspace), else the last editor's. */
async function targetFor(file: string | undefined, tracker: EditorTracker): Promise<{ uri: vscode.Uri; exists: boolean } | string> {
  if (file) {
    const folders = vscode.workspace.workspaceFolders ?? [];
    for (const f of folders) {
      const rel = safeRelativePath(file, f.uri.fsPath);
      if (rel === undefined) continue;
      const uri = vscode.Uri.joinPath(f.uri, rel);
      try {
        await vscode.workspace.fs.stat(uri);
        return { uri, exists: true };
      } catch {
        // try the next folder
      }
    }
    const rel = folders.length ? safeRelativePath(file, folders[0].uri.fsPath) : undefined;
    if (rel !== undefined) return { uri: vscode.Uri.joinPath(folders[0].uri, rel), exists: false };
    return `${file} is outside the workspace: open the file it is meant for and use Apply to File again.`;
  }
  const last = tracker.last;
  if (!last) return 'Open the file the code is meant for, then use Apply to File again.';
  return { uri: last.uri, exists: true };
}

async function insertAtCursor(code: string, tracker: EditorTracker): Promise<void> {
  const last = tracker.last;
  if (!last) {
    void vscode.window.showWarningMessage('BYOK: no editor to insert into — click into a file first.');
    return;
  }
  const doc = await vscode.workspace.openTextDocument(last.uri);
  const edit = new vscode.WorkspaceEdit();
  edit.replace(last.uri, last.selection, code);
  if (!(await vscode.workspace.applyEdit(edit))) {
    void vscode.window.showErrorMessage(`BYOK: could not insert into ${vscode.workspace.asRelativePath(last.uri)}.`);
    return;
  }
  const start = last.selection.start;
  const endOffset = doc.offsetAt(start) + code.length;
  const end = doc.positionAt(endOffset);
  await vscode.window.showTextDocument(doc, { preserveFocus: false, preview: false, selection: new vscode.Selection(end, end), viewColumn: visibleColumn(last.uri) });
}

function visibleColumn(uri: vscode.Uri): vscode.ViewColumn | undefined {
  return vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString())?.viewColumn;
}

export async function closeDiff(proposed: vscode.Uri): Promise<void> {
  for (const group of vscode.window.tabGroups.all)
    for (const tab of group.tabs)
      if (tab.input instanceof vscode.TabInputTextDiff && tab.input.modified.toString() === proposed.toString()) await vscode.window.tabGroups.close(tab);
}

/**
 * Shows `text` as a diff against `existing` (or against an empty file when there is none) and
 * asks `question`; true when the user picks `yes`. A cancelled `token` counts as no. The
 * proposal and the diff are gone afterwards either way.
 */
export async function confirmDiff(
  proposed: ProposedContent,
  existing: vscode.Uri | undefined,
  name: string,
  text: string,
  title: string,
  question: string,
  yes: string,
  no: string,
  token?: vscode.CancellationToken,
): Promise<boolean> {
  const right = proposed.add(name, text);
  const left = existing ?? proposed.add(`${name} (new file)`, '');
  try {
    await vscode.commands.executeCommand('vscode.diff', left, right, title, { preview: true });
    const asked = vscode.window.showInformationMessage(question, yes, no);
    const cancelled = new Promise<undefined>((resolve) => token?.onCancellationRequested(() => resolve(undefined)));
    return (await Promise.race([asked, cancelled])) === yes;
  } finally {
    await closeDiff(right);
    proposed.drop(right);
    if (existing === undefined) proposed.drop(left);
  }
}

async function applyToFile(code: string, file: string | undefined, tracker: EditorTracker, proposedDocs: ProposedContent): Promise<void> {
  const target = await targetFor(file, tracker);
  if (typeof target === 'string') {
    void vscode.window.showWarningMessage(`BYOK: ${target}`);
    return;
  }
  const name = target.uri.path.slice(target.uri.path.lastIndexOf('/') + 1);
  const rel = vscode.workspace.asRelativePath(target.uri, false);
  let range: vscode.Range | undefined;
  let version = -1;
  let proposedText = code;
  if (target.exists) {
    const doc = await vscode.workspace.openTextDocument(target.uri);
    const original = doc.getText();
    version = doc.version;
    // The selection the user made in that file is what the block replaces; else the whole file.
    const last = tracker.last;
    range = last && last.uri.toString() === target.uri.toString() && !last.selection.isEmpty ? last.selection : new vscode.Range(doc.positionAt(0), doc.positionAt(original.length));
    proposedText = original.slice(0, doc.offsetAt(range.start)) + code + original.slice(doc.offsetAt(range.end));
  }
  const question = target.exists ? `Apply the proposed change to ${rel}?` : `Create ${rel} with the proposed content?`;
  const apply = await confirmDiff(proposedDocs, target.exists ? target.uri : undefined, name, proposedText, `${rel} ↔ proposed by BYOK chat`, question, 'Apply', 'Discard');
  if (!apply) return;
  const edit = new vscode.WorkspaceEdit();
  if (target.exists && range) {
    const doc = await vscode.workspace.openTextDocument(target.uri);
    if (doc.version !== version) {
      void vscode.window.showWarningMessage(`BYOK: ${rel} changed while the diff was open; nothing applied. Use Apply to File again.`);
      return;
    }
    edit.replace(target.uri, range, code);
  } else {
    edit.createFile(target.uri, { ignoreIfExists: false });
    edit.insert(target.uri, new vscode.Position(0, 0), code);
  }
  if (!(await vscode.workspace.applyEdit(edit))) {
    void vscode.window.showErrorMessage(`BYOK: could not apply the change to ${rel}.`);
    return;
  }
  await vscode.window.showTextDocument(target.uri, { preview: false, viewColumn: visibleColumn(target.uri) });
}

export async function runCodeAction(action: CodeAction, code: string, file: string | undefined, tracker: EditorTracker, proposed: ProposedContent): Promise<void> {
  switch (action) {
    case 'copy':
      await vscode.env.clipboard.writeText(code);
      vscode.window.setStatusBarMessage('BYOK: code copied', 2000);
      return;
    case 'insert':
      return insertAtCursor(code, tracker);
    case 'apply':
      return applyToFile(code, file, tracker, proposed);
  }
}
