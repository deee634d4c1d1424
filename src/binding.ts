// Loads the native addon and declares its interface. The addon is a flat set
// of cores: each returns its result, or -errno as a negative number, and
// never throws for an errno; the modules in this folder turn -errno into a
// SyscallError. Every `xAsync` runs the same core on the libuv threadpool.
import * as path from 'node:path';
import type { Constants } from './constants.gen';

/** A value the native layer reads as a 64-bit integer. */
type Int = number | bigint;
type View = ArrayBufferView;
type PathArg = string | Uint8Array;

/** The result of a wait run on a thread of rawsys's own: 0, -errno, or null when aborted. */
type WaitResult = Promise<number | null>;
/** Opaque handle of a pending wait, for cancelWait. */
export type WaitHandle = { readonly __brand: 'rawsys.WaitHandle' };

/** @internal */
export interface Native {
  readonly constants: Constants;
  readonly sourceHash: string;
  strerror(errno: number): string;

  open(path: PathArg, flags: number, mode: number): number;
  openAsync(path: PathArg, flags: number, mode: number): Promise<number>;
  openat(dirfd: number, path: PathArg, flags: number, mode: number): number;
  openatAsync(dirfd: number, path: PathArg, flags: number, mode: number): Promise<number>;
  close(fd: number): number;
  closeAsync(fd: number): Promise<number>;
  read(fd: number, buf: View, off: number, len: number): number;
  readAsync(fd: number, buf: View, off: number, len: number): Promise<number>;
  pread(fd: number, buf: View, off: number, len: number, pos: Int): number;
  preadAsync(fd: number, buf: View, off: number, len: number, pos: Int): Promise<number>;
  write(fd: number, buf: View, off: number, len: number): number;
  writeAsync(fd: number, buf: View, off: number, len: number): Promise<number>;
  pwrite(fd: number, buf: View, off: number, len: number, pos: Int): number;
  pwriteAsync(fd: number, buf: View, off: number, len: number, pos: Int): Promise<number>;
  readv(fd: number, bufs: View[], pos: Int): number;
  readvAsync(fd: number, bufs: View[], pos: Int): Promise<number>;
  writev(fd: number, bufs: View[], pos: Int): number;
  writevAsync(fd: number, bufs: View[], pos: Int): Promise<number>;
  lseek(fd: number, off: Int, whence: number): number | bigint;
  lseekAsync(fd: number, off: Int, whence: number): Promise<number | bigint>;
  fsync(fd: number): number;
  fsyncAsync(fd: number): Promise<number>;
  fdatasync(fd: number): number;
  fdatasyncAsync(fd: number): Promise<number>;
  ftruncate(fd: number, len: Int): number;
  ftruncateAsync(fd: number, len: Int): Promise<number>;
  fstat(fd: number, out: BigInt64Array): number;
  fstatAsync(fd: number, out: BigInt64Array): Promise<number>;
  flock(fd: number, op: number): number;
  flockAsync(fd: number, op: number): Promise<number>;
  fcntl(fd: number, cmd: number, arg: number): number;
  fcntlAsync(fd: number, cmd: number, arg: number): Promise<number>;
  lock(fd: number, cmd: number, rec: BigInt64Array): number;
  lockAsync(fd: number, cmd: number, rec: BigInt64Array): Promise<number>;
  dup(fd: number): number;
  dupAsync(fd: number): Promise<number>;
  dup2(oldfd: number, newfd: number): number;
  dup2Async(oldfd: number, newfd: number): Promise<number>;
  dup3(oldfd: number, newfd: number, flags: number): number;
  dup3Async(oldfd: number, newfd: number, flags: number): Promise<number>;
  pipe2(flags: number, out: Int32Array): number;
  pipe2Async(flags: number, out: Int32Array): Promise<number>;
  memfdCreate(name: PathArg, flags: number): number;
  memfdCreateAsync(name: PathArg, flags: number): Promise<number>;
  poll(fds: Uint8Array, timeout: number): number;
  chmod(path: PathArg, mode: number): number;
  chmodAsync(path: PathArg, mode: number): Promise<number>;
  fchmod(fd: number, mode: number): number;
  fchmodAsync(fd: number, mode: number): Promise<number>;
  fchown(fd: number, uid: number, gid: number): number;
  fchownAsync(fd: number, uid: number, gid: number): Promise<number>;
  unlink(path: PathArg): number;
  unlinkAsync(path: PathArg): Promise<number>;
  mkdir(path: PathArg, mode: number): number;
  mkdirAsync(path: PathArg, mode: number): Promise<number>;

  getxattr(form: number, fd: number, path: PathArg, name: PathArg): Buffer | number;
  getxattrAsync(form: number, fd: number, path: PathArg, name: PathArg): Promise<Buffer | number>;
  listxattr(form: number, fd: number, path: PathArg): Buffer | number;
  listxattrAsync(form: number, fd: number, path: PathArg): Promise<Buffer | number>;
  setxattr(form: number, fd: number, path: PathArg, name: PathArg, value: View, flags: number): number;
  setxattrAsync(form: number, fd: number, path: PathArg, name: PathArg, value: View, flags: number): Promise<number>;
  removexattr(form: number, fd: number, path: PathArg, name: PathArg): number;
  removexattrAsync(form: number, fd: number, path: PathArg, name: PathArg): Promise<number>;

  syscall(nr: number, ...args: unknown[]): bigint | number;
  syscallAsync(nr: number, ...args: unknown[]): Promise<bigint | number>;

  spawn(flags: number | bigint, records: BigInt64Array, strings: (string | Uint8Array)[], options: BigInt64Array,
    maps: [string, string, string]): [number, number, number, number];
  spawnAsync(flags: number | bigint, records: BigInt64Array, strings: (string | Uint8Array)[], options: BigInt64Array,
    maps: [string, string, string]): Promise<[number, number, number, number]>;
  execve(path: PathArg, argv: string[], env: string[]): number;
  /** The init image's sealed memfd (process-wide, cached), or -errno with stage[0] = 0 memfd_create, 1 write, 2 fcntl. */
  initImageFd(stage: Int32Array): number;
  readonly initImageSize: number;
  wait(kind: number, idtype: number, id: number, options: number, record: Float64Array): number;
  waitAsync(kind: number, idtype: number, id: number, options: number, record: Float64Array): Promise<number>;

  flockWait(fd: number, op: number): [WaitResult, WaitHandle];
  lockWait(fd: number, cmd: number, rec: BigInt64Array): [WaitResult, WaitHandle];
  cancelWait(handle: WaitHandle): boolean;

  // creds.cc: ids, sessions, rlimits, prctl, capabilities
  getpid(): number;
  getppid(): number;
  gettid(): number;
  getuid(): number;
  geteuid(): number;
  getgid(): number;
  getegid(): number;
  getgroups(): Buffer | number;
  getresuid(out: Uint32Array): number;
  getresgid(out: Uint32Array): number;
  setresuid(r: number, e: number, s: number): number;
  setresgid(r: number, e: number, s: number): number;
  setgroups(gids: Uint32Array): number;
  setsid(): number;
  setpgid(pid: number, pgid: number): number;
  getpgid(pid: number): number;
  getsid(pid: number): number;
  prlimit(pid: number, resource: number, set: number, soft: Int, hard: Int, old: BigUint64Array): number;
  prctl(option: number, a2: number, a3: number, a4: number, a5: number): number;
  prGetName(): Buffer | number;
  prSetName(name: PathArg): number;
  capget(pid: number, out: BigUint64Array): number;
  capset(effective: bigint, permitted: bigint, inheritable: bigint): number;

  // signal.cc
  kill(pid: number, sig: number): number;
  pidfdOpen(pid: number, flags: number): number;
  pidfdSendSignal(pidfd: number, sig: number, flags: number): number;
  pidfdGetfd(pidfd: number, targetfd: number): number;

  // ns.cc: acting on the calling thread's namespaces; only mount/umount2 have promise forms
  unshare(flags: number): number;
  setns(fd: number, nstype: number): number;
  nsType(fd: number): number;
  mount(source: PathArg, target: PathArg, fstype: PathArg, flags: number, present: number, data: View): number;
  mountAsync(source: PathArg, target: PathArg, fstype: PathArg, flags: number, present: number, data: View): Promise<number>;
  umount2(target: PathArg, flags: number): number;
  umount2Async(target: PathArg, flags: number): Promise<number>;
  pivotRoot(newRoot: PathArg, putOld: PathArg): number;
  chroot(path: PathArg): number;
  chdir(path: PathArg): number;
  fchdir(fd: number): number;
  sethostname(name: PathArg): number;
  gethostname(): Buffer | number;

  // landlock.cc: rulesets only; enforcement is a plan step (plan.cc)
  landlockAbi(): number;
  landlockCreateRuleset(handledAccessFs: number, handledAccessNet: number, scoped: number): number;
  landlockAddRule(rulesetFd: number, ruleType: number, allowedAccess: number, target: number): number;
  // seccomp.cc: libseccomp, dlopen'ed on first use; a string is the loader's message when it is missing
  seccompVersion(library: string): [number, number, number] | string;
  seccompCompile(library: string, defaultAction: number, arches: string[], names: string[], rules: BigUint64Array):
    [errno: number, failedCall: string | null, index: number, filter: Buffer | null, skipped: number[]] | string;
}

/** What a user on this platform needs to read when no binary loads. */
function noBinary(libc: string, cause: string, err?: unknown): Error {
  const libcName = libc === 'unknown' ? 'unknown libc' : libc;
  return new Error(
    `rawsys: no native binary for linux-${process.arch} (${libcName}, Node ${process.version}, Node-API 8). ` +
    'The package ships glibc prebuilds for x64 and arm64; elsewhere it builds from source at install, which needs ' +
    'g++, make and python3 (Debian/Ubuntu: apt-get install g++ make python3; Alpine: apk add g++ make python3), ' +
    `then npm rebuild rawsys. Cause: ${cause}`,
    err === undefined ? undefined : { cause: err },
  );
}

function load(): Native {
  if (process.platform !== 'linux') {
    throw new Error(`rawsys supports Linux only; this is ${process.platform}/${process.arch}`);
  }
  // dist/cjs/binding.js -> the package root, where binding.gyp and prebuilds/ are.
  const root = path.join(__dirname, '..', '..');
  /* eslint-disable @typescript-eslint/no-var-requires */
  const nodeGypBuild = require('node-gyp-build') as { resolve(dir: string): string };
  const { detectLibc } = require(path.join(root, 'scripts', 'libc.js')) as { detectLibc(): string };
  /* eslint-enable @typescript-eslint/no-var-requires */
  // The libc first: node-gyp-build takes any Linux but Alpine for glibc, and a
  // glibc binary loaded into a musl process may crash it rather than fail.
  const libc = detectLibc();
  let file: string;
  try {
    // A local build (build/Release, made on this machine) first, then the
    // prebuild for this platform; PREBUILDS_ONLY=1 skips the local build.
    file = nodeGypBuild.resolve(root);
  } catch (err) {
    throw noBinary(libc, (err as Error).message.trim(), err);
  }
  const tag = /\.(glibc|musl)\.node$/.exec(file)?.[1];
  if (tag !== undefined && tag !== libc) {
    throw noBinary(libc, `${path.relative(root, file)} is built for ${tag}, and this process runs on ${libc}`);
  }
  // A plain copy: the addon's own exports object gets its properties through
  // N-API one by one and ends up in V8's slow dictionary mode; the copy is a
  // fast-mode object, so every native.x lookup on the hot path is cheap.
  let addon: Native;
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    addon = require(file) as Native;
  } catch (err) {
    throw noBinary(libc, (err as Error).message, err);
  }
  return { ...addon };
}

/** @internal The loaded addon. */
export const native: Native = load();
