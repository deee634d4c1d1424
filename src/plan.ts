// Child plans: the steps a new process runs between clone and exec. They are
// validated here and compiled into flat records (8 int64 words a step; strings
// and byte buffers by index into a table) that native/plan.cc runs in the
// child with raw syscalls only. Nothing here runs in the child.
import { native } from './binding';
import { isMainThread } from 'node:worker_threads';
import { constants as C } from './constants';
import { toCapability, toMask, toResource, toRlimValue } from './creds';
import { fail, invalidArgType, invalidArgValue, outOfRange } from './errors';
import { toSignal } from './signals';
import { validateFd, validateInt32, validateName, validatePath, PathLike } from './validate';

/** A signal: its number, or its name (`'SIGTERM'`). */
export type Signal = number | string;

/** A capability: its number, or its name (`'CAP_NET_ADMIN'`). */
export type Capability = number | string;

/** One step of a child plan. Steps run in order; the last must be `execve` or `exit`. */
export type Step =
  | { op: 'dup2'; oldfd: number; newfd: number }
  | { op: 'close'; fd: number }
  | { op: 'closeRange'; first: number; last?: number; cloexec?: boolean }
  | { op: 'closeExcept'; keep: readonly number[] }
  | { op: 'chdir'; path: PathLike }
  | { op: 'fchdir'; fd: number }
  | { op: 'setsid' }
  | { op: 'setpgid'; pid?: number; pgid?: number }
  | { op: 'sethostname'; name: string }
  | { op: 'unshare'; flags: number }
  | { op: 'setns'; fd: number; nstype?: number }
  | { op: 'mount'; source?: string | null; target: PathLike; fstype?: string | null; flags?: number; data?: string | null }
  | { op: 'umount2'; target: PathLike; flags?: number }
  | { op: 'pivotRoot'; newRoot: PathLike; putOld: PathLike }
  | { op: 'chroot'; path: PathLike }
  | { op: 'setgroups'; groups: readonly number[] }
  | { op: 'setresgid'; rgid: number; egid?: number; sgid?: number }
  | { op: 'setresuid'; ruid: number; euid?: number; suid?: number }
  | { op: 'noNewPrivs' }
  | { op: 'pdeathsig'; signal: Signal }
  | { op: 'keepCaps'; keep?: boolean }
  | { op: 'childSubreaper'; on?: boolean }
  | { op: 'setName'; name: string }
  | { op: 'prctl'; option: number; args?: readonly number[] }
  | { op: 'capBsetDrop'; cap: Capability }
  | { op: 'capset'; effective: readonly Capability[]; permitted: readonly Capability[]; inheritable: readonly Capability[] }
  | { op: 'capAmbientRaise'; cap: Capability }
  | { op: 'capabilities'; keep: readonly Capability[]; ambient?: readonly Capability[] }
  | { op: 'setrlimit'; resource: number | string; soft: number | bigint; hard?: number | bigint }
  | { op: 'sigmask'; signals: readonly Signal[] }
  | { op: 'write'; fd: number; data: string | ArrayBufferView }
  | { op: 'kill'; pid: number; signal: Signal }
  | { op: 'execve'; path: PathLike; argv?: readonly string[]; env?: readonly string[] | Readonly<Record<string, string>> }
  | { op: 'exit'; code?: number }
  /**
   * landlock_restrict_self(2) (Linux 5.13) with a ruleset fd from
   * `landlockRuleset()`: the child and everything it execs are restricted to
   * the ruleset. Needs no_new_privs (a `noNewPrivs` step before it) or
   * CAP_SYS_ADMIN in the child's user namespace, else it fails with `EPERM`.
   * The fd must still be open in the child: put this step before a
   * `closeRange`/`closeExcept` that would close it. Later steps run
   * restricted (an `execve` of a path the ruleset does not allow to execute
   * fails with `EACCES`). Errors name `landlock_restrict_self`: `EPERM`,
   * `EBADF` (not open), `EBADFD` (not a ruleset), `E2BIG` (16 layers
   * already), `ENOSYS`/`EOPNOTSUPP` (no Landlock).
   */
  | { op: 'landlock'; fd: number }
  /**
   * seccomp(2) SECCOMP_SET_MODE_FILTER with a filter from `compileSeccomp`
   * (`struct sock_filter[]`, 1 to BPF_MAXINSNS instructions) and
   * `SECCOMP_FILTER_FLAG_TSYNC`/`_LOG`/`_SPEC_ALLOW` flags. The kernel takes it
   * only with no_new_privs set or CAP_SYS_ADMIN (else EACCES), and it filters
   * every later step: put it last before execve, after `noNewPrivs` and the
   * capability and credential steps, and let the filter allow execve.
   */
  | { op: 'seccomp'; filter: ArrayBufferView; flags?: number }
  /** mkdirat(2); `existOk`: an existing entry is no error. */
  | { op: 'mkdir'; path: PathLike; mode?: number; existOk?: boolean }
  /** mknodat(2): a device node (`mode` with S_IFCHR/S_IFBLK), FIFO or file. */
  | { op: 'mknod'; path: PathLike; mode: number; major?: number; minor?: number }
  /** symlinkat(2): `path` becomes a symbolic link to `target`. */
  | { op: 'symlink'; target: PathLike; path: PathLike }
  /** openat(2) with O_CREAT, then close: an empty file (a bind-mount point), left as is when it exists. */
  | { op: 'touch'; path: PathLike; mode?: number }
  /**
   * mount_setattr(2) (Linux 5.12): `set`/`clear` MOUNT_ATTR_* flags of the
   * mount at `path`, and of every mount below it with `recursive`
   * (AT_RECURSIVE) — a read-only bind of a whole tree.
   */
  | { op: 'mountSetattr'; path: PathLike; recursive?: boolean; set?: number; clear?: number; propagation?: number }
  /** ioctl(2) SIOCSIFFLAGS: sets IFF_UP on the interface `name` (`'lo'` in a new network namespace). */
  | { op: 'linkUp'; name: string }
  | InitStep;

/**
 * A plan step that puts rawsys's init in front of the rest of the plan. The
 * process running the plan forks (clone(2) with `CLONE_VM|CLONE_VFORK`); the
 * new process runs the remaining steps and becomes the payload; the original
 * one, once the payload has exec'd (or exited), execs rawsys-init from
 * {@link initImageFd} with execveat(2) (Linux 3.19). In a child made with
 * `CLONE_NEWPID` that is the namespace's PID 1 and the payload is pid 2.
 *
 * rawsys-init (native/init/init.c, about 1.3 KiB, no libc) keeps every signal
 * blocked and sleeps in rt_sigtimedwait(2); it forwards `signals` to the
 * payload's pid (not its process group), reaps the payload and every orphan
 * (prctl(2) `PR_SET_CHILD_SUBREAPER`, Linux 3.4, so also without a pid
 * namespace), closes every descriptor it inherited, and exits once the
 * payload is reaped: with its exit code, or 128+n when signal n killed it.
 * Waiting for the child returned by fork/clone thus gives the payload's
 * status. A payload step that fails (`execve` ENOENT …) is reported as for a
 * plan without init; the payload then exits 127 and so does init. If
 * execveat of init fails, the payload is killed and reaped and the error is
 * thrown as `execveat`; if the fork fails (`RLIMIT_NPROC` …), as `clone`.
 *
 * fork/clone return once init has been exec'd, but the payload starts first:
 * signals sent to init before it runs wait for it (they stay pending across
 * execve), and orphans made meanwhile are already its own (the subreaper
 * attribute is set before the fork). /proc/<pid>/comm reads `rawsys-init`
 * once init is in its loop.
 *
 * Steps before it run in the process that becomes init, steps after it in
 * the payload only: credentials, capabilities or limits set after it leave
 * init as it was. At most one per plan, never last. Close steps before it
 * spare the init image's descriptor; naming it in `close` or as `dup2`'s
 * `newfd` there is an error. Init forwards to the payload's pid, so with a
 * terminal a key such as Ctrl-C may reach the payload twice (from the
 * terminal, and through init) when both are in the foreground process group.
 */
export interface InitStep {
  op: 'init';
  /** Signals forwarded to the payload. Default: SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGTERM, SIGWINCH. Never SIGKILL, SIGSTOP or SIGCHLD. */
  signals?: readonly Signal[];
}

/** Opcodes: mirror of `enum Op` in native/plan.cc. */
const enum Op {
  Dup2 = 1, Close, CloseRange, Chdir, Fchdir, Setsid, Setpgid, Sethostname, Unshare, Setns, Mount, Umount2,
  PivotRoot, Chroot, Setgroups, Setresgid, Setresuid, Prctl, CapBsetDrop, Capset, CapAmbientRaise, Setrlimit,
  Sigmask, Write, Kill, Execve, Exit, Landlock, Seccomp, Mkdir, Mknod, Symlink, Touch, MountSetattr, LinkUp, Init,
}

/** The signals an init step forwards by default. */
const INIT_FORWARD = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGTERM', 'SIGWINCH'] as const;

/**
 * The sealed memfd holding rawsys-init, the PID 1 run by the plan step
 * `{ op: 'init' }`: memfd_create(2) with `MFD_CLOEXEC|MFD_ALLOW_SEALING`
 * (and `MFD_EXEC` on Linux 6.3+), the image written, then fcntl(2)
 * `F_ADD_SEALS` with `F_SEAL_SEAL|F_SEAL_SHRINK|F_SEAL_GROW|F_SEAL_WRITE`
 * (and `F_SEAL_EXEC` on 6.3+). Made once per process, shared by every worker
 * thread, and kept open: do not close it (if it is closed anyway, the next
 * call makes a new one). Linux 3.17.
 * @returns the descriptor, close-on-exec
 * @throws {SyscallError} `memfd_create` EMFILE, ENOMEM, EACCES (vm.memfd_noexec=2 refuses executable memfds); `write` ENOSPC; `fcntl` EINVAL
 * @see https://man7.org/linux/man-pages/man2/memfd_create.2.html
 */
export function initImageFd(): number {
  const stage = new Int32Array(1);
  const fd = native.initImageFd(stage);
  if (fd < 0) fail(fd, ['memfd_create', 'write', 'fcntl'][stage[0]] ?? 'memfd_create', initImageFd);
  return fd;
}

/** What an error from a compiled record is reported as: the man-page call, path and dest. */
export interface StepInfo {
  syscall: string;
  path?: string;
  dest?: string;
}

/** @internal A plan ready for native/plan.cc. */
export interface CompiledPlan {
  records: BigInt64Array;
  strings: (string | Uint8Array)[];
  info: StepInfo[];
  sigmask: bigint;
}

const C_ = C as unknown as Record<string, number | undefined>;

/** A constant the plan compiler needs; absent only on a build without it. */
function need(name: string): number {
  const v = C_[name];
  if (v === undefined) throw new Error(`rawsys: constant ${name} is missing from this build`);
  return v;
}

/** The highest capability number the running kernel knows (from /proc), else the headers' CAP_LAST_CAP. @internal */
export function lastCap(): number {
  // The running kernel's: it cannot change while this process lives.
  if (cachedLastCap === undefined) {
    try {
      cachedLastCap = Number(require('node:fs').readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'));
    } catch {
      cachedLastCap = need('CAP_LAST_CAP');
    }
  }
  return cachedLastCap;
}
let cachedLastCap: number | undefined;


function id(v: unknown, name: string): number {
  if (v === undefined || v === -1) return -1;
  if (typeof v !== 'number') throw invalidArgType(name, 'of type number', v);
  if (!Number.isInteger(v) || v < 0 || v > 2 ** 32 - 2) throw outOfRange(name, '>= -1 && <= 4294967294', v);
  return v;
}

function pathText(p: string | Uint8Array): string {
  return typeof p === 'string' ? p : Buffer.from(p).toString();
}

/** Environment as `KEY=value` strings, from an array or an object. @internal */
export function envList(env: unknown, name = 'env'): string[] {
  if (Array.isArray(env)) {
    return env.map((e, i) => {
      if (typeof e !== 'string') throw invalidArgType(`${name}[${i}]`, 'of type string', e);
      if (e.includes('\u0000')) throw invalidArgValue(`${name}[${i}]`, e, 'must not contain null bytes');
      return e;
    });
  }
  if (env !== null && typeof env === 'object') {
    const out: string[] = [];
    for (const [k, v] of Object.entries(env as Record<string, unknown>)) {
      if (v === undefined) continue;
      const s = `${k}=${String(v)}`;
      if (s.includes('\u0000')) throw invalidArgValue(`${name}.${k}`, v, 'must not contain null bytes');
      if (k === '' || k.includes('=')) throw invalidArgValue(`${name}.${k}`, k, "is not a valid variable name (empty or with '=')");
      out.push(s);
    }
    return out;
  }
  throw invalidArgType(name, 'an array of strings or an object', env);
}

/**
 * Validates a plan and compiles it. Throws TypeError/RangeError (Node codes)
 * for anything wrong, before any process is created.
 * @internal
 */
export function compilePlan(plan: unknown): CompiledPlan {
  if (!Array.isArray(plan)) throw invalidArgType('plan', 'an array of steps', plan);
  if (plan.length === 0) throw invalidArgValue('plan', plan, 'must end with an execve or exit step');
  const recs: bigint[][] = [];
  const strings: (string | Uint8Array)[] = [];
  const info: StepInfo[] = [];
  let sigmask = 0n;
  // With an init step, the descriptors that close and dup2 steps before it
  // close, checked against the init image's once the whole plan is valid.
  const initAt = plan.findIndex((s: unknown) => (s as { op?: unknown } | null)?.op === 'init');
  const closes: [number, string][] = [];
  const spare = (fd: number, i: number, name: string): number => {
    if (i < initAt) closes.push([fd, name]);
    return fd;
  };
  const str = (v: string | Uint8Array): bigint => {
    strings.push(v);
    return BigInt(strings.length - 1);
  };
  const opt = (v: unknown, name: string): bigint => {
    if (v === undefined || v === null) return -1n;
    return str(validateName(v, name));
  };
  const rec = (inf: StepInfo, ...w: (number | bigint)[]): void => {
    const r = w.map((x) => BigInt(x));
    while (r.length < 8) r.push(0n);
    recs.push(r);
    info.push(inf);
  };
  plan.forEach((step: unknown, i: number) => {
    const at = `plan[${i}]`;
    if (step === null || typeof step !== 'object') throw invalidArgType(at, 'of type object', step);
    const s = step as Record<string, unknown> & { op: unknown };
    const last = i === plan.length - 1;
    switch (s.op) {
      case 'dup2':
        rec({ syscall: 'dup2' }, Op.Dup2, validateFd(s.oldfd, `${at}.oldfd`), spare(validateFd(s.newfd, `${at}.newfd`), i, `${at}.newfd`));
        break;
      case 'close':
        rec({ syscall: 'close' }, Op.Close, spare(validateFd(s.fd, `${at}.fd`), i, `${at}.fd`));
        break;
      case 'closeRange': {
        const first = validateFd(s.first, `${at}.first`);
        const lastFd = s.last === undefined ? 2 ** 32 - 1 : validateInt32(s.last, `${at}.last`, first);
        rec({ syscall: 'close_range' }, Op.CloseRange, first, lastFd, s.cloexec ? need('CLOSE_RANGE_CLOEXEC') : 0);
        break;
      }
      case 'closeExcept': {
        if (!Array.isArray(s.keep)) throw invalidArgType(`${at}.keep`, 'an array of fds', s.keep);
        const keep = [...new Set(s.keep.map((fd: unknown, k: number) => validateFd(fd, `${at}.keep[${k}]`)))].sort((a, b) => a - b);
        let from = 0;
        for (const fd of keep) {
          if (fd > from) rec({ syscall: 'close_range' }, Op.CloseRange, from, fd - 1, 0);
          from = fd + 1;
        }
        rec({ syscall: 'close_range' }, Op.CloseRange, from, 2 ** 32 - 1, 0);
        break;
      }
      case 'chdir': {
        const p = validatePath(s.path, `${at}.path`);
        rec({ syscall: 'chdir', path: pathText(p) }, Op.Chdir, str(p));
        break;
      }
      case 'fchdir':
        rec({ syscall: 'fchdir' }, Op.Fchdir, validateFd(s.fd, `${at}.fd`));
        break;
      case 'setsid':
        rec({ syscall: 'setsid' }, Op.Setsid);
        break;
      case 'setpgid':
        rec({ syscall: 'setpgid' }, Op.Setpgid, s.pid === undefined ? 0 : validateInt32(s.pid, `${at}.pid`, 0),
          s.pgid === undefined ? 0 : validateInt32(s.pgid, `${at}.pgid`, 0));
        break;
      case 'sethostname': {
        if (typeof s.name !== 'string') throw invalidArgType(`${at}.name`, 'of type string', s.name);
        rec({ syscall: 'sethostname' }, Op.Sethostname, str(validateName(s.name, `${at}.name`)));
        break;
      }
      case 'unshare':
        rec({ syscall: 'unshare' }, Op.Unshare, validateInt32(s.flags, `${at}.flags`, 0));
        break;
      case 'setns':
        rec({ syscall: 'setns' }, Op.Setns, validateFd(s.fd, `${at}.fd`), s.nstype === undefined ? 0 : validateInt32(s.nstype, `${at}.nstype`, 0));
        break;
      case 'mount': {
        const target = validatePath(s.target, `${at}.target`);
        rec({ syscall: 'mount', path: pathText(target) }, Op.Mount, opt(s.source, `${at}.source`), str(target), opt(s.fstype, `${at}.fstype`),
          s.flags === undefined ? 0 : BigInt(validateInt32(s.flags, `${at}.flags`, 0)), opt(s.data, `${at}.data`));
        break;
      }
      case 'umount2': {
        const target = validatePath(s.target, `${at}.target`);
        rec({ syscall: 'umount2', path: pathText(target) }, Op.Umount2, str(target), s.flags === undefined ? 0 : validateInt32(s.flags, `${at}.flags`, 0));
        break;
      }
      case 'pivotRoot': {
        const n = validatePath(s.newRoot, `${at}.newRoot`);
        const o = validatePath(s.putOld, `${at}.putOld`);
        rec({ syscall: 'pivot_root', path: pathText(n), dest: pathText(o) }, Op.PivotRoot, str(n), str(o));
        break;
      }
      case 'chroot': {
        const p = validatePath(s.path, `${at}.path`);
        rec({ syscall: 'chroot', path: pathText(p) }, Op.Chroot, str(p));
        break;
      }
      case 'setgroups': {
        if (!Array.isArray(s.groups)) throw invalidArgType(`${at}.groups`, 'an array of gids', s.groups);
        const gids = new Uint32Array(s.groups.map((g: unknown, k: number) => id(g, `${at}.groups[${k}]`)));
        rec({ syscall: 'setgroups' }, Op.Setgroups, str(new Uint8Array(gids.buffer)));
        break;
      }
      case 'setresgid':
        rec({ syscall: 'setresgid' }, Op.Setresgid, id(s.rgid, `${at}.rgid`), id(s.egid ?? s.rgid, `${at}.egid`), id(s.sgid ?? s.rgid, `${at}.sgid`));
        break;
      case 'setresuid':
        rec({ syscall: 'setresuid' }, Op.Setresuid, id(s.ruid, `${at}.ruid`), id(s.euid ?? s.ruid, `${at}.euid`), id(s.suid ?? s.ruid, `${at}.suid`));
        break;
      case 'noNewPrivs':
        rec({ syscall: 'prctl' }, Op.Prctl, need('PR_SET_NO_NEW_PRIVS'), 1);
        break;
      case 'pdeathsig':
        rec({ syscall: 'prctl' }, Op.Prctl, need('PR_SET_PDEATHSIG'), toSignal(s.signal, `${at}.signal`));
        break;
      case 'keepCaps':
        rec({ syscall: 'prctl' }, Op.Prctl, need('PR_SET_KEEPCAPS'), s.keep === false ? 0 : 1);
        break;
      case 'childSubreaper':
        rec({ syscall: 'prctl' }, Op.Prctl, need('PR_SET_CHILD_SUBREAPER'), s.on === false ? 0 : 1);
        break;
      case 'setName': {
        if (typeof s.name !== 'string') throw invalidArgType(`${at}.name`, 'of type string', s.name);
        rec({ syscall: 'prctl' }, Op.Prctl, need('PR_SET_NAME'), str(validateName(s.name, `${at}.name`)), 0, 0, 0, 0, 1);
        break;
      }
      case 'prctl': {
        const args = s.args === undefined ? [] : s.args;
        if (!Array.isArray(args) || args.length > 4) throw invalidArgValue(`${at}.args`, args, 'must be an array of at most 4 numbers');
        rec({ syscall: 'prctl' }, Op.Prctl, validateInt32(s.option, `${at}.option`, 0),
          ...args.map((a: unknown, k: number) => validateInt32(a, `${at}.args[${k}]`)));
        break;
      }
      case 'capBsetDrop':
        rec({ syscall: 'prctl' }, Op.CapBsetDrop, toCapability(s.cap, `${at}.cap`));
        break;
      case 'capAmbientRaise':
        rec({ syscall: 'prctl' }, Op.CapAmbientRaise, toCapability(s.cap, `${at}.cap`));
        break;
      case 'capset':
      case 'capabilities': {
        if (s.op === 'capabilities') {
          if (!Array.isArray(s.keep)) throw invalidArgType(`${at}.keep`, 'an array of capabilities', s.keep);
          if (s.ambient !== undefined && !Array.isArray(s.ambient)) throw invalidArgType(`${at}.ambient`, 'an array of capabilities', s.ambient);
        }
        const lists = s.op === 'capset'
          ? [s.effective, s.permitted, s.inheritable]
          : [s.keep, s.keep, s.ambient === undefined ? s.keep : [...(s.keep as Capability[]), ...(s.ambient as Capability[])]];
        lists.forEach((l, k) => {
          if (!Array.isArray(l)) throw invalidArgType(`${at}.${s.op === 'capset' ? ['effective', 'permitted', 'inheritable'][k] : 'keep'}`, 'an array of capabilities', l);
        });
        if (s.op === 'capabilities') {
          // Everything not kept leaves the bounding set first (needs CAP_SETPCAP, so before capset drops it).
          const keep = toMask(s.keep as Capability[], `${at}.keep`);
          for (let cap = 0; cap <= lastCap(); cap++) {
            if (!(keep & (1n << BigInt(cap)))) rec({ syscall: 'prctl' }, Op.CapBsetDrop, cap);
          }
        }
        const [e, p, inh] = lists.map((l, k) => toMask(l as Capability[], `${at}[${k}]`));
        const lo = (m: bigint): bigint => m & 0xffffffffn;
        const hi = (m: bigint): bigint => m >> 32n;
        rec({ syscall: 'capset' }, Op.Capset, lo(e), hi(e), lo(p), hi(p), lo(inh), hi(inh));
        if (s.op === 'capabilities' && s.ambient !== undefined) {
          (s.ambient as Capability[]).forEach((c, k) => rec({ syscall: 'prctl' }, Op.CapAmbientRaise, toCapability(c, `${at}.ambient[${k}]`)));
        }
        break;
      }
      case 'setrlimit': {
        const soft = toRlimValue(s.soft, `${at}.soft`);
        const hard = s.hard === undefined ? soft : toRlimValue(s.hard, `${at}.hard`);
        rec({ syscall: 'setrlimit' }, Op.Setrlimit, toResource(s.resource, `${at}.resource`), soft, hard);
        break;
      }
      case 'sigmask': {
        if (!Array.isArray(s.signals)) throw invalidArgType(`${at}.signals`, 'an array of signals', s.signals);
        sigmask = 0n;
        s.signals.forEach((sig: unknown, k: number) => {
          const n = toSignal(sig, `${at}.signals[${k}]`);
          if (n > 0) sigmask |= 1n << BigInt(n - 1);
        });
        rec({ syscall: 'rt_sigprocmask' }, Op.Sigmask);
        break;
      }
      case 'write': {
        const data = typeof s.data === 'string' ? Buffer.from(s.data) : s.data;
        if (!ArrayBuffer.isView(data)) throw invalidArgType(`${at}.data`, 'a string or an ArrayBufferView', s.data);
        rec({ syscall: 'write' }, Op.Write, validateFd(s.fd, `${at}.fd`), str(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)));
        break;
      }
      case 'mkdir': {
        const p = validatePath(s.path, `${at}.path`);
        rec({ syscall: 'mkdir', path: pathText(p) }, Op.Mkdir, str(p), s.mode === undefined ? 0o755 : validateInt32(s.mode, `${at}.mode`, 0, 0o7777),
          s.existOk ? 1 : 0);
        break;
      }
      case 'mknod': {
        const p = validatePath(s.path, `${at}.path`);
        const major = s.major === undefined ? 0 : validateInt32(s.major, `${at}.major`, 0, 0xfff);
        const minor = s.minor === undefined ? 0 : validateInt32(s.minor, `${at}.minor`, 0, 0xfffff);
        // The kernel's dev_t encoding (new_encode_dev, as glibc's makedev).
        const dev = (BigInt(minor & 0xff)) | (BigInt(major & 0xfff) << 8n) | (BigInt(minor & ~0xff) << 12n);
        rec({ syscall: 'mknod', path: pathText(p) }, Op.Mknod, str(p), validateInt32(s.mode, `${at}.mode`, 0), dev);
        break;
      }
      case 'symlink': {
        const t = validatePath(s.target, `${at}.target`);
        const p = validatePath(s.path, `${at}.path`);
        rec({ syscall: 'symlink', path: pathText(t), dest: pathText(p) }, Op.Symlink, str(t), str(p));
        break;
      }
      case 'touch': {
        const p = validatePath(s.path, `${at}.path`);
        rec({ syscall: 'open', path: pathText(p) }, Op.Touch, str(p), s.mode === undefined ? 0o644 : validateInt32(s.mode, `${at}.mode`, 0, 0o7777));
        break;
      }
      case 'mountSetattr': {
        const p = validatePath(s.path, `${at}.path`);
        rec({ syscall: 'mount_setattr', path: pathText(p) }, Op.MountSetattr, str(p), s.recursive ? need('AT_RECURSIVE') : 0,
          s.set === undefined ? 0 : validateInt32(s.set, `${at}.set`, 0), s.clear === undefined ? 0 : validateInt32(s.clear, `${at}.clear`, 0),
          s.propagation === undefined ? 0 : validateInt32(s.propagation, `${at}.propagation`, 0));
        break;
      }
      case 'linkUp': {
        if (typeof s.name !== 'string') throw invalidArgType(`${at}.name`, 'of type string', s.name);
        if (s.name === '' || Buffer.byteLength(s.name) >= 16 || s.name.includes('\u0000')) throw invalidArgValue(`${at}.name`, s.name, 'must be an interface name of 1 to 15 bytes');
        rec({ syscall: 'ioctl', path: s.name }, Op.LinkUp, str(s.name));
        break;
      }
      case 'kill':
        rec({ syscall: 'kill' }, Op.Kill, validateInt32(s.pid, `${at}.pid`), toSignal(s.signal, `${at}.signal`));
        break;
      case 'execve': {
        const p = validatePath(s.path, `${at}.path`);
        const argv = s.argv === undefined ? [pathText(p)] : s.argv;
        if (!Array.isArray(argv)) throw invalidArgType(`${at}.argv`, 'an array of strings', argv);
        argv.forEach((a: unknown, k: number) => validateName(a, `${at}.argv[${k}]`));
        // No env: the process's own environment, copied natively at the spawn
        // (what process.env holds on the main thread; much cheaper than
        // reading process.env). A Worker's process.env is its own copy.
        const env = s.env !== undefined ? envList(s.env, `${at}.env`) : isMainThread ? undefined : envList(process.env, 'process.env');
        const pi = str(p);
        const as = strings.length;
        for (const a of argv) strings.push(a as string);
        const es = env === undefined ? -1 : strings.length;
        for (const e of env ?? []) strings.push(e);
        rec({ syscall: 'execve', path: pathText(p) }, Op.Execve, pi, as, argv.length, es, env === undefined ? -1 : env.length);
        break;
      }
      case 'seccomp': {
        const f = s.filter;
        if (!ArrayBuffer.isView(f)) throw invalidArgType(`${at}.filter`, 'an instance of Uint8Array (struct sock_filter bytes)', f);
        if (f.byteLength === 0 || f.byteLength % 8 !== 0) {
          throw invalidArgValue(`${at}.filter`, f, 'must hold whole struct sock_filter instructions (a non-zero multiple of 8 bytes)');
        }
        const max = need('BPF_MAXINSNS');
        if (f.byteLength / 8 > max) throw outOfRange(`${at}.filter.byteLength`, `<= ${max * 8} (BPF_MAXINSNS instructions)`, f.byteLength);
        const flags = s.flags === undefined ? 0 : validateInt32(s.flags, `${at}.flags`, 0);
        const known = need('SECCOMP_FILTER_FLAG_TSYNC') | need('SECCOMP_FILTER_FLAG_LOG') | need('SECCOMP_FILTER_FLAG_SPEC_ALLOW');
        if ((flags & ~known) !== 0) {
          throw invalidArgValue(`${at}.flags`, s.flags, 'must be SECCOMP_FILTER_FLAG_TSYNC, SECCOMP_FILTER_FLAG_LOG or SECCOMP_FILTER_FLAG_SPEC_ALLOW, or-ed');
        }
        rec({ syscall: 'seccomp' }, Op.Seccomp, str(new Uint8Array(f.buffer, f.byteOffset, f.byteLength)), flags);
        break;
      }
      case 'exit': {
        rec({ syscall: 'exit' }, Op.Exit, s.code === undefined ? 0 : validateInt32(s.code, `${at}.code`, 0, 255));
        break;
      }
      case 'landlock':
        rec({ syscall: 'landlock_restrict_self' }, Op.Landlock, validateFd(s.fd, `${at}.fd`));
        break;
      case 'init': {
        if (i !== initAt) throw invalidArgValue(`${at}.op`, s.op, `is a second init step (plan[${initAt}] is one)`);
        const list = s.signals === undefined ? INIT_FORWARD : s.signals;
        if (!Array.isArray(list)) throw invalidArgType(`${at}.signals`, 'an array of signals', list);
        let forward = 0n;
        list.forEach((sig: unknown, k: number) => {
          const n = toSignal(sig, `${at}.signals[${k}]`);
          if (n === 0 || n === C.SIGKILL || n === C.SIGSTOP || n === C.SIGCHLD) {
            throw invalidArgValue(`${at}.signals[${k}]`, sig, 'cannot be forwarded (0, SIGKILL, SIGSTOP and SIGCHLD are not)');
          }
          forward |= 1n << BigInt(n - 1);
        });
        rec({ syscall: 'execveat' }, Op.Init, -1, str(forward.toString()));  // the fd: below
        break;
      }
      default:
        throw invalidArgValue(`${at}.op`, s.op, 'is not a known step');
    }
    if (last && s.op !== 'execve' && s.op !== 'exit') throw invalidArgValue('plan', plan, 'must end with an execve or exit step');
  });
  if (initAt >= 0) {
    // Made (once per process) only now that the plan is known to be valid.
    const initFd = initImageFd();
    for (const [fd, name] of closes) {
      if (fd === initFd) throw invalidArgValue(name, fd, `is the init image's descriptor, which plan[${initAt}] (init) needs`);
    }
    recs[initAt][1] = BigInt(initFd);
  }
  const records = new BigInt64Array(recs.length * 8);
  recs.forEach((r, k) => records.set(r.map((x) => BigInt.asIntN(64, x)), k * 8));
  return { records, strings, info, sigmask };
}
