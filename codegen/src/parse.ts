/**
 * A parser for the subset of C that uapi/mpool_ioctl.h and uapi/mpool_omf.h are written in: object-like
 * #defines, enums, and structs/unions of fixed-width integers, char arrays, uuids,
 * nested structs and user pointers. It records names and shapes only; every size
 * and offset is asked of the C compiler (see probe.ts).
 */
import type { DefineDecl, EnumDecl, FieldDecl, FieldType, HeaderModel, IntCType, StructDecl } from './model.js';

// __le* are the on-media header's (uapi/mpool_omf.h); the codecs are little-endian throughout.
const INT_TYPES: ReadonlySet<string> = new Set(['__u8', '__u16', '__u32', '__u64', '__s8', '__s16', '__s32', '__s64', '__le16', '__le32', '__le64']);

export class HeaderParseError extends Error {}

function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, '');
}

function parseDefines(src: string): DefineDecl[] {
  const joined = src.replace(/\\\n/g, ' ');
  const out: DefineDecl[] = [];
  const seen = new Set<string>();
  for (const m of joined.matchAll(/^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)(\(?)(.*)$/gm)) {
    const [, name, paren, rest] = m as unknown as [string, string, string, string];
    const body = rest.trim();
    // Function-like macros, empty markers (include guards, __user) and the
    // header's own assertion helpers are not part of the interface.
    if (paren === '(' || body === '' || name.startsWith('MPOOL_ABI_') || name.startsWith('MPOOL_OMF_') || seen.has(name)) continue;
    seen.add(name);
    const kind = /^_IO(W|R|WR)?\s*\(/.test(body) ? 'ioctl' : body.includes('"') ? 'string' : 'number';
    out.push({ name, body, kind });
  }
  return out;
}

function parseEnums(src: string): EnumDecl[] {
  const out: EnumDecl[] = [];
  for (const m of src.matchAll(/\benum\s+(\w+)\s*\{([^}]*)\}\s*;/g)) {
    const members = (m[2] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')
      .map((s) => s.split('=')[0]!.trim());
    out.push({ name: m[1]!, members });
  }
  return out;
}

function parseFieldType(words: string[], pointer: boolean, text: string): FieldType {
  const core = words.filter((w) => w !== 'const' && w !== '__user' && w !== 'volatile');
  if (pointer) {
    return { kind: 'pointer', target: core.join(' ') };
  }
  if (core.length === 2 && (core[0] === 'struct' || core[0] === 'union')) {
    return { kind: 'struct', name: core[1]! };
  }
  if (core.length === 1) {
    const t = core[0]!;
    if (INT_TYPES.has(t)) return { kind: 'int', ctype: t as IntCType };
    if (t === 'char') return { kind: 'char' };
    if (t === 'uuid_le') return { kind: 'uuid' };
  }
  throw new HeaderParseError(`unsupported field type in "${text}"`);
}

function parseField(decl: string): FieldDecl {
  const text = decl.replace(/\s+/g, ' ').trim();
  const m = /^(.*?)(\*?)\s*(\w+)\s*((?:\[[^\]]+\]\s*)*)$/.exec(text.replace(/\*\s*/g, '* '));
  if (!m) throw new HeaderParseError(`cannot parse field "${text}"`);
  const typeWords = m[1]!.replace(/\*/g, ' * ').split(/\s+/).filter((w) => w !== '');
  const pointer = m[2] === '*' || typeWords.includes('*');
  // Only the rank is taken from the text; the compiler measures every extent.
  const rank = [...(m[4] ?? '').matchAll(/\[([^\]]+)\]/g)].length;
  return {
    name: m[3]!,
    type: parseFieldType(typeWords.filter((w) => w !== '*'), pointer, text),
    rank,
    text,
  };
}

function parseStructs(src: string): StructDecl[] {
  const out: StructDecl[] = [];
  for (const m of src.matchAll(/\b(struct|union)\s+(\w+)\s*\{([^}]*)\}\s*;/g)) {
    const fields = m[3]!
      .split(';')
      .map((s) => s.trim())
      .filter((s) => s !== '')
      .map((s) => parseField(s));
    out.push({ name: m[2]!, isUnion: m[1] === 'union', fields });
  }
  return out;
}

export function parseHeader(source: string): HeaderModel {
  const src = stripComments(source);
  const defines = parseDefines(src);
  const enums = parseEnums(src);
  const enumMembers = new Set(enums.flatMap((e) => e.members));
  const numeric = new Map(defines.filter((d) => d.kind === 'number').map((d) => [d.name, d.body]));
  // A numeric define is part of the userland interface only if it is closed
  // over the header: MPOOL_RA_PAGES_MAX, say, needs the kernel's PAGE_SIZE.
  const closed = defines.filter((d) => {
    if (d.kind !== 'number') return true;
    const ids =
      d.body
        .replace(/'(?:\\.|[^'])'/g, ' ')
        .replace(/\b0x[0-9a-fA-F]+[uUlL]*|\b\d+[uUlL]*/g, ' ')
        .match(/[A-Za-z_]\w*/g) ?? [];
    return ids.every((id) => numeric.has(id) || enumMembers.has(id));
  });
  return { defines: closed, enums, structs: parseStructs(src) };
}
