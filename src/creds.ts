// Credentials, process groups and sessions, resource limits, prctl(2) and
// capabilities, for the calling process.
//
// Which calls change the whole process and which only the calling thread
// matters in Node, which always runs several threads (the JS thread, V8's
// platform workers, the libuv threadpool, maybe worker_threads):
//  - the kernel keeps uids, gids, supplementary groups, capability sets,
//    securebits (keep-caps) and no_new_privs per thread;
//  - setresuid, setresgid and setgroups go through glibc, whose wrappers
//    broadcast the change to every thread ("setxid"): the whole process
//    changes, as a C program would expect;
//  - capset and the prctl calls have no such broadcast: they change the
//    calling thread (the JS thread, or the worker thread that calls them)
//    alone. Go's syscall package and libcap have the same limitation. To run
//    a program with fewer capabilities, drop them in a child plan instead
//    (`fork`/`clone` steps `capset`, `capBsetDrop`, `capabilities`);
//  - resource limits, the process group, the session and the child-subreaper
//    flag belong to the process.
import { native } from './binding';
import { constants } from './constants';
import { fail, invalidArgType, invalidArgValue, outOfRange } from './errors';
import { toSignal, validatePid } from './signals';
import { validateId, validateInt32 } from './validate';

const C = constants as unknown as Record<string, number | undefined>;

// ---------------------------------------------------------------------------
// Ids

/**
 * getpid(2): the process id of the caller (in the caller's pid namespace). Never fails.
 * @see https://man7.org/linux/man-pages/man2/getpid.2.html
 */
export function getpid(): number {
  return native.getpid();
}

/**
 * getppid(2): the process id of the caller's parent (0 when the parent is in
 * another pid namespace). Never fails.
 * @see https://man7.org/linux/man-pages/man2/getppid.2.html
 */
export function getppid(): number {
  return native.getppid();
}

/**
 * gettid(2): the thread id of the calling thread. On Node's main JS thread it
 * equals the pid; a worker thread has its own. Never fails.
 * @see https://man7.org/linux/man-pages/man2/gettid.2.html
 */
export function gettid(): number {
  return native.gettid();
}

/**
 * getuid(2): the real user id of the calling thread (the same in every thread
 * unless something changed one thread alone with a raw syscall). Never fails.
 * @see https://man7.org/linux/man-pages/man2/getuid.2.html
 */
export function getuid(): number {
  return native.getuid();
}

/**
 * geteuid(2): the effective user id. Never fails.
 * @see https://man7.org/linux/man-pages/man2/geteuid.2.html
 */
export function geteuid(): number {
  return native.geteuid();
}

/**
 * getgid(2): the real group id. Never fails.
 * @see https://man7.org/linux/man-pages/man2/getgid.2.html
 */
export function getgid(): number {
  return native.getgid();
}

/**
 * getegid(2): the effective group id. Never fails.
 * @see https://man7.org/linux/man-pages/man2/getegid.2.html
 */
export function getegid(): number {
  return native.getegid();
}

/**
 * getgroups(2): the supplementary group ids.
 * @returns the gids, in the kernel's order (sorted)
 * @throws {SyscallError} practically never (`ENOMEM`)
 * @see https://man7.org/linux/man-pages/man2/getgroups.2.html
 */
export function getgroups(): number[] {
  const r = native.getgroups();
  if (typeof r === 'number') fail(r, 'getgroups', getgroups);
  const bytes = new Uint8Array(r); // a copy, 4-byte aligned whatever the Buffer's offset
  return Array.from(new Uint32Array(bytes.buffer, 0, bytes.length / 4));
}

/** Real, effective and saved ids, from {@link getresuid} or {@link getresgid}. */
export interface ResIds {
  real: number;
  effective: number;
  saved: number;
}

function resIds(fn: (out: Uint32Array) => number, syscall: string, caller: Function): ResIds {
  const out = new Uint32Array(3);
  const r = fn(out);
  if (r < 0) fail(r, syscall, caller);
  return { real: out[0], effective: out[1], saved: out[2] };
}

/**
 * getresuid(2): the real, effective and saved set-user-ids.
 * @throws {SyscallError} practically never
 * @see https://man7.org/linux/man-pages/man2/getresuid.2.html
 */
export function getresuid(): ResIds {
  return resIds(native.getresuid, 'getresuid', getresuid);
}

/**
 * getresgid(2): the real, effective and saved set-group-ids.
 * @throws {SyscallError} practically never
 * @see https://man7.org/linux/man-pages/man2/getresgid.2.html
 */
export function getresgid(): ResIds {
  return resIds(native.getresgid, 'getresgid', getresgid);
}

/**
 * setresuid(2): sets the real, effective and saved user ids; -1 leaves one
 * unchanged. Runs through glibc, which applies it to every thread of the
 * process (the raw syscall would change the calling thread only).
 *
 * Leaving uid 0 clears the permitted and effective capabilities unless
 * keep-caps is set ({@link setKeepCaps}; per thread, so only a thread that set
 * it keeps them). Change groups ({@link setgroups}, {@link setresgid}) first:
 * once the uid is not 0 they can no longer be changed.
 * @throws {SyscallError} `EPERM` (unprivileged and an id is none of the current
 *   real/effective/saved ones), `EAGAIN` (RLIMIT_NPROC of the new uid reached),
 *   `EINVAL` (an id not mapped in the user namespace)
 * @see https://man7.org/linux/man-pages/man2/setresuid.2.html
 */
export function setresuid(ruid: number, euid: number, suid: number): void {
  const r = native.setresuid(validateId(ruid, 'ruid'), validateId(euid, 'euid'), validateId(suid, 'suid'));
  if (r < 0) fail(r, 'setresuid', setresuid);
}

/**
 * setresgid(2): sets the real, effective and saved group ids; -1 leaves one
 * unchanged. Through glibc, for every thread of the process.
 * @throws {SyscallError} `EPERM` (no CAP_SETGID and an id is none of the current ones), `EINVAL` (id not mapped)
 * @see https://man7.org/linux/man-pages/man2/setresgid.2.html
 */
export function setresgid(rgid: number, egid: number, sgid: number): void {
  const r = native.setresgid(validateId(rgid, 'rgid'), validateId(egid, 'egid'), validateId(sgid, 'sgid'));
  if (r < 0) fail(r, 'setresgid', setresgid);
}

/**
 * setgroups(2): replaces the supplementary group list (an empty list drops
 * them all). Through glibc, for every thread of the process.
 * @throws {SyscallError} `EPERM` (no CAP_SETGID, or `setgroups` is `deny` in this user
 *   namespace), `EINVAL` (more than NGROUPS_MAX (65536) groups, or a gid not mapped)
 * @see https://man7.org/linux/man-pages/man2/setgroups.2.html
 */
export function setgroups(groups: readonly number[]): void {
  if (!Array.isArray(groups)) throw invalidArgType('groups', 'an array of gids', groups);
  const list = new Uint32Array(groups.length);
  groups.forEach((g, i) => {
    const v = validateId(g, `groups[${i}]`);
    if (v === -1) throw outOfRange(`groups[${i}]`, `>= 0 && <= ${2 ** 32 - 2}`, g);
    list[i] = v;
  });
  const r = native.setgroups(list);
  if (r < 0) fail(r, 'setgroups', setgroups);
}

// ---------------------------------------------------------------------------
// Sessions and process groups

/**
 * setsid(2): makes the caller the leader of a new session and of a new
 * process group, with no controlling terminal.
 * @returns the new session id (the caller's pid)
 * @throws {SyscallError} `EPERM` (the caller already leads a process group)
 * @see https://man7.org/linux/man-pages/man2/setsid.2.html
 */
export function setsid(): number {
  const r = native.setsid();
  return r < 0 ? fail(r, 'setsid', setsid) : r;
}

/**
 * setpgid(2): moves process `pid` (0: the caller) into process group `pgid`
 * (0: the group whose id is `pid`, creating it).
 * @throws {SyscallError} `ESRCH` (`pid` is neither the caller nor its child), `EPERM`
 *   (another session, a session leader, or no such group in the session), `EACCES`
 *   (the child has exec'd), `EINVAL` (`pgid` < 0)
 * @see https://man7.org/linux/man-pages/man2/setpgid.2.html
 */
export function setpgid(pid: number, pgid: number): void {
  const r = native.setpgid(validateInt32(pid, 'pid', 0), validateInt32(pgid, 'pgid', 0));
  if (r < 0) fail(r, 'setpgid', setpgid);
}

/**
 * getpgid(2): the process group id of process `pid` (default 0: the caller).
 * @throws {SyscallError} `ESRCH` (no such process)
 * @see https://man7.org/linux/man-pages/man2/getpgid.2.html
 */
export function getpgid(pid = 0): number {
  const r = native.getpgid(validateInt32(pid, 'pid', 0));
  return r < 0 ? fail(r, 'getpgid', getpgid) : r;
}

/**
 * getsid(2): the session id of process `pid` (default 0: the caller).
 * @throws {SyscallError} `ESRCH` (no such process), `EPERM` (another session, on some kernels)
 * @see https://man7.org/linux/man-pages/man2/getsid.2.html
 */
export function getsid(pid = 0): number {
  const r = native.getsid(validateInt32(pid, 'pid', 0));
  return r < 0 ? fail(r, 'getsid', getsid) : r;
}

// ---------------------------------------------------------------------------
// Resource limits

/**
 * A resource limit value: a number where it is a safe integer, a bigint
 * above 2^53-1, and `Infinity` for RLIM_INFINITY (no limit).
 */
export type RlimitValue = number | bigint;

/** A soft and a hard limit (getrlimit(2)'s struct rlimit). */
export interface Rlimit {
  /** The limit the kernel enforces; at most `hard`. */
  soft: RlimitValue;
  /** The ceiling for `soft`; only a process with CAP_SYS_RESOURCE can raise it. */
  hard: RlimitValue;
}

/** A resource: `constants.RLIMIT_*`, or its name (`'RLIMIT_NOFILE'` or `'NOFILE'`). */
export type RlimitResource = number | string;

const RLIM_INFINITY = 2n ** 64n - 1n;

/** @internal */
export function toResource(res: unknown, name = 'resource'): number {
  if (typeof res === 'number') return validateInt32(res, name, 0);
  if (typeof res === 'string') {
    const upper = res.toUpperCase();
    const full = upper.startsWith('RLIMIT_') ? upper : `RLIMIT_${upper}`;
    const v = C[full];
    if (v !== undefined && full !== 'RLIMIT_NLIMITS') return v;
    throw invalidArgValue(name, res, 'must be an RLIMIT_* constant or a name such as RLIMIT_NOFILE');
  }
  throw invalidArgType(name, 'of type number or string', res);
}

/** A limit as the native layer takes it: int64 bits, RLIM_INFINITY as -1n. @internal */
export function toRlimValue(v: unknown, name: string): bigint {
  if (v === Infinity) return -1n;
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) throw outOfRange(name, 'a safe integer >= 0, a bigint or Infinity', v);
    return BigInt(v);
  }
  if (typeof v === 'bigint') {
    if (v < 0n || v > RLIM_INFINITY) throw outOfRange(name, `>= 0n && <= ${RLIM_INFINITY}n`, v);
    return BigInt.asIntN(64, v);
  }
  throw invalidArgType(name, 'of type number or bigint, or Infinity', v);
}

function fromRlim(v: bigint): RlimitValue {
  if (v === RLIM_INFINITY) return Infinity;
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function limitArgs(limit: unknown, name: string): [bigint, bigint] {
  if (limit === null || typeof limit !== 'object') throw invalidArgType(name, 'of type object', limit);
  const l = limit as Partial<Rlimit>;
  return [toRlimValue(l.soft, `${name}.soft`), toRlimValue(l.hard, `${name}.hard`)];
}

function rlimit(pid: number, res: number, nl: [bigint, bigint] | undefined, syscall: string, caller: Function): Rlimit {
  const out = new BigUint64Array(2);
  const r = native.prlimit(pid, res, nl ? 1 : 0, nl ? nl[0] : 0, nl ? nl[1] : 0, out);
  if (r < 0) fail(r, syscall, caller);
  return { soft: fromRlim(out[0]), hard: fromRlim(out[1]) };
}

/**
 * getrlimit(2): the soft and hard limits of `resource` for this process
 * (through prlimit64, so 64-bit on every architecture).
 * @param resource `constants.RLIMIT_*` or a name (`'RLIMIT_NOFILE'`, `'NOFILE'`)
 * @returns `{ soft, hard }`: numbers, bigints above 2^53-1, `Infinity` for no limit
 * @throws {SyscallError} `EINVAL` (unknown resource number)
 * @see https://man7.org/linux/man-pages/man2/getrlimit.2.html
 */
export function getrlimit(resource: RlimitResource): Rlimit {
  return rlimit(0, toResource(resource), undefined, 'getrlimit', getrlimit);
}

/**
 * setrlimit(2): sets the soft and hard limits of `resource` for this process
 * (all its threads: limits belong to the process). Values are numbers,
 * bigints or `Infinity`. Children inherit the limits.
 * @throws {SyscallError} `EPERM` (raising `hard` without CAP_SYS_RESOURCE, or RLIMIT_NOFILE
 *   above /proc/sys/fs/nr_open), `EINVAL` (`soft` > `hard`, unknown resource)
 * @see https://man7.org/linux/man-pages/man2/setrlimit.2.html
 */
export function setrlimit(resource: RlimitResource, limit: Rlimit): void {
  const res = toResource(resource);
  rlimit(0, res, limitArgs(limit, 'limit'), 'setrlimit', setrlimit);
}

/**
 * prlimit(2): gets, and with `newLimit` sets, the limits of `resource` for
 * process `pid` (0: this one), atomically.
 * @returns the limits before the call
 * @throws {SyscallError} `ESRCH` (no such process), `EPERM` (the target's uids/gids are not
 *   all the caller's and no CAP_SYS_RESOURCE, or raising `hard` without it), `EINVAL`
 * @see https://man7.org/linux/man-pages/man2/prlimit.2.html
 */
export function prlimit(pid: number, resource: RlimitResource, newLimit?: Rlimit): Rlimit {
  const p = validateInt32(pid, 'pid', 0);
  const res = toResource(resource);
  return rlimit(p, res, newLimit === undefined ? undefined : limitArgs(newLimit, 'newLimit'), 'prlimit', prlimit);
}

// ---------------------------------------------------------------------------
// prctl(2)

function prctl(option: string, args: number[], caller: Function): number {
  const opt = C[option];
  if (opt === undefined) throw new Error(`rawsys: ${option} is missing from this build`);
  const r = native.prctl(opt, args[0] ?? 0, args[1] ?? 0, args[2] ?? 0, args[3] ?? 0);
  return r < 0 ? fail(r, 'prctl', caller) : r;
}

function validateBool(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value);
  return value;
}

/**
 * prctl(PR_GET_NO_NEW_PRIVS): whether the calling thread has no_new_privs set. Linux 3.5.
 * @throws {SyscallError} `EINVAL` (kernel older than 3.5)
 * @see https://man7.org/linux/man-pages/man2/prctl.2.html
 */
export function getNoNewPrivs(): boolean {
  return prctl('PR_GET_NO_NEW_PRIVS', [], getNoNewPrivs) === 1;
}

/**
 * prctl(PR_SET_NO_NEW_PRIVS, 1): execve will grant no privileges any more
 * (set-user-id bits and file capabilities are ignored); it cannot be unset.
 * Needed to install a seccomp filter without CAP_SYS_ADMIN. Linux 3.5.
 *
 * Per thread: it is set on the calling thread and inherited by the processes
 * and threads it creates afterwards (`child_process` and rawsys's `fork`/`clone`
 * from the JS thread included); the threadpool and other existing threads keep
 * theirs. To confine a program, set it in a child plan (`noNewPrivs` step).
 * @throws {SyscallError} `EINVAL` (kernel older than 3.5)
 * @see https://man7.org/linux/man-pages/man2/prctl.2.html
 */
export function setNoNewPrivs(): void {
  prctl('PR_SET_NO_NEW_PRIVS', [1], setNoNewPrivs);
}

/**
 * prctl(PR_GET_PDEATHSIG): the signal the calling thread gets when the thread
 * that created it dies. Never fails.
 * @returns the signal number, 0 when none
 * @see https://man7.org/linux/man-pages/man2/prctl.2.html
 */
export function getPdeathsig(): number {
  return prctl('PR_GET_PDEATHSIG', [], getPdeathsig);
}

/**
 * prctl(PR_SET_PDEATHSIG): `signal` is sent to the calling thread when its
 * parent THREAD (the thread that forked this process, not the parent
 * process as a whole) terminates; 0 clears it. Cleared in children and by an
 * execve of a set-user-id program. Per thread.
 * @param signal a number or a name (`'SIGKILL'`), 0 to clear
 * @throws {SyscallError} `EINVAL` (bad signal)
 * @see https://man7.org/linux/man-pages/man2/prctl.2.html
 */
export function setPdeathsig(signal: number | string): void {
  prctl('PR_SET_PDEATHSIG', [toSignal(signal, 'signal')], setPdeathsig);
}

/**
 * prctl(PR_GET_KEEPCAPS): whether the calling thread keeps its permitted
 * capabilities when all its uids leave 0. Never fails.
 * @see https://man7.org/linux/man-pages/man2/prctl.2.html
 */
export function getKeepCaps(): boolean {
  return prctl('PR_GET_KEEPCAPS', [], getKeepCaps) === 1;
}

/**
 * prctl(PR_SET_KEEPCAPS): keep (true) or drop (false) the permitted
 * capabilities when the uids leave 0 (the effective set is cleared anyway).
 * Reset by execve. Per thread: {@link setresuid} changes every thread, and
 * each keeps or drops its capabilities by its own flag.
 * @throws {SyscallError} `EPERM` (SECBIT_KEEP_CAPS_LOCKED is set)
 * @see https://man7.org/linux/man-pages/man2/prctl.2.html
 */
export function setKeepCaps(keep: boolean): void {
  prctl('PR_SET_KEEPCAPS', [validateBool(keep, 'keep') ? 1 : 0], setKeepCaps);
}

/**
 * prctl(PR_GET_CHILD_SUBREAPER): whether this process is a child subreaper. Linux 3.4.
 * @throws {SyscallError} `EINVAL` (kernel older than 3.4)
 * @see https://man7.org/linux/man-pages/man2/prctl.2.html
 */
export function getChildSubreaper(): boolean {
  return prctl('PR_GET_CHILD_SUBREAPER', [], getChildSubreaper) !== 0;
}

/**
 * prctl(PR_SET_CHILD_SUBREAPER): orphaned descendants are reparented to this
 * process instead of to init, so it can reap them (an init for a process
 * tree). A process attribute. Linux 3.4.
 * @param on default true
 * @throws {SyscallError} `EINVAL` (kernel older than 3.4)
 * @see https://man7.org/linux/man-pages/man2/prctl.2.html
 */
export function setChildSubreaper(on = true): void {
  prctl('PR_SET_CHILD_SUBREAPER', [validateBool(on, 'on') ? 1 : 0], setChildSubreaper);
}

/**
 * prctl(PR_GET_NAME): the name of the calling THREAD (its `comm`, as in
 * /proc/self/task/<tid>/comm; the main thread's is the process's name in ps).
 * @returns up to 15 bytes, decoded as UTF-8. Never fails.
 * @see https://man7.org/linux/man-pages/man2/prctl.2.html
 */
export function getName(): string {
  const r = native.prGetName();
  if (typeof r === 'number') fail(r, 'prctl', getName);
  return r.toString('utf8');
}

/**
 * prctl(PR_SET_NAME): names the calling THREAD (the JS thread's name is the one
 * `ps` and /proc/<pid>/comm show). The kernel keeps 16 bytes with the
 * terminating NUL, so the name is at most 15 bytes in UTF-8; longer names are
 * refused rather than cut.
 * @throws {TypeError} `ERR_INVALID_ARG_VALUE` for a name over 15 bytes or with a NUL
 * @see https://man7.org/linux/man-pages/man2/prctl.2.html
 */
export function setName(name: string): void {
  if (typeof name !== 'string') throw invalidArgType('name', 'of type string', name);
  if (name.includes('\u0000')) throw invalidArgValue('name', name, 'must not contain null bytes');
  if (Buffer.byteLength(name) > 15) throw invalidArgValue('name', name, 'must be at most 15 bytes in UTF-8');
  const r = native.prSetName(name);
  if (r < 0) fail(r, 'prctl', setName);
}

/**
 * prctl(PR_CAPBSET_READ): whether `cap` is in the calling thread's capability bounding set.
 * @param cap a number or a name (`'CAP_SYS_ADMIN'` or `'SYS_ADMIN'`)
 * @throws {SyscallError} `EINVAL` (a capability the kernel does not know)
 * @see https://man7.org/linux/man-pages/man2/prctl.2.html
 */
export function capbsetRead(cap: number | string): boolean {
  return prctl('PR_CAPBSET_READ', [toCapability(cap, 'cap')], capbsetRead) === 1;
}

/**
 * prctl(PR_CAPBSET_DROP): removes `cap` from the calling THREAD's bounding set
 * for good; programs it executes can never regain it. Threads and processes it
 * creates afterwards inherit the reduced set; other threads keep theirs. To
 * confine a program, drop it in a child plan (`capBsetDrop` step).
 * @throws {SyscallError} `EPERM` (no CAP_SETPCAP), `EINVAL` (unknown capability)
 * @see https://man7.org/linux/man-pages/man2/prctl.2.html
 */
export function capbsetDrop(cap: number | string): void {
  prctl('PR_CAPBSET_DROP', [toCapability(cap, 'cap')], capbsetDrop);
}

/**
 * prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET): whether `cap` is in the calling
 * thread's ambient set. Linux 4.3.
 * @throws {SyscallError} `EINVAL` (unknown capability, or kernel older than 4.3)
 * @see https://man7.org/linux/man-pages/man2/prctl.2.html
 */
export function capAmbientIsSet(cap: number | string): boolean {
  return prctl('PR_CAP_AMBIENT', [C.PR_CAP_AMBIENT_IS_SET!, toCapability(cap, 'cap')], capAmbientIsSet) === 1;
}

/**
 * prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE): adds `cap` to the calling
 * thread's ambient set, so that programs it executes keep it (it must be in
 * both the permitted and the inheritable sets). Per thread. Linux 4.3.
 * @throws {SyscallError} `EPERM` (not permitted and inheritable, or SECBIT_NO_CAP_AMBIENT_RAISE), `EINVAL`
 * @see https://man7.org/linux/man-pages/man2/prctl.2.html
 */
export function capAmbientRaise(cap: number | string): void {
  prctl('PR_CAP_AMBIENT', [C.PR_CAP_AMBIENT_RAISE!, toCapability(cap, 'cap')], capAmbientRaise);
}

/**
 * prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER): removes `cap` from the calling
 * thread's ambient set. Linux 4.3.
 * @throws {SyscallError} `EINVAL` (unknown capability)
 * @see https://man7.org/linux/man-pages/man2/prctl.2.html
 */
export function capAmbientLower(cap: number | string): void {
  prctl('PR_CAP_AMBIENT', [C.PR_CAP_AMBIENT_LOWER!, toCapability(cap, 'cap')], capAmbientLower);
}

/**
 * prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL): empties the calling thread's
 * ambient set. Linux 4.3.
 * @throws {SyscallError} `EINVAL` (kernel older than 4.3)
 * @see https://man7.org/linux/man-pages/man2/prctl.2.html
 */
export function capAmbientClearAll(): void {
  prctl('PR_CAP_AMBIENT', [C.PR_CAP_AMBIENT_CLEAR_ALL!], capAmbientClearAll);
}

// ---------------------------------------------------------------------------
// Capabilities

let capNames: Map<number, string> | undefined;

function capName(n: number): string {
  if (capNames === undefined) {
    capNames = new Map();
    for (const [k, v] of Object.entries(C)) {
      if (v !== undefined && k.startsWith('CAP_') && k !== 'CAP_LAST_CAP') capNames.set(v, k);
    }
  }
  // A capability newer than the headers the addon was built with.
  return capNames.get(n) ?? `CAP_${n}`;
}

/**
 * A capability number from a number (0..63) or a name: `'CAP_SYS_ADMIN'`,
 * `'SYS_ADMIN'`, any case, or `'CAP_<n>'` as {@link capget} reports
 * capabilities newer than the build's headers.
 * @internal
 */
export function toCapability(cap: unknown, name: string): number {
  if (typeof cap === 'number') return validateInt32(cap, name, 0, 63);
  if (typeof cap !== 'string') throw invalidArgType(name, 'of type number or string', cap);
  const upper = cap.toUpperCase();
  const full = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  const num = /^CAP_(\d{1,2})$/.exec(full);
  if (num && Number(num[1]) <= 63) return Number(num[1]);
  const v = C[full];
  if (v !== undefined && full !== 'CAP_LAST_CAP') return v;
  throw invalidArgValue(name, cap, 'must be a capability number or a name such as CAP_NET_ADMIN');
}

/** The three capability sets of a thread, as names (`'CAP_SYS_ADMIN'`) in number order. */
export interface CapabilitySets {
  effective: string[];
  permitted: string[];
  inheritable: string[];
}

/** Capability sets for {@link capset}: names (`'CAP_NET_ADMIN'`, `'NET_ADMIN'`) or numbers. */
export interface CapabilitySetsInput {
  effective: readonly (number | string)[];
  permitted: readonly (number | string)[];
  inheritable: readonly (number | string)[];
}

function names(mask: bigint): string[] {
  const out: string[] = [];
  for (let n = 0; mask !== 0n; n++, mask >>= 1n) if (mask & 1n) out.push(capName(n));
  return out;
}

/** A capability list as a 64-bit mask. @internal */
export function toMask(list: unknown, name: string): bigint {
  if (!Array.isArray(list)) throw invalidArgType(name, 'an array of capability names or numbers', list);
  let m = 0n;
  list.forEach((c: unknown, i: number) => { m |= 1n << BigInt(toCapability(c, `${name}[${i}]`)); });
  return m;
}

/**
 * capget(2) with _LINUX_CAPABILITY_VERSION_3 (64-bit sets), through the raw
 * syscall: libcap is not needed.
 * @param pid a thread id (0, the default: the calling thread; a pid names the
 *   process's main thread)
 * @returns the effective, permitted and inheritable sets as names; a
 *   capability newer than the build's headers is named `'CAP_<n>'`
 * @throws {SyscallError} `ESRCH` (no such thread)
 * @see https://man7.org/linux/man-pages/man2/capget.2.html
 */
export function capget(pid = 0): CapabilitySets {
  const out = new BigUint64Array(3);
  const r = native.capget(validatePid(pid), out);
  if (r < 0) fail(r, 'capget', capget);
  return { effective: names(out[0]), permitted: names(out[1]), inheritable: names(out[2]) };
}

/**
 * capset(2) with _LINUX_CAPABILITY_VERSION_3, through the raw syscall (no
 * libcap): replaces the calling THREAD's effective, permitted and inheritable
 * sets. Every set must be given, as an array of names or numbers.
 *
 * Only the calling thread changes, there being no glibc broadcast for it (Go
 * and libcap have the same issue): in Node the JS thread drops or gains
 * capabilities, and processes it spawns afterwards inherit its sets, while the
 * libuv threadpool (where every promise call and async fs operation runs),
 * V8's threads and worker threads keep theirs. It is no way to confine Node
 * itself; to run a program with fewer capabilities, use a child plan
 * (`capset`, `capabilities` steps of `fork`/`clone`).
 * @throws {SyscallError} `EPERM` (adding to permitted, effective not a subset of
 *   permitted, or inheritable beyond permitted+bounding without CAP_SETPCAP)
 * @throws {TypeError} `ERR_INVALID_ARG_TYPE` when a set is missing
 * @see https://man7.org/linux/man-pages/man2/capset.2.html
 */
export function capset(sets: CapabilitySetsInput): void {
  if (sets === null || typeof sets !== 'object') throw invalidArgType('sets', 'of type object', sets);
  const e = toMask(sets.effective, 'sets.effective');
  const p = toMask(sets.permitted, 'sets.permitted');
  const i = toMask(sets.inheritable, 'sets.inheritable');
  const r = native.capset(BigInt.asIntN(64, e), BigInt.asIntN(64, p), BigInt.asIntN(64, i));
  if (r < 0) fail(r, 'capset', capset);
}
