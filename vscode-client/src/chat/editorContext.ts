/** What the chat knows of the editor: the last text editor the user was in, attachments, files. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Attachment, LspRange } from '../shared/chatTypes';
import { rankPaths } from '../shared/fileMatch';
import { lineSpan } from '../shared/inlineContext';

export interface EditorSpot {
  uri: vscode.Uri;
  selection: vscode.Selection;
  version: number;
}

const TEXT_SCHEMES = new Set(['file', 'untitled', 'vscode-remote', 'vscode-userdata']);

/**
 * Remembers the last text editor and its selection: while the chat panel has focus VS Code has
 * no active text editor, yet Insert at Cursor and Apply to File are about that one.
 */
export class EditorTracker implements vscode.Disposable {
  private spot: EditorSpot | undefined;
  private readonly subs: vscode.Disposable[];

  constructor() {
    this.remember(vscode.window.activeTextEditor);
    this.subs = [
      vscode.window.onDidChangeActiveTextEditor((e) => this.remember(e)),
      vscode.window.onDidChangeTextEditorSelection((e) => {
        if (this.spot && e.textEditor.document.uri.toString() === this.spot.uri.toString()) this.remember(e.textEditor);
      }),
    ];
  }

  private remember(e: vscode.TextEditor | undefined): void {
    if (!e || !TEXT_SCHEMES.has(e.document.uri.scheme)) return;
    this.spot = { uri: e.document.uri, selection: e.selection, version: e.document.version };
  }

  get last(): EditorSpot | undefined {
    return this.spot;
  }

  dispose(): void {
    this.subs.forEach((d) => d.dispose());
  }
}

export function toLspRange(r: vscode.Range): LspRange {
  return { start: { line: r.start.line, character: r.start.character }, end: { line: r.end.line, character: r.end.character } };
}

export function displayPath(uri: vscode.Uri): string {
  return uri.scheme === 'file' ? vscode.workspace.asRelativePath(uri, false) : path.posix.basename(uri.path);
}

let seq = 0;

export function selectionAttachment(doc: vscode.TextDocument, sel: vscode.Selection): Attachment {
  const range = new vscode.Range(sel.start, sel.end);
  const lsp = toLspRange(range);
  return { id: `sel-${++seq}`, kind: 'selection', label: `${displayPath(doc.uri)}:${lineSpan(lsp)}`, uri: doc.uri.toString(), range: lsp, text: doc.getText(range) };
}

export function fileAttachment(doc: vscode.TextDocument): Attachment {
  return { id: `file-${++seq}`, kind: 'file', label: displayPath(doc.uri), uri: doc.uri.toString() };
}

/** A workspace-relative path the user picked (from `@`) -> its document, inside the workspace only. */
export async function workspaceDocument(rel: string): Promise<vscode.TextDocument | undefined> {
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const uri = vscode.Uri.joinPath(folder.uri, rel);
    if (!uri.path.startsWith(folder.uri.path.replace(/\/?$/, '/'))) continue;
    try {
      await vscode.workspace.fs.stat(uri);
      return await vscode.workspace.openTextDocument(uri);
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

const EXCLUDE = '{**/node_modules/**,**/.git/**,**/.venv/**,**/__pycache__/**,**/dist/**,**/out/**}';
let cache: { at: number; paths: string[] } | undefined;

/** Workspace files for `@`, best matches first (the listing is cached for a few seconds). */
export async function listWorkspaceFiles(query: string, limit = 30): Promise<string[]> {
  if (!cache || Date.now() - cache.at > 5000) {
    const uris = await vscode.workspace.findFiles('**/*', EXCLUDE, 5000);
    cache = { at: Date.now(), paths: uris.map((u) => vscode.workspace.asRelativePath(u, false)) };
  }
  return rankPaths(cache.paths, query, limit);
}
