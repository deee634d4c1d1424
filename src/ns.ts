// Namespaces, mounts, the root and working directories, and the hostname of
// the calling process: unshare, setns, mount, umount2, pivot_root, chroot,
// chdir, fchdir, sethostname, and uname's nodename.
//
// What holds in Node, which always runs several threads (verified on Linux
// 6.x; the kernel keeps namespaces per thread, in task->nsproxy):
//  - unshare(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET |
//    CLONE_NEWCGROUP) is allowed and moves the calling thread alone. Threads
//    it creates afterwards inherit the new namespaces; threads that already
//    exist stay. libuv starts its threadpool lazily, on the first async
//    operation, so whether the threadpool (fs promises, dns.lookup, crypto,
//    zlib, every rawsys promise call) follows depends on whether anything used
//    it before: never rely on either.
//  - unshare(CLONE_NEWNS) also unshares CLONE_FS for the calling thread: from
//    then on its working directory, root and umask are its own, and chdir,
//    chroot and pivot_root in it no longer move the other threads.
//  - unshare(CLONE_NEWPID) and unshare(CLONE_NEWTIME) move no thread: they
//    apply to the processes the calling thread creates afterwards
//    (child_process and rawsys's fork/clone from the JS thread). The first of
//    those becomes pid 1 of the new namespace; when it exits, the namespace is
//    dead and further forks from that thread fail with ENOMEM.
//  - unshare(CLONE_NEWUSER) fails with EINVAL in a multi-threaded process, and
//    so do setns into a user namespace and unshare(CLONE_VM | CLONE_SIGHAND |
//    CLONE_THREAD). setns into a mount namespace fails with EINVAL while the
//    thread shares CLONE_FS with others (call unshare(CLONE_FS) first).
//    rawsys lets the kernel's EINVAL through and explains it in the message.
//    Use a child plan instead: `clone(CLONE_NEWUSER | ..., plan)`.
//  - chdir, fchdir and chroot move every thread (CLONE_FS is shared), except
//    threads that unshared CLONE_FS (or CLONE_NEWNS).
// So the calls that act on "this thread's namespace" (unshare, setns, chdir,
// fchdir, chroot, pivot_root, sethostname) have no promise form: run on a
// threadpool thread they would change that thread, not the caller. mount and
// umount2, which can block, have one; it acts in the threadpool thread's
// mount namespace.
import { native } from './binding';
import { constants } from './constants';
import { fail, pathText, SyscallError } from './errors';
import { PathLike, validateFd, validateInt32, validateName, validatePath } from './validate';

const C = constants;

const USERNS_HINT =
  'a multi-threaded process cannot change its user namespace, and Node always runs several threads; ' +
  'create the namespace in a child instead: rawsys.clone(constants.CLONE_NEWUSER | ..., plan), ' +
  'or a fork/clone plan with an unshare or setns step';
const MNTNS_HINT =
  'a thread can join a mount namespace only when it shares no filesystem attributes with other threads; ' +
  'call unshare(constants.CLONE_FS) (or unshare(constants.CLONE_NEWNS)) in this thread first, ' +
  'or join it in a child plan (setns step)';
const THREAD_HINT =
  'CLONE_VM, CLONE_SIGHAND and CLONE_THREAD cannot be unshared by a multi-threaded process, and Node always runs several threads';

/** Throws fail()'s SyscallError with an explanation appended to its message. */
function failWith(r: number, syscall: string, caller: Function, hint: string): never {
  try {
    fail(r, syscall, caller);
  } catch (e) {
    const err = e as SyscallError;
    const before = err.message;
    err.message = `${before} (${hint})`;
    if (typeof err.stack === 'string') err.stack = err.stack.replace(before, err.message);
    throw err;
  }
}

function validateNsFlags(flags: unknown, name: string): number {
  return validateInt32(flags, name, 0, 2 ** 32 - 1) | 0;
}

/**
 * unshare(2): moves the calling THREAD into new namespaces (`CLONE_NEW*`) or
 * gives it private copies of shared attributes (`CLONE_FS`, `CLONE_FILES`,
 * `CLONE_SYSVSEM`).
 *
 * In Node (always multi-threaded; see the file comment for what was verified):
 *  - `CLONE_NEWNS`, `CLONE_NEWUTS`, `CLONE_NEWIPC`, `CLONE_NEWNET`,
 *    `CLONE_NEWCGROUP` apply to the calling thread and the threads and
 *    processes it creates afterwards; existing threads (including a libuv
 *    threadpool that has already started, where every promise call runs) stay
 *    in the old namespaces. `CLONE_NEWNS` also unshares `CLONE_FS`.
 *    After `CLONE_NEWNS`, make the mounts private
 *    (`mount(null, '/', null, MS_REC | MS_PRIVATE)`) before mounting, or
 *    mounts under shared mount points propagate back to the old namespace.
 *  - `CLONE_NEWPID` (Linux 3.8) and `CLONE_NEWTIME` (Linux 5.6) apply to
 *    children created afterwards by the calling thread; the first becomes pid
 *    1, and once it exits that thread can create no more processes (ENOMEM).
 *  - `CLONE_NEWUSER` always fails with `EINVAL` (a multi-threaded process
 *    cannot change user namespace): the error message says so and points to
 *    child plans (`clone(CLONE_NEWUSER, plan)`).
 * @param flags `constants.CLONE_*` or-ed together
 * @throws {SyscallError} `EINVAL` (`CLONE_NEWUSER`, `CLONE_VM`, `CLONE_SIGHAND` or
 *   `CLONE_THREAD` in a multi-threaded process; unknown flags), `EPERM` (no
 *   CAP_SYS_ADMIN), `ENOSPC` (too many namespaces: /proc/sys/user/max_*_namespaces), `ENOMEM`
 * @see https://man7.org/linux/man-pages/man2/unshare.2.html
 */
export function unshare(flags: number): void {
  const f = validateNsFlags(flags, 'flags');
  const r = native.unshare(f);
  if (r >= 0) return;
  if (-r === C.EINVAL && f & C.CLONE_NEWUSER) failWith(r, 'unshare', unshare, USERNS_HINT);
  if (-r === C.EINVAL && f & (C.CLONE_VM | C.CLONE_SIGHAND | C.CLONE_THREAD)) failWith(r, 'unshare', unshare, THREAD_HINT);
  fail(r, 'unshare', unshare);
}

/**
 * setns(2): moves the calling THREAD into the namespace `fd` refers to (an
 * open /proc/<pid>/ns/* file, or a pidfd with several `CLONE_NEW*` flags in
 * `nstype`, Linux 5.8).
 *
 * In Node only the calling thread moves (see {@link unshare} for which threads
 * follow). Joining a user namespace always fails with `EINVAL` in a
 * multi-threaded process; joining a mount namespace fails with `EINVAL` until
 * the thread has its own filesystem attributes (`unshare(CLONE_FS)` first).
 * For those two the error message says so and points to child plans.
 * @param nstype 0 (any type), or the `CLONE_NEW*` type `fd` must have
 * @throws {SyscallError} `EINVAL` (wrong type, user or mount namespace from a
 *   multi-threaded process, same user namespace), `EBADF`, `EPERM` (no
 *   CAP_SYS_ADMIN in the target's user namespace), `ESRCH` (pidfd of a dead process)
 * @see https://man7.org/linux/man-pages/man2/setns.2.html
 */
export function setns(fd: number, nstype = 0): void {
  const f = validateFd(fd);
  const t = validateNsFlags(nstype, 'nstype');
  const r = native.setns(f, t);
  if (r >= 0) return;
  if (-r === C.EINVAL) {
    // nstype 0 with a namespace fd: ask the fd for its type (Linux 4.11).
    const type = t !== 0 ? t : Math.max(native.nsType(f), 0);
    if (type & C.CLONE_NEWUSER) failWith(r, 'setns', setns, USERNS_HINT);
    if (type & C.CLONE_NEWNS) failWith(r, 'setns', setns, MNTNS_HINT);
  }
  fail(r, 'setns', setns);
}

/** @internal */
export type MountArgs = [string | Uint8Array, string | Uint8Array, string | Uint8Array, number, number, Uint8Array];

function optionalString(v: unknown, name: string): string | Uint8Array | undefined {
  if (v === undefined || v === null) return undefined;
  return validateName(v, name);
}

/** Validated mount(2) arguments for the native core. @internal */
export function mountArgs(source: unknown, target: unknown, fstype: unknown, flags: unknown, data: unknown): MountArgs {
  const src = source === undefined || source === null ? undefined : validatePath(source, 'source');
  const tgt = validatePath(target, 'target');
  const fs = optionalString(fstype, 'fstype');
  const f = flags === undefined ? 0 : validateInt32(flags, 'flags', 0, 2 ** 32 - 1);
  let d: Uint8Array;
  if (data === undefined || data === null) d = new Uint8Array(0);
  else {
    const v = validateName(data, 'data');
    d = Buffer.concat([typeof v === 'string' ? Buffer.from(v) : v, Buffer.alloc(1)]);
  }
  return [src ?? '', tgt, fs ?? '', f, (src !== undefined ? 1 : 0) | (fs !== undefined ? 2 : 0), d];
}

/**
 * mount(2): attaches a filesystem (`fstype` from `source`) at `target`, or
 * with `flags` changes a mount: `MS_REMOUNT`, `MS_BIND` (`MS_REC`),
 * `MS_MOVE`, propagation (`MS_PRIVATE`, `MS_SLAVE`, `MS_SHARED`,
 * `MS_UNBINDABLE`, with `MS_REC`).
 *
 * Acts in the mount namespace of the calling thread: in Node the JS thread,
 * which {@link unshare}(CLONE_NEWNS) may have moved; the promise form acts in
 * the threadpool thread's namespace instead.
 * @param source device, directory or name; `null` for calls that take none (propagation changes)
 * @param fstype `'tmpfs'`, `'proc'`, `'ext4'` …; `null` for bind, move, remount and propagation changes
 * @param flags `constants.MS_*` or-ed together (default 0)
 * @param data filesystem options, such as `'size=1m,mode=0755'`; `null` for none
 * @throws {SyscallError} with `path` = `target`: `EPERM` (no CAP_SYS_ADMIN), `ENOENT`,
 *   `ENOTDIR`, `EINVAL` (bad flags, or a propagation change of a non-mount point),
 *   `ENODEV` (unknown fstype), `EBUSY`, `ENOTBLK`, `EACCES`
 * @see https://man7.org/linux/man-pages/man2/mount.2.html
 */
export function mount(
  source: PathLike | null | undefined, target: PathLike, fstype?: string | null, flags?: number, data?: string | Uint8Array | null,
): void {
  const a = mountArgs(source, target, fstype, flags, data);
  const r = native.mount(...a);
  if (r < 0) fail(r, 'mount', mount, a[1]);
}

/** @internal */
export function umountArgs(target: unknown, flags: unknown): [string | Uint8Array, number] {
  return [validatePath(target, 'target'), flags === undefined ? 0 : validateInt32(flags, 'flags', 0)];
}

/**
 * umount2(2): detaches the filesystem mounted at `target`, in the calling
 * thread's mount namespace.
 * @param flags `constants.MNT_FORCE`, `MNT_DETACH` (lazy), `MNT_EXPIRE`, `UMOUNT_NOFOLLOW` (default 0)
 * @throws {SyscallError} with `path`: `EBUSY` (in use), `EINVAL` (not a mount point, bad
 *   flags), `EPERM`, `ENOENT`, `EAGAIN` (MNT_EXPIRE first call)
 * @see https://man7.org/linux/man-pages/man2/umount2.2.html
 */
export function umount2(target: PathLike, flags?: number): void {
  const [t, f] = umountArgs(target, flags);
  const r = native.umount2(t, f);
  if (r < 0) fail(r, 'umount2', umount2, t);
}

/**
 * pivot_root(2): makes `newRoot` the root mount of the calling thread's mount
 * namespace and moves the old root to `putOld` (under `newRoot`; `putOld` may
 * equal `newRoot` to stack it, then umount2 it with MNT_DETACH). Threads and
 * processes of the namespace whose root or cwd was the old root move to the
 * new one. `newRoot` must be a mount point, not on the same mount as the
 * current root, and neither may be shared: usually run after
 * `unshare(CLONE_NEWNS)`, `mount(null, '/', null, MS_REC | MS_PRIVATE)` and a bind
 * mount of `newRoot` onto itself. No promise form (it concerns the calling
 * thread's namespace and root).
 * @throws {SyscallError} with syscall `'pivot_root'`, `path` = `newRoot`, `dest` = `putOld`:
 *   `EINVAL` (not a mount point, shared propagation, `putOld` not under `newRoot`, same mount as
 *   the root), `EBUSY`, `ENOTDIR`, `ENOENT`, `EPERM`
 * @see https://man7.org/linux/man-pages/man2/pivot_root.2.html
 */
export function pivotRoot(newRoot: PathLike, putOld: PathLike): void {
  const n = validatePath(newRoot, 'newRoot');
  const o = validatePath(putOld, 'putOld');
  const r = native.pivotRoot(n, o);
  if (r < 0) fail(r, 'pivot_root', pivotRoot, n, pathText(o));
}

/**
 * chroot(2): changes the root directory of the process: of every thread that
 * shares its filesystem attributes, which in Node is all of them unless the
 * calling thread unshared `CLONE_FS` or `CLONE_NEWNS`. The working directory is
 * not changed: chdir('/') afterwards. No promise form.
 * @throws {SyscallError} with `path`: `EPERM` (no CAP_SYS_CHROOT), `ENOENT`, `ENOTDIR`, `EACCES`
 * @see https://man7.org/linux/man-pages/man2/chroot.2.html
 */
export function chroot(path: PathLike): void {
  const p = validatePath(path);
  const r = native.chroot(p);
  if (r < 0) fail(r, 'chroot', chroot, p);
}

/**
 * chdir(2): changes the working directory, for every thread that shares the
 * caller's filesystem attributes (all of Node's threads, so `process.cwd()` and
 * async fs calls see it, unless the calling thread unshared `CLONE_FS` or
 * `CLONE_NEWNS`). Prefer `process.chdir`, which also updates Node's cache of the
 * cwd; this one is for the raw call. No promise form.
 * @throws {SyscallError} with `path`: `ENOENT`, `ENOTDIR`, `EACCES`
 * @see https://man7.org/linux/man-pages/man2/chdir.2.html
 */
export function chdir(path: PathLike): void {
  const p = validatePath(path);
  const r = native.chdir(p);
  if (r < 0) fail(r, 'chdir', chdir, p);
}

/**
 * fchdir(2): changes the working directory to the directory open as `fd`,
 * with the same reach as {@link chdir}. No promise form.
 * @throws {SyscallError} `EBADF`, `ENOTDIR`, `EACCES`
 * @see https://man7.org/linux/man-pages/man2/fchdir.2.html
 */
export function fchdir(fd: number): void {
  const r = native.fchdir(validateFd(fd));
  if (r < 0) fail(r, 'fchdir', fchdir);
}

/**
 * sethostname(2): sets the hostname of the calling THREAD's UTS namespace
 * (shared with every thread and process in it; after `unshare(CLONE_NEWUTS)`
 * the new namespace's only). At most 64 bytes. No promise form.
 * @throws {SyscallError} `EPERM` (no CAP_SYS_ADMIN in the UTS namespace's user namespace), `EINVAL` (over 64 bytes)
 * @see https://man7.org/linux/man-pages/man2/sethostname.2.html
 */
export function sethostname(name: string | Uint8Array): void {
  const n = validateName(name, 'name');
  const r = native.sethostname(n);
  if (r < 0) fail(r, 'sethostname', sethostname);
}

/**
 * The hostname of the calling thread's UTS namespace, from uname(2)'s
 * `nodename` (what glibc's gethostname(3) and `os.hostname()` return).
 * @throws {SyscallError} practically never (`EFAULT`)
 * @see https://man7.org/linux/man-pages/man2/gethostname.2.html
 */
export function gethostname(): string {
  const r = native.gethostname();
  if (typeof r === 'number') fail(r, 'uname', gethostname);
  return r.toString('utf8');
}
