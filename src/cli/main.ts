#!/usr/bin/env node
/** The `tstack-host` command: a tiny dispatcher over its subcommands. */
import { DEFAULT_SEED, formatDemo, runDemo } from './demo.js';
import { ServeUsageError, parseServeArgs, servePlacement } from './placement-serve.js';

const USAGE = `Usage: tstack-host <command> [options]

Commands:
  demo [--seed N] [--json] [--no-guest]
                             Fill a simulated 4-server hyper-converged cluster and a 3-site cloud with
                             VMs through the placement engine and the scheduler, report placements and
                             utilisation, then boot a tiny guest when libvirtd is reachable.
                             --seed N    seed of the workload and tie-breaks (default ${DEFAULT_SEED})
                             --json      print the report as JSON (the guest's lines go to stderr)
                             --no-guest  do not try libvirt
  placement serve [--host H] [--port P] [--journal PATH] [--tokens FILE] [--randomize-candidates]
                             Serve the OpenStack Placement API (microversions 1.0-1.39) on H:P
                             (default 127.0.0.1:8778). --journal keeps the state in an fsynced
                             journal; --tokens FILE switches from noauth2 to static tokens with roles;
                             --randomize-candidates shuffles allocation candidates (Placement's
                             randomize_allocation_candidates).
  help                       Show this text.
`;

class UsageError extends Error {}

async function demo(args: readonly string[]): Promise<number> {
  let seed = DEFAULT_SEED;
  let json = false;
  let guest = true;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--json') json = true;
    else if (arg === '--no-guest') guest = false;
    else if (arg === '--seed' || arg.startsWith('--seed=')) {
      const value = arg === '--seed' ? args[++i] : arg.slice('--seed='.length);
      if (value === undefined || !/^\d+$/.test(value) || Number(value) > 0xffffffff) {
        throw new UsageError(`--seed needs an integer from 0 to 4294967295, not ${JSON.stringify(value ?? '')}.`);
      }
      seed = Number(value);
    } else if (arg === '--help' || arg === '-h') {
      process.stdout.write(USAGE);
      return 0;
    } else throw new UsageError(`Unknown option for demo: ${arg}`);
  }
  const progress = process.stderr.isTTY ? (message: string): void => void process.stderr.write(`${message}\n`) : undefined;
  const { report } = runDemo({ seed, ...(progress !== undefined ? { onProgress: progress } : {}) });
  process.stdout.write(json ? JSON.stringify(report, null, 2) + '\n' : formatDemo(report) + '\n');
  if (guest) {
    // Loaded only here: the libvirt binding is optional and the placement demo must not need it.
    const { demoGuest } = await import('./demo-guest.js');
    const out = json ? process.stderr : process.stdout;
    await demoGuest((line) => void out.write(`${line}\n`));
  }
  return 0;
}

function placement(args: readonly string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'serve') throw new UsageError(`Unknown placement command: ${sub ?? '(none)'}`);
  try {
    return servePlacement(parseServeArgs(rest));
  } catch (error) {
    if (error instanceof ServeUsageError) throw new UsageError(error.message);
    throw error;
  }
}

const COMMANDS: Record<string, (args: readonly string[]) => number | Promise<number>> = {
  demo,
  placement,
  help: () => {
    process.stdout.write(USAGE);
    return 0;
  },
};

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  const run = COMMANDS[command];
  try {
    if (run === undefined) throw new UsageError(`Unknown command: ${command}`);
    return await run(rest);
  } catch (err) {
    if (err instanceof UsageError || err instanceof ServeUsageError) {
      process.stderr.write(`tstack-host: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
}

process.exitCode = await main(process.argv.slice(2));
