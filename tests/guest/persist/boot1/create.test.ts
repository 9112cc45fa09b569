/**
 * Persistence, boot 1 of 2: create a pool with a staging class, change its
 * parameters, deactivate. Boot 2 reads it all back from the same disks.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Pool } from '../../../../userland/src/lib/pool.js';
import { Pools } from '../../../../userland/src/lib/pools.js';
import { ensureLoaded, kernelFailuresSince, markKernelLog, writeState } from '../../helpers.js';

const NAME = 'persist0';
const UTYPE = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';

beforeAll(() => ensureLoaded());

describe('persistence: before the reboot', () => {
  it('creates, adds staging, sets params and deactivates', () => {
    const marker = markKernelLog('persist-1');
    const pools = new Pools();
    pools.create(NAME, '/dev/vda', { label: 'before', stagingDevice: '/dev/vdb', stagingMblockSize: 16 });

    const pool = Pool.open(NAME, { write: true });
    let params;
    let props;
    try {
      params = pool.setParams({
        uid: 1234,
        gid: 4321,
        mode: 0o640,
        label: 'persisted',
        readaheadPages: 8,
        spareCapacity: 7,
        spareStaging: 11,
        utype: UTYPE,
      });
      props = pool.props();
    } finally {
      pool.close();
    }
    expect(params).toMatchObject({ uid: 1234, gid: 4321, mode: 0o640, label: 'persisted', readaheadPages: 8 });
    expect(params.spareCapacity).toBe(7);
    expect(params.spareStaging).toBe(11);
    expect(params.utype).toBe(UTYPE);
    expect(params.mblockSize).toEqual({ staging: 16, capacity: 32 });

    pools.deactivate(NAME);
    expect(pools.list().map((p) => p.name)).not.toContain(NAME);
    expect(kernelFailuresSince(marker)).toEqual([]);
    writeState({ params, devices: props.devices });
  });
});
