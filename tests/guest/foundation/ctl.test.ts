/** The control node and module parameters, as a freshly loaded module presents them. */
import { readFileSync, statSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureLoaded, exists } from '../helpers.js';

beforeAll(() => ensureLoaded());

describe('/dev/mpoolctl', () => {
  it('is a character device, minor 0, owned root:disk with mode 0664', () => {
    const st = statSync('/dev/mpoolctl');
    expect(st.isCharacterDevice()).toBe(true);
    expect(st.mode & 0o7777).toBe(0o664);
    expect(st.uid).toBe(0);
    expect(st.gid).toBe(6);
    expect(st.rdev & 0xff).toBe(0); // minor 0
  });

  it('belongs to the mpool device class', () => {
    expect(exists('/sys/class/mpool/mpoolctl')).toBe(true);
    const dev = readFileSync('/sys/class/mpool/mpoolctl/dev', 'utf8').trim();
    const st = statSync('/dev/mpoolctl');
    expect(dev).toBe(`${Math.floor(st.rdev / 256)}:${st.rdev % 256}`);
  });

  it('leaves /dev/mpool/ for pool nodes (none yet)', () => {
    expect(exists('/dev/mpool')).toBe(false);
  });
});

describe('module parameters', () => {
  const param = (n: string): string => readFileSync(`/sys/module/mpool/parameters/${n}`, 'utf8').trim();

  it.each([
    ['maxunits', '1024'],
    ['rwsz_max_mb', '32'],
    ['rwconc_max', '8'],
    ['rsvd_bios_max', '16'],
    ['chunk_size_kb', '1024'],
    ['xvm_max', '134217728'],
    ['xvm_size_max', '30'],
  ])('%s defaults to %s', (name, value) => {
    expect(param(name)).toBe(value);
  });

  it('only the transfer shape (rwconc_max, chunk_size_kb) is writable at run time', () => {
    const mode = (p: string): number => statSync(`/sys/module/mpool/parameters/${p}`).mode & 0o777;
    expect(['rwconc_max', 'chunk_size_kb'].map(mode)).toEqual([0o644, 0o644]);
    expect(['maxunits', 'rwsz_max_mb', 'rsvd_bios_max', 'xvm_max', 'xvm_size_max'].map(mode)).toEqual([0o444, 0o444, 0o444, 0o444, 0o444]);
  });
});
