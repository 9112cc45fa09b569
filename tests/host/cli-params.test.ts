/** key=value parameters of the pool commands, and uid/gid names. */
import { describe, expect, it } from 'vitest';
import { idResolver, parseIdFile } from '../../userland/src/cli/ids.js';
import { ACTIVATE_KEYS, ADD_KEYS, CREATE_KEYS, paramsHelp, parseParams, SET_KEYS } from '../../userland/src/cli/params.js';
import { UsageError } from '../../userland/src/cli/run.js';

const passwd = 'root:x:0:0:root:/root:/bin/bash\n# comment\nalice:x:1000:1000::/home/alice:/bin/sh\nbad-line\n';
const group = 'root:x:0:\ndisk:x:6:\nstaff:x:50:alice\n';
const ids = idResolver(() => passwd, () => group);

function usage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof UsageError) return e.message;
    throw e;
  }
  throw new Error('expected a usage error');
}

describe('key=value parameters', () => {
  it('parses every create parameter into library options', () => {
    expect(
      parseParams(
        [
          'uid=alice', 'gid=disk', 'mode=0640', 'label=my db', 'mblocksz=16', 'stgdev=/dev/vdc', 'stgsz=8', 'ra=0',
          'spare_pct_capacity=10', 'spare_pct_staging=100', 'mdc0cap=64', 'mdcncap=32', 'mdcnum=4',
        ],
        CREATE_KEYS,
        ids,
      ),
    ).toEqual({
      uid: 1000,
      gid: 6,
      mode: 0o640,
      label: 'my db',
      mblockSize: 16,
      stagingDevice: '/dev/vdc',
      stagingMblockSize: 8,
      readaheadPages: 0,
      spareCapacity: 10,
      spareStaging: 100,
      mdc0Capacity: 64,
      mdcnCapacity: 32,
      mdcCount: 4,
    });
  });

  it('accepts numeric ids, octal modes with or without a leading 0, and capsz as upstream\'s name for mblocksz', () => {
    expect(parseParams(['uid=0', 'gid=4294967294', 'mode=660'], SET_KEYS, ids)).toEqual({ uid: 0, gid: 0xfffffffe, mode: 0o660 });
    expect(parseParams(['mode=0o600'], SET_KEYS, ids)).toEqual({ mode: 0o600 });
    expect(parseParams(['capsz=64'], CREATE_KEYS, ids)).toEqual({ mblockSize: 64 });
    expect(parseParams([], CREATE_KEYS, ids)).toEqual({});
  });

  it('a bad value names the key and the range', () => {
    expect(usage(() => parseParams(['ra=33'], SET_KEYS, ids))).toBe('ra=33: out of range; ra takes 0..32 (pages)');
    expect(usage(() => parseParams(['ra=-1'], SET_KEYS, ids))).toBe('ra=-1: not a number; ra takes 0..32 (pages)');
    expect(usage(() => parseParams(['mblocksz=0'], CREATE_KEYS, ids))).toBe('mblocksz=0: out of range; mblocksz takes 1..64 (MiB)');
    expect(usage(() => parseParams(['stgsz=65'], CREATE_KEYS, ids))).toBe('stgsz=65: out of range; stgsz takes 1..64 (MiB)');
    expect(usage(() => parseParams(['spare_pct_capacity=101'], SET_KEYS, ids))).toContain('spare_pct_capacity takes 0..100');
    expect(usage(() => parseParams(['mode=0800'], SET_KEYS, ids))).toContain('mode takes octal 0..0777');
    expect(usage(() => parseParams(['mode=1777'], SET_KEYS, ids))).toBe('mode=1777: out of range; mode takes octal 0..0777');
    expect(usage(() => parseParams(['uid=nobody-here'], SET_KEYS, ids))).toBe(
      'uid=nobody-here: no such user; uid takes a name or a number 0..4294967294',
    );
    expect(usage(() => parseParams(['gid=wheel'], SET_KEYS, ids))).toContain('no such group');
    expect(usage(() => parseParams(['uid=4294967295'], SET_KEYS, ids))).toContain('out of range');
    expect(usage(() => parseParams(['label='], SET_KEYS, ids))).toContain('label takes 1..63');
    expect(usage(() => parseParams([`label=${'x'.repeat(64)}`], SET_KEYS, ids))).toContain('label takes 1..63');
    expect(usage(() => parseParams(['stgdev='], ADD_KEYS, ids))).toContain('stgdev takes a block device path');
  });

  it('an unknown key, or one the command does not take, lists what it takes (hidden keys not shown)', () => {
    expect(usage(() => parseParams(['foo=1'], SET_KEYS, ids))).toBe(
      'unknown parameter "foo"; this command takes: uid, gid, mode, label, ra, spare_pct_capacity, spare_pct_staging',
    );
    expect(usage(() => parseParams(['ra=1'], ACTIVATE_KEYS, ids))).toBe('unknown parameter "ra"; this command takes: uid, gid, mode, label');
    expect(usage(() => parseParams(['mdcnum=1'], SET_KEYS, ids))).toContain('unknown parameter "mdcnum"');
    expect(usage(() => parseParams(['x=1'], CREATE_KEYS, ids))).not.toContain('mdc0cap');
  });

  it('refuses non key=value words and keys given twice', () => {
    expect(usage(() => parseParams(['/dev/vdb'], ADD_KEYS, ids))).toBe('"/dev/vdb": expected key=value; parameters: stgdev, stgsz');
    expect(usage(() => parseParams(['=5'], ADD_KEYS, ids))).toContain('expected key=value');
    expect(usage(() => parseParams(['ra=1', 'ra=2'], SET_KEYS, ids))).toBe('ra= given twice');
    expect(usage(() => parseParams(['mblocksz=1', 'capsz=2'], CREATE_KEYS, ids))).toBe('capsz= given twice (also as mblocksz=)');
  });

  it('help lists the visible parameters with their ranges', () => {
    const h = paramsHelp(CREATE_KEYS);
    expect(h).toContain('mblocksz=');
    expect(h).toContain('1..64 (MiB)');
    expect(h).not.toContain('mdcnum');
    expect(h).not.toContain('capsz');
  });
});

describe('/etc/passwd and /etc/group', () => {
  it('maps names to ids and back, skipping comments and junk', () => {
    expect([...parseIdFile(passwd)]).toEqual([
      ['root', 0],
      ['alice', 1000],
    ]);
    expect(ids.group('staff')).toBe(50);
    expect(ids.userName(1000)).toBe('alice');
    expect(ids.groupName(6)).toBe('disk');
    expect(ids.userName(4242)).toBeUndefined();
  });

  it('the system resolver knows root', () => {
    expect(idResolver().user('root')).toBe(0);
  });
});
