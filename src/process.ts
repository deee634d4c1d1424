// Processes: fork/clone with child plans, execve, and waits.
//
// There is no fork that returns into JavaScript in the child: Node's V8 heap
// is mapped MADV_DONTFORK, so such a child dies of SIGSEGV at its first JS
// instruction. fork and clone take a plan (see plan.ts) that native code
// runs in the child, ending in execve or exit, and return once the child has
// exec'd, exited through its plan, or failed (then they throw, naming the
// failing step's call, and the child is already reaped).
import { native } from './binding';
import { constants as C } from './constants';
import { fail, invalidArgValue, SyscallError } from './errors';
import { compilePlan, envList, Step, StepInfo } from './plan';
import { signalName as knownSignal } from './signals';
import { PathLike, validateFd, validateInt32, validateObject, validatePath } from './validate';

/** A child created by {@link fork} or {@link clone}. */
export interface Child {
  /** Its pid, in the caller's pid namespace. */
  pid: number;
  /** A close-on-exec pidfd for it (Linux 5.2+), or undefined on older kernels. Close it when done. */
  pidfd?: number;
}

/** One line of a uid_map or gid_map: `size` ids from `containerId` map to `hostId` upward. */
export interface IdMapping {
  containerId: number;
  hostId: number;
  size: number;
}

/** Options of {@link clone}. */
export interface CloneOptions {
  /** Written to the child's /proc/<pid>/uid_map by the parent before the plan runs (needs CLONE_NEWUSER). */
  uidMappings?: readonly IdMapping[];
  /** Written to /proc/<pid>/gid_map. */
  gidMappings?: readonly IdMapping[];
  /** Written to /proc/<pid>/setgroups before gid_map: `'deny'` is needed for an unprivileged gid_map. */
  setgroups?: 'allow' | 'deny';
  /** A cgroup v2 directory fd: the child starts inside that cgroup (clone3 CLONE_INTO_CGROUP, Linux 5.7). */
  cgroup?: number;
}

/** How a child ended or changed state, decoded from its wait status. */
export interface WaitStatus {
  pid: number;
  /** Exit status (0-255) when it exited, else null. */
  exitCode: number | null;
  /** The signal's name (`'SIGTERM'`) when a signal killed it, else null. */
  signal: string | null;
  /** The signal number when a signal killed it, else null. */
  signalNumber: number | null;
  /** A core dump was written. */
  coreDumped: boolean;
  /** Stopped (WUNTRACED/WSTOPPED); `stopSignal` says by what. */
  stopped: boolean;
  stopSignal: string | null;
  /** Continued by SIGCONT (WCONTINUED). */
  continued: boolean;
}

/** Resource usage of a reaped child (getrusage(2) fields, units as Node's process.resourceUsage()). */
export interface Rusage {
  /** User CPU time, microseconds. */
  userCPUTime: number;
  /** System CPU time, microseconds. */
  systemCPUTime: number;
  /** Maximum resident set size, KiB. */
  maxRSS: number;
  minorPageFault: number;
  majorPageFault: number;
  voluntaryContextSwitches: number;
  involuntaryContextSwitches: number;
}

/** {@link WaitStatus} with the child's {@link Rusage}. */
export interface Wait4Status extends WaitStatus {
  rusage: Rusage;
}

const RECORD = 13;

function mapText(maps: unknown, name: string): string {
  if (maps === undefined) return '';
  if (!Array.isArray(maps)) throw invalidArgValue(name, maps, 'must be an array of { containerId, hostId, size }');
  return maps.map((m: IdMapping, i: number) => {
    const at = `${name}[${i}]`;
    const c = validateInt32(m?.containerId, `${at}.containerId`, 0, 2 ** 31 - 1);
    const h = validateInt32(m?.hostId, `${at}.hostId`, 0, 2 ** 31 - 1);
    const s = validateInt32(m?.size, `${at}.size`, 1, 2 ** 31 - 1);
    return `${c} ${h} ${s}\n`;
  }).join('');
}

/** Arguments of native.spawn / native.spawnAsync, validated. @internal */
export type SpawnArgs = [number, BigInt64Array, (string | Uint8Array)[], BigInt64Array, [string, string, string]];

/** What a spawn needs to report its result. @internal */
export interface SpawnPrep {
  args: SpawnArgs;
  info: StepInfo[];
  needSync: boolean;
}

/** Validates and compiles a spawn; throws before anything is created. @internal */
export function prepareSpawn(flags: number, plan: readonly Step[], options: CloneOptions | undefined): SpawnPrep {
  const compiled = compilePlan(plan);
  const o = validateObject<CloneOptions>(options, 'options') ?? {};
  const uid = mapText(o.uidMappings, 'options.uidMappings');
  const gid = mapText(o.gidMappings, 'options.gidMappings');
  let setgroups = '';
  if (o.setgroups !== undefined) {
    if (o.setgroups !== 'allow' && o.setgroups !== 'deny') throw invalidArgValue('options.setgroups', o.setgroups, "must be 'allow' or 'deny'");
    setgroups = o.setgroups;
  }
  const cgroup = o.cgroup === undefined ? -1 : validateFd(o.cgroup, 'options.cgroup');
  const needSync = uid !== '' || gid !== '' || setgroups !== '';
  if (needSync && !(flags & C.CLONE_NEWUSER)) {
    throw invalidArgValue('options', options, 'has uid/gid mappings, which need CLONE_NEWUSER in flags');
  }
  const opts = new BigInt64Array([needSync ? 1n : 0n, BigInt(cgroup), BigInt.asIntN(64, compiled.sigmask)]);
  return { args: [flags, compiled.records, compiled.strings, opts, [uid, gid, setgroups]], info: compiled.info, needSync };
}

/** Turns native.spawn's [pid, pidfd, step, errno] into a Child or a thrown SyscallError. @internal */
export function spawnResult(prep: SpawnPrep, result: [number, number, number, number], caller: Function): Child {
  const [pid, pidfd, step, errno] = result;
  if (errno !== 0) {
    if (step >= 0) {
      const inf = prep.info[step];
      fail(-errno, inf.syscall, caller, inf.path, inf.dest);
    }
    const parentPart: Record<number, [string, string]> = { [-2]: ['write', 'uid_map'], [-3]: ['write', 'gid_map'], [-4]: ['write', 'setgroups'] };
    const part = parentPart[step];
    if (part) fail(-errno, part[0], caller, `/proc/<child>/${part[1]}`);
    fail(-errno, step === -1 && prep.needSync ? 'write' : 'clone', caller);
  }
  return pidfd >= 0 ? { pid, pidfd } : { pid };
}

function spawn(flags: number, plan: readonly Step[], options: CloneOptions | undefined, caller: Function): Child {
  const prep = prepareSpawn(flags, plan, options);
  return spawnResult(prep, native.spawn(...prep.args), caller);
}

/** Validates clone(2) flags: namespace flags only. @internal */
export function cloneFlags(flags: unknown, name = 'flags'): number {
  const f = validateInt32(flags, name, 0);
  // Namespace flags only. The others would share Node's memory (CLONE_VM),
  // descriptors (CLONE_FILES) or signal handlers (CLONE_SIGHAND) with a child
  // that rewrites them, or make it a thread of Node (CLONE_THREAD); and the
  // low byte is clone(2)'s exit signal, always SIGCHLD here.
  const allowed = C.CLONE_NEWNS | C.CLONE_NEWUTS | C.CLONE_NEWIPC | C.CLONE_NEWUSER | C.CLONE_NEWPID | C.CLONE_NEWNET |
    C.CLONE_NEWCGROUP | C.CLONE_NEWTIME;
  if ((f & ~allowed) !== 0) {
    throw invalidArgValue(name, flags, 'must be CLONE_NEW* flags only (CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP, CLONE_NEWTIME)');
  }
  return f;
}

/**
 * fork(2) with a plan: creates a child that runs `plan` (ending in execve or
 * exit) and returns once it has exec'd, exited through its plan, or failed.
 * Made with clone(CLONE_VM|CLONE_VFORK) on a stack of its own, so its cost
 * does not grow with the heap. The pidfd is close-on-exec.
 * @throws {SyscallError} for the failing step, named after its call: `execve` ENOENT with `path`, `chdir` ENOENT, `pivot_root` EINVAL (`path`, `dest`) …; the child is reaped
 * @see https://man7.org/linux/man-pages/man2/fork.2.html
 */
export function fork(plan: readonly Step[]): Child {
  return spawn(0, plan, undefined, fork);
}

/**
 * clone(2) with a plan: as {@link fork}, with `flags` such as
 * `constants.CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWUSER …`.
 * With uid/gid mappings the parent writes them while the child waits, so the
 * child is made with clone3 (Linux 5.3) like fork (page tables copied); with
 * `options.cgroup` it starts inside that cgroup (CLONE_INTO_CGROUP, Linux 5.7).
 * @throws {SyscallError} as {@link fork}; `clone` EINVAL/EPERM/ENOSPC when the kernel refuses the flags
 * @see https://man7.org/linux/man-pages/man2/clone.2.html
 */
export function clone(flags: number, plan: readonly Step[], options?: CloneOptions): Child {
  return spawn(cloneFlags(flags), plan, options, clone);
}

/**
 * execve(2): replaces the calling process (Node and everything in it) with
 * `path`. Returns only by throwing. Descriptors rawsys made stay
 * close-on-exec; clear FD_CLOEXEC on the ones the new program must keep.
 * @param env environment as `KEY=value` strings or an object; default `process.env`
 * @throws {SyscallError} `ENOENT`, `EACCES`, `ENOEXEC`, `E2BIG` …, with `path`
 * @see https://man7.org/linux/man-pages/man2/execve.2.html
 */
export function execve(path: PathLike, argv?: readonly string[], env?: readonly string[] | Readonly<Record<string, string>>): never {
  const p = validatePath(path);
  const args = argv === undefined ? [typeof p === 'string' ? p : Buffer.from(p).toString()] : envLike(argv, 'argv');
  const r = native.execve(p, args, envList(env === undefined ? process.env : env));
  return fail(r, 'execve', execve, p);
}

function envLike(list: unknown, name: string): string[] {
  if (!Array.isArray(list)) throw invalidArgValue(name, list, 'must be an array of strings');
  return envList(list, name);
}

/** A signal's name; `SIG<n>` for a number no header names. */
function signalName(n: number): string {
  return knownSignal(n) ?? `SIG${n}`;
}

/** @internal */
export function decode(rec: Float64Array, rusage: boolean): WaitStatus | Wait4Status {
  const sig = rec[2];
  const stop = rec[4];
  const st: WaitStatus = {
    pid: rec[0],
    exitCode: rec[1] >= 0 ? rec[1] : null,
    signal: sig > 0 ? signalName(sig) : null,
    signalNumber: sig > 0 ? sig : null,
    coreDumped: rec[3] === 1,
    stopped: stop > 0,
    stopSignal: stop > 0 ? signalName(stop) : null,
    continued: rec[5] === 1,
  };
  if (!rusage) return st;
  return {
    ...st,
    rusage: {
      userCPUTime: rec[6], systemCPUTime: rec[7], maxRSS: rec[8], minorPageFault: rec[9], majorPageFault: rec[10],
      voluntaryContextSwitches: rec[11], involuntaryContextSwitches: rec[12],
    },
  };
}

/**
 * A pid to wait for. Never -1, 0 or a process group: inside Node those would
 * reap children of child_process and libuv, which then wait for ever.
 * @internal
 */
export function waitPid(pid: unknown): number {
  const n = validateInt32(pid, 'pid');
  if (n <= 0) {
    throw invalidArgValue('pid', pid, "must be a child's pid: waiting for any child (-1, 0, -pgid) would reap the children of child_process too");
  }
  return n;
}

/** waitid idtype and id: P_PID with a pid, or P_PIDFD with a pidfd. @internal */
export function waitidTarget(idtype: unknown, id: unknown): [number, number] {
  const t = validateInt32(idtype, 'idtype', 0);
  if (t === C.P_PID) return [t, waitPid(id)];
  if (C.P_PIDFD !== undefined && t === C.P_PIDFD) return [t, validateFd(id, 'id')];
  throw invalidArgValue('idtype', idtype, 'must be P_PID or P_PIDFD (P_ALL and P_PGID would reap the children of child_process too)');
}

/** @internal */
export function waitOptions(options: unknown, dflt: number): number {
  return options === undefined ? dflt : validateInt32(options, 'options', 0);
}

/**
 * waitpid(2): waits for child `pid` to change state and reaps it when it terminated.
 * @param options `constants.WNOHANG`, `WUNTRACED`, `WCONTINUED` or-ed (default 0)
 * @returns its decoded status, or null with WNOHANG when it has not changed state
 * @throws {SyscallError} `ECHILD` (not a child of this process, or already reaped), `EINVAL`
 * @throws {TypeError} `ERR_INVALID_ARG_VALUE` for pid -1, 0 or a process group
 * @see https://man7.org/linux/man-pages/man2/waitpid.2.html
 */
export function waitpid(pid: number, options?: number): WaitStatus | null {
  const rec = new Float64Array(RECORD);
  const r = native.wait(0, 0, waitPid(pid), waitOptions(options, 0), rec);
  if (r < 0) fail(r, 'waitpid', waitpid);
  return r === 0 ? null : decode(rec, false);
}

/**
 * wait4(2): {@link waitpid} that also reports the child's resource usage.
 * @throws {SyscallError} `ECHILD`, `EINVAL`
 * @see https://man7.org/linux/man-pages/man2/wait4.2.html
 */
export function wait4(pid: number, options?: number): Wait4Status | null {
  const rec = new Float64Array(RECORD);
  const r = native.wait(0, 0, waitPid(pid), waitOptions(options, 0), rec);
  if (r < 0) fail(r, 'wait4', wait4);
  return r === 0 ? null : (decode(rec, true) as Wait4Status);
}

/**
 * waitid(2) for one child, by pid (`constants.P_PID`) or by pidfd (`P_PIDFD`, Linux 5.4).
 * @param options `WEXITED` (default), `WSTOPPED`, `WCONTINUED`, `WNOHANG`, `WNOWAIT`
 * @returns the decoded status with resource usage, or null with WNOHANG
 * @throws {SyscallError} `ECHILD`, `EINVAL`, `EBADF` (bad pidfd)
 * @see https://man7.org/linux/man-pages/man2/waitid.2.html
 */
export function waitid(idtype: number, id: number, options?: number): Wait4Status | null {
  const [t, i] = waitidTarget(idtype, id);
  const rec = new Float64Array(RECORD);
  const r = native.wait(1, t, i, waitOptions(options, C.WEXITED), rec);
  if (r < 0) fail(r, 'waitid', waitid);
  return r === 0 ? null : (decode(rec, true) as Wait4Status);
}

export { SyscallError };
