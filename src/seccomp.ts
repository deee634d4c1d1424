// Seccomp filters: profiles in the shape of the OCI runtime spec's `seccomp`
// section (which Docker's profiles use) are validated here, compiled to a
// classic BPF program by the system's libseccomp in this process
// (native/seccomp.cc, dlopen'ed on first use), and loaded in a child by the
// `seccomp` step of a fork/clone plan. Nothing here filters Node itself.
import * as os from 'node:os';
import { native } from './binding';
import { constants } from './constants';
import { toCapability } from './creds';
import { fail, invalidArgType, invalidArgValue, outOfRange, SyscallError } from './errors';
import type { Capability } from './plan';

const C = constants as unknown as Record<string, number | undefined>;

/**
 * What a rule does with a matching call (the kernel's `SECCOMP_RET_*`):
 * `SCMP_ACT_ALLOW`; `SCMP_ACT_ERRNO` fails it with `errnoRet` (EPERM when
 * absent); `SCMP_ACT_KILL` / `SCMP_ACT_KILL_THREAD` kill the thread,
 * `SCMP_ACT_KILL_PROCESS` the process (Linux 4.14), by SIGSYS; `SCMP_ACT_TRAP`
 * sends SIGSYS; `SCMP_ACT_LOG` allows and logs it (Linux 4.14);
 * `SCMP_ACT_TRACE` stops it for a ptrace tracer with `errnoRet` as the event
 * data (without a tracer the call fails with ENOSYS).
 */
export type SeccompAction =
  | 'SCMP_ACT_ALLOW' | 'SCMP_ACT_ERRNO' | 'SCMP_ACT_KILL' | 'SCMP_ACT_KILL_THREAD' | 'SCMP_ACT_KILL_PROCESS'
  | 'SCMP_ACT_TRAP' | 'SCMP_ACT_LOG' | 'SCMP_ACT_TRACE';

/**
 * How an argument is compared, as 64-bit unsigned values: `arg OP value`, and
 * for `SCMP_CMP_MASKED_EQ` `(arg & value) == valueTwo`.
 */
export type SeccompOperator =
  | 'SCMP_CMP_NE' | 'SCMP_CMP_LT' | 'SCMP_CMP_LE' | 'SCMP_CMP_EQ' | 'SCMP_CMP_GE' | 'SCMP_CMP_GT' | 'SCMP_CMP_MASKED_EQ';

/** A `SECCOMP_FILTER_FLAG_*` a profile may ask for (given to seccomp(2) by the plan step). */
export type SeccompFlag = 'SECCOMP_FILTER_FLAG_TSYNC' | 'SECCOMP_FILTER_FLAG_LOG' | 'SECCOMP_FILTER_FLAG_SPEC_ALLOW';

/** One argument comparison of a rule. */
export interface SeccompArg {
  /** The argument, 0-5. */
  index: number;
  /** A number (negative ones as their 64-bit two's complement) or a bigint up to 2^64-1. */
  value: number | bigint;
  /** The expected value of `SCMP_CMP_MASKED_EQ` (default 0). */
  valueTwo?: number | bigint;
  op: SeccompOperator;
}

/**
 * A condition of Docker's profiles on a rule (`includes`: the rule applies
 * only when all of it holds; `excludes`: not when any of it holds).
 */
export interface SeccompCondition {
  /** Capabilities the payload keeps ({@link SeccompCompileOptions.capabilities}): includes needs all, excludes any. */
  caps?: readonly string[];
  /** Architectures in Go's names, as Docker writes them (`'amd64'`, `'arm64'`, `'s390x'` …). */
  arches?: readonly string[];
  /** A kernel version such as `'4.8'`: includes needs the running kernel at least at it, excludes below it. */
  minKernel?: string;
}

/** One rule of a profile. Docker's older `name` (a single name) is read as `names` too. */
export interface SeccompRule {
  /** System call names; those unknown to libseccomp or to every architecture of the filter are skipped and reported. */
  names: readonly string[];
  action: SeccompAction;
  /** The errno of `SCMP_ACT_ERRNO` (default EPERM) or the data of `SCMP_ACT_TRACE`: a number or a name (`'EPERM'`). */
  errnoRet?: number | string;
  /** Same as `errnoRet` (the spelling of rawsys's container spec). */
  errno?: number | string;
  /**
   * Argument comparisons, all of which must hold. As runc does, when two of
   * them name the same argument each becomes a rule of its own, so any one
   * of them suffices (libseccomp compares an argument once per rule).
   */
  args?: readonly SeccompArg[];
  includes?: SeccompCondition;
  excludes?: SeccompCondition;
  comment?: string;
}

/** Docker's per-architecture list: the native `architecture` brings its `subArchitectures`. */
export interface SeccompArchMap {
  architecture: string;
  subArchitectures?: readonly string[];
}

/**
 * A seccomp profile in the shape of the OCI runtime spec's `linux.seccomp`,
 * which Docker's profile files use: such a file can be given as
 * `JSON.parse`d. Fields this module does not know (`comment`, Docker's
 * `defaultErrno` …) are ignored.
 */
export interface SeccompProfile {
  /** What every call no rule matches gets. */
  defaultAction: SeccompAction;
  /** The errno (or trace data) of an `SCMP_ACT_ERRNO`/`SCMP_ACT_TRACE` default action; default EPERM. */
  defaultErrnoRet?: number | string;
  /**
   * `SCMP_ARCH_*` names whose calls the filter handles besides the native
   * one's (`SCMP_ARCH_X86`, `SCMP_ARCH_X32` on x86-64). Calls of any other
   * architecture kill the thread (libseccomp's bad-architecture action),
   * which also closes the route around the filter through 32-bit system calls.
   */
  architectures?: readonly string[];
  /** Docker's form of `architectures`, used when that is absent. */
  archMap?: readonly SeccompArchMap[];
  flags?: readonly SeccompFlag[];
  syscalls?: readonly SeccompRule[];
}

/** Options of {@link compileSeccomp}. */
export interface SeccompCompileOptions {
  /**
   * The capabilities the payload will keep, for `includes.caps` and
   * `excludes.caps` of Docker's profiles. Default: none, the strictest reading.
   */
  capabilities?: readonly Capability[];
}

/** A compiled filter, ready for a plan's `{ op: 'seccomp', filter, flags }` step. */
export interface SeccompFilter {
  /** The BPF program: `struct sock_filter[]`, 8 bytes an instruction. */
  filter: Uint8Array;
  /** The profile's `SECCOMP_FILTER_FLAG_*`, or-ed. */
  flags: number;
  /** Names that are no system call here (unknown to libseccomp, or to every architecture of the filter), in profile order. */
  skipped: string[];
}

/** libseccomp's version (0.0.0 when the library cannot tell). */
export interface SeccompVersion {
  major: number;
  minor: number;
  micro: number;
}

const DEFAULT_LIBRARY = 'libseccomp.so.2';
let library = DEFAULT_LIBRARY;

/**
 * Points rawsys at another libseccomp (tests), or back at libseccomp.so.2.
 * @internal
 */
export function setSeccompLibrary(path?: string): void {
  if (path !== undefined && (typeof path !== 'string' || path === '' || path.includes('\u0000'))) {
    throw invalidArgValue('path', path, 'must be a library path');
  }
  library = path ?? DEFAULT_LIBRARY;
}

/** The error for a missing libseccomp: code `ERR_RAWSYS_NO_LIBSECCOMP`, the loader's message as `cause`. */
function noLibrary(detail: string, caller: Function): Error {
  const err = new Error(
    `rawsys: seccomp needs libseccomp.so.2, which could not be loaded (${detail}). ` +
      'Install it (Debian/Ubuntu: apt-get install libseccomp2; Fedora/RHEL: dnf install libseccomp; ' +
      'Alpine: apk add libseccomp); nothing was started.',
    { cause: new Error(detail) },
  );
  Object.defineProperty(err, 'code', { value: 'ERR_RAWSYS_NO_LIBSECCOMP', enumerable: true });
  Error.captureStackTrace(err, caller);
  return err;
}

/**
 * Whether a seccomp filter can be compiled here: libseccomp.so.2 loads and
 * has the functions rawsys uses. Loads it on the first call. (Whether the
 * kernel enforces filters is another matter: every kernel Node runs on,
 * 4.18 and later, with CONFIG_SECCOMP_FILTER, does.)
 * @returns true when {@link compileSeccomp} can work
 * @see https://man7.org/linux/man-pages/man3/seccomp_init.3.html
 */
export function seccompAvailable(): boolean {
  return typeof native.seccompVersion(library) !== 'string';
}

/**
 * The version of the system's libseccomp (`seccomp_version(3)`).
 * @throws {Error} code `ERR_RAWSYS_NO_LIBSECCOMP` when libseccomp.so.2 cannot be loaded
 * @see https://man7.org/linux/man-pages/man3/seccomp_version.3.html
 */
export function seccompVersion(): SeccompVersion {
  const r = native.seccompVersion(library);
  if (typeof r === 'string') throw noLibrary(r, seccompVersion);
  return { major: r[0], minor: r[1], micro: r[2] };
}

// ---------------------------------------------------------------------------
// Validation

const OPERATORS: Record<SeccompOperator, number> = {
  // enum scmp_compare of libseccomp's ABI (see native/seccomp.cc).
  SCMP_CMP_NE: 1, SCMP_CMP_LT: 2, SCMP_CMP_LE: 3, SCMP_CMP_EQ: 4, SCMP_CMP_GE: 5, SCMP_CMP_GT: 6, SCMP_CMP_MASKED_EQ: 7,
};

const FLAGS: readonly SeccompFlag[] = ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'];

const U64 = 2n ** 64n;

function need(name: string): number {
  const v = C[name];
  if (v === undefined) throw new Error(`rawsys: constant ${name} is missing from this build`);
  return v;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function object(v: unknown, name: string): Record<string, unknown> {
  if (!isObject(v)) throw invalidArgType(name, 'of type object', v);
  return v;
}

function array(v: unknown, name: string): readonly unknown[] {
  if (!Array.isArray(v)) throw invalidArgType(name, 'an array', v);
  return v;
}

function strings(v: unknown, name: string): string[] {
  return array(v, name).map((s, i) => {
    if (typeof s !== 'string') throw invalidArgType(`${name}[${i}]`, 'of type string', s);
    return s;
  });
}

/** An errno (or trace data): a number 0..max or an `E*` name. */
function toErrno(v: unknown, name: string, max: number): number {
  if (typeof v === 'string') {
    const n = /^E[A-Z0-9]+$/.test(v) ? C[v] : undefined;
    if (n === undefined) throw invalidArgValue(name, v, 'must be an errno number or name such as EPERM');
    return n;
  }
  if (typeof v !== 'number') throw invalidArgType(name, 'of type number or string', v);
  if (!Number.isInteger(v) || v < 0 || v > max) throw outOfRange(name, `an integer >= 0 && <= ${max}`, v);
  return v;
}

/** `errnoRet`/`errno` of a rule, or `defaultErrnoRet`; undefined when absent. */
function errnoOf(o: Record<string, unknown>, keys: string[], at: string, max: number): number | undefined {
  let out: number | undefined;
  for (const k of keys) {
    if (o[k] === undefined || o[k] === null) continue;
    const n = toErrno(o[k], `${at}.${k}`, max);
    if (out !== undefined && out !== n) throw invalidArgValue(`${at}.${k}`, o[k], `contradicts ${at}.${keys[0]}`);
    out = n;
  }
  return out;
}

/** The action's 32-bit value (`SECCOMP_RET_*`, which libseccomp's `SCMP_ACT_*` are). */
function toAction(v: unknown, data: number | undefined, at: string, dataKey: string): number {
  if (typeof v !== 'string') throw invalidArgType(at, 'of type string', v);
  const takesData = v === 'SCMP_ACT_ERRNO' || v === 'SCMP_ACT_TRACE';
  if (data !== undefined && !takesData) throw invalidArgValue(dataKey, data, `is only for SCMP_ACT_ERRNO and SCMP_ACT_TRACE, not ${v}`);
  const ret = (name: string, d = 0): number => (need(name) | (d & need('SECCOMP_RET_DATA'))) >>> 0;
  switch (v) {
    case 'SCMP_ACT_ALLOW': return ret('SECCOMP_RET_ALLOW');
    case 'SCMP_ACT_ERRNO': return ret('SECCOMP_RET_ERRNO', data ?? need('EPERM'));
    case 'SCMP_ACT_TRACE': return ret('SECCOMP_RET_TRACE', data ?? need('EPERM'));
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD': return ret('SECCOMP_RET_KILL_THREAD');
    case 'SCMP_ACT_KILL_PROCESS': return ret('SECCOMP_RET_KILL_PROCESS');
    case 'SCMP_ACT_TRAP': return ret('SECCOMP_RET_TRAP');
    case 'SCMP_ACT_LOG': return ret('SECCOMP_RET_LOG');
    case 'SCMP_ACT_NOTIFY':
      throw invalidArgValue(at, v, 'is not supported: rawsys has no seccomp user-notification listener');
    default:
      throw invalidArgValue(at, v, 'must be SCMP_ACT_ALLOW, _ERRNO, _KILL, _KILL_THREAD, _KILL_PROCESS, _TRAP, _LOG or _TRACE');
  }
}

/** A comparison value as its unsigned 64-bit pattern. */
function toDatum(v: unknown, name: string): bigint {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw outOfRange(name, 'a safe integer or a bigint', v);
    return BigInt.asUintN(64, BigInt(v));
  }
  if (typeof v === 'bigint') {
    if (v < -(2n ** 63n) || v >= U64) throw outOfRange(name, `>= -(2n ** 63n) && < 2n ** 64n`, v);
    return BigInt.asUintN(64, v);
  }
  throw invalidArgType(name, 'of type number or bigint', v);
}

type Cmp = [index: bigint, op: bigint, a: bigint, b: bigint];

function toArgs(v: unknown, at: string): Cmp[][] {
  if (v === undefined || v === null) return [[]];
  const cmps = array(v, at).map((a, i): Cmp => {
    const an = `${at}[${i}]`;
    const o = object(a, an);
    const index = o.index;
    if (typeof index !== 'number') throw invalidArgType(`${an}.index`, 'of type number', index);
    if (!Number.isInteger(index) || index < 0 || index > 5) throw outOfRange(`${an}.index`, '>= 0 && <= 5', index);
    if (typeof o.op !== 'string') throw invalidArgType(`${an}.op`, 'of type string', o.op);
    const op = (OPERATORS as Record<string, number | undefined>)[o.op];
    if (op === undefined) throw invalidArgValue(`${an}.op`, o.op, `must be one of ${Object.keys(OPERATORS).join(', ')}`);
    const value = toDatum(o.value, `${an}.value`);
    const two = o.valueTwo === undefined || o.valueTwo === null ? 0n : toDatum(o.valueTwo, `${an}.valueTwo`);
    return [BigInt(index), BigInt(op), value, two];
  });
  // runc's reading: when an argument is compared twice, every comparison is
  // an alternative, a rule of its own.
  const indexes = cmps.map(([i]) => i);
  const repeated = new Set(indexes).size !== indexes.length;
  return repeated ? cmps.map((c) => [c]) : [cmps];
}

/** The running kernel's major and minor version. */
function kernel(): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(os.release());
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

function toKernel(v: unknown, name: string): [number, number] {
  if (typeof v !== 'string') throw invalidArgType(name, 'of type string', v);
  const m = /^(\d+)\.(\d+)(\.\d+)?$/.exec(v);
  if (!m) throw invalidArgValue(name, v, "must be a kernel version such as '4.8'");
  return [Number(m[1]), Number(m[2])];
}

// Node's process.arch -> Go's GOARCH (Docker's includes.arches) and libseccomp's native SCMP_ARCH_*.
const GO_ARCH: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm' };
const SCMP_ARCH: Record<string, string> = { x64: 'SCMP_ARCH_X86_64', ia32: 'SCMP_ARCH_X86', arm64: 'SCMP_ARCH_AARCH64', arm: 'SCMP_ARCH_ARM' };

interface Env {
  caps: Set<number>;
  arch: string[];
  kernel: [number, number];
}

function heldCap(c: string, env: Env): boolean {
  try {
    return env.caps.has(toCapability(c, 'cap'));
  } catch {
    return false; // a capability this build does not know is not held
  }
}

function atLeast(a: [number, number], b: [number, number]): boolean {
  return a[0] > b[0] || (a[0] === b[0] && a[1] >= b[1]);
}

/** Docker's includes/excludes: whether the rule applies here. */
function applies(rule: Record<string, unknown>, at: string, env: Env): boolean {
  const cond = (key: 'includes' | 'excludes'): [string[] | undefined, string[] | undefined, [number, number] | undefined] => {
    const v = rule[key];
    if (v === undefined || v === null) return [undefined, undefined, undefined];
    const o = object(v, `${at}.${key}`);
    return [
      o.caps === undefined || o.caps === null ? undefined : strings(o.caps, `${at}.${key}.caps`),
      o.arches === undefined || o.arches === null ? undefined : strings(o.arches, `${at}.${key}.arches`),
      o.minKernel === undefined || o.minKernel === null || o.minKernel === '' ? undefined : toKernel(o.minKernel, `${at}.${key}.minKernel`),
    ];
  };
  const [icaps, iarches, ikernel] = cond('includes');
  const [ecaps, earches, ekernel] = cond('excludes');
  if (earches?.some((a) => env.arch.includes(a))) return false;
  if (ecaps?.some((c) => heldCap(c, env))) return false;
  if (ekernel && atLeast(env.kernel, ekernel)) return false;
  if (iarches && iarches.length > 0 && !iarches.some((a) => env.arch.includes(a))) return false;
  if (icaps && !icaps.every((c) => heldCap(c, env))) return false;
  if (ikernel && !atLeast(env.kernel, ikernel)) return false;
  return true;
}

const SYSCALL_NAME = /^[A-Za-z0-9_]{1,64}$/;
const ARCH_NAME = /^SCMP_ARCH_[A-Z0-9_]+$/;
const RULE_WORDS = 28; // see native/seccomp.cc

function withCause<T extends Error>(err: T, cause: unknown): T {
  Object.defineProperty(err, 'cause', { value: cause, writable: true, configurable: true });
  return err;
}

/**
 * Compiles a seccomp profile into a BPF program, in this process, with the
 * system's libseccomp (loaded with dlopen on first use; nothing is
 * linked). The result goes to a child plan's `seccomp` step:
 *
 * ```js
 * const { filter, flags } = compileSeccomp(defaultSeccompProfile());
 * fork([...steps, { op: 'noNewPrivs' }, { op: 'seccomp', filter, flags }, { op: 'execve', path, argv }]);
 * ```
 *
 * The profile is the OCI runtime spec's (and Docker's) shape; Docker's
 * `includes`/`excludes` conditions are honoured against
 * `options.capabilities`, this machine's architecture and kernel, and
 * `archMap` stands in for a missing `architectures`. Names libseccomp or the
 * filter's architectures do not know are skipped, as runc does, and listed
 * in `skipped`. A rule whose action is the default action is left out (it
 * would change nothing; libseccomp refuses it).
 * @throws {TypeError} `ERR_INVALID_ARG_TYPE` / `ERR_INVALID_ARG_VALUE` for a malformed profile, an unknown action,
 *   operator, flag or architecture, SCMP_ACT_NOTIFY, or rules libseccomp refuses (their `cause` is a
 *   SyscallError of `seccomp_rule_add`, e.g. EEXIST for contradictory rules)
 * @throws {RangeError} `ERR_OUT_OF_RANGE` for an argument index, errno or comparison value out of range
 * @throws {Error} code `ERR_RAWSYS_NO_LIBSECCOMP` when libseccomp.so.2 is missing (Debian: libseccomp2)
 * @throws {SyscallError} when libseccomp fails otherwise (ENOMEM), named after its function
 * @see https://man7.org/linux/man-pages/man3/seccomp_rule_add.3.html
 * @see https://github.com/opencontainers/runtime-spec/blob/main/config-linux.md#seccomp
 */
export function compileSeccomp(profile: SeccompProfile, options?: SeccompCompileOptions): SeccompFilter {
  const p = object(profile, 'profile');
  const o = options === undefined ? {} : object(options, 'options');
  const caps = new Set<number>();
  if (o.capabilities !== undefined) {
    array(o.capabilities, 'options.capabilities').forEach((c, i) => caps.add(toCapability(c, `options.capabilities[${i}]`)));
  }
  const env: Env = {
    caps,
    arch: [GO_ARCH[process.arch] ?? process.arch, SCMP_ARCH[process.arch] ?? process.arch],
    kernel: kernel(),
  };

  const defaultData = errnoOf(p, ['defaultErrnoRet'], 'profile', 0xffff);
  const defaultAction = toAction(p.defaultAction, defaultData, 'profile.defaultAction', 'profile.defaultErrnoRet');
  if (defaultData !== undefined && p.defaultAction === 'SCMP_ACT_ERRNO' && defaultData > 4095) {
    throw outOfRange('profile.defaultErrnoRet', 'an integer >= 0 && <= 4095', defaultData);
  }

  // Architectures: `architectures`, else Docker's archMap entry for this one.
  let arches: string[] = [];
  let archLabel = 'profile.architectures';
  if (p.architectures !== undefined && p.architectures !== null) {
    arches = strings(p.architectures, 'profile.architectures');
  } else if (p.archMap !== undefined && p.archMap !== null) {
    archLabel = 'profile.archMap';
    array(p.archMap, 'profile.archMap').forEach((m, i) => {
      const e = object(m, `profile.archMap[${i}]`);
      if (typeof e.architecture !== 'string') throw invalidArgType(`profile.archMap[${i}].architecture`, 'of type string', e.architecture);
      const subs = e.subArchitectures === undefined || e.subArchitectures === null ? [] : strings(e.subArchitectures, `profile.archMap[${i}].subArchitectures`);
      if (e.architecture === SCMP_ARCH[process.arch]) arches = [e.architecture, ...subs];
    });
  }
  arches.forEach((a, i) => {
    if (!ARCH_NAME.test(a)) throw invalidArgValue(`${archLabel}[${i}]`, a, 'must be an SCMP_ARCH_* name such as SCMP_ARCH_X86');
  });

  let flags = 0;
  if (p.flags !== undefined && p.flags !== null) {
    strings(p.flags, 'profile.flags').forEach((f, i) => {
      if (!(FLAGS as readonly string[]).includes(f)) throw invalidArgValue(`profile.flags[${i}]`, f, `must be one of ${FLAGS.join(', ')}`);
      flags |= need(f);
    });
  }
  if (p.listenerPath !== undefined && p.listenerPath !== null && p.listenerPath !== '') {
    throw invalidArgValue('profile.listenerPath', p.listenerPath, 'is not supported: rawsys has no seccomp user-notification listener');
  }

  const names: string[] = [];
  const nameIndex = new Map<string, number>();
  const records: bigint[] = [];
  const rules = p.syscalls === undefined || p.syscalls === null ? [] : array(p.syscalls, 'profile.syscalls');
  rules.forEach((r, i) => {
    const at = `profile.syscalls[${i}]`;
    const rule = object(r, at);
    let list: string[];
    if (rule.names !== undefined && rule.names !== null) list = strings(rule.names, `${at}.names`);
    else if (typeof rule.name === 'string') list = [rule.name]; // Docker's older profiles
    else throw invalidArgType(`${at}.names`, 'an array of system call names', rule.names);
    if (list.length === 0) throw invalidArgValue(`${at}.names`, list, 'must name at least one system call');
    list.forEach((n, k) => {
      if (!SYSCALL_NAME.test(n)) throw invalidArgValue(`${at}.names[${k}]`, n, 'is not a system call name');
    });
    const data = errnoOf(rule, ['errnoRet', 'errno'], at, 0xffff);
    const action = toAction(rule.action, data, `${at}.action`, `${at}.errnoRet`);
    if (data !== undefined && rule.action === 'SCMP_ACT_ERRNO' && data > 4095) throw outOfRange(`${at}.errnoRet`, 'an integer >= 0 && <= 4095', data);
    const alternatives = toArgs(rule.args, `${at}.args`);
    if (!applies(rule, at, env) || action === defaultAction) return;
    for (const n of list) {
      let idx = nameIndex.get(n);
      if (idx === undefined) {
        idx = names.push(n) - 1;
        nameIndex.set(n, idx);
      }
      for (const cmps of alternatives) {
        const w = new Array<bigint>(RULE_WORDS).fill(0n);
        w[0] = BigInt(idx);
        w[1] = BigInt(action);
        w[2] = BigInt(cmps.length);
        w[3] = BigInt(i);
        cmps.forEach((c, k) => c.forEach((x, j) => { w[4 + k * 4 + j] = x; }));
        records.push(...w);
      }
    }
  });

  const r = native.seccompCompile(library, defaultAction, arches.map((a) => a.slice('SCMP_ARCH_'.length).toLowerCase()), names,
    BigUint64Array.from(records));
  if (typeof r === 'string') throw noLibrary(r, compileSeccomp);
  const [errno, fn, index, filter, skipped] = r;
  if (errno !== 0 || filter === null) {
    const e = errno || need('EINVAL');
    const syscall = fn ?? 'seccomp_export_bpf';
    const cause = new SyscallError(e, syscall);
    switch (fn) {
      case 'seccomp_init':
        throw withCause(invalidArgValue('profile.defaultAction', p.defaultAction, 'is not supported by this libseccomp or kernel'), cause);
      case 'seccomp_arch_resolve_name':
      case 'seccomp_arch_add':
        throw withCause(invalidArgValue(`${archLabel}[${index}]`, arches[index], 'is not an architecture this libseccomp supports'), cause);
      case 'seccomp_rule_add':
        if (cause.code !== 'ENOMEM') {
          throw withCause(invalidArgValue(`profile.syscalls[${index}]`, rules[index], `was refused by libseccomp (${cause.code})`), cause);
        }
        break;
      default:
        break;
    }
    fail(-e, syscall, compileSeccomp);
  }
  const max = need('BPF_MAXINSNS');
  if (filter.length / 8 > max) {
    throw invalidArgValue('profile', '...', `compiles to ${filter.length / 8} BPF instructions, more than the kernel takes (BPF_MAXINSNS, ${max})`);
  }
  return { filter, flags, skipped: skipped.map((k) => names[k]) };
}

// ---------------------------------------------------------------------------
// The default profile

/** Allowed for everyone: what programs (sh, busybox, coreutils, Node, glibc's start-up) use. */
const ALLOWED = [
  // files and descriptors
  'read', 'write', 'readv', 'writev', 'pread64', 'pwrite64', 'preadv', 'pwritev', 'preadv2', 'pwritev2', 'lseek',
  'open', 'openat', 'openat2', 'creat', 'close', 'close_range', 'dup', 'dup2', 'dup3', 'fcntl', 'flock', 'ioctl',
  'pipe', 'pipe2', 'fsync', 'fdatasync', 'sync', 'syncfs', 'sync_file_range', 'truncate', 'ftruncate', 'fallocate',
  'fadvise64', 'readahead', 'sendfile', 'splice', 'tee', 'vmsplice', 'copy_file_range',
  'stat', 'fstat', 'lstat', 'newfstatat', 'statx', 'statfs', 'fstatfs', 'access', 'faccessat', 'faccessat2',
  'readlink', 'readlinkat', 'getdents', 'getdents64', 'getcwd', 'chdir', 'fchdir', 'chroot',
  'chmod', 'fchmod', 'fchmodat', 'fchmodat2', 'chown', 'fchown', 'lchown', 'fchownat', 'umask',
  'utime', 'utimes', 'utimensat', 'futimesat', 'mkdir', 'mkdirat', 'mknod', 'mknodat', 'rmdir',
  'rename', 'renameat', 'renameat2', 'link', 'linkat', 'symlink', 'symlinkat', 'unlink', 'unlinkat', 'name_to_handle_at',
  'getxattr', 'lgetxattr', 'fgetxattr', 'setxattr', 'lsetxattr', 'fsetxattr', 'listxattr', 'llistxattr', 'flistxattr',
  'removexattr', 'lremovexattr', 'fremovexattr', 'getxattrat', 'setxattrat', 'listxattrat', 'removexattrat',
  'file_getattr', 'file_setattr', 'statmount', 'listmount',
  // memory
  'brk', 'mmap', 'munmap', 'mremap', 'mprotect', 'madvise', 'process_madvise', 'mincore', 'msync', 'mlock', 'mlock2',
  'munlock', 'mlockall', 'munlockall', 'memfd_create', 'memfd_secret', 'membarrier', 'pkey_alloc', 'pkey_free',
  'pkey_mprotect', 'mbind', 'get_mempolicy', 'set_mempolicy', 'set_mempolicy_home_node', 'remap_file_pages',
  'map_shadow_stack', 'mseal', 'cachestat',
  // processes, credentials, scheduling
  'execve', 'execveat', 'exit', 'exit_group', 'fork', 'vfork', 'wait4', 'waitid', 'kill', 'tkill', 'tgkill',
  'getpid', 'getppid', 'gettid', 'getpgid', 'getpgrp', 'setpgid', 'getsid', 'setsid',
  'getuid', 'geteuid', 'getgid', 'getegid', 'getresuid', 'getresgid', 'getgroups', 'setuid', 'setgid', 'setreuid',
  'setregid', 'setresuid', 'setresgid', 'setgroups', 'setfsuid', 'setfsgid', 'capget', 'capset',
  'prctl', 'arch_prctl', 'set_tid_address', 'set_robust_list', 'get_robust_list', 'rseq', 'get_thread_area',
  'set_thread_area', 'getrlimit', 'setrlimit', 'prlimit64', 'getrusage', 'getpriority', 'setpriority', 'sched_yield',
  'sched_getaffinity', 'sched_setaffinity', 'sched_getparam', 'sched_setparam', 'sched_getscheduler',
  'sched_setscheduler', 'sched_get_priority_max', 'sched_get_priority_min', 'sched_rr_get_interval', 'sched_getattr',
  'sched_setattr', 'ioprio_get', 'ioprio_set', 'getcpu', 'pidfd_open', 'pidfd_send_signal', 'process_mrelease',
  'seccomp', 'landlock_create_ruleset', 'landlock_add_rule', 'landlock_restrict_self',
  'lsm_get_self_attr', 'lsm_set_self_attr', 'lsm_list_modules', 'times', 'uname', 'sysinfo', 'getrandom', 'sethostname',
  'setdomainname', 'restart_syscall',
  // signals and time
  'rt_sigaction', 'rt_sigprocmask', 'rt_sigreturn', 'rt_sigpending', 'rt_sigsuspend', 'rt_sigtimedwait',
  'rt_sigqueueinfo', 'rt_tgsigqueueinfo', 'sigaltstack', 'signalfd', 'signalfd4', 'pause', 'alarm',
  'nanosleep', 'clock_nanosleep', 'clock_gettime', 'clock_getres', 'gettimeofday', 'time', 'getitimer', 'setitimer',
  'timer_create', 'timer_settime', 'timer_gettime', 'timer_getoverrun', 'timer_delete', 'timerfd_create',
  'timerfd_settime', 'timerfd_gettime',
  // waiting and events
  'poll', 'ppoll', 'select', 'pselect6', 'epoll_create', 'epoll_create1', 'epoll_ctl', 'epoll_wait', 'epoll_pwait',
  'epoll_pwait2', 'eventfd', 'eventfd2', 'inotify_init', 'inotify_init1', 'inotify_add_watch', 'inotify_rm_watch',
  'fanotify_mark', 'futex', 'futex_waitv', 'futex_wake', 'futex_wait', 'futex_requeue',
  'io_setup', 'io_destroy', 'io_submit', 'io_cancel', 'io_getevents', 'io_pgetevents',
  // sockets and System V / POSIX IPC (namespaced)
  'socket', 'socketpair', 'bind', 'listen', 'accept', 'accept4', 'connect', 'getsockname', 'getpeername', 'sendto',
  'recvfrom', 'sendmsg', 'recvmsg', 'sendmmsg', 'recvmmsg', 'shutdown', 'setsockopt', 'getsockopt',
  'msgget', 'msgsnd', 'msgrcv', 'msgctl', 'semget', 'semop', 'semtimedop', 'semctl', 'shmget', 'shmat', 'shmdt',
  'shmctl', 'mq_open', 'mq_unlink', 'mq_timedsend', 'mq_timedreceive', 'mq_notify', 'mq_getsetattr',
];

/**
 * Denied (EPERM) unless the payload keeps one of the capabilities (then
 * allowed: the kernel's own check is what Docker relies on there too).
 */
const GATED: [names: string[], caps: string[]][] = [
  [['mount', 'umount', 'umount2', 'pivot_root', 'fsopen', 'fsconfig', 'fsmount', 'fspick', 'open_tree', 'open_tree_attr',
    'move_mount', 'mount_setattr', 'setns', 'swapon', 'swapoff', 'quotactl', 'quotactl_fd', 'lookup_dcookie',
    'fanotify_init'], ['CAP_SYS_ADMIN']],
  [['bpf'], ['CAP_SYS_ADMIN', 'CAP_BPF']],
  [['perf_event_open'], ['CAP_SYS_ADMIN', 'CAP_PERFMON']],
  [['ptrace', 'process_vm_readv', 'process_vm_writev', 'kcmp', 'pidfd_getfd', 'userfaultfd'], ['CAP_SYS_PTRACE']],
  [['kexec_load', 'kexec_file_load', 'reboot'], ['CAP_SYS_BOOT']],
  [['init_module', 'finit_module', 'delete_module'], ['CAP_SYS_MODULE']],
  [['acct'], ['CAP_SYS_PACCT']],
  [['iopl', 'ioperm'], ['CAP_SYS_RAWIO']],
  [['settimeofday', 'stime', 'clock_settime', 'clock_adjtime', 'adjtimex'], ['CAP_SYS_TIME']],
  [['syslog'], ['CAP_SYSLOG']],
  [['vhangup'], ['CAP_SYS_TTY_CONFIG']],
  [['open_by_handle_at'], ['CAP_DAC_READ_SEARCH']],
  [['migrate_pages', 'move_pages'], ['CAP_SYS_NICE']],
];

/** Denied (EPERM) whatever the capabilities: the kernel keyring is not namespaced. */
const DENIED = ['keyctl', 'add_key', 'request_key'];

/**
 * A default seccomp profile in the spirit of Docker's, for a payload
 * without CAP_SYS_ADMIN: a fresh object each call, to use as it is
 * (`compileSeccomp(defaultSeccompProfile(), { capabilities })`), to change,
 * or to save as JSON for runc or Docker.
 *
 * An allowlist: about 300 named calls, those programs use (files, memory,
 * processes, signals, time, sockets, IPC), are allowed; every other call fails
 * with **ENOSYS**, as on a kernel that lacks it, so that programs fall back
 * (glibc does for clone3, statx, faccessat2, rseq …) where EPERM would break
 * them, and calls added to Linux after this list are closed until reviewed
 * (runc returns ENOSYS for such calls too). An allowlist is chosen over a
 * denylist because a denylist stays open to every call the kernel gains.
 * Named denials fail with **EPERM**, which programs report as such:
 * - the mount API (`mount`, `umount2`, `pivot_root`, `fsopen`, `move_mount`,
 *   `open_tree` …), `setns`, `swapon`/`swapoff`, `quotactl`, and namespace
 *   creation: `unshare` and `clone` with any `CLONE_NEW*` flag, checked on
 *   the flags argument (so `unshare -U`/CLONE_NEWUSER fails) — unless
 *   CAP_SYS_ADMIN is kept;
 * - `clone3` fails with ENOSYS unless CAP_SYS_ADMIN is kept: its flags are
 *   in memory a filter cannot read, and glibc then falls back to `clone`,
 *   whose flags it can (Docker does the same);
 * - `ptrace`, `process_vm_readv`/`writev`, `kcmp`, `pidfd_getfd`,
 *   `userfaultfd` (CAP_SYS_PTRACE); `bpf` (CAP_SYS_ADMIN or CAP_BPF);
 *   `perf_event_open` (CAP_SYS_ADMIN or CAP_PERFMON); `kexec_load`,
 *   `kexec_file_load`, `reboot` (CAP_SYS_BOOT); `init_module`,
 *   `finit_module`, `delete_module` (CAP_SYS_MODULE); `acct`
 *   (CAP_SYS_PACCT); `iopl`, `ioperm` (CAP_SYS_RAWIO); `settimeofday`,
 *   `clock_settime`, `clock_adjtime`, `adjtimex` (CAP_SYS_TIME); `syslog`
 *   (CAP_SYSLOG); `vhangup`; `open_by_handle_at` (CAP_DAC_READ_SEARCH);
 *   `migrate_pages`, `move_pages` (CAP_SYS_NICE) — each allowed when the
 *   capability in brackets is kept;
 * - `keyctl`, `add_key`, `request_key` always (the keyring is not namespaced).
 *
 * `personality` is allowed for the harmless values only (PER_LINUX,
 * PER_LINUX32, UNAME26 and the query 0xffffffff); other personas (such as
 * ADDR_NO_RANDOMIZE) fail with ENOSYS. io_uring (`io_uring_setup` …) is not
 * allowed (ENOSYS, as on a kernel built without it): its large attack surface
 * is why Docker turned it off too; libuv and liburing fall back.
 * `modify_ldt` and obsolete calls (`uselib`, `_sysctl`, `nfsservctl` …) get
 * ENOSYS too. Native architecture only: 32-bit (i386, x32) system calls of
 * a payload are killed; add `architectures` for 32-bit payloads.
 *
 * Names libseccomp or this architecture does not know (newer calls on an
 * older libseccomp, `stime` on x86-64) show up in
 * {@link SeccompFilter.skipped}; they then get ENOSYS.
 *
 * Seccomp filters need Linux 3.5 (every kernel Node runs on has them).
 * @returns a new profile object
 * @throws nothing: it only builds the object (compiling it is {@link compileSeccomp}'s job)
 * @see https://man7.org/linux/man-pages/man2/seccomp.2.html
 * @see https://docs.docker.com/engine/security/seccomp/
 */
export function defaultSeccompProfile(): SeccompProfile {
  const EPERM = need('EPERM');
  const ENOSYS = need('ENOSYS');
  const nsFlags = ['CLONE_NEWNS', 'CLONE_NEWUTS', 'CLONE_NEWIPC', 'CLONE_NEWUSER', 'CLONE_NEWPID', 'CLONE_NEWNET', 'CLONE_NEWCGROUP']
    .map(need);
  // CLONE_NEWTIME (0x80) lies in clone's exit-signal byte: for unshare only.
  const unshareFlags = [...nsFlags, ...(C.CLONE_NEWTIME === undefined ? [] : [C.CLONE_NEWTIME])];
  const mask = (fs: number[]): number => fs.reduce((a, f) => (a | f) >>> 0, 0);
  const s390 = ['s390', 's390x']; // clone's flags are its second argument there
  const syscalls: SeccompRule[] = [{ names: [...ALLOWED], action: 'SCMP_ACT_ALLOW' }];
  // Allowed without CLONE_NEW* flags; EPERM with any of them (the same
  // argument compared several times: each comparison is a rule of its own).
  const nsRules = (name: string, flags: number[], index: number, arches: { only?: string[]; not?: string[] }): SeccompRule[] => {
    const excludes = { caps: ['CAP_SYS_ADMIN'], ...(arches.not ? { arches: arches.not } : {}) };
    const includes = arches.only ? { includes: { arches: arches.only } } : {};
    return [
      {
        names: [name], action: 'SCMP_ACT_ALLOW', args: [{ index, value: mask(flags), valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
        excludes, ...includes,
      },
      {
        names: [name], action: 'SCMP_ACT_ERRNO', errnoRet: EPERM,
        args: flags.map((f) => ({ index, value: f, valueTwo: f, op: 'SCMP_CMP_MASKED_EQ' as const })),
        excludes, ...includes, comment: 'no new namespaces, above all no user namespace',
      },
    ];
  };
  syscalls.push(
    ...nsRules('clone', nsFlags, 0, { not: s390 }),
    ...nsRules('clone', nsFlags, 1, { only: s390 }),
    ...nsRules('unshare', unshareFlags, 0, {}),
    { names: ['clone', 'unshare', 'clone3'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
    {
      names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS, excludes: { caps: ['CAP_SYS_ADMIN'] },
      comment: 'flags a filter cannot see: glibc falls back to clone',
    },
    {
      names: ['personality'], action: 'SCMP_ACT_ALLOW',
      args: [need('PER_LINUX'), need('PER_LINUX32'), need('UNAME26'), need('UNAME26') | need('PER_LINUX32'), 0xffffffff]
        .map((value) => ({ index: 0, value, op: 'SCMP_CMP_EQ' as const })),
      comment: 'harmless personas and the query (0xffffffff)',
    },
  );
  for (const [names, caps] of GATED) {
    syscalls.push({ names: [...names], action: 'SCMP_ACT_ERRNO', errnoRet: EPERM, excludes: { caps: [...caps] } });
    for (const cap of caps) syscalls.push({ names: [...names], action: 'SCMP_ACT_ALLOW', includes: { caps: [cap] } });
  }
  syscalls.push({ names: [...DENIED], action: 'SCMP_ACT_ERRNO', errnoRet: EPERM });
  return { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: ENOSYS, syscalls };
}
