/** uuid_le fields are 16 raw bytes; users see the canonical text form. */
export function formatUuid(b: Uint8Array): string {
  const h = Buffer.from(b).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export function parseUuid(s: string): Uint8Array {
  const h = s.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(h)) throw new RangeError(`"${s}" is not a uuid`);
  return new Uint8Array(Buffer.from(h, 'hex'));
}
