/** The mpool binary: run the CLI on process.argv and exit with its status. */
import { runArgs } from './program.js';

process.exitCode = await runArgs(process.argv.slice(2));
