/** File names that answers mention, kept inside the workspace folder. */
import * as path from 'node:path';

/**
 * A path a model wrote ("src/a.ts", "./a.ts", "/abs/ws/a.ts") -> relative to `root` (POSIX
 * separators), or undefined when it points outside the folder.
 */
export function safeRelativePath(p: string, root: string): string | undefined {
  const cleaned = p.trim().replace(/\\/g, '/');
  if (!cleaned) return undefined;
  const abs = path.posix.isAbsolute(cleaned) ? path.posix.normalize(cleaned) : path.posix.join(root.replace(/\\/g, '/'), cleaned);
  const rel = path.posix.relative(root.replace(/\\/g, '/'), abs);
  if (!rel || rel.startsWith('..') || path.posix.isAbsolute(rel)) return undefined;
  return rel;
}
