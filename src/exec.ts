/**
 * rawsys/exec: Go's `os/exec` for Node, on rawsys child plans. A
 * {@link Command} runs a program with pipes, exit errors, cancellation and
 * Go-`SysProcAttr`-style isolation ({@link SysProcAttr}: namespaces, uid/gid
 * maps, credentials, capabilities, rlimits, cgroup …) applied natively
 * between clone and exec. Spawns run on the libuv threadpool and waits on a
 * pidfd, so neither blocks the event loop nor grows with the heap.
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as nodePath from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { native } from './binding';
import { Cgroup } from './cgroup';
import { constants as C } from './constants';
import { AbortError, invalidArgType, invalidArgValue, SyscallError } from './errors';
import { close, dup, fcntl, fstat, lseek, memfdCreate, open, pipe2, poll, pread, write } from './fd';
import { compilePlan, envList, lastCap, Capability, Signal, Step } from './plan';
import {
  Child, CloneOptions, cloneFlags, decode, IdMapping, prepareSpawn, Rusage, spawnResult, Wait4Status,
} from './process';
import { pidfdSendSignal, toSignal } from './signals';
import { toCapability, toMask } from './creds';
import { landlockRuleset, LandlockRuleset, LandlockSpec } from './landlock';
import { compileSeccomp, SeccompFilter, SeccompProfile } from './seccomp';
import { PathLike, validateAbortSignal, validateFd, validateInt32, validateObject } from './validate';

/** Where a child's stdin comes from. */
export type StdinOption =
  | 'inherit' | 'pipe' | 'ignore' | number | string | Uint8Array | Readable | Command;

/** Where a child's stdout or stderr goes. */
export type OutputOption = 'inherit' | 'pipe' | 'ignore' | number | Writable;

/** An rlimit for {@link SysProcAttr.rlimits}: one value for soft and hard, or both. */
export type RlimitOption = number | bigint | { soft: number | bigint; hard?: number | bigint };

/** Credentials the child switches to (setgroups(2), setresgid(2), setresuid(2), in that order). */
export interface Credential {
  uid: number;
  gid: number;
  /** Supplementary groups; default none. */
  groups?: readonly number[];
  /** Leave the supplementary groups alone (needed in a user namespace with setgroups denied). */
  noSetGroups?: boolean;
}

/**
 * Isolation applied in the child between clone and exec, in the order the
 * kernel requires: cgroup, session, hostname, chroot, rlimits, bounding set,
 * credentials, capabilities, cwd, pdeathsig, no_new_privs, descriptors,
 * then execve. Named as Go's `syscall.SysProcAttr`.
 */
export interface SysProcAttr {
  /** CLONE_NEW* flags (`constants.CLONE_NEWPID | CLONE_NEWNS …`): new namespaces for the child. */
  cloneFlags?: number;
  /** uid_map lines written by the parent before the child runs (needs CLONE_NEWUSER). */
  uidMappings?: readonly IdMapping[];
  /** gid_map lines (needs CLONE_NEWUSER); setgroups is denied first unless `gidMappingsEnableSetgroups`. */
  gidMappings?: readonly IdMapping[];
  /** Write `allow` rather than `deny` to /proc/<pid>/setgroups (privileged parents only). */
  gidMappingsEnableSetgroups?: boolean;
  /** Switch to these ids (and groups) before exec. */
  credential?: Credential;
  /** chroot(2) into this directory; the working directory becomes its `/` unless `cwd` is given. */
  chroot?: PathLike;
  /** setsid(2): the child leads a new session (and process group). */
  setsid?: boolean;
  /** setpgid(2): the child joins process group `pgid` (0, the default: a new group led by itself). */
  setpgid?: boolean;
  pgid?: number;
  /** prctl(PR_SET_PDEATHSIG): the signal the child gets when the thread that spawned it exits. */
  pdeathsig?: Signal;
  /** prctl(PR_SET_NO_NEW_PRIVS): execve never grants privileges (setuid bits, file capabilities). */
  noNewPrivs?: boolean;
  /** setrlimit(2) per resource: `{ NOFILE: 1024, CORE: { soft: 0, hard: 0 } }`. */
  rlimits?: Readonly<Record<string, RlimitOption>>;
  /**
   * Capabilities kept; every other one leaves the bounding, permitted,
   * effective and inheritable sets. `ambient` (a subset of `keep`) survive
   * an execve by a non-root user.
   */
  capabilities?: { keep: readonly Capability[]; ambient?: readonly Capability[] };
  /**
   * A cgroup to start in, before the first instruction: a cgroup v2
   * directory (path or O_DIRECTORY fd) is joined through clone3
   * CLONE_INTO_CGROUP (Linux 5.7); cgroup v1 directories (for hybrid hosts,
   * a list, one per hierarchy) by the child writing to their cgroup.procs;
   * a `Cgroup` in all of its hierarchies (its descriptors stay open until
   * its `release()` or `destroy()`).
   */
  cgroup?: PathLike | number | readonly PathLike[] | Cgroup;
  /** sethostname(2) in the child's new UTS namespace (needs CLONE_NEWUTS). */
  hostname?: string;
  /**
   * A seccomp filter loaded last, just before execve: an OCI/Docker profile
   * (compiled by the system's libseccomp in this process; a profile object
   * is compiled once and cached) or a filter from `compileSeccomp`. Implies
   * `noNewPrivs` unless that is set to false (the kernel then requires
   * CAP_SYS_ADMIN to be kept).
   */
  seccomp?: SeccompProfile | SeccompFilter;
  /**
   * Landlock: a spec (a ruleset is built at each start, from paths that
   * exist then) or a ruleset from `landlockRuleset` (kept open by the
   * caller). Enforced after the credential steps. Implies `noNewPrivs`
   * unless that is set to false.
   */
  landlock?: LandlockSpec | LandlockRuleset;
}

/** Options of {@link command}. */
export interface CommandOptions {
  /** Working directory of the child (chdir(2) before exec). */
  cwd?: PathLike;
  /** Environment: an object or `KEY=value` strings; absent: `process.env`. */
  env?: Readonly<Record<string, string | undefined>> | readonly string[];
  /** Default `'ignore'` (/dev/null), as Go's nil Stdin. A string or buffer is written to a pipe; a Command's stdout is connected by a kernel pipe. */
  stdin?: StdinOption;
  /** Default `'ignore'` (/dev/null), as Go. `'pipe'`: read it from {@link Command.stdout}. An fd is dup'd (a file opened O_APPEND gives `>>`). */
  stdout?: OutputOption;
  /** As stdout, and `'stdout'` for `2>&1`. */
  stderr?: OutputOption | 'stdout';
  /** Descriptors given to the child as 3, 4, 5 …, in order. */
  extraFiles?: readonly number[];
  /** `false`: a failed exit resolves with its {@link ProcessState} instead of rejecting with {@link ExitError} (Python's `check=False`). */
  reject?: boolean;
  /** Decoding for {@link Command.output}; default a Buffer. */
  encoding?: BufferEncoding | 'buffer';
  /** Aborting kills the child with `killSignal`; the wait rejects with an AbortError. */
  signal?: AbortSignal;
  /** Milliseconds; then the child gets `killSignal` and the wait rejects with an ExitError with `timedOut`. */
  timeout?: number;
  /** Default `'SIGTERM'`. */
  killSignal?: Signal;
  /**
   * Go's WaitDelay, in milliseconds: once the child has exited or was told
   * to stop, wait at most this long for its pipes to close (a grandchild
   * may hold them), then close them and stop waiting; a child still alive
   * then is sent SIGKILL. Absent: wait for the pipes for ever, as Go.
   */
  waitDelay?: number;
  /** Most bytes {@link Command.output} collects; past it the child is killed and the wait rejects (ERR_CHILD_PROCESS_STDIO_MAXBUFFER). */
  maxBuffer?: number;
  /** argv[0] as the program sees it; default the name as given. */
  argv0?: string;
  /** Accept a program found through a relative PATH entry (`.`, empty, `bin`); refused by default, as Go 1.19. */
  allowRelativePath?: boolean;
  /** Isolation applied between clone and exec. */
  sys?: SysProcAttr;
  /** @internal */
  [CONTAINER_PLAN]?: ContainerPlan;
}

const STDERR_TAIL = 32 * 1024;

/**
 * Internal: how rawsys/container lays out a plan around the command's own
 * steps: `prefix` first (cgroup joins), then `setup` (mounts, pivot_root,
 * hostname …), the descriptors, an `init` step, and the command's isolation
 * and execve.
 * @internal
 */
export const CONTAINER_PLAN = Symbol('rawsys.containerPlan');

/** @internal */
export interface ContainerPlan {
  prefix: Step[];
  setup: Step[];
  init: boolean;
  cgroupFd?: number;
}

/**
 * How a finished process ended, with its resource usage (wait4(2) rusage),
 * as Go's `os.ProcessState`.
 */
export class ProcessState {
  /** The pid it had. */
  readonly pid: number;
  /** Exit status 0-255, or null when a signal ended it. */
  readonly exitCode: number | null;
  /** The signal's name (`'SIGKILL'`) when a signal ended it, else null. */
  readonly signal: string | null;
  /** Exited with status 0. */
  readonly success: boolean;
  /** User CPU time, milliseconds. */
  readonly userTime: number;
  /** System CPU time, milliseconds. */
  readonly systemTime: number;
  /** Peak resident set size, KiB (getrusage(2)'s ru_maxrss). */
  readonly maxRSS: number;
  /** The whole rusage record. */
  readonly rusage: Rusage;

  /** @internal */
  constructor(st: Wait4Status) {
    this.pid = st.pid;
    this.exitCode = st.exitCode;
    this.signal = st.signal;
    this.success = st.exitCode === 0;
    this.userTime = st.rusage.userCPUTime / 1000;
    this.systemTime = st.rusage.systemCPUTime / 1000;
    this.maxRSS = st.rusage.maxRSS;
    this.rusage = st.rusage;
  }

  /** `'exit status 1'` or `'signal: SIGKILL'`, as Go prints it. */
  toString(): string {
    return this.signal !== null ? `signal: ${this.signal}` : `exit status ${this.exitCode}`;
  }
}

/**
 * A command that ran and failed: a non-zero exit or a death by signal.
 * Carries the {@link ProcessState} and the last 32 KiB of stderr when it was
 * captured (by {@link Command.output}, or `stderr: 'pipe'` unread).
 */
export class ExitError extends Error {
  readonly code = 'ERR_RAWSYS_EXIT';
  /** Exit status, or null when a signal ended it. */
  readonly exitCode: number | null;
  /** The signal's name, or null. */
  readonly signal: string | null;
  readonly processState: ProcessState;
  /** The tail of stderr, when captured; decoded when the command has an encoding. */
  readonly stderr?: Buffer | string;
  /** What output() had collected, when it was called. */
  readonly stdout?: Buffer | string;
  /** The command line, for messages. */
  readonly command: string;
  /** The timeout expired and rawsys sent `killSignal`. */
  readonly timedOut: boolean;
  /** In a {@link pipeline}: the position of the command that failed. */
  readonly index?: number;

  /** @internal */
  constructor(cmd: string, st: ProcessState, extra: { stderr?: Buffer | string; stdout?: Buffer | string; timedOut?: boolean; index?: number }) {
    const why = extra.timedOut ? `timed out and was killed (${st})` : `failed with ${st}`;
    const tail = extra.stderr !== undefined && extra.stderr.length > 0 ? `\n${String(extra.stderr).trimEnd()}` : '';
    super(`Command ${why}: ${cmd}${tail}`);
    this.exitCode = st.exitCode;
    this.signal = st.signal;
    this.processState = st;
    this.command = cmd;
    this.timedOut = extra.timedOut ?? false;
    if (extra.stderr !== undefined) this.stderr = extra.stderr;
    if (extra.stdout !== undefined) this.stdout = extra.stdout;
    if (extra.index !== undefined) this.index = extra.index;
  }

  override get name(): string {
    return 'ExitError';
  }
}

class CodedError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

/** Options of {@link lookPath}. */
export interface LookPathOptions {
  /** The PATH to search; default `process.env.PATH`. */
  path?: string;
  /** Accept a match through a relative PATH entry (see {@link CommandOptions.allowRelativePath}). */
  allowRelativePath?: boolean;
}

function isExecutable(file: string): number {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    return -((e as NodeJS.ErrnoException).errno ? Math.abs((e as NodeJS.ErrnoException).errno!) : C.ENOENT);
  }
  if (st.isDirectory()) return -C.EISDIR;
  try {
    fs.accessSync(file, fs.constants.X_OK);
  } catch {
    return -C.EACCES;
  }
  return 0;
}

/**
 * Finds `name` as execvp(3) would, with Go's rules (`exec.LookPath`): a name
 * with a slash is checked as it is; otherwise each PATH entry is tried in
 * order and the first regular, executable match wins. A match through a
 * relative entry (`.`, an empty entry, `bin`) is refused unless
 * `allowRelativePath`, so a file planted in the working directory never
 * shadows a system program.
 * @throws {SyscallError} `ENOENT` (syscall `execve`, path the name) when nothing matches; `EACCES` when only non-executable files do
 * @throws {Error} `ERR_RAWSYS_RELATIVE_PATH` for a refused relative match
 * @see https://man7.org/linux/man-pages/man3/execvp.3.html
 */
export function lookPath(name: string, options?: LookPathOptions): string {
  if (typeof name !== 'string') throw invalidArgType('name', 'of type string', name);
  if (name === '' || name.includes('\u0000')) throw invalidArgValue('name', name, 'must be a non-empty string without null bytes');
  const o = validateObject<LookPathOptions>(options, 'options') ?? {};
  if (name.includes('/')) {
    const r = isExecutable(name);
    if (r < 0) throw lookPathError(r, name, lookPath);
    return name;
  }
  const PATH = o.path ?? process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin';
  let denied = false;
  for (const entry of PATH.split(':')) {
    const dir = entry === '' ? '.' : entry;
    const file = nodePath.join(dir, name);
    const r = isExecutable(file);
    if (r === -C.EACCES) denied = true;
    if (r < 0) continue;
    if (!nodePath.isAbsolute(dir) && !o.allowRelativePath) {
      const err = new CodedError('ERR_RAWSYS_RELATIVE_PATH',
        `exec: "${name}" resolves to ${dir === '.' ? './' : ''}${file}, through the relative PATH entry "${entry}": pass allowRelativePath to run it`);
      Error.captureStackTrace(err, lookPath);
      throw err;
    }
    return dir === '.' ? `./${name}` : file;
  }
  throw lookPathError(denied ? -C.EACCES : -C.ENOENT, name, lookPath);
}

function lookPathError(r: number, name: string, caller: Function): SyscallError {
  const err = new SyscallError(r, 'execve', name);
  Error.captureStackTrace(err, caller);
  return err;
}

// ---------------------------------------------------------------------------

let devNull = -1;
function nullFd(): number {
  if (devNull < 0) devNull = open('/dev/null', C.O_RDWR);
  return devNull;
}

/** A kernel pipe joining one command's stdout to the next one's stdin. */
class Link {
  r = -1;
  w = -1;
  ensure(): void {
    if (this.r < 0 && this.w < 0) [this.r, this.w] = pipe2();
  }
  closeRead(): void {
    if (this.r >= 0) close(this.r);
    this.r = -1;
  }
  closeWrite(): void {
    if (this.w >= 0) close(this.w);
    this.w = -1;
  }
}

/** Collects a stream into Buffers, keeping everything or only a tail. */
class Collector {
  chunks: Buffer[] = [];
  size = 0;
  constructor(readonly limit: number, readonly tail: boolean, readonly onOverflow?: () => void) {}
  push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
    if (this.size <= this.limit) return;
    if (this.tail) {
      while (this.chunks.length > 1 && this.size - this.chunks[0].length >= this.limit) this.size -= this.chunks.shift()!.length;
    } else {
      this.onOverflow?.();
    }
  }
  buffer(): Buffer {
    const b = Buffer.concat(this.chunks);
    return this.tail && b.length > this.limit ? b.subarray(b.length - this.limit) : b;
  }
}

type Mode = 'run' | 'output' | 'combined';

interface StdioPlan {
  /** Descriptor the child gets, per target fd (0, 1, 2, 3 …). */
  childFds: number[];
  /** Parent-side copies to close right after the spawn. */
  closeAfter: number[];
  /** Done after a successful spawn (pipes to streams). */
  after: (() => void)[];
  /** Links whose ends this command owns. */
  links: [Link, 'r' | 'w'][];
}

// Module-private access to a Command's private members (for pipeline()).
const INTERNAL = Symbol('rawsys.exec.internal');
interface Internal {
  pipeInto(next: Command): void;
  abandon(): void;
}

/**
 * An external command, prepared but not yet started: Go's `exec.Cmd`. Use
 * {@link command} to make one. Its members follow Go: {@link start} and
 * {@link wait}, or {@link run}, {@link output}, {@link combinedOutput}.
 */
export class Command {
  /** The program that will run: the name as given, or where PATH had it. */
  readonly path: string;
  /** argv, with argv[0]. */
  readonly args: readonly string[];
  /** The options given. */
  readonly options: Readonly<CommandOptions>;
  /** After start: the child's pid. */
  pid?: number;
  /** After start and until the wait is over: a pidfd for the child. */
  pidfd?: number;
  /** After the wait: how it ended. */
  processState?: ProcessState;
  /** With `stdin: 'pipe'` (or {@link stdinPipe}), after start: a writable stream to the child's stdin. */
  stdin: Writable | null = null;
  /** With `stdout: 'pipe'` (or {@link stdoutPipe}), after start: a readable stream of its stdout. */
  stdout: Readable | null = null;
  /** With `stderr: 'pipe'` (or {@link stderrPipe}), after start: a readable stream of its stderr. */
  stderr: Readable | null = null;

  #lookErr: Error | undefined;
  #stdinOpt: StdinOption;
  #stdoutOpt: OutputOption | undefined;
  #stderrOpt: OutputOption | 'stdout' | undefined;
  #stdinLink: Link | undefined;
  #stdoutLink: Link | undefined;
  #mode: Mode = 'run';
  #started = false;
  #done: Promise<ProcessState> | undefined;
  #exited: Promise<Wait4Status> | undefined;
  #io: Promise<unknown>[] = [];
  #sockets: net.Socket[] = [];
  #out: Collector | undefined;
  #err: Collector | undefined;
  #cancel: 'abort' | 'timeout' | 'maxBuffer' | undefined;
  #abortReason: unknown;
  #cleanup: (() => void)[] = [];
  #pidfdOwned = -1;

  /** Prefer {@link command}. */
  constructor(name: string, args: readonly string[] = [], options: CommandOptions = {}) {
    if (typeof name !== 'string') throw invalidArgType('name', 'of type string', name);
    if (!Array.isArray(args)) throw invalidArgType('args', 'an array of strings', args);
    args.forEach((a: unknown, i) => {
      if (typeof a !== 'string') throw invalidArgType(`args[${i}]`, 'of type string', a);
    });
    const o = validateObject<CommandOptions>(options, 'options') ?? {};
    validateOptions(o);
    this.options = o;
    let path = name;
    if (!name.includes('/') && name !== '') {
      const envPath = pathOf(o.env);
      try {
        path = lookPath(name, { path: envPath, allowRelativePath: o.allowRelativePath });
      } catch (e) {
        this.#lookErr = e as Error;
      }
    }
    this.path = path;
    this.args = [o.argv0 ?? name, ...args];
    this.#stdinOpt = o.stdin ?? 'ignore';
    this.#stdoutOpt = o.stdout;
    this.#stderrOpt = o.stderr;
    if (o.stdin instanceof Command) o.stdin.#pipeInto(this);
  }

  /** The command line, quoted for display. */
  toString(): string {
    return this.args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
  }

  /** @internal */
  get [INTERNAL](): Internal {
    return { pipeInto: (next) => this.#pipeInto(next), abandon: () => this.#abandon() };
  }

  #abandon(): void {
    if (this.#started) return;
    this.#started = true;
    this.#releaseLinks();
  }

  #pipeInto(next: Command): void {
    if (this.#stdoutOpt !== undefined || this.#stdoutLink) throw new CodedError('ERR_RAWSYS_STDIO', `exec: stdout of ${this} is already set`);
    const link = new Link();
    this.#stdoutLink = link;
    next.#stdinLink = link;
  }

  #notStarted(what: string): void {
    if (this.#started) throw new CodedError('ERR_RAWSYS_ALREADY_STARTED', `exec: ${what} after the command started`);
  }

  /** A writable stream to the child's stdin, as `stdin: 'pipe'`; call before start. Ending it gives the child EOF. */
  stdinPipe(): Writable {
    this.#notStarted('stdinPipe');
    if (this.options.stdin !== undefined && this.options.stdin !== 'pipe') throw new CodedError('ERR_RAWSYS_STDIO', 'exec: stdin is already set');
    this.#stdinOpt = 'pipe';
    return this.#lazyStream('stdin') as Writable;
  }

  /** A readable stream of the child's stdout, as `stdout: 'pipe'`; call before start. */
  stdoutPipe(): Readable {
    this.#notStarted('stdoutPipe');
    if ((this.#stdoutOpt !== undefined && this.#stdoutOpt !== 'pipe') || this.#stdoutLink) throw new CodedError('ERR_RAWSYS_STDIO', 'exec: stdout is already set');
    this.#stdoutOpt = 'pipe';
    return this.#lazyStream('stdout') as Readable;
  }

  /** A readable stream of the child's stderr, as `stderr: 'pipe'`; call before start. */
  stderrPipe(): Readable {
    this.#notStarted('stderrPipe');
    if (this.#stderrOpt !== undefined && this.#stderrOpt !== 'pipe') throw new CodedError('ERR_RAWSYS_STDIO', 'exec: stderr is already set');
    this.#stderrOpt = 'pipe';
    return this.#lazyStream('stderr') as Readable;
  }

  // A stream handed out before start: a pass-through that the real pipe feeds.
  #pending: Partial<Record<'stdin' | 'stdout' | 'stderr', PassThrough>> = {};
  #lazyStream(which: 'stdin' | 'stdout' | 'stderr'): Readable | Writable {
    let s = this.#pending[which];
    if (!s) {
      s = new PassThrough();
      this.#pending[which] = s;
    }
    return s;
  }

  /**
   * Starts the command: the clone, the {@link SysProcAttr} steps and the
   * execve run on the threadpool; resolves once the program has been
   * exec'd. Then {@link wait}.
   * @throws {SyscallError} the step that failed: `execve` ENOENT (also for a name not found in PATH), `chdir`, `setns`, `setresuid` …
   */
  async start(): Promise<void> {
    this.#notStarted('start');
    this.#started = true;
    if (this.#lookErr) {
      this.#releaseLinks();
      throw this.#lookErr;
    }
    const o = this.options;
    const signal = o.signal;
    if (signal?.aborted) {
      this.#releaseLinks();
      throw new AbortError(undefined, { cause: signal.reason });
    }
    let stdio: StdioPlan;
    try {
      stdio = this.#stdio();
    } catch (e) {
      this.#releaseLinks();
      throw e;
    }
    let child: Child;
    let extraClose: number[] = [];
    try {
      const built = buildSpawn(this.path, this.args, o, stdio.childFds, false);
      extraClose = built.closeAfter;
      const prep = prepareSpawn(built.flags, built.plan, built.clone);
      child = spawnResult(prep, await native.spawnAsync(...prep.args), this.start);
    } catch (e) {
      for (const fd of [...stdio.closeAfter, ...extraClose]) close(fd);
      for (const [link, end] of stdio.links) (end === 'r' ? link.closeRead() : link.closeWrite());
      for (const s of this.#sockets) s.destroy();
      throw e;
    }
    for (const fd of [...stdio.closeAfter, ...extraClose]) close(fd);
    for (const [link, end] of stdio.links) (end === 'r' ? link.closeRead() : link.closeWrite());
    this.pid = child.pid;
    this.pidfd = child.pidfd;
    this.#pidfdOwned = child.pidfd ?? -1;
    for (const f of stdio.after) f();
    // The exit, watched from now on so that a timeout or abort can act on it.
    const rec = new Float64Array(13);
    this.#exited = (child.pidfd !== undefined
      ? native.waitAsync(1, C.P_PIDFD, child.pidfd, C.WEXITED, rec)
      : native.waitAsync(1, C.P_PID, child.pid, C.WEXITED, rec)).then((r) => {
      if (r < 0) throw new SyscallError(r, 'waitid');
      return decode(rec, true) as Wait4Status;
    });
    // Reaped and settled even if nobody waits; wait() hands out this promise.
    this.#done = this.#finish();
    this.#done.catch(() => {});
    if (signal) {
      const onAbort = (): void => {
        this.#abortReason = signal.reason;
        this.#stop('abort');
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#cleanup.push(() => signal.removeEventListener('abort', onAbort));
    }
    if (o.timeout !== undefined && o.timeout > 0) {
      const t = setTimeout(() => this.#stop('timeout'), o.timeout);
      this.#cleanup.push(() => clearTimeout(t));
    }
  }

  #releaseLinks(): void {
    if (this.#stdinLink) this.#stdinLink.closeRead();
    if (this.#stdoutLink) this.#stdoutLink.closeWrite();
  }

  #stopTimer: NodeJS.Timeout | undefined;
  #stopped = false;
  // Cancellation: killSignal now; with waitDelay, SIGKILL and closing the
  // pipes once it has passed (Go's Cancel + WaitDelay).
  #stop(why: 'abort' | 'timeout' | 'maxBuffer'): void {
    if (this.#stopped || this.processState) return;
    this.#stopped = true;
    this.#cancel = why;
    this.kill(this.options.killSignal ?? 'SIGTERM');
    if (this.options.waitDelay !== undefined) {
      this.#stopTimer = setTimeout(() => {
        this.kill('SIGKILL');
        this.#cutPipes();
      }, this.options.waitDelay);
    }
  }

  #ioCut = false;
  #cutPipes(): void {
    this.#ioCut = true;
    for (const s of this.#sockets) s.destroy();
  }

  #stdio(): StdioPlan {
    const plan: StdioPlan = { childFds: [], closeAfter: [], after: [], links: [] };
    const o = this.options;
    // stdin
    const sin = this.#stdinOpt;
    if (this.#stdinLink) {
      this.#stdinLink.ensure();
      plan.childFds[0] = this.#stdinLink.r;
      plan.links.push([this.#stdinLink, 'r']);
    } else if (sin === 'ignore') {
      plan.childFds[0] = nullFd();
    } else if (sin === 'inherit') {
      plan.childFds[0] = 0;
    } else if (typeof sin === 'number') {
      plan.childFds[0] = sin;
    } else if (sin === 'pipe' || typeof sin === 'string' || sin instanceof Uint8Array || sin instanceof Readable) {
      const [r, w] = pipe2();
      plan.childFds[0] = r;
      plan.closeAfter.push(r);
      const sock = this.#socket(w, 'w');
      plan.after.push(() => {
        if (sin === 'pipe') {
          this.stdin = sock;
          const pend = this.#pending.stdin;
          if (pend) pend.pipe(sock);
        } else if (sin instanceof Readable) {
          sin.pipe(sock);
        } else {
          sock.end(sin);
        }
      });
    }
    // stdout / stderr
    const capture = (fdNum: 1 | 2, opt: OutputOption | undefined, collector: 'out' | 'err' | undefined): void => {
      if (collector) {
        const [r, w] = pipe2();
        plan.childFds[fdNum] = w;
        plan.closeAfter.push(w);
        const sock = this.#socket(r, 'r');
        plan.after.push(() => {
          const col = collector === 'out' ? this.#out! : this.#err!;
          sock.on('data', (b: Buffer) => col.push(b));
          this.#io.push(ended(sock));
        });
        return;
      }
      if (opt === undefined || opt === 'ignore') {
        plan.childFds[fdNum] = nullFd();
      } else if (opt === 'inherit') {
        plan.childFds[fdNum] = fdNum;
      } else if (typeof opt === 'number') {
        plan.childFds[fdNum] = opt;
      } else {
        const [r, w] = pipe2();
        plan.childFds[fdNum] = w;
        plan.closeAfter.push(w);
        const sock = this.#socket(r, 'r');
        plan.after.push(() => {
          if (opt === 'pipe') {
            // The user's stream: wait() does not wait for its end (Go closes
            // it; here it ends when every writer has closed it).
            const pend = this.#pending[fdNum === 1 ? 'stdout' : 'stderr'];
            if (pend) sock.pipe(pend);
            if (fdNum === 1) this.stdout = pend ?? sock;
            else this.stderr = pend ?? sock;
          } else {
            this.#io.push(ended(sock));
            sock.pipe(opt, { end: false });
          }
        });
      }
    };
    const mode = this.#mode;
    const maxBuffer = o.maxBuffer ?? Infinity;
    if (mode === 'combined') {
      this.#out = new Collector(maxBuffer, false, () => this.#overflow());
      capture(1, undefined, 'out');
      plan.childFds[2] = plan.childFds[1];
    } else {
      if (this.#stdoutLink) {
        this.#stdoutLink.ensure();
        plan.childFds[1] = this.#stdoutLink.w;
        plan.links.push([this.#stdoutLink, 'w']);
      } else if (mode === 'output') {
        this.#out = new Collector(maxBuffer, false, () => this.#overflow());
        capture(1, undefined, 'out');
      } else {
        capture(1, this.#stdoutOpt, undefined);
      }
      const serr = this.#stderrOpt;
      if (serr === 'stdout') {
        plan.childFds[2] = plan.childFds[1];
      } else if (serr === undefined && mode === 'output') {
        this.#err = new Collector(STDERR_TAIL, true);
        capture(2, undefined, 'err');
      } else {
        capture(2, serr, undefined);
      }
    }
    (o.extraFiles ?? []).forEach((fd) => plan.childFds.push(fd));
    return plan;
  }

  #overflow(): void {
    if (this.#cancel) return;
    this.#stop('maxBuffer');
    this.#cutPipes();
  }

  #socket(fd: number, dir: 'r' | 'w'): net.Socket {
    const s = new net.Socket({ fd, readable: dir === 'r', writable: dir === 'w' });
    // EPIPE on stdin (the child did not read it all) is not an error of the
    // command, as in Go; other stream errors end the stream.
    s.on('error', () => {});
    this.#sockets.push(s);
    return s;
  }

  /**
   * Waits for the command to exit and for its pipes to close (but see
   * `waitDelay`), then resolves with its {@link ProcessState}. Calling it
   * again returns the same promise.
   * @throws {ExitError} a non-zero exit or death by signal (unless `reject: false`), or a timeout (`timedOut`)
   * @throws {AbortError} the AbortSignal fired
   */
  wait(): Promise<ProcessState> {
    if (!this.#done) return Promise.reject(new CodedError('ERR_RAWSYS_NOT_STARTED', 'exec: wait before start (or start failed)'));
    return this.#done;
  }

  async #finish(): Promise<ProcessState> {
    let st: Wait4Status;
    try {
      st = await this.#exited!;
    } finally {
      if (this.#pidfdOwned >= 0) close(this.#pidfdOwned);
      this.#pidfdOwned = -1;
      this.pidfd = undefined;
    }
    const state = new ProcessState(st);
    this.processState = state;
    // The pipes: a grandchild may still hold them.
    const io = Promise.all(this.#io);
    const delay = this.options.waitDelay;
    if (delay !== undefined && !this.#ioCut) {
      let t: NodeJS.Timeout | undefined;
      await Promise.race([io, new Promise<void>((res) => { t = setTimeout(() => { this.#cutPipes(); res(); }, delay); })]);
      clearTimeout(t);
    } else if (!this.#ioCut) {
      await io;
    }
    clearTimeout(this.#stopTimer);
    for (const f of this.#cleanup) f();
    if (this.#cancel === 'abort') throw new AbortError(undefined, { cause: this.#abortReason });
    const enc = this.options.encoding;
    if (this.#cancel === 'maxBuffer') {
      const err = new RangeError(`stdout maxBuffer length exceeded: ${this}`) as RangeError & { code: string; processState: ProcessState };
      err.code = 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER';
      err.processState = state;
      throw err;
    }
    const timedOut = this.#cancel === 'timeout';
    if (timedOut || (!state.success && this.options.reject !== false)) {
      throw new ExitError(this.toString(), state, {
        timedOut,
        stderr: this.#err ? decoded(this.#err.buffer(), enc) : undefined,
        stdout: this.#out ? decoded(this.#out.buffer(), enc) : undefined,
      });
    }
    if (this.#ioCut && state.success) {
      throw new CodedError('ERR_RAWSYS_WAIT_DELAY', `exec: ${this} exited, but its pipes were still open after waitDelay (${delay} ms): a child of it holds them`);
    }
    return state;
  }

  /** start() then wait(): resolves with the {@link ProcessState}. */
  async run(): Promise<ProcessState> {
    await this.start();
    return this.wait();
  }

  /**
   * Runs the command and resolves with its stdout (a Buffer, or a string
   * with `encoding`). stderr, unless set, is captured for the ExitError.
   */
  async output(): Promise<Buffer>;
  async output(encoding: BufferEncoding): Promise<string>;
  async output(encoding?: BufferEncoding): Promise<Buffer | string> {
    return this.#capture('output', encoding);
  }

  /**
   * Runs the command with stdout and stderr on one pipe and resolves with
   * both, interleaved in the order the child wrote them.
   */
  async combinedOutput(): Promise<Buffer>;
  async combinedOutput(encoding: BufferEncoding): Promise<string>;
  async combinedOutput(encoding?: BufferEncoding): Promise<Buffer | string> {
    return this.#capture('combined', encoding);
  }

  // output() and combinedOutput(): run with stdout (and stderr) collected.
  async #capture(mode: 'output' | 'combined', encoding: BufferEncoding | undefined): Promise<Buffer | string> {
    this.#notStarted(mode === 'output' ? 'output' : 'combinedOutput');
    if (this.#stdoutOpt !== undefined || this.#stdoutLink) throw new CodedError('ERR_RAWSYS_STDIO', 'exec: stdout is already set');
    if (mode === 'combined' && this.#stderrOpt !== undefined) throw new CodedError('ERR_RAWSYS_STDIO', 'exec: stderr is already set');
    this.#mode = mode;
    await this.start();
    await this.wait();
    return decoded(this.#out!.buffer(), encoding ?? this.options.encoding);
  }

  /**
   * Sends `signal` (default SIGKILL, as Go's Process.Kill) through the
   * pidfd, so it can never reach a recycled pid. Returns false when the
   * command has already exited.
   * @throws {SyscallError} `EPERM`
   * @see https://man7.org/linux/man-pages/man2/pidfd_send_signal.2.html
   */
  kill(signal: Signal = 'SIGKILL'): boolean {
    const sig = toSignal(signal, 'signal');
    if (this.pid === undefined) throw new CodedError('ERR_RAWSYS_NOT_STARTED', 'exec: kill before start');
    if (this.processState || this.#pidfdOwned < 0) return false;
    try {
      pidfdSendSignal(this.#pidfdOwned, sig);
      return true;
    } catch (e) {
      if ((e as SyscallError).code === 'ESRCH') return false;
      throw e;
    }
  }

  /**
   * Runs the command synchronously (Node's spawnSync): stdout and stderr go
   * to memory files, not pipes, so a chatty child can never deadlock it.
   * Returns stdout. Streams and Commands are refused as stdio.
   * @throws {ExitError} as {@link output}; {@link SyscallError} for a spawn failure
   */
  outputSync(): Buffer;
  outputSync(encoding: BufferEncoding): string;
  outputSync(encoding?: BufferEncoding): Buffer | string {
    return this.#sync('output', encoding);
  }

  /** {@link run}, synchronously. */
  runSync(): ProcessState {
    return this.#sync('run') as unknown as ProcessState;
  }

  #sync(mode: 'output' | 'run', encoding?: BufferEncoding): Buffer | string {
    this.#notStarted('outputSync');
    this.#started = true;
    if (this.#lookErr) throw this.#lookErr;
    const o = this.options;
    if (o.signal !== undefined) throw invalidArgValue('options.signal', o.signal, 'cannot be used with a synchronous run');
    if (this.#stdinLink || this.#stdoutLink) throw new CodedError('ERR_RAWSYS_STDIO', 'exec: a synchronous run cannot be piped to another Command');
    const owned: number[] = [];
    const memfd = (name: string): number => {
      const fd = memfdCreate(name);
      owned.push(fd);
      return fd;
    };
    try {
      const fds: number[] = [];
      const sin = this.#stdinOpt;
      if (sin === 'ignore') fds[0] = nullFd();
      else if (sin === 'inherit') fds[0] = 0;
      else if (typeof sin === 'number') fds[0] = sin;
      else if (typeof sin === 'string' || sin instanceof Uint8Array) {
        fds[0] = memfd('stdin');
        const data = typeof sin === 'string' ? Buffer.from(sin) : sin;
        for (let off = 0; off < data.length;) off += write(fds[0], data, off, data.length - off);
        lseek(fds[0], 0, C.SEEK_SET);
      } else {
        throw invalidArgValue('options.stdin', sin, 'must be a string, buffer, fd, \'inherit\' or \'ignore\' for a synchronous run');
      }
      const outSpec = (opt: OutputOption | 'stdout' | undefined, n: 1 | 2): number => {
        if (opt === undefined) return mode === 'output' ? memfd(n === 1 ? 'stdout' : 'stderr') : nullFd();
        if (opt === 'ignore') return nullFd();
        if (opt === 'inherit') return n;
        if (opt === 'stdout') return fds[1];
        if (typeof opt === 'number') return opt;
        throw invalidArgValue(n === 1 ? 'options.stdout' : 'options.stderr', opt, 'must be an fd, \'inherit\' or \'ignore\' for a synchronous run');
      };
      if (mode === 'output' && this.#stdoutOpt !== undefined) throw new CodedError('ERR_RAWSYS_STDIO', 'exec: stdout is already set');
      fds[1] = outSpec(this.#stdoutOpt, 1);
      fds[2] = outSpec(this.#stderrOpt, 2);
      const outFd = mode === 'output' ? fds[1] : -1;
      const errFd = this.#stderrOpt === undefined && mode === 'output' ? fds[2] : -1;
      (o.extraFiles ?? []).forEach((fd) => fds.push(fd));
      const built = buildSpawn(this.path, this.args, o, fds, false);
      owned.push(...built.closeAfter);
      const prep = prepareSpawn(built.flags, built.plan, built.clone);
      const child = spawnResult(prep, native.spawn(...prep.args), this.outputSync);
      this.pid = child.pid;
      let timedOut = false;
      if (o.timeout !== undefined && o.timeout > 0 && child.pidfd !== undefined) {
        if (poll([{ fd: child.pidfd, events: C.POLLIN }], Math.min(o.timeout, 2 ** 31 - 1)) === 0) {
          timedOut = true;
          pidfdSendSignal(child.pidfd, toSignal(o.killSignal ?? 'SIGTERM', 'options.killSignal'));
        }
      }
      const rec = new Float64Array(13);
      let r: number;
      do r = child.pidfd !== undefined ? native.wait(1, C.P_PIDFD, child.pidfd, C.WEXITED, rec) : native.wait(1, C.P_PID, child.pid, C.WEXITED, rec);
      while (r === -C.EINTR);
      if (child.pidfd !== undefined) close(child.pidfd);
      if (r < 0) throw new SyscallError(r, 'waitid');
      const state = new ProcessState(decode(rec, true) as Wait4Status);
      this.processState = state;
      const readAll = (fd: number, tail: number): Buffer => {
        const size = Number(fstat(fd).size);
        const from = Math.max(0, size - tail);
        const b = Buffer.allocUnsafe(size - from);
        let got = 0;
        while (got < b.length) {
          const n = pread(fd, b, got, b.length - got, from + got);
          if (n === 0) break;
          got += n;
        }
        return b.subarray(0, got);
      };
      const enc = encoding ?? o.encoding;
      const dec = (b: Buffer): Buffer | string => decoded(b, enc);
      const out = outFd >= 0 ? readAll(outFd, o.maxBuffer ?? Infinity) : undefined;
      if (timedOut || (!state.success && o.reject !== false)) {
        throw new ExitError(this.toString(), state, {
          timedOut,
          stderr: errFd >= 0 ? dec(readAll(errFd, STDERR_TAIL)) : undefined,
          stdout: out ? dec(out) : undefined,
        });
      }
      return mode === 'output' ? dec(out!) : (state as unknown as Buffer);
    } finally {
      for (const fd of owned) close(fd);
    }
  }
}

/** A buffer as the caller asked for it: decoded with `encoding`, or as it is (none, or `'buffer'`). */
function decoded(b: Buffer, encoding: BufferEncoding | 'buffer' | undefined): Buffer | string {
  return encoding && encoding !== 'buffer' ? b.toString(encoding) : b;
}

function ended(s: net.Socket): Promise<void> {
  return new Promise((res) => {
    if (s.destroyed) return res();
    s.once('close', () => res());
  });
}

function pathOf(env: CommandOptions['env']): string | undefined {
  if (env === undefined) return undefined;
  if (Array.isArray(env)) {
    const e = (env as string[]).find((x) => typeof x === 'string' && x.startsWith('PATH='));
    return e === undefined ? '' : e.slice(5);
  }
  const v = (env as Record<string, string | undefined>).PATH;
  return v === undefined ? '' : v;
}

function validateMs(v: unknown, name: string): void {
  if (v === undefined) return;
  if (typeof v !== 'number') throw invalidArgType(name, 'of type number', v);
  validateInt32(Math.floor(v), name, 0);
}

function validateOptions(o: CommandOptions): void {
  validateAbortSignal(o.signal);
  validateMs(o.timeout, 'options.timeout');
  validateMs(o.waitDelay, 'options.waitDelay');
  if (o.maxBuffer !== undefined && o.maxBuffer !== Infinity) validateMs(o.maxBuffer, 'options.maxBuffer');
  if (o.killSignal !== undefined) toSignal(o.killSignal, 'options.killSignal');
  if (o.env !== undefined) envList(o.env, 'options.env');
  if (o.encoding !== undefined && o.encoding !== 'buffer' && !Buffer.isEncoding(o.encoding)) {
    throw invalidArgValue('options.encoding', o.encoding, 'is not a known encoding');
  }
  if (o.argv0 !== undefined && typeof o.argv0 !== 'string') throw invalidArgType('options.argv0', 'of type string', o.argv0);
  const sin = o.stdin;
  if (sin !== undefined && !(sin === 'inherit' || sin === 'pipe' || sin === 'ignore' || typeof sin === 'string' ||
    sin instanceof Uint8Array || sin instanceof Readable || sin instanceof Command)) {
    if (typeof sin === 'number') validateFd(sin, 'options.stdin');
    else throw invalidArgValue('options.stdin', sin, "must be 'inherit', 'pipe', 'ignore', an fd, a string, a Buffer, a Readable or a Command");
  }
  for (const k of ['stdout', 'stderr'] as const) {
    const v = o[k];
    if (v === undefined || v === 'inherit' || v === 'pipe' || v === 'ignore' || v instanceof Writable) continue;
    if (k === 'stderr' && v === 'stdout') continue;
    if (typeof v === 'number') {
      validateFd(v, `options.${k}`);
      continue;
    }
    throw invalidArgValue(`options.${k}`, v, `must be 'inherit', 'pipe', 'ignore', an fd or a Writable${k === 'stderr' ? ", or 'stdout'" : ''}`);
  }
  if (o.extraFiles !== undefined) {
    if (!Array.isArray(o.extraFiles)) throw invalidArgType('options.extraFiles', 'an array of fds', o.extraFiles);
    o.extraFiles.forEach((fd: unknown, i: number) => validateFd(fd, `options.extraFiles[${i}]`));
  }
  if (o.sys !== undefined) validateObject(o.sys, 'options.sys');
  if (o.sys?.hostname !== undefined && !((o.sys.cloneFlags ?? 0) & C.CLONE_NEWUTS)) {
    throw invalidArgValue('options.sys.hostname', o.sys.hostname, 'needs CLONE_NEWUTS in sys.cloneFlags (it would rename the host)');
  }
  if (o.sys?.capabilities !== undefined) {
    const caps = o.sys.capabilities;
    if (caps === null || typeof caps !== 'object' || !Array.isArray(caps.keep)) {
      throw invalidArgType('options.sys.capabilities', 'an object { keep: [...], ambient?: [...] }', caps);
    }
    if (caps.ambient !== undefined) {
      if (!Array.isArray(caps.ambient)) throw invalidArgType('options.sys.capabilities.ambient', 'an array of capabilities', caps.ambient);
      const keep = toMask(caps.keep, 'options.sys.capabilities.keep');
      caps.ambient.forEach((c, i) => {
        if (!(keep & (1n << BigInt(toCapability(c, `options.sys.capabilities.ambient[${i}]`))))) {
          throw invalidArgValue(`options.sys.capabilities.ambient[${i}]`, c, 'must also be in keep (an ambient capability must be permitted and inheritable)');
        }
      });
    }
  }
  // Compile now so every other mistake surfaces at construction, before any start.
  // (A container's plan is checked by rawsys/container, and compiled at start.)
  if ((o.sys !== undefined || o.cwd !== undefined) && o[CONTAINER_PLAN] === undefined) {
    buildSpawn('/', ['x'], o, [0, 1, 2, ...(o.extraFiles ?? [])], true);
  }
}

interface BuiltSpawn {
  flags: number;
  plan: Step[];
  clone: CloneOptions | undefined;
  closeAfter: number[];
}

/**
 * Builds the plan of a command: its SysProcAttr steps in the kernel's order,
 * the descriptor layout, then execve. `fds[t]` is the parent descriptor that
 * becomes the child's `t`.
 * @internal
 */
export function buildSpawn(path: string, argv: readonly string[], o: CommandOptions, fds: readonly number[], dryRun: boolean): BuiltSpawn {
  const sys: SysProcAttr = o.sys ?? {};
  const cplan = o[CONTAINER_PLAN];
  const steps: Step[] = cplan ? [...cplan.prefix] : [];
  const closeAfter: number[] = [];
  const flags = sys.cloneFlags === undefined ? 0 : cloneFlags(sys.cloneFlags, 'options.sys.cloneFlags');
  const userns = (flags & C.CLONE_NEWUSER) !== 0;
  let clone: CloneOptions | undefined;
  if (sys.uidMappings !== undefined || sys.gidMappings !== undefined) {
    if (!userns) throw invalidArgValue('options.sys.uidMappings', sys.uidMappings ?? sys.gidMappings, 'needs CLONE_NEWUSER in sys.cloneFlags');
    clone = {
      uidMappings: sys.uidMappings,
      gidMappings: sys.gidMappings,
      setgroups: sys.gidMappings !== undefined ? (sys.gidMappingsEnableSetgroups ? 'allow' : 'deny') : undefined,
    };
  }
  // cgroup: v2 through CLONE_INTO_CGROUP, v1 by writing "0" to cgroup.procs first thing.
  if (sys.cgroup instanceof Cgroup) {
    // A Cgroup of rawsys's: v2 by CLONE_INTO_CGROUP where it has a v2 side, v1 joined first thing.
    if (!dryRun) {
      let fd: number | undefined;
      try {
        fd = sys.cgroup.v2Fd();
      } catch {
        fd = undefined;
      }
      if (fd !== undefined) clone = { ...clone, cgroup: fd };
      steps.push(...sys.cgroup.joinSteps({ v2: fd === undefined }));
    }
  } else if (sys.cgroup !== undefined) {
    const list = Array.isArray(sys.cgroup) ? sys.cgroup : [sys.cgroup];
    for (const [i, cg] of list.entries()) {
      const name = Array.isArray(sys.cgroup) ? `options.sys.cgroup[${i}]` : 'options.sys.cgroup';
      if (typeof cg === 'number') {
        validateFd(cg, name);
        if (clone?.cgroup !== undefined) throw invalidArgValue(name, cg, 'is a second cgroup v2 directory');
        clone = { ...clone, cgroup: cg };
        continue;
      }
      if (typeof cg !== 'string' && !(cg instanceof Uint8Array)) throw invalidArgType(name, 'a path or an fd', cg);
      if (dryRun) continue;
      const p = typeof cg === 'string' ? cg : Buffer.from(cg).toString();
      if (fs.statfsSync(p).type === CGROUP2_SUPER_MAGIC) {
        if (clone?.cgroup !== undefined) throw invalidArgValue(name, cg, 'is a second cgroup v2 directory');
        const fd = open(p, C.O_RDONLY | C.O_DIRECTORY);
        closeAfter.push(fd);
        clone = { ...clone, cgroup: fd };
      } else {
        const fd = open(nodePath.join(p, 'cgroup.procs'), C.O_WRONLY);
        closeAfter.push(fd);
        steps.push({ op: 'write', fd, data: '0' });
      }
    }
  }
  if (cplan?.cgroupFd !== undefined) clone = { ...clone, cgroup: cplan.cgroupFd };
  if (cplan) {
    // A container: its filesystem and namespaces, then its descriptors, then
    // PID 1 (init) forks: the payload continues below, in the sandbox.
    steps.push(...cplan.setup);
    steps.push(...fdSteps(fds, closeAfter, dryRun));
    steps.push({ op: 'closeRange', first: fds.length, cloexec: true });
    if (cplan.init) steps.push({ op: 'init' } as unknown as Step);
  }
  if (sys.setsid) steps.push({ op: 'setsid' });
  if (sys.setpgid) steps.push({ op: 'setpgid', pid: 0, pgid: sys.pgid ?? 0 });
  if (sys.hostname !== undefined) steps.push({ op: 'sethostname', name: sys.hostname });
  if (sys.chroot !== undefined) {
    steps.push({ op: 'chroot', path: sys.chroot });
    if (o.cwd === undefined) steps.push({ op: 'chdir', path: '/' });
  }
  if (sys.rlimits !== undefined) {
    if (sys.rlimits === null || typeof sys.rlimits !== 'object') throw invalidArgType('options.sys.rlimits', 'an object', sys.rlimits);
    for (const [res, v] of Object.entries(sys.rlimits)) {
      if (v !== null && typeof v === 'object') steps.push({ op: 'setrlimit', resource: res, soft: v.soft, hard: v.hard });
      else steps.push({ op: 'setrlimit', resource: res, soft: v as number | bigint });
    }
  }
  const caps = sys.capabilities;
  const cred = sys.credential;
  let capsAfter: Step[] = [];
  if (caps !== undefined && cred === undefined) {
    steps.push({ op: 'capabilities', keep: caps.keep, ambient: caps.ambient });
  } else if (caps !== undefined) {
    // With a uid change: the bounding set now (dropping needs CAP_SETPCAP,
    // and setgroups/setresuid need CAP_SETGID/CAP_SETUID, all still
    // effective), the permitted set kept across setresuid by keepCaps, and
    // the effective, inheritable and ambient sets set after it, since a
    // switch away from uid 0 empties the effective and ambient sets.
    const keep = toMask(caps.keep, 'options.sys.capabilities.keep');
    for (let cap = 0; cap <= lastCap(); cap++) {
      if (!(keep & (1n << BigInt(cap)))) steps.push({ op: 'capBsetDrop', cap });
    }
    steps.push({ op: 'keepCaps' });
    capsAfter = [
      { op: 'capset', effective: caps.keep, permitted: caps.keep, inheritable: [...caps.keep, ...(caps.ambient ?? [])] },
      ...(caps.ambient ?? []).map((cap): Step => ({ op: 'capAmbientRaise', cap })),
    ];
  }
  if (cred !== undefined) {
    if (cred === null || typeof cred !== 'object') throw invalidArgType('options.sys.credential', 'an object { uid, gid, groups? }', cred);
    const deniedGroups = userns && !sys.gidMappingsEnableSetgroups;
    if (!cred.noSetGroups && !(deniedGroups && cred.groups === undefined)) steps.push({ op: 'setgroups', groups: cred.groups ?? [] });
    steps.push({ op: 'setresgid', rgid: cred.gid });
    steps.push({ op: 'setresuid', ruid: cred.uid });
    steps.push(...capsAfter);
  }
  if (o.cwd !== undefined) steps.push({ op: 'chdir', path: o.cwd });
  if (sys.pdeathsig !== undefined) steps.push({ op: 'pdeathsig', signal: sys.pdeathsig }); // after setresuid, which clears it
  const confined = sys.seccomp !== undefined || sys.landlock !== undefined;
  if (sys.noNewPrivs || (confined && sys.noNewPrivs !== false)) steps.push({ op: 'noNewPrivs' });
  // Landlock before the descriptor moves: its ruleset fd must not be overwritten by a dup2.
  if (sys.landlock !== undefined) {
    const ll = sys.landlock;
    if (ll === null || typeof ll !== 'object') throw invalidArgType('options.sys.landlock', 'a Landlock spec or ruleset', ll);
    let fd: number | null;
    if ('handledAccessFs' in ll) {
      fd = (ll as LandlockRuleset).fd;
    } else if (dryRun) {
      fd = -1;
    } else {
      const rs = landlockRuleset(ll as LandlockSpec);
      fd = rs.fd;
      if (fd !== null) closeAfter.push(fd);
    }
    if (fd !== null && fd >= 0 && cplan && !dryRun && fd < fds.length) {
      // After the descriptor moves here: keep the ruleset above them.
      fd = fcntl(fd, C.F_DUPFD_CLOEXEC, fds.length);
      closeAfter.push(fd);
    }
    if (fd !== null && fd >= 0) steps.push({ op: 'landlock', fd });
  }
  if (!cplan) {
    steps.push(...fdSteps(fds, closeAfter, dryRun));
    // Nothing else crosses exec: descriptors without FD_CLOEXEC (other
    // addons', inherited) are marked so, above the ones given.
    steps.push({ op: 'closeRange', first: fds.length, cloexec: true });
  }
  if (sys.seccomp !== undefined) {
    const f = seccompFilter(sys.seccomp, dryRun);
    if (f) steps.push({ op: 'seccomp', filter: f.filter, flags: f.flags });
  }
  steps.push({ op: 'execve', path, argv, env: o.env === undefined ? undefined : envList(o.env, 'options.env') });
  if (dryRun) compilePlan(steps);
  return { flags, plan: steps, clone, closeAfter };
}

const CGROUP2_SUPER_MAGIC = 0x63677270;

// Profiles compiled once: compiling the default profile takes milliseconds.
const compiled = new WeakMap<object, SeccompFilter>();

function seccompFilter(v: unknown, dryRun: boolean): SeccompFilter | undefined {
  if (v === null || typeof v !== 'object') throw invalidArgType('options.sys.seccomp', 'a seccomp profile or a compiled filter', v);
  if ('filter' in v && ArrayBuffer.isView((v as SeccompFilter).filter)) return v as SeccompFilter;
  let f = compiled.get(v);
  if (f === undefined) {
    if (dryRun && !('defaultAction' in v)) throw invalidArgValue('options.sys.seccomp', v, 'must be a profile ({ defaultAction, syscalls }) or a compiled filter');
    f = compileSeccomp(v as SeccompProfile);
    compiled.set(v, f);
  }
  return f;
}

/**
 * dup2 steps giving the child `fds[t]` as `t`. A source that is itself a
 * lower target would be overwritten before it is used: it is first copied
 * above every target (in the parent, close-on-exec), as Go's forkExec does.
 */
function fdSteps(fds: readonly number[], closeAfter: number[], dryRun: boolean): Step[] {
  const n = fds.length;
  const src = [...fds];
  for (let t = 0; t < n; t++) {
    if (src[t] !== t && src[t] < n && !dryRun) {
      const moved = fcntl(src[t], C.F_DUPFD_CLOEXEC, n);
      closeAfter.push(moved);
      for (let u = t; u < n; u++) if (src[u] === fds[t]) src[u] = moved;
    }
  }
  return src.map((s, t) => ({ op: 'dup2' as const, oldfd: s, newfd: t }));
}

/**
 * Prepares `name` with `args` to run: Go's `exec.Command`. A name without a
 * slash is looked up in PATH now ({@link lookPath}); a failed lookup is
 * reported by `start()`. Every option is checked here, before anything runs.
 * @throws {TypeError} `ERR_INVALID_ARG_TYPE` / `ERR_INVALID_ARG_VALUE` for bad options
 */
export function command(name: string, args?: readonly string[], options?: CommandOptions): Command {
  return new Command(name, args, options);
}

/**
 * Commands connected stdout to stdin by kernel pipes (no byte passes through
 * JavaScript), as a shell's `a | b | c`.
 */
export class Pipeline {
  readonly commands: readonly Command[];

  /** @internal */
  constructor(commands: Command[]) {
    this.commands = commands;
  }

  /** Starts every command, first to last; if one fails to start, the others are killed and reaped. */
  async start(): Promise<void> {
    const started: Command[] = [];
    try {
      for (const c of this.commands) {
        await c.start();
        started.push(c);
      }
    } catch (e) {
      for (const c of started) c.kill('SIGKILL');
      await Promise.allSettled(started.map((c) => c.wait()));
      // Commands never started still own their pipe ends.
      for (const c of this.commands) if (!started.includes(c)) c[INTERNAL].abandon();
      throw e;
    }
  }

  /**
   * Waits for every command; resolves with their states in order. The first
   * command (leftmost) that failed rejects it, its ExitError carrying
   * `index`: bash's pipefail, reporting which. A command other than the last
   * killed by SIGPIPE is not a failure: its reader had had enough.
   */
  async wait(): Promise<ProcessState[]> {
    const results = await Promise.allSettled(this.commands.map((c) => c.wait()));
    const last = this.commands.length - 1;
    for (const [i, r] of results.entries()) {
      if (r.status === 'fulfilled') continue;
      const e = r.reason as ExitError;
      if (e instanceof ExitError && i < last && e.signal === 'SIGPIPE') continue;
      if (e instanceof ExitError) (e as { index?: number }).index = i;
      throw e;
    }
    return this.commands.map((c) => c.processState!);
  }

  /** start() then wait(). */
  async run(): Promise<ProcessState[]> {
    await this.start();
    return this.wait();
  }

  /** Runs the pipeline and resolves with the last command's stdout. */
  async output(): Promise<Buffer>;
  async output(encoding: BufferEncoding): Promise<string>;
  async output(encoding?: BufferEncoding): Promise<Buffer | string> {
    const lastCmd = this.commands[this.commands.length - 1];
    const out = lastCmd.stdoutPipe();
    const chunks: Buffer[] = [];
    out.on('data', (b: Buffer) => chunks.push(b));
    const done = new Promise<void>((res) => out.once('end', res));
    await this.run();
    await done;
    const b = Buffer.concat(chunks);
    return decoded(b, encoding ?? lastCmd.options.encoding);
  }
}

/**
 * Connects `commands` into a pipeline: each one's stdout is the next one's
 * stdin, through a kernel pipe made when the pair starts. Their stdin and
 * stdout must not be set otherwise.
 * @throws {TypeError} `ERR_INVALID_ARG_TYPE` for a non-Command, `ERR_INVALID_ARG_VALUE` for an empty list or a stdin already set; `ERR_RAWSYS_STDIO` when a stdout is already set
 * @see https://man7.org/linux/man-pages/man2/pipe.2.html
 */
export function pipeline(...commands: Command[]): Pipeline {
  if (commands.length < 1) throw invalidArgValue('commands', commands, 'must be at least one Command');
  commands.forEach((c, i) => {
    if (!(c instanceof Command)) throw invalidArgType(`commands[${i}]`, 'a Command', c);
  });
  for (let i = 0; i + 1 < commands.length; i++) {
    if (commands[i + 1].options.stdin !== undefined) throw invalidArgValue(`commands[${i + 1}].options.stdin`, commands[i + 1].options.stdin, 'is set; a pipeline sets it');
    commands[i][INTERNAL].pipeInto(commands[i + 1]);
  }
  return new Pipeline(commands);
}
