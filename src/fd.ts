// File-descriptor syscalls, synchronous forms. The promise forms in
// promises.ts share the argument handling exported here (the *Args functions
// validate, then call the native core they are given, sync or async).
//
// Every descriptor rawsys creates is close-on-exec, atomically (O_CLOEXEC,
// F_DUPFD_CLOEXEC, dup3(O_CLOEXEC), pipe2(O_CLOEXEC)). To let a child inherit
// one, map it into the child explicitly, or clear FD_CLOEXEC with fcntl.
import { native } from './binding';
import { constants } from './constants';
import { fail, invalidArgType, invalidArgValue, outOfRange } from './errors';
import {
  PathLike, validateFd, validateFlags, validateId, validateInt32, validateInt64, validateMode, validateName, validatePath,
  validatePosition, validateRange, validateView,
} from './validate';

/** A 64-bit integer: a number, or a bigint beyond 2^53. Shown inline in the API reference. @inline */
type Int = number | bigint;

const C = constants;

/** The `node:fs` flag strings accepted by {@link open}, as open(2) flags. */
const FLAG_STRINGS: Record<string, number> = {
  r: C.O_RDONLY,
  rs: C.O_RDONLY | C.O_SYNC,
  sr: C.O_RDONLY | C.O_SYNC,
  'r+': C.O_RDWR,
  'rs+': C.O_RDWR | C.O_SYNC,
  'sr+': C.O_RDWR | C.O_SYNC,
  w: C.O_TRUNC | C.O_CREAT | C.O_WRONLY,
  wx: C.O_TRUNC | C.O_CREAT | C.O_WRONLY | C.O_EXCL,
  xw: C.O_TRUNC | C.O_CREAT | C.O_WRONLY | C.O_EXCL,
  'w+': C.O_TRUNC | C.O_CREAT | C.O_RDWR,
  'wx+': C.O_TRUNC | C.O_CREAT | C.O_RDWR | C.O_EXCL,
  'xw+': C.O_TRUNC | C.O_CREAT | C.O_RDWR | C.O_EXCL,
  a: C.O_APPEND | C.O_CREAT | C.O_WRONLY,
  ax: C.O_APPEND | C.O_CREAT | C.O_WRONLY | C.O_EXCL,
  xa: C.O_APPEND | C.O_CREAT | C.O_WRONLY | C.O_EXCL,
  as: C.O_APPEND | C.O_CREAT | C.O_WRONLY | C.O_SYNC,
  sa: C.O_APPEND | C.O_CREAT | C.O_WRONLY | C.O_SYNC,
  'a+': C.O_APPEND | C.O_CREAT | C.O_RDWR,
  'ax+': C.O_APPEND | C.O_CREAT | C.O_RDWR | C.O_EXCL,
  'xa+': C.O_APPEND | C.O_CREAT | C.O_RDWR | C.O_EXCL,
  'as+': C.O_APPEND | C.O_CREAT | C.O_RDWR | C.O_SYNC,
  'sa+': C.O_APPEND | C.O_CREAT | C.O_RDWR | C.O_SYNC,
};

/** open(2) flags: a number (`constants.O_*`) or a `node:fs` flag string such as `'r'`, `'w+'`, `'ax'`. */
export type OpenFlags = number | string;

/** @internal */
export function parseFlags(flags: unknown): number {
  if (flags === undefined) return C.O_RDONLY;
  if (typeof flags === 'string') {
    const v = FLAG_STRINGS[flags];
    if (v === undefined) throw invalidArgValue('flags', flags, 'is invalid');
    return v;
  }
  return validateInt32(flags, 'flags', 0);
}

/** @internal */
export function openArgs<R>(fn: (p: string | Uint8Array, f: number, m: number) => R, path: unknown, flags: unknown, mode: unknown): R {
  return fn(validatePath(path), parseFlags(flags), validateMode(mode, 'mode', 0o666));
}

/** @internal */
export function openatArgs<R>(
  fn: (d: number, p: string | Uint8Array, f: number, m: number) => R, dirfd: unknown, path: unknown, flags: unknown, mode: unknown,
): R {
  const d = dirfd === C.AT_FDCWD ? C.AT_FDCWD : validateFd(dirfd, 'dirfd');
  return fn(d, validatePath(path), parseFlags(flags), validateMode(mode, 'mode', 0o666));
}

/** @internal */
export function bufferArgs<R>(
  fn: (fd: number, b: ArrayBufferView, off: number, len: number) => R, fd: unknown, buffer: unknown, offset: unknown, length: unknown,
): R {
  const f = validateFd(fd);
  const b = validateView(buffer, 'buffer');
  const [off, len] = validateRange(b, offset, length);
  return fn(f, b, off, len);
}

/**
 * pread/pwrite arguments: (fd, buffer, position) or (fd, buffer, offset, length, position).
 * `compact` (sync only: the native fast path takes it) passes the whole-buffer
 * form as (fd, buffer, position), two arguments fewer to decode.
 * @internal
 */
export function positionalArgs<R>(
  fn: (fd: number, b: ArrayBufferView, off: number, len: number, pos: Int) => R,
  fd: unknown, buffer: unknown, a: unknown, b: unknown, c: unknown, nargs: number, compact = false,
): R {
  const f = validateFd(fd);
  const buf = validateView(buffer, 'buffer');
  if (nargs <= 3) {
    const pos = validatePosition(a);
    return compact ? (fn as unknown as (fd: number, b: ArrayBufferView, pos: Int) => R)(f, buf, pos) : fn(f, buf, 0, buf.byteLength, pos);
  }
  const [off, len] = validateRange(buf, a, b);
  return fn(f, buf, off, len, validatePosition(c));
}

/** A string to write, encoded; anything else validated as a buffer view. @internal */
export function dataArg(data: unknown, encoding: unknown): ArrayBufferView {
  if (typeof data === 'string') {
    if (encoding !== undefined && (typeof encoding !== 'string' || !Buffer.isEncoding(encoding))) {
      throw invalidArgValue('encoding', encoding, 'is invalid encoding');
    }
    return Buffer.from(data, encoding as BufferEncoding | undefined);
  }
  return validateView(data, 'buffer');
}

/** @internal */
export function vectorArgs<R>(fn: (fd: number, bufs: ArrayBufferView[], pos: Int) => R, fd: unknown, buffers: unknown, position: unknown): R {
  const f = validateFd(fd);
  if (!Array.isArray(buffers)) throw invalidArgType('buffers', 'an instance of Array', buffers);
  // A private copy: the native layer pins this array, and with it every buffer.
  const bufs = buffers.slice();
  for (let i = 0; i < bufs.length; i++) validateView(bufs[i], `buffers[${i}]`);
  const pos = position === undefined || position === null ? -1 : validatePosition(position);
  return fn(f, bufs, pos);
}

const FCNTL_CMDS = new Set(
  [C.F_DUPFD, C.F_DUPFD_CLOEXEC, C.F_GETFD, C.F_SETFD, C.F_GETFL, C.F_SETFL, C.F_GETPIPE_SZ, C.F_SETPIPE_SZ, C.F_ADD_SEALS, C.F_GET_SEALS].filter((v) => v !== undefined),
);

/** @internal */
export function fcntlArgs<R>(fn: (fd: number, cmd: number, arg: number) => R, fd: unknown, cmd: unknown, arg: unknown): R {
  const f = validateFd(fd);
  const c = validateInt32(cmd, 'cmd');
  if (!FCNTL_CMDS.has(c)) {
    throw invalidArgValue('cmd', cmd, 'must be F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_GETPIPE_SZ, F_SETPIPE_SZ, F_ADD_SEALS or F_GET_SEALS (use getlk/setlk/setlkw for locks)');
  }
  return fn(f, c, arg === undefined ? 0 : validateInt32(arg, 'arg'));
}

/** @internal */
export function lseekArgs<R>(fn: (fd: number, off: Int, whence: number) => R, fd: unknown, offset: unknown, whence: unknown): R {
  return fn(validateFd(fd), validateInt64(offset, 'offset'), whence === undefined ? C.SEEK_SET : validateInt32(whence, 'whence', 0));
}

/**
 * lseek's result: a bigint when the offset was given as one; a number
 * otherwise, or RangeError when the position is no safe integer.
 * @internal
 */
export function lseekResult(r: number | bigint, offset: unknown, caller: Function): number | bigint {
  if (typeof r === 'number' && r < 0) fail(r, 'lseek', caller);
  if (typeof offset === 'bigint') return BigInt(r);
  if (typeof r === 'bigint') throw outOfRange('position', 'a safe integer (pass the offset as a bigint)', r);
  return r;
}

/** Field order of the int64 record native fstat fills. */
const enum S {
  dev, ino, mode, nlink, uid, gid, rdev, size, blksize, blocks,
  atimeSec, atimeNsec, mtimeSec, mtimeNsec, ctimeSec, ctimeNsec, birthSec, birthNsec, length,
}

/** File status from fstat(2), shaped like `fs.Stats` (numbers, or bigints with `{ bigint: true }`). */
export class Stat<T extends number | bigint = number> {
  declare dev: T;
  declare ino: T;
  declare mode: T;
  declare nlink: T;
  declare uid: T;
  declare gid: T;
  declare rdev: T;
  declare size: T;
  declare blksize: T;
  declare blocks: T;
  declare atimeMs: T;
  declare mtimeMs: T;
  declare ctimeMs: T;
  /** Birth time where the filesystem records it (statx STATX_BTIME), else 0. */
  declare birthtimeMs: T;
  /** Nanosecond times, present with `{ bigint: true }`. */
  declare atimeNs?: bigint;
  declare mtimeNs?: bigint;
  declare ctimeNs?: bigint;
  declare birthtimeNs?: bigint;

  /** @internal */
  constructor(rec: BigInt64Array, bigint: boolean) {
    const keys = ['dev', 'ino', 'mode', 'nlink', 'uid', 'gid', 'rdev', 'size', 'blksize', 'blocks'] as const;
    const self = this as unknown as Record<string, number | bigint>;
    for (let i = 0; i < keys.length; i++) self[keys[i]] = bigint ? rec[i] : Number(rec[i]);
    const times = [['atime', S.atimeSec], ['mtime', S.mtimeSec], ['ctime', S.ctimeSec], ['birthtime', S.birthSec]] as const;
    for (const [k, i] of times) {
      const ns = rec[i] * 1_000_000_000n + rec[i + 1];
      if (bigint) {
        self[`${k}Ms`] = ns / 1_000_000n;
        self[`${k}Ns`] = ns;
      } else {
        self[`${k}Ms`] = Number(rec[i]) * 1000 + Number(rec[i + 1]) / 1e6;
      }
    }
  }

  private type(): number {
    return Number(this.mode) & C.S_IFMT;
  }
  isFile(): boolean { return this.type() === C.S_IFREG; }
  isDirectory(): boolean { return this.type() === C.S_IFDIR; }
  isSymbolicLink(): boolean { return this.type() === C.S_IFLNK; }
  isFIFO(): boolean { return this.type() === C.S_IFIFO; }
  isSocket(): boolean { return this.type() === C.S_IFSOCK; }
  isCharacterDevice(): boolean { return this.type() === C.S_IFCHR; }
  isBlockDevice(): boolean { return this.type() === C.S_IFBLK; }
}

/** @internal */
export const STAT_FIELDS = S.length;

/** Options of {@link fstat}. */
export interface StatOptions {
  /** Report sizes, ids and times as bigints, plus nanosecond times (`atimeNs` …). */
  bigint?: boolean;
}

/** @internal */
export function statBigint(options: StatOptions | undefined): boolean {
  if (options === undefined) return false;
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
  return options.bigint === true;
}

// ---------------------------------------------------------------------------
// Public synchronous calls

/**
 * open(2): opens `path` and returns a new descriptor, always close-on-exec.
 * @param flags `constants.O_*` or-ed together, or a `node:fs` flag string (default `'r'`)
 * @param mode permission bits for a created file (default `0o666`, less the umask)
 * @throws {SyscallError} `ENOENT`, `EACCES`, `EEXIST`, `EISDIR`, `EMFILE` …
 * @see https://man7.org/linux/man-pages/man2/open.2.html
 */
export function open(path: PathLike, flags?: OpenFlags, mode?: number | string): number {
  const r = openArgs(native.open, path, flags, mode);
  return r < 0 ? fail(r, 'open', open, validatePath(path)) : r;
}

/**
 * openat(2): opens `path` relative to the directory `dirfd` (or `constants.AT_FDCWD`).
 * @throws {SyscallError} as {@link open}, and `ENOTDIR`/`EBADF` for `dirfd`
 * @see https://man7.org/linux/man-pages/man2/openat.2.html
 */
export function openat(dirfd: number, path: PathLike, flags?: OpenFlags, mode?: number | string): number {
  const r = openatArgs(native.openat, dirfd, path, flags, mode);
  return r < 0 ? fail(r, 'openat', openat, validatePath(path)) : r;
}

/**
 * close(2). Never retried on EINTR: on Linux the descriptor is released even then.
 * @throws {SyscallError} `EBADF`, `EIO`
 * @see https://man7.org/linux/man-pages/man2/close.2.html
 */
export function close(fd: number): void {
  const r = native.close(validateFd(fd));
  if (r < 0) fail(r, 'close', close);
}

/**
 * read(2) into `buffer` (a Buffer, any TypedArray or a DataView) from the file offset.
 * @param offset where in `buffer` to start (default 0)
 * @param length how many bytes at most (default: the rest of `buffer`)
 * @returns the number of bytes read; 0 at end of file
 * @throws {SyscallError} `EBADF`, `EAGAIN` (non-blocking), `EISDIR`, `EIO` …
 * @see https://man7.org/linux/man-pages/man2/read.2.html
 */
export function read(fd: number, buffer: ArrayBufferView, offset?: number, length?: number): number {
  const r = bufferArgs(native.read, fd, buffer, offset, length);
  return r < 0 ? fail(r, 'read', read) : r;
}

/**
 * pread(2): reads at `position` (number or bigint) without moving the file offset.
 * Called as `pread(fd, buffer, position)` or `pread(fd, buffer, offset, length, position)`.
 * @returns the number of bytes read; 0 at end of file
 * @throws {SyscallError} `EBADF`, `ESPIPE` (pipes and sockets), `EINVAL`, `EIO` …
 * @see https://man7.org/linux/man-pages/man2/pread.2.html
 */
export function pread(fd: number, buffer: ArrayBufferView, position: Int): number;
export function pread(fd: number, buffer: ArrayBufferView, offset: number, length: number, position: Int): number;
export function pread(fd: number, buffer: ArrayBufferView, a: Int, b?: number, c?: Int): number {
  const r = positionalArgs(native.pread, fd, buffer, a, b, c, arguments.length, true);
  return r < 0 ? fail(r, 'pread', pread) : r;
}

/**
 * write(2) of a buffer (with optional offset and length) or a string (with an optional encoding).
 * @returns the number of bytes written, which may be fewer than asked
 * @throws {SyscallError} `EBADF`, `EAGAIN`, `EPIPE`, `ENOSPC`, `EIO` …
 * @see https://man7.org/linux/man-pages/man2/write.2.html
 */
export function write(fd: number, buffer: ArrayBufferView, offset?: number, length?: number): number;
export function write(fd: number, data: string, encoding?: BufferEncoding): number;
export function write(fd: number, data: ArrayBufferView | string, a?: number | BufferEncoding, b?: number): number {
  const r = typeof data === 'string'
    ? bufferArgs(native.write, fd, dataArg(data, a), undefined, undefined)
    : bufferArgs(native.write, fd, data, a, b);
  return r < 0 ? fail(r, 'write', write) : r;
}

/**
 * pwrite(2): writes at `position` without moving the file offset. Called as
 * `pwrite(fd, buffer, position)`, `pwrite(fd, buffer, offset, length, position)`
 * or `pwrite(fd, string, position, encoding?)`.
 * @returns the number of bytes written
 * @throws {SyscallError} `EBADF`, `ESPIPE`, `ENOSPC`, `EFBIG`, `EIO` …
 * @see https://man7.org/linux/man-pages/man2/pwrite.2.html
 */
export function pwrite(fd: number, buffer: ArrayBufferView, position: Int): number;
export function pwrite(fd: number, buffer: ArrayBufferView, offset: number, length: number, position: Int): number;
export function pwrite(fd: number, data: string, position: Int, encoding?: BufferEncoding): number;
export function pwrite(fd: number, data: ArrayBufferView | string, a: Int, b?: number | BufferEncoding, c?: Int): number {
  const r = typeof data === 'string'
    ? positionalArgs(native.pwrite, fd, dataArg(data, b), a, undefined, undefined, 3, true)
    : positionalArgs(native.pwrite, fd, data, a, b, c, arguments.length, true);
  return r < 0 ? fail(r, 'pwrite', pwrite) : r;
}

/**
 * readv(2), or preadv(2) when `position` is given: scatters one read over several buffers.
 * @returns the total number of bytes read
 * @throws {SyscallError} `EBADF`, `EINVAL` (more than IOV_MAX buffers), `EIO` …
 * @see https://man7.org/linux/man-pages/man2/readv.2.html
 */
export function readv(fd: number, buffers: readonly ArrayBufferView[], position?: Int): number {
  const r = vectorArgs(native.readv, fd, buffers, position);
  return r < 0 ? fail(r, position === undefined ? 'readv' : 'preadv', readv) : r;
}

/**
 * writev(2), or pwritev(2) when `position` is given: gathers several buffers into one write.
 * @returns the total number of bytes written
 * @throws {SyscallError} `EBADF`, `EINVAL`, `EPIPE`, `ENOSPC` …
 * @see https://man7.org/linux/man-pages/man2/writev.2.html
 */
export function writev(fd: number, buffers: readonly ArrayBufferView[], position?: Int): number {
  const r = vectorArgs(native.writev, fd, buffers, position);
  return r < 0 ? fail(r, position === undefined ? 'writev' : 'pwritev', writev) : r;
}

/**
 * lseek(2): moves the file offset. With a bigint `offset` the result is a bigint.
 * @param whence `constants.SEEK_SET` (default), `SEEK_CUR`, `SEEK_END`, `SEEK_DATA`, `SEEK_HOLE`
 * @returns the new offset
 * @throws {SyscallError} `EBADF`, `EINVAL`, `ESPIPE`, `ENXIO` (SEEK_DATA/SEEK_HOLE past the end)
 * @throws {RangeError} `ERR_OUT_OF_RANGE` when a number offset leads to a position beyond 2^53 (the seek has happened)
 * @see https://man7.org/linux/man-pages/man2/lseek.2.html
 */
export function lseek(fd: number, offset: number, whence?: number): number;
export function lseek(fd: number, offset: bigint, whence?: number): bigint;
export function lseek(fd: number, offset: Int, whence?: number): number | bigint {
  return lseekResult(lseekArgs(native.lseek, fd, offset, whence), offset, lseek);
}

/**
 * fsync(2): flushes the file's data and metadata to the device.
 * @throws {SyscallError} `EBADF`, `EIO`, `EROFS`/`EINVAL` (no sync support), `ENOSPC`
 * @see https://man7.org/linux/man-pages/man2/fsync.2.html
 */
export function fsync(fd: number): void {
  const r = native.fsync(validateFd(fd));
  if (r < 0) fail(r, 'fsync', fsync);
}

/**
 * fdatasync(2): flushes the file's data, and only the metadata needed to read it back.
 * @throws {SyscallError} as {@link fsync}
 * @see https://man7.org/linux/man-pages/man2/fdatasync.2.html
 */
export function fdatasync(fd: number): void {
  const r = native.fdatasync(validateFd(fd));
  if (r < 0) fail(r, 'fdatasync', fdatasync);
}

/**
 * ftruncate(2): sets the file's size (number or bigint) to `length`.
 * @throws {SyscallError} `EBADF`, `EINVAL` (not writable, or not a regular file), `EFBIG`, `EPERM`
 * @see https://man7.org/linux/man-pages/man2/ftruncate.2.html
 */
export function ftruncate(fd: number, length: Int = 0): void {
  const r = native.ftruncate(validateFd(fd), validatePosition(length, 'length'));
  if (r < 0) fail(r, 'ftruncate', ftruncate);
}

/**
 * fstat(2) (through statx(2), Linux 4.11): the status of an open file.
 * @throws {SyscallError} `EBADF`
 * @see https://man7.org/linux/man-pages/man2/fstat.2.html
 */
export function fstat(fd: number, options?: StatOptions & { bigint?: false }): Stat<number>;
export function fstat(fd: number, options: StatOptions & { bigint: true }): Stat<bigint>;
export function fstat(fd: number, options?: StatOptions): Stat<number> | Stat<bigint> {
  const big = statBigint(options);
  const rec = new BigInt64Array(STAT_FIELDS);
  const r = native.fstat(validateFd(fd), rec);
  if (r < 0) fail(r, 'fstat', fstat);
  return new Stat(rec, big) as Stat<number> | Stat<bigint>;
}

/**
 * dup(2) (as fcntl F_DUPFD_CLOEXEC): a new close-on-exec descriptor for the same open file.
 * @throws {SyscallError} `EBADF`, `EMFILE`
 * @see https://man7.org/linux/man-pages/man2/dup.2.html
 */
export function dup(fd: number): number {
  const r = native.dup(validateFd(fd));
  return r < 0 ? fail(r, 'dup', dup) : r;
}

/**
 * dup2(2): makes `newfd` a copy of `oldfd`, closing what `newfd` was. Done with
 * dup3(O_CLOEXEC), so `newfd` is close-on-exec. Returns `newfd`.
 * @throws {SyscallError} `EBADF`, `EBUSY`, `EMFILE`
 * @see https://man7.org/linux/man-pages/man2/dup2.2.html
 */
export function dup2(oldfd: number, newfd: number): number {
  const r = native.dup2(validateFd(oldfd, 'oldfd'), validateFd(newfd, 'newfd'));
  return r < 0 ? fail(r, 'dup2', dup2) : r;
}

/**
 * dup3(2): as {@link dup2}, and `oldfd === newfd` is `EINVAL`. O_CLOEXEC is always added to `flags`.
 * @throws {SyscallError} `EBADF`, `EINVAL`, `EBUSY`, `EMFILE`
 * @see https://man7.org/linux/man-pages/man2/dup3.2.html
 */
export function dup3(oldfd: number, newfd: number, flags?: number): number {
  const r = native.dup3(validateFd(oldfd, 'oldfd'), validateFd(newfd, 'newfd'), validateFlags(flags, 'flags', 0));
  return r < 0 ? fail(r, 'dup3', dup3) : r;
}

/**
 * pipe2(2): a pipe as `[readEnd, writeEnd]`, both close-on-exec.
 * @param flags `constants.O_NONBLOCK`, `O_DIRECT` (O_CLOEXEC is always added)
 * @throws {SyscallError} `EMFILE`, `ENFILE`, `EINVAL`
 * @see https://man7.org/linux/man-pages/man2/pipe2.2.html
 */
export function pipe2(flags?: number): [number, number] {
  const fds = new Int32Array(2);
  const r = native.pipe2(validateFlags(flags, 'flags', 0), fds);
  if (r < 0) fail(r, 'pipe2', pipe2);
  return [fds[0], fds[1]];
}

/**
 * memfd_create(2): an anonymous file in memory, close-on-exec (MFD_CLOEXEC is
 * always added). `flags` may add `MFD_ALLOW_SEALING`, `MFD_NOEXEC_SEAL` (6.3).
 * Linux 3.17.
 * @throws {SyscallError} `EINVAL` (name longer than 249 bytes, unknown flag), `EMFILE`, `ENFILE`, `ENOMEM`
 * @see https://man7.org/linux/man-pages/man2/memfd_create.2.html
 */
export function memfdCreate(name: string, flags?: number): number {
  const n = validateName(name, 'name');
  const r = native.memfdCreate(n, validateFlags(flags, 'flags', 0));
  if (r < 0) fail(r, 'memfd_create', memfdCreate);
  return r;
}

/** One descriptor for {@link poll}: `events` asked, `revents` what happened. */
export interface PollFd {
  fd: number;
  /** `POLLIN`, `POLLOUT`, `POLLPRI`, `POLLRDHUP` … (constants), OR-ed. */
  events: number;
  /** Filled in by {@link poll}: the events that occurred, plus `POLLERR`, `POLLHUP`, `POLLNVAL`. */
  revents?: number;
}

/**
 * poll(2): waits until one of `fds` is ready or `timeout` milliseconds pass
 * (-1: no limit, 0: just look). Fills in each `revents` and returns how many
 * are ready (0 on timeout). Blocks the calling thread: for the event loop use
 * Node's own streams instead. Interrupted by a signal, it retries with the
 * time that is left.
 * @throws {SyscallError} `EINVAL` (too many fds), `ENOMEM`
 * @see https://man7.org/linux/man-pages/man2/poll.2.html
 */
export function poll(fds: PollFd[], timeout = -1): number {
  if (!Array.isArray(fds)) throw invalidArgType('fds', 'an array of { fd, events }', fds);
  const t = validateInt32(timeout, 'timeout', -1);
  if (fds.length === 0 && t < 0) throw invalidArgValue('fds', fds, 'is empty and there is no timeout: the call would never return');
  const buf = Buffer.alloc(fds.length * 8);
  fds.forEach((p, k) => {
    if (p === null || typeof p !== 'object') throw invalidArgType(`fds[${k}]`, 'of type object', p);
    buf.writeInt32LE(validateInt32(p.fd, `fds[${k}].fd`, -1), k * 8);
    buf.writeInt16LE(validateInt32(p.events, `fds[${k}].events`, 0, 0x7fff), k * 8 + 4);
  });
  const deadline = t > 0 ? Date.now() + t : 0;
  let r: number;
  for (;;) {
    r = native.poll(buf, t > 0 ? Math.max(0, deadline - Date.now()) : t);
    if (r !== -constants.EINTR) break;
  }
  if (r < 0) fail(r, 'poll', poll);
  fds.forEach((p, k) => { p.revents = buf.readUInt16LE(k * 8 + 6); });
  return r;
}

/**
 * chmod(2): sets the permission bits of `path` (follows symlinks).
 * @throws {SyscallError} `ENOENT`, `EPERM`, `EROFS`, `EACCES`
 * @see https://man7.org/linux/man-pages/man2/chmod.2.html
 */
export function chmod(path: PathLike, mode: number | string): void {
  const p = validatePath(path);
  const r = native.chmod(p, validateMode(mode));
  if (r < 0) fail(r, 'chmod', chmod, p);
}

/**
 * fchmod(2): sets the permission bits of an open file.
 * @throws {SyscallError} `EBADF`, `EPERM`, `EROFS`
 * @see https://man7.org/linux/man-pages/man2/fchmod.2.html
 */
export function fchmod(fd: number, mode: number | string): void {
  const r = native.fchmod(validateFd(fd), validateMode(mode));
  if (r < 0) fail(r, 'fchmod', fchmod);
}

/**
 * fchown(2): sets the owner and group of an open file; -1 leaves one unchanged.
 * @throws {SyscallError} `EBADF`, `EPERM`, `EROFS`, `EINVAL` (id not mapped in this user namespace)
 * @see https://man7.org/linux/man-pages/man2/fchown.2.html
 */
export function fchown(fd: number, uid: number, gid: number): void {
  const r = native.fchown(validateFd(fd), validateId(uid, 'uid'), validateId(gid, 'gid'));
  if (r < 0) fail(r, 'fchown', fchown);
}

/**
 * unlink(2): removes a name from the filesystem.
 * @throws {SyscallError} `ENOENT`, `EISDIR`, `EACCES`, `EPERM`, `EBUSY`, `EROFS`
 * @see https://man7.org/linux/man-pages/man2/unlink.2.html
 */
export function unlink(path: PathLike): void {
  const p = validatePath(path);
  const r = native.unlink(p);
  if (r < 0) fail(r, 'unlink', unlink, p);
}

/**
 * mkdir(2): creates a directory (mode default `0o777`, less the umask).
 * @throws {SyscallError} `EEXIST`, `ENOENT`, `EACCES`, `ENOSPC`, `EROFS`
 * @see https://man7.org/linux/man-pages/man2/mkdir.2.html
 */
export function mkdir(path: PathLike, mode?: number | string): void {
  const p = validatePath(path);
  const r = native.mkdir(p, validateMode(mode, 'mode', 0o777));
  if (r < 0) fail(r, 'mkdir', mkdir, p);
}

/**
 * fcntl(2) for the commands with an integer argument: `F_GETFD`, `F_SETFD`,
 * `F_GETFL`, `F_SETFL`, `F_DUPFD_CLOEXEC` (and `F_DUPFD`, which rawsys makes
 * close-on-exec too), `F_GETPIPE_SZ`, `F_SETPIPE_SZ`, `F_ADD_SEALS`,
 * `F_GET_SEALS` (memfd seals). Record locks have their
 * own calls: {@link getlk}, {@link setlk}, {@link setlkw}.
 * @returns the command's result (flags, a descriptor, a size, or 0)
 * @throws {SyscallError} `EBADF`, `EINVAL`, `EMFILE`, `EBUSY`, `EPERM`
 * @throws {TypeError} `ERR_INVALID_ARG_VALUE` for any other command
 * @see https://man7.org/linux/man-pages/man2/fcntl.2.html
 */
export function fcntl(fd: number, cmd: number, arg?: number): number {
  const r = fcntlArgs(native.fcntl, fd, cmd, arg);
  return r < 0 ? fail(r, 'fcntl', fcntl) : r;
}

export type { PathLike } from './validate';
