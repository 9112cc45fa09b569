/** mpool add <mpname> stgdev=<device> [stgsz=N]: add a staging device to an active pool. */
import { Command } from 'commander';
import { Pools } from '../../lib/pools.js';
import { poolName } from '../args.js';
import { ADD_KEYS, paramsHelp, parseParams } from '../params.js';
import { runCommand, UsageError } from '../run.js';

interface Options {
  force?: boolean;
}

export function addCommand(): Command {
  return new Command('add')
    .description('add a staging device to an active mpool')
    .argument('<mpname>', 'pool name')
    .argument('[params...]', 'stgdev=<device> [stgsz=<MiB>]')
    .option('-f, --force', 'overwrite a device that holds an old mpool superblock')
    .addHelpText('after', `${paramsHelp(ADD_KEYS)}\n\nExamples:\n  mpool add mp1 stgdev=/dev/nvme0n1\n  mpool add mp1 stgdev=/dev/vdc stgsz=8`)
    .action(async (name: string, params: string[], opts: Options, cmd: Command) => {
      await runCommand(cmd, ({ log }) => {
        poolName(name);
        const p = parseParams(params, ADD_KEYS);
        if (p.stagingDevice === undefined) throw new UsageError('add needs stgdev=<device>');
        const out = new Pools({ log }).add(name, p.stagingDevice, { mblockSize: p.stagingMblockSize, force: opts.force ?? false });
        log(`added ${p.stagingDevice} to mpool ${name}`);
        return { data: out, text: '' };
      });
    });
}
