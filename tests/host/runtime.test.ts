import { describe, expect, it } from 'vitest';
import { MpoolParams, MpiocList } from '../../userland/src/gen/structs.js';
import { viewOf } from '../../userland/src/uapi/runtime.js';

describe('codec runtime checks', () => {
  const dv = viewOf(new Uint8Array(MpoolParams.size));

  it('rejects a name that does not fit, naming the field', () => {
    const v = { ...MpoolParams.zero(), mp_name: 'x'.repeat(64) };
    expect(() => MpoolParams.encode(dv, 0, v)).toThrow(/mpool_params\.mp_name: .* at most 63 fit/);
  });

  it('rejects out-of-range integers instead of wrapping', () => {
    expect(() => MpoolParams.encode(dv, 0, { ...MpoolParams.zero(), mp_stat: 256 })).toThrow(/mpool_params\.mp_stat/);
    expect(() => MpoolParams.encode(dv, 0, { ...MpoolParams.zero(), mp_uid: -1 })).toThrow(/mpool_params\.mp_uid/);
    expect(() => MpoolParams.encode(dv, 0, { ...MpoolParams.zero(), mp_uid: 1.5 })).toThrow(/mpool_params\.mp_uid/);
    expect(() => MpoolParams.encode(dv, 0, { ...MpoolParams.zero(), mp_mdc_captgt: -1n })).toThrow(/mp_mdc_captgt/);
    expect(() => MpoolParams.encode(dv, 0, { ...MpoolParams.zero(), mp_oidv: [1n] })).toThrow(/expected 2 elements/);
    expect(() => MpoolParams.encode(dv, 0, { ...MpoolParams.zero(), mp_poolid: new Uint8Array(15) })).toThrow(/16 bytes/);
  });

  it('round-trips a full struct', () => {
    const v = {
      ...MpoolParams.zero(),
      mp_name: 'pool0',
      mp_label: 'raw',
      mp_uid: 4294967295,
      mp_mode: 0o660,
      mp_oidv: [0x201n, 0x1201n],
      mp_mdc_captgt: (1n << 63n) + 5n,
      mp_mblocksz: [32, 64],
      mp_poolid: new Uint8Array(16).fill(7),
    };
    MpoolParams.encode(dv, 0, v);
    expect(MpoolParams.decode(dv, 0)).toEqual(v);
  });

  it('decodes a string without a terminating NUL up to its array size', () => {
    const buf = new Uint8Array(MpoolParams.size).fill(0x41);
    expect(MpoolParams.decode(viewOf(buf), 0).mp_name).toBe('A'.repeat(64));
  });

  it('encodes pointers as 64-bit addresses', () => {
    const b = new Uint8Array(16);
    MpiocList.encode(viewOf(b), 0, { ls_cmd: 2, ls_listc: 3, ls_listv: 0xdeadbeef00n });
    expect(Buffer.from(b).toString('hex')).toBe('020000000300000000efbeadde000000');
  });
});
