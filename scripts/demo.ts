/**
 * make demo: boot the guest on two blank virtio disks, load the module and
 * drive the CLI through a pool's life (create with a staging device, list,
 * get, mblocks written and committed, one mcache map of them read back
 * and purged, deactivate, scan, activate, destroy), echoing the guest
 * console. Fails like a test would if the kernel log is not clean.
 */
import { join } from 'node:path';
import { boot, buildModule, BUILD, REPO, stockKernel } from '../tests/vm/vm.js';
import { formatVerdict } from '../tests/vm/verdict.js';

const kernel = stockKernel();
const ko = buildModule(kernel);
const mpool = `${REPO}/bin/mpool.js`;
const script = `
set -e
say() { printf '\\n$ %s\\n' "$*"; "$@"; }
echo "demo: kernel $(uname -r), disks: $(ls /dev/vd* | tr '\\n' ' ')"
say insmod ${ko}
say ls -l /dev/mpoolctl
say ${mpool} --version
say ${mpool} create demo /dev/vda label=demo mode=0640 stgdev=/dev/vdb stgsz=16
say ${mpool} list
say ${mpool} get demo
say ls -l /dev/mpool/
head -c 1048576 /dev/urandom > /tmp/a; head -c 20000 /dev/urandom > /tmp/b
A=$(${mpool} mblock demo alloc); B=$(${mpool} mblock demo alloc --staging)
say ${mpool} mblock demo write $A -i /tmp/a --commit
say ${mpool} mblock demo write $B -i /tmp/b --commit
say ${mpool} mblock demo props $A
say sh -c 'sha256sum /tmp/a; (cat /tmp/b; head -c 480 /dev/zero) | sha256sum'
say ${mpool} mcache demo $A $B --sum --purge
say ${mpool} mcache demo $A $B --willneed
say sh -c "${mpool} mcache demo $A --cat | cmp - /tmp/a && echo 'read through the map: the bytes written'"
say ${mpool} mblock demo delete $A
say ${mpool} mblock demo delete $B
say blkid -p /dev/vda
say ${mpool} deactivate demo
say ${mpool} scan
say ${mpool} activate demo
say ${mpool} list --json
say ${mpool} destroy demo
say ${mpool} list
say rmmod mpool
dmesg > dmesg.txt
say sh -c 'dmesg | grep " mpool: "'
`;

const r = await boot({
  kernel,
  share: join(BUILD, 'vm', 'runs', 'demo'),
  script,
  disks: { dir: join(BUILD, 'vm', 'disks', 'demo'), count: 2, sizeMiB: 8192 },
  echo: process.stdout,
  timeoutSec: 600,
});
console.log(`\ndemo: ${r.accel} guest, command started ${((r.bootMs ?? 0) / 1000).toFixed(1)}s after QEMU, whole run ${(r.totalMs / 1000).toFixed(1)}s`);
if (!r.verdict.ok) {
  console.log(`demo: FAILED\n${formatVerdict(r.verdict)}`);
  process.exitCode = 1;
} else {
  console.log('demo: ok (guest exited 0, kernel log clean)');
}
