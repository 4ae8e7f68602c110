/** Choosing the interpreter that runs `-m byok_ls`, and what to tell the user when it lacks the server. */

export type PythonSource = 'setting' | 'python-extension' | 'default';

export interface PythonChoice {
  path: string;
  source: PythonSource;
}

export function defaultPython(platform: string): string {
  return platform === 'win32' ? 'python' : 'python3';
}

/** Expands "~" and "${workspaceFolder}" (and ${env:NAME}) in a configured path. */
export function expandPath(value: string, vars: { home?: string; workspaceFolder?: string; env?: Record<string, string | undefined> }): string {
  let v = value.trim();
  if (vars.home && (v === '~' || v.startsWith('~/') || v.startsWith('~\\'))) v = vars.home + v.slice(1);
  v = v.replace(/\$\{workspaceFolder\}/g, vars.workspaceFolder ?? '${workspaceFolder}');
  v = v.replace(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => vars.env?.[name] ?? '');
  return v;
}

export function pickPython(setting: string | undefined, fromPythonExtension: string | undefined, platform: string): PythonChoice {
  if (setting && setting.trim()) return { path: setting.trim(), source: 'setting' };
  if (fromPythonExtension && fromPythonExtension.trim()) return { path: fromPythonExtension.trim(), source: 'python-extension' };
  return { path: defaultPython(platform), source: 'default' };
}

/** Quotes an interpreter path for a shell command line when needed. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The one command that installs the server for this interpreter. */
export function installCommand(python: string, sourceCheckout: boolean): string {
  return sourceCheckout ? `${shellQuote(python)} -m pip install -e .` : `${shellQuote(python)} -m pip install byok-ls`;
}

export type ProbeOutcome = { ok: true } | { ok: false; reason: 'no-python' | 'not-installed' | 'error'; detail: string };

/** Classifies the result of `python -c "import byok_ls"`. */
export function classifyProbe(err: { code?: string | number | null } | null, stderr: string): ProbeOutcome {
  if (!err) return { ok: true };
  if (err.code === 'ENOENT' || err.code === 'EACCES') return { ok: false, reason: 'no-python', detail: stderr };
  if (/ModuleNotFoundError|No module named/.test(stderr)) return { ok: false, reason: 'not-installed', detail: stderr };
  return { ok: false, reason: 'error', detail: stderr };
}
