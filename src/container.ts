/**
 * rawsys/container: a lightweight container runtime on rawsys/exec. One call
 * runs a command in new pid, mount, uts, ipc, cgroup (and network, user)
 * namespaces, on a rootfs made private and pivot_root'ed into, with a
 * minimal /dev, Docker's masked /proc paths, a cgroup (v2 first, v1 on
 * hybrid and legacy hosts) with limits, capabilities reduced to a kept set,
 * no_new_privs, a seccomp filter, optional Landlock, and a native PID 1 that
 * reaps and forwards signals. Everything is set up natively between clone
 * and exec; no JavaScript runs in the container.
 * @packageDocumentation
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as nodePath from 'node:path';
import { Cgroup, CgroupResources, CgroupStats, validateResources } from './cgroup';
import { constants as C } from './constants';
import { toCapability } from './creds';
import { invalidArgType, invalidArgValue } from './errors';
import {
  Command, CommandOptions, CONTAINER_PLAN, ContainerPlan, ExitError, OutputOption, ProcessState, StdinOption,
} from './exec';
import { LandlockSpec } from './landlock';
import { Capability, Signal, Step } from './plan';
import { IdMapping } from './process';
import { compileSeccomp, defaultSeccompProfile, SeccompFilter, SeccompProfile } from './seccomp';
import { signalName, signalNumber } from './signals';

/** A mount inside the container, relative to its root. */
export type ContainerMount =
  | { type: 'bind'; source: string; destination: string; readonly?: boolean }
  | { type: 'tmpfs'; destination: string; size?: number | string; mode?: number }
  | { type: 'proc'; destination: string }
  | { type: 'sysfs'; destination: string };

/** What a container runs and how it is confined. Only `command` is required. */
export interface ContainerSpec {
  /** The program and its arguments; a name without a slash is looked up in the container's PATH. */
  command: readonly string[];
  /** A directory holding the root filesystem; absent: the host's `/`, bind-mounted read-only. */
  rootfs?: string;
  /** Environment added to the defaults (PATH, HOSTNAME, HOME): an object or `KEY=value` strings. */
  env?: Readonly<Record<string, string>> | readonly string[];
  /** Working directory inside the container; default `/`. */
  cwd?: string;
  /** Default: a random 12-hex-digit name, as Docker. */
  hostname?: string;
  /** The payload's ids; default 0:0. */
  user?: { uid: number; gid: number; groups?: readonly number[] };
  /** Root filesystem read-only; always so for the host's root. */
  readonly?: boolean;
  /** Bind mounts, tmpfs, proc, sysfs. A missing destination is created in a `rootfs`; on the host's root it must exist. */
  mounts?: readonly ContainerMount[];
  /** cgroup limits: memory, memorySwap, cpus, cpuWeight, pids, ioWeight (see `Cgroup`). */
  resources?: CgroupResources;
  /** `'none'` (default): a new network namespace with only `lo`, up. `'host'`: the host's network. */
  network?: 'none' | 'host';
  /** Set one to false to share the host's namespace of that kind; pid and mount are always new. */
  namespaces?: { ipc?: boolean; uts?: boolean; cgroup?: boolean };
  /** A user namespace with these maps (rootless containers); the payload's ids are container ids. */
  userns?: { uidMappings: readonly IdMapping[]; gidMappings: readonly IdMapping[] };
  /** Capabilities kept; default Docker's default set ({@link DEFAULT_CAPABILITIES}). */
  capabilities?: readonly Capability[];
  /** Default true. */
  noNewPrivs?: boolean;
  /** `'default'` (the default: {@link defaultSeccompProfile} for the kept capabilities), `'unconfined'`, a profile or a compiled filter. */
  seccomp?: 'default' | 'unconfined' | SeccompProfile | SeccompFilter;
  /**
   * Landlock rules, with absolute paths as the container sees them. A path
   * on a filesystem the container mounts itself (its /tmp, /proc, /sys, the
   * /dev tmpfs, a tmpfs, proc or sysfs of `mounts`) is refused with
   * `ERR_CONTAINER_LANDLOCK`: the ruleset is made before those exist. Paths
   * in the rootfs, in bind mounts and the devices (/dev/null …) work.
   */
  landlock?: LandlockSpec;
  /** The native PID 1 that reaps and forwards signals; default true. */
  init?: boolean;
  /** As rawsys/exec; default `'ignore'` for all three. */
  stdin?: StdinOption;
  stdout?: OutputOption;
  stderr?: OutputOption | 'stdout';
  /** Where the container's cgroup is made: a cgroup directory or Cgroup; default beneath this process's own. */
  cgroupParent?: string | Cgroup;
  /** Stops the container (SIGKILL to all of it) when aborted; `wait()` and `run()` then reject with an AbortError (`ABORT_ERR`). */
  signal?: AbortSignal;
  /** Milliseconds, then SIGKILL to all of it; `wait()` resolves with `signal: 'SIGKILL'`. */
  timeout?: number;
}

/** How a container ended. */
export interface ContainerExit {
  /** The payload's exit status; 128+n when signal n ended it (as Docker and the init report it). */
  exitCode: number;
  /** The name of the signal that ended the payload, or null. */
  signal: string | null;
  /** The OOM killer killed a process of the container. */
  oomKilled: boolean;
  /** The cgroup's figures at the end. */
  stats: CgroupStats;
  /** The state of the container's first process (the init, or the payload with `init: false`). */
  processState: ProcessState;
}

/** Docker's default capability set. */
export const DEFAULT_CAPABILITIES: readonly string[] = Object.freeze([
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
]);

// Docker's masked and read-only /proc and /sys paths.
const MASKED = [
  '/proc/asound', '/proc/acpi', '/proc/interrupts', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];
const READONLY = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];
const DEVICES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'];
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

class ContainerError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

const seccompCache = new Map<string, SeccompFilter>();

function defaultFilter(caps: number[]): SeccompFilter {
  const key = [...caps].sort((a, b) => a - b).join(',');
  let f = seccompCache.get(key);
  if (!f) {
    f = compileSeccomp(defaultSeccompProfile(), { capabilities: caps });
    seccompCache.set(key, f);
  }
  return f;
}

function str(v: unknown, name: string): string {
  if (typeof v !== 'string') throw invalidArgType(name, 'of type string', v);
  if (v === '' || v.includes('\u0000')) throw invalidArgValue(name, v, 'must be a non-empty string without null bytes');
  return v;
}

function absolute(v: unknown, name: string): string {
  const p = str(v, name);
  if (!p.startsWith('/')) throw invalidArgValue(name, p, 'must be an absolute path inside the container');
  return nodePath.posix.normalize(p);
}

/** The host path of a container path below root `R`, refusing `..` escapes. */
function under(root: string, p: string): string {
  return nodePath.join(root, nodePath.posix.normalize(`/${p}`));
}

function tmpfsData(size: unknown, mode: unknown, name: string): string {
  const parts: string[] = [];
  if (size !== undefined) {
    if (typeof size === 'number') {
      if (!Number.isSafeInteger(size) || size <= 0) throw invalidArgValue(`${name}.size`, size, 'must be a positive number of bytes');
      parts.push(`size=${size}`);
    } else if (typeof size === 'string' && /^\d+[kKmMgG%]?$/.test(size)) {
      parts.push(`size=${size}`);
    } else {
      throw invalidArgValue(`${name}.size`, size, "must be bytes or a size like '64m'");
    }
  }
  if (mode !== undefined) {
    if (typeof mode !== 'number' || !Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw invalidArgValue(`${name}.mode`, mode, 'must be a mode 0 to 0o7777');
    parts.push(`mode=${mode.toString(8)}`);
  }
  return parts.join(',');
}

interface Prepared {
  root: string;
  tmpRoot?: string;
  setup: Step[];
  cloneFlags: number;
  path: string;
  args: string[];
  options: CommandOptions;
}

/** Validates a spec and works out everything that does not create anything. */
function prepare(spec: ContainerSpec): Omit<Prepared, 'options' | 'root' | 'tmpRoot' | 'setup'> & { spec: ContainerSpec } {
  if (spec === null || typeof spec !== 'object') throw invalidArgType('spec', 'of type object', spec);
  if (!Array.isArray(spec.command) || spec.command.length === 0) throw invalidArgType('spec.command', 'a non-empty array of strings', spec.command);
  spec.command.forEach((a, i) => {
    if (typeof a !== 'string') throw invalidArgType(`spec.command[${i}]`, 'of type string', a);
  });
  if (spec.rootfs !== undefined) {
    str(spec.rootfs, 'spec.rootfs');
    let st: fs.Stats;
    try {
      st = fs.statSync(spec.rootfs);
    } catch (e) {
      throw new ContainerError('ERR_CONTAINER_ROOTFS', `rawsys: the rootfs ${spec.rootfs} does not exist (${(e as Error).message})`);
    }
    if (!st.isDirectory()) throw new ContainerError('ERR_CONTAINER_ROOTFS', `rawsys: the rootfs ${spec.rootfs} is not a directory`);
  }
  if (spec.network !== undefined && spec.network !== 'none' && spec.network !== 'host') {
    throw invalidArgValue('spec.network', spec.network, "must be 'none' or 'host'");
  }
  if (spec.cwd !== undefined) absolute(spec.cwd, 'spec.cwd');
  if (spec.hostname !== undefined) str(spec.hostname, 'spec.hostname');
  (spec.capabilities ?? []).forEach((c, i) => toCapability(c, `spec.capabilities[${i}]`));
  if (spec.capabilities !== undefined && !Array.isArray(spec.capabilities)) throw invalidArgType('spec.capabilities', 'an array', spec.capabilities);
  if (spec.mounts !== undefined && !Array.isArray(spec.mounts)) throw invalidArgType('spec.mounts', 'an array of mounts', spec.mounts);
  (spec.mounts ?? []).forEach((m, i) => {
    const at = `spec.mounts[${i}]`;
    if (m === null || typeof m !== 'object') throw invalidArgType(at, 'of type object', m);
    absolute(m.destination, `${at}.destination`);
    if (m.type === 'bind') {
      str(m.source, `${at}.source`);
      if (!fs.existsSync(m.source)) throw new ContainerError('ERR_CONTAINER_MOUNT', `rawsys: the bind source ${m.source} does not exist`);
    } else if (m.type === 'tmpfs') {
      tmpfsData(m.size, m.mode, at);
    } else if (m.type !== 'proc' && m.type !== 'sysfs') {
      throw invalidArgValue(`${at}.type`, (m as { type: unknown }).type, "must be 'bind', 'tmpfs', 'proc' or 'sysfs'");
    }
  });
  const ns = spec.namespaces ?? {};
  let flags = C.CLONE_NEWPID | C.CLONE_NEWNS;
  if (ns.uts !== false) flags |= C.CLONE_NEWUTS;
  if (ns.ipc !== false) flags |= C.CLONE_NEWIPC;
  // CLONE_NEWCGROUP is not a clone flag here: the namespace is unshared in
  // the child once it has joined its v1 cgroups (see setupSteps).
  if ((spec.network ?? 'none') === 'none') flags |= C.CLONE_NEWNET;
  if (spec.userns !== undefined) flags |= C.CLONE_NEWUSER;
  if (spec.hostname !== undefined && ns.uts === false) throw invalidArgValue('spec.hostname', spec.hostname, 'needs a UTS namespace (namespaces.uts)');
  // Limits are checked now: a memory limit of "-5" is refused before a mount point or temp dir is made.
  if (spec.resources !== undefined) validateResources(spec.resources, 'spec.resources');
  const [name, ...args] = spec.command;
  return { spec, cloneFlags: flags, path: name, args };
}

/** The mounts and namespace setup, run in the child before pivot_root. */
function setupSteps(spec: ContainerSpec, root: string, cloneFlags: number, hostname: string): Step[] {
  const st: Step[] = [];
  const R = (p: string): string => under(root, p);
  const userns = (cloneFlags & C.CLONE_NEWUSER) !== 0;
  const hostRoot = spec.rootfs === undefined;
  const ro = hostRoot || spec.readonly === true;
  // A cgroup namespace rooted at the container's cgroup in every hierarchy:
  // unshared only now, after the v1 joins (the plan's prefix), since a
  // namespace made by clone would be rooted at the parent's v1 cgroups and
  // show the container their paths.
  if (spec.namespaces?.cgroup !== false) st.push({ op: 'unshare', flags: C.CLONE_NEWCGROUP });
  st.push({ op: 'mount', target: '/', flags: C.MS_REC | C.MS_PRIVATE });
  st.push({ op: 'mount', source: hostRoot ? '/' : root, target: root, flags: C.MS_BIND | C.MS_REC });
  if (!hostRoot) for (const d of ['/proc', '/dev', '/sys', '/tmp']) st.push({ op: 'mkdir', path: R(d), existOk: true });
  // In a user namespace the child still has the host's ids, which the maps
  // need not cover: with them it made the directories above in a rootfs it
  // owns on the host; now it becomes the namespace's root, or files it makes
  // on the filesystems it mounts (the /dev tmpfs) fail with EOVERFLOW.
  if (userns) st.push({ op: 'setresgid', rgid: 0 }, { op: 'setresuid', ruid: 0 });
  if (ro) st.push({ op: 'mountSetattr', path: root, recursive: true, set: C.MOUNT_ATTR_RDONLY! });
  const nosuid = C.MS_NOSUID | C.MS_NODEV | C.MS_NOEXEC;
  st.push({ op: 'mount', source: 'proc', target: R('/proc'), fstype: 'proc', flags: nosuid });
  // /dev: a tmpfs with the host's devices bound in (works in user namespaces too).
  st.push({ op: 'mount', source: 'tmpfs', target: R('/dev'), fstype: 'tmpfs', flags: C.MS_NOSUID | C.MS_STRICTATIME, data: 'mode=755,size=65536k' });
  for (const d of DEVICES) {
    if (!fs.existsSync(`/dev/${d}`)) continue;
    st.push({ op: 'touch', path: R(`/dev/${d}`) });
    st.push({ op: 'mount', source: `/dev/${d}`, target: R(`/dev/${d}`), flags: C.MS_BIND });
  }
  st.push({ op: 'mkdir', path: R('/dev/pts') });
  st.push({ op: 'mount', source: 'devpts', target: R('/dev/pts'), fstype: 'devpts', flags: C.MS_NOSUID | C.MS_NOEXEC, data: 'newinstance,ptmxmode=0666,mode=0620' });
  st.push({ op: 'symlink', target: 'pts/ptmx', path: R('/dev/ptmx') });
  st.push({ op: 'mkdir', path: R('/dev/shm'), mode: 0o1777 });
  st.push({ op: 'mount', source: 'shm', target: R('/dev/shm'), fstype: 'tmpfs', flags: nosuid, data: 'mode=1777,size=65536k' });
  if (cloneFlags & C.CLONE_NEWIPC) {
    st.push({ op: 'mkdir', path: R('/dev/mqueue') });
    st.push({ op: 'mount', source: 'mqueue', target: R('/dev/mqueue'), fstype: 'mqueue', flags: nosuid });
  }
  for (const [name, target] of [['fd', '/proc/self/fd'], ['stdin', '/proc/self/fd/0'], ['stdout', '/proc/self/fd/1'], ['stderr', '/proc/self/fd/2']]) {
    st.push({ op: 'symlink', target, path: R(`/dev/${name}`) });
  }
  // /sys read-only: a new sysfs needs the network namespace to be ours.
  if (!userns || (cloneFlags & C.CLONE_NEWNET)) {
    st.push({ op: 'mount', source: 'sysfs', target: R('/sys'), fstype: 'sysfs', flags: nosuid | C.MS_RDONLY });
  } else {
    st.push({ op: 'mount', source: '/sys', target: R('/sys'), flags: C.MS_BIND | C.MS_REC });
    st.push({ op: 'mountSetattr', path: R('/sys'), recursive: true, set: C.MOUNT_ATTR_RDONLY! });
  }
  st.push({ op: 'mount', source: 'tmpfs', target: R('/tmp'), fstype: 'tmpfs', flags: C.MS_NOSUID | C.MS_NODEV, data: 'mode=1777' });
  (spec.mounts ?? []).forEach((m, i) => {
    const dst = R(m.destination);
    if (m.type === 'bind') {
      st.push({ op: 'mount', source: m.source, target: dst, flags: C.MS_BIND | C.MS_REC });
      if (m.readonly) st.push({ op: 'mountSetattr', path: dst, recursive: true, set: C.MOUNT_ATTR_RDONLY! });
    } else if (m.type === 'tmpfs') {
      st.push({ op: 'mount', source: 'tmpfs', target: dst, fstype: 'tmpfs', flags: C.MS_NOSUID | C.MS_NODEV, data: tmpfsData(m.size, m.mode, `spec.mounts[${i}]`) || null });
    } else if (m.type === 'proc') {
      st.push({ op: 'mount', source: 'proc', target: dst, fstype: 'proc', flags: nosuid });
    } else {
      st.push({ op: 'mount', source: 'sysfs', target: dst, fstype: 'sysfs', flags: nosuid | C.MS_RDONLY });
    }
  });
  // Docker's masks: files hidden by /dev/null, directories by an empty read-only tmpfs.
  for (const p of MASKED) {
    let s: fs.Stats;
    try {
      s = fs.statSync(p);
    } catch {
      continue;
    }
    if (s.isDirectory()) st.push({ op: 'mount', source: 'tmpfs', target: R(p), fstype: 'tmpfs', flags: C.MS_RDONLY | nosuid, data: 'size=0' });
    else st.push({ op: 'mount', source: '/dev/null', target: R(p), flags: C.MS_BIND });
  }
  for (const p of READONLY) {
    if (!fs.existsSync(p)) continue;
    st.push({ op: 'mount', source: R(p), target: R(p), flags: C.MS_BIND | C.MS_REC });
    st.push({ op: 'mountSetattr', path: R(p), recursive: true, set: C.MOUNT_ATTR_RDONLY! });
  }
  // Into the new root; the old one is detached (runc's pivot_root(".", ".")).
  st.push({ op: 'chdir', path: root });
  st.push({ op: 'pivotRoot', newRoot: '.', putOld: '.' });
  st.push({ op: 'umount2', target: '.', flags: C.MNT_DETACH });
  st.push({ op: 'chdir', path: '/' });
  if (cloneFlags & C.CLONE_NEWUTS) st.push({ op: 'sethostname', name: hostname });
  if (cloneFlags & C.CLONE_NEWNET) st.push({ op: 'linkUp', name: 'lo' });
  return st;
}

/** The program's path inside the container, found in its PATH when the name has no slash. */
function findInRoot(root: string, name: string, envPath: string): string {
  if (name.includes('/')) return name;
  for (const dir of envPath.split(':')) {
    if (!dir.startsWith('/')) continue;
    const p = nodePath.posix.join(dir, name);
    try {
      const s = fs.lstatSync(under(root, p));
      if (s.isSymbolicLink() || (s.isFile() && (s.mode & 0o111))) return p;
    } catch {
      // not here
    }
  }
  const err = new ContainerError('ENOENT', `ENOENT: no such file or directory, execve '${name}' (not in the container's PATH ${envPath})`) as ContainerError & { syscall: string; path: string; errno: number };
  err.syscall = 'execve';
  err.path = name;
  err.errno = -C.ENOENT;
  throw err;
}

/**
 * A running container: made by {@link create} (or {@link run}). Its cgroup
 * and mount point exist until {@link Container.destroy}.
 */
export class Container {
  /** The container's first process (its PID 1) in this pid namespace. */
  readonly pid: number;
  /** The hostname inside. */
  readonly hostname: string;
  /** The container's cgroup. */
  readonly cgroup: Cgroup;
  #cmd: Command;
  #tmpRoot: string | undefined;
  #initOn: boolean;
  #exit: Promise<ContainerExit> | undefined;
  #destroyed = false;
  #oomBefore: number;

  /** @internal */
  constructor(cmd: Command, cg: Cgroup, hostname: string, tmpRoot: string | undefined, init: boolean, oomBefore: number) {
    this.#cmd = cmd;
    this.pid = cmd.pid!;
    this.cgroup = cg;
    this.hostname = hostname;
    this.#tmpRoot = tmpRoot;
    this.#initOn = init;
    this.#oomBefore = oomBefore;
  }

  /**
   * Waits for the container to end (its PID 1 exits) and reports how, with
   * the cgroup's final figures. Calling it again returns the same promise.
   */
  wait(): Promise<ContainerExit> {
    this.#exit ??= (async () => {
      let state: ProcessState;
      try {
        state = await this.#cmd.wait();
      } catch (e) {
        if (e instanceof ExitError) state = e.processState;
        else throw e;
      }
      const stats = this.cgroup.stats();
      let exitCode: number;
      let signal: string | null;
      if (state.signal !== null) {
        exitCode = 128 + signalNumber(state.signal);
        signal = state.signal;
      } else {
        exitCode = state.exitCode!;
        signal = this.#initOn && exitCode > 128 && exitCode < 128 + 65 ? (signalName(exitCode - 128) ?? null) : null;
      }
      const oomKilled = (stats.oomKills ?? 0) > this.#oomBefore;
      return { exitCode, signal, oomKilled, stats, processState: state };
    })();
    return this.#exit;
  }

  /**
   * Sends `signal` to the container's PID 1 through its pidfd: the init
   * forwards SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH
   * to the payload; SIGKILL ends the whole container.
   * @returns false when it has already exited
   */
  kill(signal: Signal = 'SIGTERM'): boolean {
    return this.#cmd.kill(signal);
  }

  /** The cgroup's figures now (memory, CPU, pids, OOM kills). */
  stats(): CgroupStats {
    return this.cgroup.stats();
  }

  /** Freezes every process of the container (cgroup v2 cgroup.freeze, or the v1 freezer). */
  pause(): Promise<void> {
    return this.cgroup.freeze();
  }

  /** Thaws it. */
  resume(): Promise<void> {
    return this.cgroup.thaw();
  }

  /**
   * Kills whatever is left (SIGKILL to the cgroup), reaps the PID 1, removes
   * the cgroup in every hierarchy and the host-side mount point. Idempotent.
   */
  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#cmd.kill('SIGKILL');
    await this.wait().catch(() => {});
    try {
      await this.cgroup.destroy();
    } finally {
      if (this.#tmpRoot) fs.rmdirSync(this.#tmpRoot);
    }
  }
}

/**
 * Creates and starts a container; resolves once its payload has been
 * exec'd (or its init started). Bad specs (a missing rootfs, a memory limit
 * of "-5", an unknown capability) are refused before anything is created; a
 * failure half-way removes the cgroup and mount point it made.
 * @throws {TypeError|RangeError} bad spec, with Node codes; a `SyscallError` naming the step that failed (`pivot_root`, `mount`, `execve` …)
 * @see https://man7.org/linux/man-pages/man7/namespaces.7.html
 */
export async function create(spec: ContainerSpec): Promise<Container> {
  const pre = prepare(spec);
  const hostname = spec.hostname ?? crypto.randomBytes(6).toString('hex');
  const user = spec.user;
  const caps = (spec.capabilities ?? DEFAULT_CAPABILITIES).map((c, i) => toCapability(c, `spec.capabilities[${i}]`));
  let seccomp: SeccompFilter | SeccompProfile | undefined;
  const sc = spec.seccomp ?? 'default';
  if (sc === 'default') seccomp = defaultFilter(caps);
  else if (sc !== 'unconfined') seccomp = sc;
  const envObj: Record<string, string> = { PATH: DEFAULT_PATH, HOSTNAME: hostname, HOME: user && user.uid !== 0 ? '/' : '/root' };
  const extra = spec.env === undefined ? [] : Array.isArray(spec.env) ? spec.env : Object.entries(spec.env).map(([k, v]) => `${k}=${v}`);
  for (const e of extra as string[]) {
    const i = e.indexOf('=');
    if (i <= 0) throw invalidArgValue('spec.env', e, 'must be KEY=value');
    envObj[e.slice(0, i)] = e.slice(i + 1);
  }
  const rootfs = spec.rootfs === undefined ? undefined : fs.realpathSync(spec.rootfs);
  // Before the temp dir: a bad Landlock path leaves nothing behind.
  const landlock = spec.landlock === undefined ? undefined : rootedLandlock(spec.landlock, spec, rootfs ?? '/');
  let tmpRoot: string | undefined;
  let root: string;
  if (rootfs !== undefined) {
    root = rootfs;
  } else {
    tmpRoot = fs.mkdtempSync(nodePath.join(os.tmpdir(), 'rawsys-root-'));
    root = tmpRoot;
  }
  let cg: Cgroup | undefined;
  try {
    const path = findInRoot(spec.rootfs === undefined ? '/' : root, pre.path, envObj.PATH);
    // Mount points the rootfs lacks are made now, on the host side (as Docker does).
    for (const m of spec.mounts ?? []) {
      const dst = under(root, m.destination);
      if (fs.existsSync(dst)) continue;
      if (spec.rootfs === undefined) throw new ContainerError('ERR_CONTAINER_MOUNT', `rawsys: ${m.destination} does not exist on the host's root (read-only)`);
      if (m.type === 'bind' && !fs.statSync(m.source).isDirectory()) {
        fs.mkdirSync(nodePath.dirname(dst), { recursive: true });
        fs.writeFileSync(dst, '');
      } else {
        fs.mkdirSync(dst, { recursive: true });
      }
    }
    const parent = spec.cgroupParent;
    cg = Cgroup.create({ resources: spec.resources, ...(parent !== undefined ? { parent } : {}) });
    const oomBefore = 0; // a new cgroup: its oom_kill counters start at 0
    const setup = setupSteps(spec, root, pre.cloneFlags, hostname);
    let cgroupFd: number | undefined;
    let prefix: Step[];
    try {
      cgroupFd = cg.v2Fd();
      prefix = cg.joinSteps({ v2: false });
    } catch {
      prefix = cg.joinSteps();
    }
    const plan: ContainerPlan = { prefix, setup, init: spec.init !== false, cgroupFd };
    const options: CommandOptions = {
      env: envObj,
      cwd: spec.cwd ?? '/',
      stdin: spec.stdin,
      stdout: spec.stdout,
      stderr: spec.stderr,
      signal: spec.signal,
      timeout: spec.timeout,
      killSignal: 'SIGKILL',
      reject: false,
      sys: {
        cloneFlags: pre.cloneFlags,
        ...(spec.userns ? { uidMappings: spec.userns.uidMappings, gidMappings: spec.userns.gidMappings } : {}),
        ...(user ? { credential: { uid: user.uid, gid: user.gid, groups: user.groups } } : {}),
        capabilities: { keep: caps },
        noNewPrivs: spec.noNewPrivs !== false,
        ...(seccomp ? { seccomp } : {}),
        ...(landlock ? { landlock } : {}),
      },
      [CONTAINER_PLAN]: plan,
    };
    const cmd = new Command(path, pre.args, options);
    try {
      await cmd.start();
    } finally {
      cg.release();
    }
    return new Container(cmd, cg, hostname, tmpRoot, plan.init, oomBefore);
  } catch (e) {
    if (cg) await cg.destroy().catch(() => {});
    if (tmpRoot) fs.rmdirSync(tmpRoot);
    throw e;
  }
}

/**
 * Landlock rules attach to inodes, and the ruleset is made in this process
 * before the container's mounts exist: each container path becomes the
 * host path whose inode the container will see there — beneath the rootfs
 * (the host's `/` without one), a bind mount's source, a device bound from
 * the host's /dev. A path on a filesystem the container mounts itself (its
 * /tmp, /proc, /sys, /dev tmpfs, a tmpfs, proc or sysfs of `mounts`) has no
 * inode yet: a rule on the directory beneath would never match (Landlock
 * skips covered mount points), so it is refused.
 */
function rootedLandlock(ll: LandlockSpec, spec: ContainerSpec, rootSource: string): LandlockSpec {
  if (ll === null || typeof ll !== 'object') throw invalidArgType('spec.landlock', 'a Landlock spec', ll);
  // The container's mounts in the order they are made: [destination, host source or null for its own filesystems].
  const mounts: Array<[string, string | null]> = [['/', rootSource], ['/proc', null], ['/dev', null]];
  for (const d of DEVICES) mounts.push([`/dev/${d}`, `/dev/${d}`]);
  mounts.push(['/dev/pts', null], ['/dev/shm', null], ['/dev/mqueue', null], ['/sys', null], ['/tmp', null]);
  for (const m of spec.mounts ?? []) {
    mounts.push([nodePath.posix.normalize(m.destination), m.type === 'bind' ? m.source : null]);
  }
  const toHost = (p: unknown, name: string): string => {
    const cp = absolute(p, name);
    let best: [string, string | null] = mounts[0];
    for (const m of mounts) {
      const [dst] = m;
      if ((cp === dst || cp.startsWith(dst === '/' ? '/' : `${dst}/`)) && dst.length >= best[0].length) best = m;
    }
    const [dst, src] = best;
    if (src === null) {
      throw new ContainerError('ERR_CONTAINER_LANDLOCK', `rawsys: the Landlock path ${cp} (${name}) is on a filesystem the container mounts itself (${dst}), which does not exist yet when the ruleset is made; allow a directory above its mount point, or bind-mount a host directory there`);
    }
    return nodePath.join(src, nodePath.posix.relative(dst, cp));
  };
  const map = (key: 'read' | 'write' | 'execute'): readonly string[] | undefined => {
    const l = (ll as Record<string, unknown>)[key];
    if (l === undefined) return undefined;
    if (!Array.isArray(l)) throw invalidArgType(`spec.landlock.${key}`, 'an array of paths', l);
    return l.map((p, i) => toHost(p, `spec.landlock.${key}[${i}]`));
  };
  const out: LandlockSpec = { ...ll };
  for (const key of ['read', 'write', 'execute'] as const) {
    const l = map(key);
    if (l !== undefined) out[key] = l;
  }
  return out;
}

/**
 * Runs a container to its end: {@link create}, wait, destroy. Resolves with
 * how it ended — a non-zero exit is not an error here; read `exitCode`.
 * @throws as {@link create}
 * @see https://man7.org/linux/man-pages/man2/pivot_root.2.html
 */
export async function run(spec: ContainerSpec): Promise<ContainerExit> {
  const c = await create(spec);
  try {
    return await c.wait();
  } finally {
    await c.destroy();
  }
}
