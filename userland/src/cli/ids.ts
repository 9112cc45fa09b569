/** User and group names for uid= and gid=, from /etc/passwd and /etc/group (no NSS). */
import { readFileSync } from 'node:fs';

/** name -> id from passwd/group text ("name:x:id:..."). */
export function parseIdFile(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const f = line.split(':');
    const name = f[0];
    const id = Number(f[2]);
    if (name && f.length >= 3 && f[2] !== '' && Number.isInteger(id) && !m.has(name)) m.set(name, id);
  }
  return m;
}

export interface IdResolver {
  user(name: string): number | undefined;
  group(name: string): number | undefined;
  userName(id: number): string | undefined;
  groupName(id: number): string | undefined;
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** A resolver over passwd and group text; the files are read when first needed. */
export function idResolver(passwd: () => string = () => readOr('/etc/passwd'), group: () => string = () => readOr('/etc/group')): IdResolver {
  let users: Map<string, number> | undefined;
  let groups: Map<string, number> | undefined;
  const u = (): Map<string, number> => (users ??= parseIdFile(passwd()));
  const g = (): Map<string, number> => (groups ??= parseIdFile(group()));
  const nameOf = (m: Map<string, number>, id: number): string | undefined => [...m].find(([, v]) => v === id)?.[0];
  return {
    user: (name) => u().get(name),
    group: (name) => g().get(name),
    userName: (id) => nameOf(u(), id),
    groupName: (id) => nameOf(g(), id),
  };
}
