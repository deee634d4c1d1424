/**
 * The `rawsys` command line: `rawsys run [OPTIONS] -- COMMAND [ARG...]` runs
 * a command in a container (rawsys/container), with Docker's spelling of the
 * options where Docker has one and Docker's exit codes: the payload's status,
 * 125 when rawsys itself fails (bad flags, a spec refused), 126 when the
 * command cannot be invoked, 127 when it is not found.
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import { ContainerMount, ContainerSpec, create, DEFAULT_CAPABILITIES } from './container';
import { toCapability } from './creds';
import { SeccompProfile } from './seccomp';

const HELP = `Usage: rawsys run [OPTIONS] [--] COMMAND [ARG...]

Runs COMMAND in a container: new pid, mount, uts, ipc, cgroup and network
namespaces, a cgroup, Docker's default capabilities, no_new_privs, the default
seccomp profile and a native PID 1 that reaps and forwards signals. Without
--rootfs the host's / is the root, read-only.

Options:
      --rootfs DIR            root filesystem directory (default: the host's /, read-only)
  -m, --memory BYTES          memory limit (64M, 1g, 1048576)
      --memory-swap BYTES     memory + swap limit (Docker's meaning)
      --cpus NUMBER           CPU limit as a number of CPUs (0.5)
      --cpu-shares WEIGHT     relative CPU weight (Docker's 2..262144, default 1024)
      --pids-limit N          most tasks at once (also --pids)
  -h, --hostname NAME         hostname inside (default: random)
  -u, --user UID[:GID]        numeric user (and group) to run as
      --read-only             mount the root filesystem read-only
  -v, --volume SRC:DST[:ro]   bind mount SRC at DST (read-only with :ro)
      --tmpfs DST[:OPTS]      tmpfs at DST; OPTS: a size (64m) or size=64m,mode=1777
  -e, --env KEY=VALUE         set an environment variable (repeatable; KEY alone copies it)
  -w, --workdir DIR           working directory inside
      --net, --network MODE   none (default: only lo) or host
      --cap-add CAP           keep a capability (CAP_NET_ADMIN or NET_ADMIN; ALL)
      --cap-drop CAP          drop a capability (ALL drops every one)
      --seccomp PROFILE       default, unconfined, or a JSON profile file (Docker's format)
      --security-opt OPT      seccomp=PROFILE, no-new-privileges[=true|false]
      --landlock-ro PATH      Landlock: allow reading PATH (and executing from it)
      --landlock-rw PATH      Landlock: allow reading and writing PATH
      --no-init               run COMMAND as PID 1 (no init)
      --stats                 print the cgroup's figures as JSON on stderr at the end
      --help                  this text

Exit status: COMMAND's, 128+n when signal n ended it; 125 when rawsys fails,
126 when COMMAND cannot be invoked, 127 when it is not found.
`;

class UsageError extends Error {}

/** What `rawsys run` was asked for. @internal */
export interface RunArgs {
  spec: ContainerSpec;
  stats: boolean;
}

function parseUser(v: string): { uid: number; gid: number } {
  const m = /^(\d+)(?::(\d+))?$/.exec(v);
  if (!m) throw new UsageError(`invalid --user ${JSON.stringify(v)}: numeric UID[:GID] expected`);
  return { uid: Number(m[1]), gid: Number(m[2] ?? m[1]) };
}

function capName(v: string, flag: string): string {
  const name = v.toUpperCase().startsWith('CAP_') ? v.toUpperCase() : `CAP_${v.toUpperCase()}`;
  try {
    toCapability(name, flag);
  } catch {
    throw new UsageError(`unknown capability ${JSON.stringify(v)} for ${flag}`);
  }
  return name;
}

/**
 * Parses `rawsys run`'s arguments (after `run`) into a container spec.
 * @throws {Error} a usage error, with the message to print
 * @internal
 */
export function parseRunArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): RunArgs | 'help' {
  const spec: ContainerSpec & { mounts: ContainerMount[] } = { command: [], mounts: [], stdin: 'inherit', stdout: 'inherit', stderr: 'inherit' };
  const resources: NonNullable<ContainerSpec['resources']> = {};
  const envList: string[] = [];
  const capAdd: string[] = [];
  const capDrop: string[] = [];
  const llRead: string[] = [];
  const llWrite: string[] = [];
  let stats = false;
  let i = 0;
  const value = (flag: string): string => {
    if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: ${flag}`);
    return argv[++i];
  };
  const num = (flag: string, v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`invalid ${flag} ${JSON.stringify(v)}: a number expected`);
    return n;
  };
  for (; i < argv.length; i++) {
    let a = argv[i];
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') break;
    // --flag=value
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    let inline: string | undefined;
    if (eq > 0) {
      inline = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    const val = (flag: string): string => (inline !== undefined ? inline : value(flag));
    switch (a) {
      case '--help':
        return 'help';
      case '--rootfs': spec.rootfs = val(a); break;
      case '-m': case '--memory': resources.memory = val(a); break;
      case '--memory-swap': resources.memorySwap = val(a); break;
      case '--cpus': resources.cpus = num(a, val(a)); break;
      case '--cpu-shares': {
        const shares = num(a, val(a));
        // Docker's shares (2..262144, 1024 by default) as a cgroup v2 weight (1..10000, 100).
        resources.cpuWeight = Math.min(10000, Math.max(1, Math.round(1 + ((shares - 2) * 9999) / 262142)));
        break;
      }
      case '--pids': case '--pids-limit': resources.pids = num(a, val(a)); break;
      case '-h': case '--hostname': spec.hostname = val(a); break;
      case '-u': case '--user': spec.user = parseUser(val(a)); break;
      case '--read-only': spec.readonly = true; break;
      case '-v': case '--volume': {
        const v = val(a);
        const parts = v.split(':');
        if (parts.length < 2 || parts.length > 3 || !parts[0] || !parts[1] || (parts[2] !== undefined && parts[2] !== 'ro' && parts[2] !== 'rw')) {
          throw new UsageError(`invalid --volume ${JSON.stringify(v)}: SRC:DST[:ro] expected`);
        }
        spec.mounts.push({ type: 'bind', source: parts[0], destination: parts[1], readonly: parts[2] === 'ro' });
        break;
      }
      case '--tmpfs': {
        const v = val(a);
        const c = v.indexOf(':');
        const dst = c < 0 ? v : v.slice(0, c);
        const opts = c < 0 ? '' : v.slice(c + 1);
        const m: ContainerMount = { type: 'tmpfs', destination: dst };
        for (const o of opts ? opts.split(',') : []) {
          const [k, x] = o.includes('=') ? o.split('=', 2) : ['size', o];
          if (k === 'size') m.size = x;
          else if (k === 'mode') m.mode = parseInt(x, 8);
          else if (k !== 'rw') throw new UsageError(`invalid --tmpfs option ${JSON.stringify(o)}: size and mode are supported`);
        }
        spec.mounts.push(m);
        break;
      }
      case '-e': case '--env': {
        const v = val(a);
        if (v.includes('=')) envList.push(v);
        else if (env[v] !== undefined) envList.push(`${v}=${env[v]}`);
        break;
      }
      case '-w': case '--workdir': spec.cwd = val(a); break;
      case '--net': case '--network': {
        const v = val(a);
        if (v !== 'none' && v !== 'host') throw new UsageError(`invalid ${a} ${JSON.stringify(v)}: none or host`);
        spec.network = v;
        break;
      }
      case '--cap-add': capAdd.push(val(a)); break;
      case '--cap-drop': capDrop.push(val(a)); break;
      case '--seccomp': spec.seccomp = seccompArg(val(a)); break;
      case '--security-opt': {
        const v = val(a);
        if (v.startsWith('seccomp=') || v.startsWith('seccomp:')) spec.seccomp = seccompArg(v.slice(8));
        else if (v === 'no-new-privileges' || v === 'no-new-privileges=true' || v === 'no-new-privileges:true') spec.noNewPrivs = true;
        else if (v === 'no-new-privileges=false' || v === 'no-new-privileges:false') spec.noNewPrivs = false;
        else throw new UsageError(`unsupported --security-opt ${JSON.stringify(v)}`);
        break;
      }
      case '--landlock-ro': llRead.push(val(a)); break;
      case '--landlock-rw': llWrite.push(val(a)); break;
      case '--no-init': spec.init = false; break;
      case '--stats': stats = true; break;
      default:
        throw new UsageError(`unknown flag: ${a}`);
    }
  }
  spec.command = argv.slice(i);
  if (spec.command.length === 0) throw new UsageError('no COMMAND given');
  if (Object.keys(resources).length > 0) spec.resources = resources;
  if (envList.length > 0) spec.env = envList;
  if (spec.mounts.length === 0) delete (spec as Partial<typeof spec>).mounts;
  // Capabilities: Docker's default set, plus --cap-add, minus --cap-drop (ALL for all).
  let caps = new Set<string>(DEFAULT_CAPABILITIES);
  for (const c of capAdd) {
    if (c.toUpperCase() === 'ALL') {
      caps = new Set([...caps, ...allCapabilities()]);
    } else {
      caps.add(capName(c, '--cap-add'));
    }
  }
  for (const c of capDrop) {
    if (c.toUpperCase() === 'ALL') caps.clear();
    else caps.delete(capName(c, '--cap-drop'));
  }
  spec.capabilities = [...caps];
  if (llRead.length > 0 || llWrite.length > 0) {
    spec.landlock = { execute: llRead, read: llRead, write: llWrite };
  }
  return { spec, stats };
}

function allCapabilities(): string[] {
  const { constants } = require('./constants') as typeof import('./constants');
  const last = Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'));
  return Object.keys(constants).filter((k) => /^CAP_[A-Z_]+$/.test(k) && k !== 'CAP_LAST_CAP' &&
    (constants as unknown as Record<string, number>)[k] <= last);
}

function seccompArg(v: string): ContainerSpec['seccomp'] {
  if (v === 'default' || v === 'unconfined') return v;
  let text: string;
  try {
    text = fs.readFileSync(v, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read the seccomp profile ${v}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text) as SeccompProfile;
  } catch (e) {
    throw new UsageError(`the seccomp profile ${v} is not JSON: ${(e as Error).message}`);
  }
}

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'] as const;

/**
 * Runs the CLI with `argv` (without node and the script) and resolves with
 * the exit status it should end with.
 * @internal
 */
export async function main(argv: readonly string[]): Promise<number> {
  const err = (m: string): void => { process.stderr.write(`rawsys: ${m}\n`); };
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === 'help') {
    process.stdout.write(HELP);
    return argv.length === 0 ? 125 : 0;
  }
  if (argv[0] !== 'run') {
    err(`unknown command ${JSON.stringify(argv[0])}; see rawsys --help`);
    return 125;
  }
  let parsed: RunArgs | 'help';
  try {
    parsed = parseRunArgs(argv.slice(1));
  } catch (e) {
    err(`${(e as Error).message}\nSee 'rawsys run --help'.`);
    return 125;
  }
  if (parsed === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  const { spec, stats } = parsed;
  let c;
  try {
    c = await create(spec);
  } catch (e) {
    const x = e as { code?: string; syscall?: string; message: string };
    err(x.message);
    if (x.syscall === 'execve' && x.code === 'ENOENT') return 127;
    if (x.syscall === 'execve' && (x.code === 'EACCES' || x.code === 'ENOEXEC' || x.code === 'EPERM')) return 126;
    return 125;
  }
  const handlers = FORWARDED.map((sig) => {
    const h = (): void => { c.kill(sig); };
    process.on(sig, h);
    return [sig, h] as const;
  });
  try {
    const r = await c.wait();
    if (stats) process.stderr.write(`${JSON.stringify({ exitCode: r.exitCode, signal: r.signal, oomKilled: r.oomKilled, ...r.stats })}\n`);
    return r.exitCode;
  } finally {
    for (const [sig, h] of handlers) process.off(sig, h);
    await c.destroy();
  }
}
