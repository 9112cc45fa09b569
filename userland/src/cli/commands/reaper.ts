/**
 * mpool reaper [--mempct N] [--ttl <us>] [--debug N]: show the mcache
 * reaper's knobs, or set those given (root). Values are range-checked
 * before anything is written: out of range is a usage error.
 */
import { Command } from 'commander';
import { REAPER_KNOBS, type ReaperKnobs, type ReaperUpdate } from '../../lib/reaper.js';
import { table } from '../format.js';
import { runCommand, UsageError } from '../run.js';
import { sysfsPools } from '../sysfs.js';

interface ReaperOptions {
  mempct?: string;
  ttl?: string;
  debug?: string;
}

/** A knob's value from the command line: digits, in the knob's range. */
function knobArg(flag: string, key: keyof ReaperKnobs, v: string): bigint {
  const spec = REAPER_KNOBS[key];
  if (!/^\d+$/.test(v)) throw new UsageError(`${flag} ${v}: not a number; ${spec.file} takes ${spec.range}`);
  const n = BigInt(v);
  if (n < spec.min || n > spec.max) throw new UsageError(`${flag} ${v}: out of range; ${spec.file} takes ${spec.range}`);
  return n;
}

export function reaperRows(k: ReaperKnobs): string[][] {
  return [
    [REAPER_KNOBS.mempct.file, String(k.mempct), REAPER_KNOBS.mempct.range],
    [REAPER_KNOBS.ttlUs.file, k.ttlUs.toString(), REAPER_KNOBS.ttlUs.range],
    [REAPER_KNOBS.debug.file, String(k.debug), REAPER_KNOBS.debug.range],
  ];
}

export function reaperCommand(): Command {
  return new Command('reaper')
    .description("show the mcache reaper's knobs, or set them (root)")
    .option('--mempct <N>', `reap_mempct: ${REAPER_KNOBS.mempct.range}`)
    .option('--ttl <us>', `reap_ttl: ${REAPER_KNOBS.ttlUs.range}`)
    .option('--debug <N>', `reap_debug: ${REAPER_KNOBS.debug.range}`)
    .addHelpText('after', '\nWith no option: the knobs in force. MPOOL_SYSFS_ROOT, when set, is used instead of /sys/class/mpool.')
    .action(async (o: ReaperOptions, cmd: Command) => {
      await runCommand(cmd, ({ log }) => {
        const u: ReaperUpdate = {};
        if (o.mempct !== undefined) u.mempct = Number(knobArg('--mempct', 'mempct', o.mempct));
        if (o.ttl !== undefined) u.ttlUs = knobArg('--ttl', 'ttlUs', o.ttl);
        if (o.debug !== undefined) u.debug = Number(knobArg('--debug', 'debug', o.debug));
        const pools = sysfsPools(log);
        const knobs = Object.keys(u).length === 0 ? pools.reaper() : pools.setReaper(u);
        return { data: knobs, text: table(['KNOB', 'VALUE', 'RANGE'], reaperRows(knobs)) };
      });
    });
}
