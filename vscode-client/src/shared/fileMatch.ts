/** Ranking workspace paths for the `@` file picker: name matches before path matches. */

function score(p: string, q: string): number {
  if (!q) return 3;
  const lower = p.toLowerCase();
  const base = lower.slice(lower.lastIndexOf('/') + 1);
  if (base.startsWith(q)) return 0;
  if (base.includes(q)) return 1;
  if (lower.includes(q)) return 2;
  // Letters in order ("chts" matches "chat.ts").
  let i = 0;
  for (const ch of lower) if (ch === q[i]) i++;
  return i === q.length ? 4 : -1;
}

export function rankPaths(paths: readonly string[], query: string, limit = 30): string[] {
  const q = query.toLowerCase();
  return paths
    .map((p) => ({ p, s: score(p, q) }))
    .filter((x) => x.s >= 0)
    .sort((a, b) => a.s - b.s || a.p.length - b.p.length || a.p.localeCompare(b.p))
    .slice(0, limit)
    .map((x) => x.p);
}
