/**
 * rawsys/promises: the calls of `rawsys` with the same names and arguments,
 * returning Promises. Short calls run on the libuv threadpool (like
 * fs.promises); waits that may last for ever (flock without LOCK_NB, setlkw)
 * run on threads of rawsys's own and accept an AbortSignal, so they never
 * starve fs, dns or crypto of threadpool threads.
 *
 * Each rejects with the errors its synchronous form (linked from it) throws,
 * and throws nothing synchronously.
 * @packageDocumentation
 * @module rawsys/promises
 */
import { native, WaitHandle } from './binding';
import { constants as C } from './constants';
import { AbortError, fail } from './errors';
import {
  bufferArgs, dataArg, fcntlArgs, lseekArgs, lseekResult, openArgs, openatArgs, OpenFlags, positionalArgs, Stat,
  STAT_FIELDS, StatOptions, statBigint, vectorArgs,
} from './fd';
import { flockOp, Lock, lockArgs, LockResult, lockResult } from './locks';
import {
  Child, CloneOptions, cloneFlags, decode, prepareSpawn, spawnResult, Wait4Status, WaitStatus, waitidTarget, waitOptions, waitPid,
} from './process';
import { Step } from './plan';
import { mountArgs, umountArgs } from './ns';
import { syscallArgs, SyscallArg, syscallName } from './syscall';
import {
  PathLike, validateAbortSignal, validateFd, validateFlags, validateId, validateMode, validateName, validateObject,
  validatePath, validatePosition,
} from './validate';
import { Form, splitNames, target, xattrSyscall, xattrValue } from './xattr';

/** A 64-bit integer: a number, or a bigint beyond 2^53. Shown inline in the API reference. @inline */
type Int = number | bigint;

/** Options of a wait that may last for ever. */
export interface WaitOptions {
  /** Aborting ends the wait without taking the lock and rejects with an AbortError. */
  signal?: AbortSignal;
}

/** Stops a pending wait; repeats the wake until the waiter reports it stopped. */
function cancel(handle: WaitHandle): void {
  if (!native.cancelWait(handle)) return;
  const timer = setInterval(() => {
    if (!native.cancelWait(handle)) clearInterval(timer);
  }, 2);
}

// One abort listener per signal, however many waits share it: a signal handed
// to 64 waits must not collect 64 listeners (nor Node's listener-leak warning).
const waitsBySignal = new WeakMap<AbortSignal, Set<WaitHandle>>();

function watch(signal: AbortSignal, handle: WaitHandle): () => void {
  let set = waitsBySignal.get(signal);
  if (set === undefined) {
    const handles = new Set<WaitHandle>();
    set = handles;
    waitsBySignal.set(signal, handles);
    signal.addEventListener('abort', () => {
      waitsBySignal.delete(signal);
      for (const h of handles) cancel(h);
    }, { once: true });
  }
  set.add(handle);
  return () => set!.delete(handle);
}

async function waitOnThread(
  start: () => [Promise<number | null>, WaitHandle], options: WaitOptions | undefined, syscall: string, caller: Function,
): Promise<void> {
  const signal = validateAbortSignal(validateObject<WaitOptions>(options, 'options')?.signal);
  if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
  const [done, handle] = start();
  const unwatch = signal ? watch(signal, handle) : undefined;
  let r: number | null;
  try {
    r = await done;
  } finally {
    unwatch?.();
  }
  if (r === null) throw new AbortError(undefined, { cause: signal?.reason });
  if (r < 0) fail(r, syscall, caller);
}

/** open(2) off the JS thread. @see {@link rawsys!open} */
export async function open(path: PathLike, flags?: OpenFlags, mode?: number | string): Promise<number> {
  const r = await openArgs(native.openAsync, path, flags, mode);
  return r < 0 ? fail(r, 'open', open, validatePath(path)) : r;
}

/** openat(2) off the JS thread. @see {@link rawsys!openat} */
export async function openat(dirfd: number, path: PathLike, flags?: OpenFlags, mode?: number | string): Promise<number> {
  const r = await openatArgs(native.openatAsync, dirfd, path, flags, mode);
  return r < 0 ? fail(r, 'openat', openat, validatePath(path)) : r;
}

/** close(2) off the JS thread (a close can block on NFS or a tape). @see {@link rawsys!close} */
export async function close(fd: number): Promise<void> {
  const r = await native.closeAsync(validateFd(fd));
  if (r < 0) fail(r, 'close', close);
}

/** read(2) on the threadpool; `buffer` is kept alive until the read completes. @see {@link rawsys!read} */
export async function read(fd: number, buffer: ArrayBufferView, offset?: number, length?: number): Promise<number> {
  const r = await bufferArgs(native.readAsync, fd, buffer, offset, length);
  return r < 0 ? fail(r, 'read', read) : r;
}

/** pread(2) on the threadpool. @see {@link rawsys!pread} */
export async function pread(fd: number, buffer: ArrayBufferView, position: Int): Promise<number>;
export async function pread(fd: number, buffer: ArrayBufferView, offset: number, length: number, position: Int): Promise<number>;
export async function pread(fd: number, buffer: ArrayBufferView, a: Int, b?: number, c?: Int): Promise<number> {
  const r = await positionalArgs(native.preadAsync, fd, buffer, a, b, c, arguments.length);
  return r < 0 ? fail(r, 'pread', pread) : r;
}

/** write(2) on the threadpool. @see {@link rawsys!write} */
export async function write(fd: number, buffer: ArrayBufferView, offset?: number, length?: number): Promise<number>;
export async function write(fd: number, data: string, encoding?: BufferEncoding): Promise<number>;
export async function write(fd: number, data: ArrayBufferView | string, a?: number | BufferEncoding, b?: number): Promise<number> {
  const r = await (typeof data === 'string'
    ? bufferArgs(native.writeAsync, fd, dataArg(data, a), undefined, undefined)
    : bufferArgs(native.writeAsync, fd, data, a, b));
  return r < 0 ? fail(r, 'write', write) : r;
}

/** pwrite(2) on the threadpool. @see {@link rawsys!pwrite} */
export async function pwrite(fd: number, buffer: ArrayBufferView, position: Int): Promise<number>;
export async function pwrite(fd: number, buffer: ArrayBufferView, offset: number, length: number, position: Int): Promise<number>;
export async function pwrite(fd: number, data: string, position: Int, encoding?: BufferEncoding): Promise<number>;
export async function pwrite(fd: number, data: ArrayBufferView | string, a: Int, b?: number | BufferEncoding, c?: Int): Promise<number> {
  const r = await (typeof data === 'string'
    ? positionalArgs(native.pwriteAsync, fd, dataArg(data, b), a, undefined, undefined, 3)
    : positionalArgs(native.pwriteAsync, fd, data, a, b, c, arguments.length));
  return r < 0 ? fail(r, 'pwrite', pwrite) : r;
}

/** readv(2) / preadv(2) on the threadpool. @see {@link rawsys!readv} */
export async function readv(fd: number, buffers: readonly ArrayBufferView[], position?: Int): Promise<number> {
  const r = await vectorArgs(native.readvAsync, fd, buffers, position);
  return r < 0 ? fail(r, position === undefined ? 'readv' : 'preadv', readv) : r;
}

/** writev(2) / pwritev(2) on the threadpool. @see {@link rawsys!writev} */
export async function writev(fd: number, buffers: readonly ArrayBufferView[], position?: Int): Promise<number> {
  const r = await vectorArgs(native.writevAsync, fd, buffers, position);
  return r < 0 ? fail(r, position === undefined ? 'writev' : 'pwritev', writev) : r;
}

/** lseek(2) on the threadpool. @see {@link rawsys!lseek} */
export async function lseek(fd: number, offset: number, whence?: number): Promise<number>;
export async function lseek(fd: number, offset: bigint, whence?: number): Promise<bigint>;
export async function lseek(fd: number, offset: Int, whence?: number): Promise<number | bigint> {
  return lseekResult(await lseekArgs(native.lseekAsync, fd, offset, whence), offset, lseek);
}

/** fsync(2) on the threadpool. @see {@link rawsys!fsync} */
export async function fsync(fd: number): Promise<void> {
  const r = await native.fsyncAsync(validateFd(fd));
  if (r < 0) fail(r, 'fsync', fsync);
}

/** fdatasync(2) on the threadpool. @see {@link rawsys!fdatasync} */
export async function fdatasync(fd: number): Promise<void> {
  const r = await native.fdatasyncAsync(validateFd(fd));
  if (r < 0) fail(r, 'fdatasync', fdatasync);
}

/** ftruncate(2) on the threadpool. @see {@link rawsys!ftruncate} */
export async function ftruncate(fd: number, length: Int = 0): Promise<void> {
  const r = await native.ftruncateAsync(validateFd(fd), validatePosition(length, 'length'));
  if (r < 0) fail(r, 'ftruncate', ftruncate);
}

/** fstat(2) on the threadpool. @see {@link rawsys!fstat} */
export async function fstat(fd: number, options?: StatOptions & { bigint?: false }): Promise<Stat<number>>;
export async function fstat(fd: number, options: StatOptions & { bigint: true }): Promise<Stat<bigint>>;
export async function fstat(fd: number, options?: StatOptions): Promise<Stat<number> | Stat<bigint>> {
  const big = statBigint(options);
  const rec = new BigInt64Array(STAT_FIELDS);
  const r = await native.fstatAsync(validateFd(fd), rec);
  if (r < 0) fail(r, 'fstat', fstat);
  return new Stat(rec, big) as Stat<number> | Stat<bigint>;
}

/**
 * flock(2) without blocking the JS thread. With `LOCK_NB` it runs on the
 * threadpool; without, the wait runs on a thread of rawsys's own (it may last
 * for ever) and ends early, without the lock, when `options.signal` aborts.
 * @throws {AbortError} when the signal aborts before the lock is granted
 * @see {@link rawsys!flock}
 */
export async function flock(fd: number, operation: number, options?: WaitOptions): Promise<void> {
  const f = validateFd(fd);
  const op = flockOp(operation);
  if (op & C.LOCK_NB || (op & ~C.LOCK_NB) === C.LOCK_UN) {
    const r = await native.flockAsync(f, op);
    if (r < 0) fail(r, 'flock', flock);
    return;
  }
  return waitOnThread(() => native.flockWait(f, op), options, 'flock', flock);
}

/** fcntl(2) integer commands on the threadpool. @see {@link rawsys!fcntl} */
export async function fcntl(fd: number, cmd: number, arg?: number): Promise<number> {
  const r = await fcntlArgs(native.fcntlAsync, fd, cmd, arg);
  return r < 0 ? fail(r, 'fcntl', fcntl) : r;
}

/** fcntl(2) F_GETLK / F_OFD_GETLK on the threadpool. @see {@link rawsys!getlk} */
export async function getlk(fd: number, lock: Lock): Promise<LockResult> {
  const a = lockArgs(fd, lock, 'get');
  const r = await native.lockAsync(a.fd, a.cmd, a.rec);
  if (r < 0) fail(r, 'fcntl', getlk);
  return lockResult(a);
}

/** fcntl(2) F_SETLK / F_OFD_SETLK on the threadpool. @see {@link rawsys!setlk} */
export async function setlk(fd: number, lock: Lock): Promise<void> {
  const a = lockArgs(fd, lock, 'set');
  const r = await native.lockAsync(a.fd, a.cmd, a.rec);
  if (r < 0) fail(r, 'fcntl', setlk);
}

/**
 * fcntl(2) F_SETLKW / F_OFD_SETLKW: waits on a thread of rawsys's own, never
 * on the threadpool, and ends early, without the lock, when `options.signal` aborts.
 * @throws {AbortError} when the signal aborts before the lock is granted
 * @see {@link rawsys!setlkw}
 */
export async function setlkw(fd: number, lock: Lock, options?: WaitOptions): Promise<void> {
  const a = lockArgs(fd, lock, 'setw');
  return waitOnThread(() => native.lockWait(a.fd, a.cmd, a.rec), options, 'fcntl', setlkw);
}

/** dup(2). @see {@link rawsys!dup} */
export async function dup(fd: number): Promise<number> {
  const r = await native.dupAsync(validateFd(fd));
  return r < 0 ? fail(r, 'dup', dup) : r;
}

/** dup2(2), close-on-exec. @see {@link rawsys!dup2} */
export async function dup2(oldfd: number, newfd: number): Promise<number> {
  const r = await native.dup2Async(validateFd(oldfd, 'oldfd'), validateFd(newfd, 'newfd'));
  return r < 0 ? fail(r, 'dup2', dup2) : r;
}

/** dup3(2), close-on-exec. @see {@link rawsys!dup3} */
export async function dup3(oldfd: number, newfd: number, flags?: number): Promise<number> {
  const r = await native.dup3Async(validateFd(oldfd, 'oldfd'), validateFd(newfd, 'newfd'), validateFlags(flags, 'flags', 0));
  return r < 0 ? fail(r, 'dup3', dup3) : r;
}

/** memfd_create(2) on the threadpool, close-on-exec. @see {@link rawsys!memfdCreate} */
export async function memfdCreate(name: string, flags?: number): Promise<number> {
  const r = await native.memfdCreateAsync(validateName(name, 'name'), validateFlags(flags, 'flags', 0));
  if (r < 0) fail(r, 'memfd_create', memfdCreate);
  return r;
}

/** pipe2(2), both ends close-on-exec. @see {@link rawsys!pipe2} */
export async function pipe2(flags?: number): Promise<[number, number]> {
  const fds = new Int32Array(2);
  const r = await native.pipe2Async(validateFlags(flags, 'flags', 0), fds);
  if (r < 0) fail(r, 'pipe2', pipe2);
  return [fds[0], fds[1]];
}

/** chmod(2) on the threadpool. @see {@link rawsys!chmod} */
export async function chmod(path: PathLike, mode: number | string): Promise<void> {
  const p = validatePath(path);
  const r = await native.chmodAsync(p, validateMode(mode));
  if (r < 0) fail(r, 'chmod', chmod, p);
}

/** fchmod(2) on the threadpool. @see {@link rawsys!fchmod} */
export async function fchmod(fd: number, mode: number | string): Promise<void> {
  const r = await native.fchmodAsync(validateFd(fd), validateMode(mode));
  if (r < 0) fail(r, 'fchmod', fchmod);
}

/** fchown(2) on the threadpool. @see {@link rawsys!fchown} */
export async function fchown(fd: number, uid: number, gid: number): Promise<void> {
  const r = await native.fchownAsync(validateFd(fd), validateId(uid, 'uid'), validateId(gid, 'gid'));
  if (r < 0) fail(r, 'fchown', fchown);
}

/** unlink(2) on the threadpool. @see {@link rawsys!unlink} */
export async function unlink(path: PathLike): Promise<void> {
  const p = validatePath(path);
  const r = await native.unlinkAsync(p);
  if (r < 0) fail(r, 'unlink', unlink, p);
}

/** mkdir(2) on the threadpool. @see {@link rawsys!mkdir} */
export async function mkdir(path: PathLike, mode?: number | string): Promise<void> {
  const p = validatePath(path);
  const r = await native.mkdirAsync(p, validateMode(mode, 'mode', 0o777));
  if (r < 0) fail(r, 'mkdir', mkdir, p);
}

async function xget(form: Form, tgt: unknown, name: unknown, caller: Function): Promise<Buffer> {
  const t = target(form, tgt);
  const r = await native.getxattrAsync(t[0], t[1], t[2], validateName(name, 'name'));
  return typeof r === 'number' ? fail(r, xattrSyscall.get[form], caller, form === Form.Fd ? undefined : t[2]) : r;
}

async function xlist(form: Form, tgt: unknown, caller: Function): Promise<string[]> {
  const t = target(form, tgt);
  const r = await native.listxattrAsync(t[0], t[1], t[2]);
  return typeof r === 'number' ? fail(r, xattrSyscall.list[form], caller, form === Form.Fd ? undefined : t[2]) : splitNames(r);
}

async function xset(form: Form, tgt: unknown, name: unknown, value: unknown, flags: unknown, caller: Function): Promise<void> {
  const t = target(form, tgt);
  const r = await native.setxattrAsync(t[0], t[1], t[2], validateName(name, 'name'), xattrValue(value), validateFlags(flags, 'flags', 0));
  if (r < 0) fail(r, xattrSyscall.set[form], caller, form === Form.Fd ? undefined : t[2]);
}

async function xremove(form: Form, tgt: unknown, name: unknown, caller: Function): Promise<void> {
  const t = target(form, tgt);
  const r = await native.removexattrAsync(t[0], t[1], t[2], validateName(name, 'name'));
  if (r < 0) fail(r, xattrSyscall.remove[form], caller, form === Form.Fd ? undefined : t[2]);
}

/** getxattr(2) on the threadpool. @see {@link rawsys!getxattr} */
export async function getxattr(path: PathLike, name: string): Promise<Buffer> {
  return xget(Form.Path, path, name, getxattr);
}
/** lgetxattr(2) on the threadpool. @see {@link rawsys!lgetxattr} */
export async function lgetxattr(path: PathLike, name: string): Promise<Buffer> {
  return xget(Form.Link, path, name, lgetxattr);
}
/** fgetxattr(2) on the threadpool. @see {@link rawsys!fgetxattr} */
export async function fgetxattr(fd: number, name: string): Promise<Buffer> {
  return xget(Form.Fd, fd, name, fgetxattr);
}
/** listxattr(2) on the threadpool. @see {@link rawsys!listxattr} */
export async function listxattr(path: PathLike): Promise<string[]> {
  return xlist(Form.Path, path, listxattr);
}
/** llistxattr(2) on the threadpool. @see {@link rawsys!llistxattr} */
export async function llistxattr(path: PathLike): Promise<string[]> {
  return xlist(Form.Link, path, llistxattr);
}
/** flistxattr(2) on the threadpool. @see {@link rawsys!flistxattr} */
export async function flistxattr(fd: number): Promise<string[]> {
  return xlist(Form.Fd, fd, flistxattr);
}
/** setxattr(2) on the threadpool. @see {@link rawsys!setxattr} */
export async function setxattr(path: PathLike, name: string, value: ArrayBufferView | string, flags?: number): Promise<void> {
  return xset(Form.Path, path, name, value, flags, setxattr);
}
/** lsetxattr(2) on the threadpool. @see {@link rawsys!lsetxattr} */
export async function lsetxattr(path: PathLike, name: string, value: ArrayBufferView | string, flags?: number): Promise<void> {
  return xset(Form.Link, path, name, value, flags, lsetxattr);
}
/** fsetxattr(2) on the threadpool. @see {@link rawsys!fsetxattr} */
export async function fsetxattr(fd: number, name: string, value: ArrayBufferView | string, flags?: number): Promise<void> {
  return xset(Form.Fd, fd, name, value, flags, fsetxattr);
}
/** removexattr(2) on the threadpool. @see {@link rawsys!removexattr} */
export async function removexattr(path: PathLike, name: string): Promise<void> {
  return xremove(Form.Path, path, name, removexattr);
}
/** lremovexattr(2) on the threadpool. @see {@link rawsys!lremovexattr} */
export async function lremovexattr(path: PathLike, name: string): Promise<void> {
  return xremove(Form.Link, path, name, lremovexattr);
}
/** fremovexattr(2) on the threadpool. @see {@link rawsys!fremovexattr} */
export async function fremovexattr(fd: number, name: string): Promise<void> {
  return xremove(Form.Fd, fd, name, fremovexattr);
}

/**
 * syscall(2) on the threadpool: strings are copied and buffers pinned until it completes.
 * Meant for short calls; a call that can wait for ever would hold a threadpool thread.
 * @see {@link rawsys!syscall}
 */
export async function syscall(number: number, ...args: SyscallArg[]): Promise<bigint> {
  const n = syscallArgs(number, args);
  const r = await native.syscallAsync(n, ...args);
  return typeof r === 'number' ? fail(r, syscallName(n), syscall) : r;
}

/**
 * fork(2) with a plan, on the libuv threadpool: the clone, the child's plan
 * and its execve happen while the event loop runs on, and several spawns
 * proceed at once (one per threadpool thread). Resolves once the child has
 * exec'd or exited through its plan. Descriptors the plan names must stay
 * open until the promise settles.
 * @throws {SyscallError} as {@link rawsys!fork}: the failing step, named after its call; the child is reaped
 * @see https://man7.org/linux/man-pages/man2/fork.2.html
 */
export async function fork(plan: readonly Step[]): Promise<Child> {
  const prep = prepareSpawn(0, plan, undefined);
  return spawnResult(prep, await native.spawnAsync(...prep.args), fork);
}

/**
 * clone(2) with a plan, on the libuv threadpool; as {@link fork} with
 * namespace `flags` and {@link CloneOptions} (uid/gid maps, cgroup).
 * @throws {SyscallError} as {@link rawsys!clone}
 * @see https://man7.org/linux/man-pages/man2/clone.2.html
 */
export async function clone(flags: number, plan: readonly Step[], options?: CloneOptions): Promise<Child> {
  const prep = prepareSpawn(cloneFlags(flags), plan, options);
  return spawnResult(prep, await native.spawnAsync(...prep.args), clone);
}

/**
 * waitpid(2) without blocking any thread: waits on a pidfd (Linux 5.3) with
 * the event loop, then reaps. Reports termination only (WUNTRACED and
 * WCONTINUED states are not signalled through a pidfd); with WNOHANG it
 * resolves at once. A pending wait keeps the event loop alive.
 * @see {@link rawsys!waitpid}
 */
export async function waitpid(pid: number, options?: number): Promise<WaitStatus | null> {
  const rec = new Float64Array(13);
  const r = await native.waitAsync(0, 0, waitPid(pid), waitOptions(options, 0), rec);
  if (r < 0) fail(r, 'waitpid', waitpid);
  return r === 0 ? null : decode(rec, false);
}

/** wait4(2) on a pidfd with the event loop, with resource usage. @see {@link rawsys!wait4} */
export async function wait4(pid: number, options?: number): Promise<Wait4Status | null> {
  const rec = new Float64Array(13);
  const r = await native.waitAsync(0, 0, waitPid(pid), waitOptions(options, 0), rec);
  if (r < 0) fail(r, 'wait4', wait4);
  return r === 0 ? null : (decode(rec, true) as Wait4Status);
}

/** waitid(2) (P_PID or P_PIDFD) on a pidfd with the event loop; WEXITED is always included. @see {@link rawsys!waitid} */
export async function waitid(idtype: number, id: number, options?: number): Promise<Wait4Status | null> {
  const [t, i] = waitidTarget(idtype, id);
  const rec = new Float64Array(13);
  // A pidfd only signals termination, so WEXITED is always part of the wait.
  const r = await native.waitAsync(1, t, i, waitOptions(options, C.WEXITED) | C.WEXITED, rec);
  if (r < 0) fail(r, 'waitid', waitid);
  return r === 0 ? null : (decode(rec, true) as Wait4Status);
}

/**
 * mount(2) on the threadpool (a mount can block: network filesystems, slow
 * devices). It acts in the mount namespace of the threadpool thread that runs
 * it. That is the JS thread's, except after the JS thread moved with
 * unshare(CLONE_NEWNS) or setns once the threadpool had started (libuv starts
 * it at the first async operation; threads started later follow the JS
 * thread): then use the sync form. unshare, setns, chdir, fchdir, chroot,
 * pivotRoot and sethostname have no promise form for that reason: on a
 * threadpool thread they would change that thread, not the caller.
 * @see {@link rawsys!mount}
 */
export async function mount(
  source: PathLike | null | undefined, target: PathLike, fstype?: string | null, flags?: number, data?: string | Uint8Array | null,
): Promise<void> {
  const a = mountArgs(source, target, fstype, flags, data);
  const r = await native.mountAsync(...a);
  if (r < 0) fail(r, 'mount', mount, a[1]);
}

/**
 * umount2(2) on the threadpool (unmounting can block while data is flushed), in
 * the threadpool thread's mount namespace (see {@link mount}).
 * @see {@link rawsys!umount2}
 */
export async function umount2(target: PathLike, flags?: number): Promise<void> {
  const [t, f] = umountArgs(target, flags);
  const r = await native.umount2Async(t, f);
  if (r < 0) fail(r, 'umount2', umount2, t);
}

export { SyscallError, AbortError } from './errors';
export type { Lock, LockResult, LockType } from './locks';
export type { Stat, StatOptions, OpenFlags } from './fd';
export type { PathLike } from './validate';
export type { WaitStatus, Wait4Status, Rusage } from './process';
