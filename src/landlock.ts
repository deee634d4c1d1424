// Landlock (landlock(7), Linux 5.13): unprivileged, stackable access control
// that a process applies to itself and to everything it later creates or
// execs. This module builds rulesets; a child plan's `landlock` step (see
// plan.ts) enforces one in a new process before it execs its program.
//
// Why there is no in-process landlockRestrictSelf(): landlock_restrict_self(2)
// restricts the calling THREAD only (and threads and processes it creates
// afterwards). Node always runs several threads, and the libuv threadpool,
// where every fs promise, dns.lookup and rawsys promise call runs, already
// exists or starts lazily from a thread that may not be restricted: a Node
// process restricting its JS thread would look sandboxed and not be. The
// kernel flag that restricts all threads at once,
// LANDLOCK_RESTRICT_SELF_TSYNC, arrived with ABI 8 (after Linux 6.18, whose
// ABI is 7). Until rawsys can require it, enforcement happens only in
// children, which are single-threaded when the plan runs.
//
// ABI versions and what each adds (the kernel reports its own through
// landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION)):
//   1  Linux 5.13  filesystem: execute, read/write files, read dirs, make/remove
//   2  Linux 5.19  refer (link/rename across directories)
//   3  Linux 6.2   truncate
//   4  Linux 6.7   TCP bind and connect by port
//   5  Linux 6.10  ioctl on devices
//   6  Linux 6.12  scoping of abstract unix sockets and signals
//   7  Linux 6.15  audit-log flags of landlock_restrict_self (no new rights)
import { native } from './binding';
import { constants as C } from './constants';
import type { ConstantName } from './constants';
import { fail, featureUnavailable, invalidArgType, invalidArgValue } from './errors';
import { Stat, STAT_FIELDS } from './fd';
import { PathLike, validateInt32, validatePath } from './validate';

/** A filesystem access right (`LANDLOCK_ACCESS_FS_*`), in camelCase. */
export type LandlockFsRight =
  | 'execute' | 'writeFile' | 'readFile' | 'readDir' | 'removeDir' | 'removeFile' | 'makeChar' | 'makeDir'
  | 'makeReg' | 'makeSock' | 'makeFifo' | 'makeBlock' | 'makeSym' | 'refer' | 'truncate' | 'ioctlDev';

/** A network access right (`LANDLOCK_ACCESS_NET_*`, ABI 4). */
export type LandlockNetRight = 'bindTcp' | 'connectTcp';

/** An IPC scope (`LANDLOCK_SCOPE_*`, ABI 6). */
export type LandlockScope = 'abstractUnixSocket' | 'signal';

/** What {@link landlockRuleset} is asked to allow. Every list is optional. */
export interface LandlockSpec {
  /** Paths (directories: everything beneath them) that may be read: files read, directories listed. */
  read?: readonly PathLike[];
  /**
   * Paths that may be read and changed: files written and truncated, entries
   * made, removed, linked and renamed (`refer`), device ioctls. Not executed.
   */
  write?: readonly PathLike[];
  /**
   * Paths whose files may be executed, and read, so that programs and the
   * shared libraries and interpreters they map can be loaded (`/usr`, `/bin`, `/lib` …).
   */
  execute?: readonly PathLike[];
  /**
   * TCP ports that may be bound (ABI 4, Linux 6.7); `0` allows binding an
   * ephemeral port. Every other port is denied. `'any'` leaves binding
   * unrestricted. Absent: no port may be bound where the kernel has ABI 4.
   */
  bindTcp?: readonly number[] | 'any';
  /** TCP ports that may be connected to (ABI 4), like {@link LandlockSpec.bindTcp}. */
  connectTcp?: readonly number[] | 'any';
  /**
   * IPC to confine to the sandbox (ABI 6, Linux 6.12): `'abstractUnixSocket'`
   * (no connecting to abstract unix sockets created outside it), `'signal'`
   * (no signals to processes outside it). Not scoped unless listed.
   */
  scope?: readonly LandlockScope[];
  /**
   * What to do where the kernel cannot enforce an option given here: `false`
   * (default) throws; `true` goes on without it and lists it in
   * {@link LandlockRuleset.dropped}.
   */
  bestEffort?: boolean;
  /**
   * Use at most this ABI (default: the kernel's highest): for rulesets that
   * behave the same on newer kernels, and for testing degradation. `0`
   * behaves as a kernel without Landlock.
   */
  abi?: number;
}

/** A ruleset made by {@link landlockRuleset} and what it enforces. */
export interface LandlockRuleset {
  /**
   * The ruleset fd (close-on-exec; close it when done), for a plan's
   * `{ op: 'landlock', fd }` step; `null` when nothing can be enforced
   * (`bestEffort` on a kernel without Landlock).
   */
  fd: number | null;
  /** The ABI whose rights the ruleset handles: the kernel's, lowered by `spec.abi`, at most 7 (the newest rawsys knows). 0: none. */
  abi: number;
  /** The highest ABI the running kernel offers (0: no Landlock). */
  kernelAbi: number;
  /** `handled_access_fs`: filesystem rights denied unless a rule grants them. */
  handledAccessFs: number;
  /** `handled_access_net`: network rights denied unless a rule grants them. */
  handledAccessNet: number;
  /** `scoped`: IPC confined to the sandbox. */
  scoped: number;
  /** The same three masks by name. */
  handled: { fs: LandlockFsRight[]; net: LandlockNetRight[]; scope: LandlockScope[] };
  /**
   * Rights the sandbox does not restrict at all: those the ABI used does not
   * have (`truncate` before ABI 3, TCP before 4, `ioctlDev` before 5) and the
   * TCP rights left open with `'any'`.
   */
  unrestricted: (LandlockFsRight | LandlockNetRight)[];
  /** Options of the spec that `bestEffort` dropped because the ABI used cannot enforce them (`'bindTcp'`, `'scope'` …). */
  dropped: string[];
}

interface Right<N extends string> {
  name: N;
  constant: Exclude<ConstantName, `SYS_${string}`>;
  abi: number;
  /** Applies to a file (not only to a directory's content). */
  file?: boolean;
}

const FS_RIGHTS: readonly Right<LandlockFsRight>[] = [
  { name: 'execute', constant: 'LANDLOCK_ACCESS_FS_EXECUTE', abi: 1, file: true },
  { name: 'writeFile', constant: 'LANDLOCK_ACCESS_FS_WRITE_FILE', abi: 1, file: true },
  { name: 'readFile', constant: 'LANDLOCK_ACCESS_FS_READ_FILE', abi: 1, file: true },
  { name: 'readDir', constant: 'LANDLOCK_ACCESS_FS_READ_DIR', abi: 1 },
  { name: 'removeDir', constant: 'LANDLOCK_ACCESS_FS_REMOVE_DIR', abi: 1 },
  { name: 'removeFile', constant: 'LANDLOCK_ACCESS_FS_REMOVE_FILE', abi: 1 },
  { name: 'makeChar', constant: 'LANDLOCK_ACCESS_FS_MAKE_CHAR', abi: 1 },
  { name: 'makeDir', constant: 'LANDLOCK_ACCESS_FS_MAKE_DIR', abi: 1 },
  { name: 'makeReg', constant: 'LANDLOCK_ACCESS_FS_MAKE_REG', abi: 1 },
  { name: 'makeSock', constant: 'LANDLOCK_ACCESS_FS_MAKE_SOCK', abi: 1 },
  { name: 'makeFifo', constant: 'LANDLOCK_ACCESS_FS_MAKE_FIFO', abi: 1 },
  { name: 'makeBlock', constant: 'LANDLOCK_ACCESS_FS_MAKE_BLOCK', abi: 1 },
  { name: 'makeSym', constant: 'LANDLOCK_ACCESS_FS_MAKE_SYM', abi: 1 },
  { name: 'refer', constant: 'LANDLOCK_ACCESS_FS_REFER', abi: 2 },
  { name: 'truncate', constant: 'LANDLOCK_ACCESS_FS_TRUNCATE', abi: 3, file: true },
  { name: 'ioctlDev', constant: 'LANDLOCK_ACCESS_FS_IOCTL_DEV', abi: 5, file: true },
];

const NET_RIGHTS: readonly Right<LandlockNetRight>[] = [
  { name: 'bindTcp', constant: 'LANDLOCK_ACCESS_NET_BIND_TCP', abi: 4 },
  { name: 'connectTcp', constant: 'LANDLOCK_ACCESS_NET_CONNECT_TCP', abi: 4 },
];

const SCOPES: readonly Right<LandlockScope>[] = [
  { name: 'abstractUnixSocket', constant: 'LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET', abi: 6 },
  { name: 'signal', constant: 'LANDLOCK_SCOPE_SIGNAL', abi: 6 },
];

/** The newest ABI whose rights rawsys knows; rights of later ABIs are not handled. */
const KNOWN_ABI = 7;

/** The first Linux release with each ABI, for error messages. */
const ABI_LINUX = ['', '5.13', '5.19', '6.2', '6.7', '6.10', '6.12', '6.15'];

const SPEC_KEYS = new Set(['read', 'write', 'execute', 'bindTcp', 'connectTcp', 'scope', 'bestEffort', 'abi']);

function value(r: Right<string>): number {
  return C[r.constant];
}

function mask(rights: readonly Right<string>[]): number {
  return rights.reduce((m, r) => m | value(r), 0);
}

function names<N extends string>(rights: readonly Right<N>[], m: number): N[] {
  return rights.filter((r) => (m & value(r)) !== 0).map((r) => r.name);
}

interface Spec {
  read: (string | Uint8Array)[];
  write: (string | Uint8Array)[];
  execute: (string | Uint8Array)[];
  bindTcp: number[] | 'any' | undefined;
  connectTcp: number[] | 'any' | undefined;
  scope: LandlockScope[];
  bestEffort: boolean;
  abi: number | undefined;
}

function pathList(v: unknown, name: string): (string | Uint8Array)[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw invalidArgType(name, 'an array of paths', v);
  return v.map((p: unknown, i: number) => validatePath(p, `${name}[${i}]`));
}

function portList(v: unknown, name: string): number[] | 'any' | undefined {
  if (v === undefined || v === 'any') return v;
  if (!Array.isArray(v)) throw invalidArgType(name, "an array of port numbers or 'any'", v);
  return v.map((p: unknown, i: number) => validateInt32(p, `${name}[${i}]`, 0, 65535));
}

/** Checks the whole spec before any syscall. @internal */
export function validateLandlockSpec(spec: unknown): Spec {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw invalidArgType('spec', 'of type object', spec);
  const s = spec as Record<string, unknown>;
  for (const k of Object.keys(s)) {
    // A misspelt option would silently change the sandbox: refuse it.
    if (!SPEC_KEYS.has(k)) throw invalidArgValue(`spec.${k}`, s[k], `is not a Landlock option (${[...SPEC_KEYS].join(', ')})`);
  }
  let scope: LandlockScope[] = [];
  if (s.scope !== undefined) {
    if (!Array.isArray(s.scope)) throw invalidArgType('spec.scope', 'an array of scopes', s.scope);
    scope = s.scope.map((x: unknown, i: number) => {
      if (!SCOPES.some((r) => r.name === x)) throw invalidArgValue(`spec.scope[${i}]`, x, "must be 'abstractUnixSocket' or 'signal'");
      return x as LandlockScope;
    });
  }
  if (s.bestEffort !== undefined && typeof s.bestEffort !== 'boolean') throw invalidArgType('spec.bestEffort', 'of type boolean', s.bestEffort);
  return {
    read: pathList(s.read, 'spec.read'),
    write: pathList(s.write, 'spec.write'),
    execute: pathList(s.execute, 'spec.execute'),
    bindTcp: portList(s.bindTcp, 'spec.bindTcp'),
    connectTcp: portList(s.connectTcp, 'spec.connectTcp'),
    scope,
    bestEffort: s.bestEffort === true,
    abi: s.abi === undefined ? undefined : validateInt32(s.abi, 'spec.abi', 0),
  };
}

/**
 * The highest Landlock ABI the running kernel supports, from
 * landlock_create_ruleset(2) with `LANDLOCK_CREATE_RULESET_VERSION`; 0 when
 * the kernel has no Landlock (`ENOSYS`: built without it) or it is not enabled
 * (`EOPNOTSUPP`: "landlock" missing from the `lsm=` boot parameter).
 * ABI 1 is Linux 5.13; see {@link landlockRuleset} for what each ABI adds.
 * @throws {SyscallError} with syscall `'landlock_create_ruleset'` for any other error
 *   (`EPERM` from a seccomp filter, for instance)
 * @see https://man7.org/linux/man-pages/man2/landlock_create_ruleset.2.html
 */
export function landlockAbi(): number {
  const r = native.landlockAbi();
  if (r >= 0) return r;
  if (-r === C.ENOSYS || -r === C.EOPNOTSUPP) return 0;
  return fail(r, 'landlock_create_ruleset', landlockAbi);
}

/**
 * Builds a Landlock ruleset (landlock_create_ruleset(2), landlock_add_rule(2);
 * Linux 5.13) from a spec of what to allow, for a child plan's
 * `{ op: 'landlock', fd }` step (landlock_restrict_self(2)), which restricts
 * the child and everything it execs. Nothing is restricted by this call.
 *
 * Semantics:
 *  - Deny by default: the ruleset handles every right of the ABI used (the
 *    kernel's highest, see {@link landlockAbi}), so whatever the spec does not
 *    grant is denied: files outside the listed paths cannot be opened, made,
 *    removed or executed, and (ABI 4) TCP ports not listed cannot be bound or
 *    connected to. An empty spec `{}` denies every handled right.
 *  - `read` grants readFile and readDir; `write` grants every handled right
 *    but execute (read, write, truncate, make*, remove*, refer, ioctlDev);
 *    `execute` grants execute, readFile and readDir, so that programs and the
 *    libraries and interpreters they map can be loaded. A directory's rule
 *    covers everything beneath it; a file's rule only the rights that apply
 *    to a file (execute, readFile, writeFile, truncate, ioctlDev).
 *  - Paths are opened with `O_PATH` now, following symlinks: the rule is
 *    tied to what they name at this moment (a later rename does not move it).
 *    A path that does not exist is an error (`ENOENT`), not skipped.
 *  - Degradation is explicit. The ABI used is the kernel's, lowered by
 *    `spec.abi`. An option it cannot enforce (`bindTcp`/`connectTcp` lists
 *    before ABI 4, `scope` before 6, anything at all without Landlock)
 *    throws, unless `bestEffort: true`, which drops it and lists it in
 *    `dropped`. Rights the ABI does not have and the spec did not ask for
 *    by name (truncate before 3, TCP when no port list is given before 4,
 *    ioctlDev before 5) are not errors; they are listed in `unrestricted`.
 *
 * Landlock does not restrict everything: stat, chmod, chown, utime, xattrs,
 * flock, fcntl, chdir, access checks on paths, descriptors opened before the
 * restriction, UDP, raw and unix sockets (other than by path, or abstract with
 * `scope`) stay allowed; see landlock(7). A process can be restricted by at
 * most 16 stacked rulesets.
 * @returns the ruleset fd (close-on-exec; the caller closes it) and what it enforces
 * @throws {TypeError|RangeError} `ERR_INVALID_ARG_TYPE`/`ERR_INVALID_ARG_VALUE`/`ERR_OUT_OF_RANGE`
 *   for a bad spec (unknown keys included), before any syscall
 * @throws {TypeError} `ERR_FEATURE_UNAVAILABLE_ON_PLATFORM` for an option the kernel
 *   (or `spec.abi`) cannot enforce, without `bestEffort`
 * @throws {SyscallError} `open` with `path` (`ENOENT`, `EACCES`, `ENOTDIR`, `ELOOP` …) for a
 *   listed path; `landlock_add_rule` with `path`; `landlock_create_ruleset` (`EMFILE`, `ENOMEM`).
 *   Nothing is left open when it throws.
 * @see https://man7.org/linux/man-pages/man7/landlock.7.html
 */
export function landlockRuleset(spec: LandlockSpec): LandlockRuleset {
  const s = validateLandlockSpec(spec);
  const kernelAbi = landlockAbi();
  const abi = Math.min(kernelAbi, s.abi ?? kernelAbi, KNOWN_ABI);
  const dropped: string[] = [];
  const given = {
    read: s.read.length > 0, write: s.write.length > 0, execute: s.execute.length > 0,
    bindTcp: Array.isArray(s.bindTcp), connectTcp: Array.isArray(s.connectTcp), scope: s.scope.length > 0,
  };
  const why = (): string => (abi < kernelAbi && s.abi !== undefined ? `spec.abi limits it to ABI ${abi}` : `the kernel offers ABI ${kernelAbi}`);
  const need = (option: keyof typeof given, min: number): void => {
    if (!given[option] || abi >= min) return;
    if (!s.bestEffort) {
      throw featureUnavailable(`Landlock ${option}`,
        `it needs Landlock ABI ${min} (Linux ${ABI_LINUX[min]}), and ${why()}; pass bestEffort: true to go without it`);
    }
    dropped.push(option);
  };
  if (abi === 0) {
    if (!s.bestEffort) {
      throw featureUnavailable('Landlock', kernelAbi === 0
        ? 'the kernel has no Landlock (built without CONFIG_SECURITY_LANDLOCK, or "landlock" is missing from the lsm= boot parameter); pass bestEffort: true to go without it'
        : 'spec.abi is 0; pass bestEffort: true to go without it');
    }
    for (const k of Object.keys(given) as (keyof typeof given)[]) if (given[k]) dropped.push(k);
    return {
      fd: null, abi: 0, kernelAbi, handledAccessFs: 0, handledAccessNet: 0, scoped: 0,
      handled: { fs: [], net: [], scope: [] },
      unrestricted: [...FS_RIGHTS, ...NET_RIGHTS].map((r) => r.name),
      dropped,
    };
  }
  need('bindTcp', 4);
  need('connectTcp', 4);
  need('scope', 6);

  const fsRights = FS_RIGHTS.filter((r) => r.abi <= abi);
  const netRights = NET_RIGHTS.filter((r) => r.abi <= abi && s[r.name] !== 'any');
  const scopes = SCOPES.filter((r) => r.abi <= abi && s.scope.includes(r.name));
  const handledFs = mask(fsRights);
  const handledNet = mask(netRights);
  const scoped = mask(scopes);

  const readRights = C.LANDLOCK_ACCESS_FS_READ_FILE | C.LANDLOCK_ACCESS_FS_READ_DIR;
  const fileRights = mask(FS_RIGHTS.filter((r) => r.file));
  const grants: [(string | Uint8Array)[], number][] = [
    [s.read, readRights],
    [s.write, handledFs & ~C.LANDLOCK_ACCESS_FS_EXECUTE],
    [s.execute, C.LANDLOCK_ACCESS_FS_EXECUTE | readRights],
  ];

  const fd = native.landlockCreateRuleset(handledFs, handledNet, scoped);
  if (fd < 0) fail(fd, 'landlock_create_ruleset', landlockRuleset);
  try {
    const st = new BigInt64Array(STAT_FIELDS);
    for (const [paths, allowed] of grants) {
      for (const p of paths) {
        const pfd = native.open(p, C.O_PATH, 0);
        if (pfd < 0) fail(pfd, 'open', landlockRuleset, p);
        try {
          let r = native.fstat(pfd, st);
          if (r < 0) fail(r, 'fstat', landlockRuleset, p);
          // A file takes only the rights that apply to files (else EINVAL).
          const access = allowed & handledFs & (new Stat(st, false).isDirectory() ? ~0 : fileRights);
          r = native.landlockAddRule(fd, C.LANDLOCK_RULE_PATH_BENEATH, access, pfd);
          if (r < 0) fail(r, 'landlock_add_rule', landlockRuleset, p);
        } finally {
          native.close(pfd);
        }
      }
    }
    for (const right of netRights) {
      const ports = s[right.name];
      if (!Array.isArray(ports)) continue;
      for (const port of ports) {
        const r = native.landlockAddRule(fd, C.LANDLOCK_RULE_NET_PORT, value(right), port);
        if (r < 0) fail(r, 'landlock_add_rule', landlockRuleset);
      }
    }
  } catch (err) {
    native.close(fd);
    throw err;
  }
  return {
    fd, abi, kernelAbi, handledAccessFs: handledFs, handledAccessNet: handledNet, scoped,
    handled: { fs: names(FS_RIGHTS, handledFs), net: names(NET_RIGHTS, handledNet), scope: names(SCOPES, scoped) },
    unrestricted: [...FS_RIGHTS.filter((r) => !(handledFs & value(r))), ...NET_RIGHTS.filter((r) => !(handledNet & value(r)))].map((r) => r.name),
    dropped,
  };
}
