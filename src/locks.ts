// File locks: flock(2), POSIX record locks and open-file-description (OFD)
// locks through fcntl(2). The blocking forms in rawsys/promises never sit on
// the libuv threadpool: they wait on a thread of rawsys's own (see
// native/blocking.cc) and can be aborted with an AbortSignal.
import { native } from './binding';
import { constants as C } from './constants';
import { fail, invalidArgValue } from './errors';
import { validateFd, validateInt32, validateInt64, validateObject } from './validate';

/** A 64-bit integer: a number, or a bigint beyond 2^53. Shown inline in the API reference. @inline */
type Int = number | bigint;

/** The type of a record lock: a name, or `constants.F_RDLCK` / `F_WRLCK` / `F_UNLCK`. */
export type LockType = 'read' | 'write' | 'unlock' | number;

/** A record lock request: the shape of `struct flock`, plus `ofd` to use an open-file-description lock. */
export interface Lock {
  /** `'read'` (shared), `'write'` (exclusive) or `'unlock'`. */
  type: LockType;
  /** What `start` is relative to: `constants.SEEK_SET` (default), `SEEK_CUR` or `SEEK_END`. */
  whence?: number;
  /** First byte of the range (default 0). */
  start?: Int;
  /** Length of the range; 0 (default) means up to the end of the file, however it grows. */
  len?: Int;
  /**
   * Open-file-description lock (F_OFD_*, Linux 3.15): owned by the open file,
   * not the process, so two descriptors from two open() calls in one process
   * conflict, and closing another descriptor of the file does not drop it.
   */
  ofd?: boolean;
}

/** What {@link getlk} reports: the lock that would conflict, or `type: 'unlock'` when none does. */
export interface LockResult {
  type: 'read' | 'write' | 'unlock';
  whence: number;
  start: number | bigint;
  len: number | bigint;
  /** The holder's pid; -1 for an OFD lock (no single process owns it). */
  pid: number;
  ofd: boolean;
}

/** @internal */
export interface LockArgs {
  fd: number;
  cmd: number;
  rec: BigInt64Array;
  ofd: boolean;
}

function lockType(type: unknown): number {
  switch (type) {
    case 'read': return C.F_RDLCK;
    case 'write': return C.F_WRLCK;
    case 'unlock': return C.F_UNLCK;
    case C.F_RDLCK: case C.F_WRLCK: case C.F_UNLCK: return type as number;
    default: throw invalidArgValue('lock.type', type, "must be 'read', 'write', 'unlock' or an F_*LCK constant");
  }
}

/** Validates a Lock and encodes it as the int64 record the native layer reads. @internal */
export function lockArgs(fd: unknown, lock: unknown, kind: 'get' | 'set' | 'setw'): LockArgs {
  const f = validateFd(fd);
  const l = validateObject<Lock>(lock, 'lock');
  if (l === undefined) throw invalidArgValue('lock', lock, 'must be an object');
  const ofd = l.ofd === true;
  const rec = new BigInt64Array(5);
  rec[0] = BigInt(lockType(l.type));
  rec[1] = BigInt(l.whence === undefined ? C.SEEK_SET : validateInt32(l.whence, 'lock.whence', 0, 2));
  rec[2] = BigInt(l.start === undefined ? 0 : validateInt64(l.start, 'lock.start'));
  rec[3] = BigInt(l.len === undefined ? 0 : validateInt64(l.len, 'lock.len'));
  const cmd = kind === 'get' ? (ofd ? C.F_OFD_GETLK : C.F_GETLK)
    : kind === 'set' ? (ofd ? C.F_OFD_SETLK : C.F_SETLK)
      : (ofd ? C.F_OFD_SETLKW : C.F_SETLKW);
  return { fd: f, cmd, rec, ofd };
}

function small(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** Decodes the record the kernel filled in for F_GETLK. @internal */
export function lockResult(a: LockArgs): LockResult {
  const t = Number(a.rec[0]);
  return {
    type: t === C.F_RDLCK ? 'read' : t === C.F_WRLCK ? 'write' : 'unlock',
    whence: Number(a.rec[1]),
    start: small(a.rec[2]),
    len: small(a.rec[3]),
    pid: Number(a.rec[4]),
    ofd: a.ofd,
  };
}

/** @internal */
export function flockArgs<R>(fn: (fd: number, op: number) => R, fd: unknown, operation: unknown): R {
  return fn(validateFd(fd), flockOp(operation));
}

/** @internal */
export function flockOp(operation: unknown): number {
  const op = validateInt32(operation, 'operation', 0);
  const base = op & ~C.LOCK_NB;
  if (base !== C.LOCK_SH && base !== C.LOCK_EX && base !== C.LOCK_UN) {
    throw invalidArgValue('operation', operation, 'must be LOCK_SH, LOCK_EX or LOCK_UN, optionally | LOCK_NB');
  }
  return op;
}

/**
 * flock(2): places or removes an advisory lock on the whole open file.
 * Without `LOCK_NB` the synchronous form blocks the calling thread until the
 * lock is granted; use `rawsys/promises` to wait without blocking.
 * @param operation `constants.LOCK_SH`, `LOCK_EX` or `LOCK_UN`, optionally `| LOCK_NB`
 * @throws {SyscallError} `EWOULDBLOCK` (reported as `EAGAIN`) with LOCK_NB when held elsewhere; `EBADF`; `ENOLCK`
 * @see https://man7.org/linux/man-pages/man2/flock.2.html
 */
export function flock(fd: number, operation: number): void {
  const r = flockArgs(native.flock, fd, operation);
  if (r < 0) fail(r, 'flock', flock);
}

/**
 * fcntl(2) F_GETLK / F_OFD_GETLK: which lock, if any, would conflict with `lock`.
 * @returns the conflicting lock, or `{ type: 'unlock' }` when `lock` could be placed
 * @throws {SyscallError} `EBADF`, `EINVAL`
 * @see https://man7.org/linux/man-pages/man2/fcntl.2.html
 */
export function getlk(fd: number, lock: Lock): LockResult {
  const a = lockArgs(fd, lock, 'get');
  const r = native.lock(a.fd, a.cmd, a.rec);
  if (r < 0) fail(r, 'fcntl', getlk);
  return lockResult(a);
}

/**
 * fcntl(2) F_SETLK / F_OFD_SETLK: places or releases a record lock without waiting.
 * @throws {SyscallError} `EAGAIN` or `EACCES` when a conflicting lock is held; `EBADF` (file not open for that access); `ENOLCK`
 * @see https://man7.org/linux/man-pages/man2/fcntl.2.html
 */
export function setlk(fd: number, lock: Lock): void {
  const a = lockArgs(fd, lock, 'set');
  const r = native.lock(a.fd, a.cmd, a.rec);
  if (r < 0) fail(r, 'fcntl', setlk);
}

/**
 * fcntl(2) F_SETLKW / F_OFD_SETLKW: places a record lock, waiting for
 * conflicting locks to go. The synchronous form blocks the calling thread;
 * `rawsys/promises` waits on a thread of its own and takes an AbortSignal.
 * @throws {SyscallError} `EDEADLK` (POSIX locks: the wait would deadlock), `EBADF`, `ENOLCK`
 * @see https://man7.org/linux/man-pages/man2/fcntl.2.html
 */
export function setlkw(fd: number, lock: Lock): void {
  const a = lockArgs(fd, lock, 'setw');
  const r = native.lock(a.fd, a.cmd, a.rec);
  if (r < 0) fail(r, 'fcntl', setlkw);
}
