/** mpool create <mpname> <device> [p=v...]: make a pool on one device (and a staging device), active on return. */
import { Command } from 'commander';
import { Pools } from '../../lib/pools.js';
import { poolName } from '../args.js';
import { CREATE_KEYS, paramsHelp, parseParams } from '../params.js';
import { runCommand, UsageError } from '../run.js';

interface Options {
  force?: boolean;
}

export function createCommand(): Command {
  return new Command('create')
    .description('create and activate a new mpool on <device>')
    .argument('<mpname>', 'pool name: 1..31 of A-Z a-z 0-9 _ . -, not starting with -')
    .argument('<device>', 'capacity device, e.g. /dev/nvme0n1')
    .argument('[params...]', 'key=value parameters (below)')
    .option('-f, --force', 'overwrite a device that holds an old mpool superblock')
    .addHelpText('after', `${paramsHelp(CREATE_KEYS)}\n\nExamples:\n  mpool create mp1 /dev/nvme0n1\n  mpool create mp1 /dev/vdb mblocksz=16 stgdev=/dev/vdc uid=root mode=0660`)
    .action(async (name: string, device: string, params: string[], opts: Options, cmd: Command) => {
      await runCommand(cmd, ({ log }) => {
        poolName(name);
        const p = parseParams(params, CREATE_KEYS);
        if (p.stagingMblockSize !== undefined && p.stagingDevice === undefined) {
          throw new UsageError('stgsz= needs stgdev= (did you mean mblocksz=, the capacity mblock size?)');
        }
        const pools = new Pools({ log });
        const created = pools.create(name, device, { ...p, force: opts.force ?? false });
        log(`mpool ${name} created (${created.uuid})`);
        return { data: created, text: '' };
      });
    });
}
