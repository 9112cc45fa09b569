/** mpool add <mpname> stgdev=<device> [stgsz=N]: add a staging device to an active pool. */
import { Command } from 'commander';
import { Pools } from '../../lib/pools.js';
import { poolName } from '../args.js';
import { ADD_KEYS, paramsHelp, parseParams } from '../params.js';
import { runCommand, UsageError, verboseLog } from '../run.js';

interface Options {
  force?: boolean;
  json?: boolean;
}

export function addCommand(): Command {
  return new Command('add')
    .description('add a staging device to an active mpool')
    .argument('<mpname>', 'pool name')
    .argument('[params...]', 'stgdev=<device> [stgsz=<MiB>]')
    .option('-f, --force', 'overwrite a device that holds an old mpool superblock')
    .option('--json', 'print the pool parameters as JSON')
    .addHelpText('after', `${paramsHelp(ADD_KEYS)}\n\nExamples:\n  mpool add mp1 stgdev=/dev/nvme0n1\n  mpool add mp1 stgdev=/dev/vdc stgsz=8`)
    .action(async (name: string, params: string[], opts: Options, cmd: Command) => {
      const { verbose } = cmd.optsWithGlobals<{ verbose?: boolean }>();
      await runCommand(opts.json ?? false, () => {
        poolName(name);
        const p = parseParams(params, ADD_KEYS);
        if (p.stagingDevice === undefined) throw new UsageError('add needs stgdev=<device>');
        const log = verboseLog(verbose);
        const out = new Pools({ log }).add(name, p.stagingDevice, { mblockSize: p.stagingMblockSize, force: opts.force ?? false });
        log(`added ${p.stagingDevice} to mpool ${name}`);
        return { data: out, text: '' };
      });
    });
}
