import { defineConfig } from 'vitest/config';

/*
 * Three projects. "host" runs anywhere, fast. "packaging" builds the DKMS
 * tree, the Debian package and the npm tarball (a minute; make test runs it
 * after "host", on its own). "guest" runs inside the QEMU
 * guest, one vitest process per boot (tests/vm/suite.ts starts it), with
 * files run one after another in a single process: they share the kernel.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'host',
          include: ['tests/host/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'packaging',
          include: ['tests/packaging/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 600_000,
        },
      },
      {
        test: {
          name: 'guest',
          include: ['tests/guest/**/*.test.ts'],
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
          testTimeout: 120_000,
          hookTimeout: 120_000,
          sequence: { shuffle: false },
        },
      },
    ],
  },
});
