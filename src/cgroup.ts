// Control groups: create one, limit it, measure it, freeze, kill and remove
// it, with one API over cgroup v2, cgroup v1, and hosts that mount both
// (hybrid: v1 controllers plus a cgroup2 hierarchy that may hold none).
//
// Nothing here is a system call of its own: cgroups are driven through the
// files of the cgroup filesystems (cgroups(7), the kernel's
// Documentation/admin-guide/cgroup-v2.rst and cgroup-v1/*.rst). Where the
// hierarchies are mounted, and where this process sits in them, is read from
// /proc/self/mountinfo and /proc/self/cgroup; the parsers take that text as
// input so every layout can be tested with fixtures.
//
// Each controller is used from one place: from cgroup v2 when the parent's
// v2 cgroup.controllers lists it, else from the v1 hierarchy it is mounted
// on. A cgroup is made in every hierarchy one of its controllers lives in,
// and always on the v2 side when v2 is mounted (freezing, cgroup.kill and
// clone3's CLONE_INTO_CGROUP need nothing more than a v2 directory).
import * as fs from 'node:fs';
import * as os from 'node:os';
import { constants } from './constants';
import { AbortError, invalidArgType, invalidArgValue, outOfRange, SyscallError } from './errors';
import { close, open, write } from './fd';
import type { Step } from './plan';
import { kill as killPid, toSignal } from './signals';
import { validateAbortSignal, validateObject } from './validate';

const C = constants as unknown as Record<string, number | undefined>;

// ---------------------------------------------------------------------------
// Layout: where the hierarchies are mounted

/** How the host mounts cgroups: v2 only, v1 controllers plus a v2 hierarchy, or v1 only. */
export type CgroupMode = 'unified' | 'hybrid' | 'legacy';

/**
 * Where the cgroup hierarchies are mounted, as seen from this process's mount
 * namespace (from /proc/self/mountinfo, see proc(5)).
 */
export interface CgroupLayout {
  /**
   * `'unified'`: only cgroup2 carries controllers (v1 named hierarchies such
   * as `name=systemd` may be mounted too); `'hybrid'`: v1 controllers and a
   * cgroup2 mount; `'legacy'`: v1 only.
   */
  mode: CgroupMode;
  /** Mount point of the cgroup2 hierarchy, if one is mounted. */
  v2?: string;
  /**
   * v1: controller name (`'memory'`, `'cpu'`, `'cpuacct'` …, and
   * `'name=systemd'` for a named hierarchy) to the mount point of its
   * hierarchy. Co-mounted controllers (`cpu,cpuacct`) share a mount point.
   */
  v1: Record<string, string>;
  /**
   * The directory of each hierarchy that the mount shows at its mount point
   * (mountinfo's field 4): `'/'` unless a subtree is mounted, as in a
   * container without a cgroup namespace (`'/docker/<id>'`).
   */
  roots: { v2?: string; v1: Record<string, string> };
}

/** The cgroup of a process in each hierarchy, as /proc/<pid>/cgroup lists it. */
export interface ProcCgroups {
  /** Path in the v2 hierarchy (the `0::` line). */
  v2?: string;
  /** v1: controller (or `name=<x>`) to path. */
  v1: Record<string, string>;
}

/** Absolute directories of one cgroup in each hierarchy. */
export interface CgroupPaths {
  /** Its directory in the v2 hierarchy. */
  v2?: string;
  /** v1: controller to its directory (co-mounted controllers share one). */
  v1: Record<string, string>;
}

// Mount options of a v1 cgroup mount that are not controllers.
const V1_OPTIONS = new Set(['rw', 'ro', 'xattr', 'noprefix', 'clone_children', 'cpuset_v2_mode', 'favordynmods', 'nofavordynmods', 'none', 'all']);

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

function errorWithCode(code: string, message: string): Error {
  const err = new Error(message) as Error & { code: string };
  err.code = code;
  return err;
}

/**
 * Parses the text of /proc/<pid>/mountinfo (proc(5)) into the cgroup layout.
 * A cgroup mount that another mount covers (one stacked on it or on a
 * directory above it, as when cgroup2 is mounted over a v1 tree) is not
 * visible and is left out; of two visible mounts of one hierarchy the first
 * is used, unless a later one shows the hierarchy's root.
 * @throws {Error} code `'ERR_CGROUP_UNAVAILABLE'` when no cgroup filesystem is mounted
 * @see https://man7.org/linux/man-pages/man5/proc_pid_mountinfo.5.html
 */
export function parseCgroupLayout(mountinfo: string): CgroupLayout {
  interface M { id: string; parent: string; dev: string; root: string; point: string; fstype: string; opts: string }
  if (typeof mountinfo !== 'string') throw invalidArgType('mountinfo', 'of type string', mountinfo);
  const all: M[] = [];
  for (const line of mountinfo.split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-', 6);
    if (sep < 0 || f.length < sep + 4) continue;
    all.push({ id: f[0], parent: f[1], dev: f[2], root: unescapeMount(f[3]), point: unescapeMount(f[4]), fstype: f[sep + 1], opts: f[sep + 3] });
  }
  const byId = new Map(all.map((m) => [m.id, m]));
  const ancestors = (m: M): Set<string> => {
    const s = new Set<string>();
    for (let p = byId.get(m.parent); p !== undefined && !s.has(p.id); p = byId.get(p.parent)) s.add(p.id);
    if (!byId.has(m.parent)) s.add(m.parent);
    return s;
  };
  // Covered: another mount N, not below M's own chain, sits on M or on one of
  // M's ancestors at M's mount point or a directory above it.
  const visible = (m: M): boolean => {
    const up = ancestors(m);
    return !all.some((n) => n !== m && !up.has(n.id) && (up.has(n.parent) || n.parent === m.id)
      && (n.point === m.point || n.point === '/' || m.point.startsWith(`${n.point}/`)));
  };
  const mounts = all.filter((m) => (m.fstype === 'cgroup' || m.fstype === 'cgroup2') && visible(m)).map((m) => ({
    dev: m.dev, root: m.root, point: m.point, v2: m.fstype === 'cgroup2',
    ctrls: m.fstype === 'cgroup2' ? [] : m.opts.split(',').filter((o) => !V1_OPTIONS.has(o) && (!o.includes('=') || o.startsWith('name='))),
  }));
  type Mount = (typeof mounts)[number];
  const byDev = new Map<string, Mount>();
  for (const m of mounts) {
    const seen = byDev.get(m.dev);
    if (seen === undefined || (seen.root !== '/' && m.root === '/')) byDev.set(m.dev, m);
  }
  const layout: CgroupLayout = { mode: 'legacy', v1: {}, roots: { v1: {} } };
  let v1Controllers = 0;
  for (const m of byDev.values()) {
    if (m.v2) {
      layout.v2 = m.point;
      layout.roots.v2 = m.root;
      continue;
    }
    for (const c of m.ctrls) {
      layout.v1[c] = m.point;
      layout.roots.v1[c] = m.root;
      if (!c.startsWith('name=')) v1Controllers++;
    }
  }
  if (layout.v2 === undefined && Object.keys(layout.v1).length === 0) {
    throw errorWithCode('ERR_CGROUP_UNAVAILABLE', 'no cgroup or cgroup2 filesystem is mounted (none in mountinfo)');
  }
  layout.mode = layout.v2 === undefined ? 'legacy' : v1Controllers > 0 ? 'hybrid' : 'unified';
  return layout;
}

/**
 * Parses the text of /proc/<pid>/cgroup (cgroups(7)): `hierarchy-ID:controller-list:path`
 * lines, `0::path` for cgroup v2. Paths are relative to the reader's cgroup
 * namespace root; one outside it starts with `/..`.
 * @see https://man7.org/linux/man-pages/man7/cgroups.7.html
 */
export function parseProcCgroup(text: string): ProcCgroups {
  if (typeof text !== 'string') throw invalidArgType('text', 'of type string', text);
  const out: ProcCgroups = { v1: {} };
  for (const line of text.split('\n')) {
    const a = line.indexOf(':');
    const b = line.indexOf(':', a + 1);
    if (a < 0 || b < 0) continue;
    const id = line.slice(0, a);
    const list = line.slice(a + 1, b);
    const path = line.slice(b + 1);
    if (id === '0' && list === '') out.v2 = path;
    else for (const c of list.split(',')) if (c !== '') out.v1[c] = path;
  }
  return out;
}

/** The directory of cgroup `path` in a hierarchy mounted at `point` showing `root`; undefined when the mount does not show it. */
function dirIn(point: string, root: string, path: string): string | undefined {
  if (!path.startsWith('/') || path.split('/').includes('..')) return undefined;
  let rel: string;
  if (root === '/') rel = path;
  else if (path === root) rel = '/';
  else if (path.startsWith(`${root}/`)) rel = path.slice(root.length);
  else return undefined;
  if (rel === '/') return point;
  return point === '/' ? rel : point + rel;
}

/**
 * The directories of the cgroups of a process in each mounted hierarchy:
 * `procCgroup` is its /proc/<pid>/cgroup text, `layout` from
 * {@link parseCgroupLayout}. A hierarchy whose mount does not show the
 * process's cgroup (a subtree mounted elsewhere, a path outside the cgroup
 * namespace) is left out.
 */
export function cgroupDirs(layout: CgroupLayout, procCgroup: string): CgroupPaths {
  if (layout === null || typeof layout !== 'object' || layout.v1 === null || typeof layout.v1 !== 'object') {
    throw invalidArgType('layout', 'a CgroupLayout object', layout);
  }
  const own = parseProcCgroup(procCgroup);
  return pathDirs(layout, own);
}

function pathDirs(layout: CgroupLayout, own: ProcCgroups): CgroupPaths {
  const out: CgroupPaths = { v1: {} };
  if (layout.v2 !== undefined && own.v2 !== undefined) {
    const d = dirIn(layout.v2, layout.roots?.v2 ?? '/', own.v2);
    if (d !== undefined) out.v2 = d;
  }
  for (const [c, point] of Object.entries(layout.v1)) {
    const p = own.v1[c];
    if (p === undefined) continue;
    const d = dirIn(point, layout.roots?.v1?.[c] ?? '/', p);
    if (d !== undefined) out.v1[c] = d;
  }
  return out;
}

/**
 * The cgroup layout of this host, from /proc/self/mountinfo: whether cgroup
 * v2, v1 or both are mounted, and where. Read afresh on each call.
 * @throws {Error} code `'ERR_CGROUP_UNAVAILABLE'` when no cgroup filesystem is mounted
 * @throws {SyscallError} when /proc is not mounted (`open` ENOENT)
 * @see https://man7.org/linux/man-pages/man7/cgroups.7.html
 */
export function cgroupLayout(): CgroupLayout {
  return parseCgroupLayout(readText('/proc/self/mountinfo'));
}

// ---------------------------------------------------------------------------
// File helpers: errors become SyscallErrors naming the cgroup file

function fromNode(e: unknown, path: string): unknown {
  const n = e as NodeJS.ErrnoException;
  if (typeof n?.errno === 'number' && typeof n.code === 'string') return new SyscallError(n.errno, n.syscall ?? 'open', path);
  return e;
}

function readText(path: string): string {
  try {
    return fs.readFileSync(path, 'latin1');
  } catch (e) {
    throw fromNode(e, path);
  }
}

function tryRead(path: string): string | undefined {
  try {
    return fs.readFileSync(path, 'latin1');
  } catch {
    return undefined;
  }
}

/** One write(2) of `data`: cgroup files take each value in a single write. */
function writeText(path: string, data: string): void {
  const fd = open(path, constants.O_WRONLY);
  try {
    write(fd, data);
  } catch (e) {
    if (e instanceof SyscallError) throw new SyscallError(e.errno, 'write', path);
    throw e;
  } finally {
    close(fd);
  }
}

function exists(path: string): boolean {
  return fs.existsSync(path);
}

/** `key value` lines (cgroup.events, memory.events, cpu.stat, cpuacct.stat, memory.oom_control) to numbers. */
function keyed(text: string | undefined): Map<string, number> {
  const m = new Map<string, number>();
  if (text === undefined) return m;
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined) m.set(k, Number(v));
  }
  return m;
}

/** A limit file's value: `max` (v2), or a v1 "unlimited" (2^63 rounded down to a page), becomes Infinity. */
function limitValue(text: string | undefined): number | null {
  if (text === undefined) return null;
  const t = text.trim().split(/\s+/)[0];
  if (t === 'max' || t === '-1') return Infinity;
  if (!/^\d+$/.test(t)) return null;
  const n = BigInt(t);
  return n >= 2n ** 62n ? Infinity : Number(n);
}

function numberIn(text: string | undefined): number | null {
  if (text === undefined) return null;
  const n = Number(text.trim());
  return Number.isFinite(n) ? n : null;
}

let clockTicks: number | undefined;

/** USER_HZ, the unit of cpuacct.stat: AT_CLKTCK from this process's auxiliary vector (getauxval(3)). */
function userHz(): number | undefined {
  if (clockTicks !== undefined) return clockTicks;
  const at = C.AT_CLKTCK;
  if (at === undefined) return undefined;
  const auxv = tryReadBuffer('/proc/self/auxv');
  if (auxv === undefined) return undefined;
  const word = ['x64', 'arm64', 'ppc64', 's390x', 'riscv64', 'loong64', 'mips64el'].includes(process.arch) ? 8 : 4;
  const le = os.endianness() === 'LE';
  for (let i = 0; i + 2 * word <= auxv.length; i += 2 * word) {
    const type = word === 8 ? Number(le ? auxv.readBigUInt64LE(i) : auxv.readBigUInt64BE(i)) : (le ? auxv.readUInt32LE(i) : auxv.readUInt32BE(i));
    if (type === 0) break;
    if (type === at) {
      const v = word === 8 ? Number(le ? auxv.readBigUInt64LE(i + word) : auxv.readBigUInt64BE(i + word)) : (le ? auxv.readUInt32LE(i + word) : auxv.readUInt32BE(i + word));
      if (v > 0) clockTicks = v;
      return clockTicks;
    }
  }
  return undefined;
}

function tryReadBuffer(path: string): Buffer | undefined {
  try {
    return fs.readFileSync(path);
  } catch {
    return undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `done` with a growing pause (1 ms up to 20 ms) until it is true; an AbortSignal ends it with an AbortError. */
async function until(done: () => boolean, signal: AbortSignal | undefined): Promise<void> {
  let pause = 1;
  for (;;) {
    if (done()) return;
    if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
    await sleep(pause);
    pause = Math.min(pause * 2, 20);
  }
}

// ---------------------------------------------------------------------------
// Resources: validation and the values written

/** A size in bytes: a number, or a string with a binary unit as Docker reads it (`'64M'`, `'1.5g'`, `'512k'`, `'100'`); `'max'` or Infinity for no limit. */
export type ByteSize = number | string;

/** Limits of a {@link Cgroup}. Every field is optional; an absent one is left as it is. */
export interface CgroupResources {
  /** Memory limit (v2 `memory.max`, v1 `memory.limit_in_bytes`). */
  memory?: ByteSize;
  /**
   * Memory plus swap, as Docker's `--memory-swap`: v2 `memory.swap.max` is
   * written as `memorySwap - memory`, v1 `memory.memsw.limit_in_bytes` as it
   * is. Needs `memory` in the same call; `-1`, `'max'` or Infinity for
   * unlimited swap. Docker's default when only `memory` is given (swap equal
   * to memory) is not applied here: absent means the kernel's default.
   */
  memorySwap?: ByteSize;
  /**
   * CPUs as a fraction (`0.5` = half of one CPU): v2 `cpu.max` `"quota period"`,
   * v1 `cpu.cfs_quota_us` and `cpu.cfs_period_us`. The quota must come to at
   * least 1000 µs (0.01 CPU with the default period); `'max'`/Infinity lifts it.
   */
  cpus?: number | 'max';
  /** The CFS period in µs for `cpus` (1000..1000000, default 100000). */
  cpuPeriod?: number;
  /**
   * Relative CPU weight 1..10000 (default of the kernel: 100): v2 `cpu.weight`;
   * v1 `cpu.shares` = weight × 1024 / 100 (so 100 is the v1 default 1024),
   * kept within 2..262144, as systemd converts.
   */
  cpuWeight?: number;
  /** Most tasks (processes and threads) at once: `pids.max`; `'max'`/Infinity lifts it. */
  pids?: number | 'max';
  /**
   * Relative block I/O weight 1..10000 (kernel default 100): v2 `io.weight`
   * (`default N`) or `io.bfq.weight` (kept within 1..1000); v1 `blkio.weight`
   * (weight × 5 within 10..1000) or `blkio.bfq.weight`. Only where the host's
   * I/O schedulers provide one of these files: otherwise an error with code
   * `'ERR_CGROUP_UNSUPPORTED'`, unless `bestEffort` is set.
   */
  ioWeight?: number;
}

/** @internal Validated resources. */
interface Limits {
  memory?: number | 'max';
  memorySwap?: number | 'max';
  cpu?: { quota: number | 'max'; period: number };
  cpuWeight?: number;
  pids?: number | 'max';
  ioWeight?: number;
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 };

/**
 * Reads a size: bytes as a number, or a string with an optional binary unit
 * (`b`, `k`, `m`, `g`, `t`, `p`, any case, optionally followed by `b` or `ib`),
 * fractions rounded down to a whole byte.
 * @throws {RangeError} `ERR_OUT_OF_RANGE` for a negative or too large size (`'-5'`)
 * @throws {TypeError} `ERR_INVALID_ARG_VALUE` for a string that is no size; `ERR_INVALID_ARG_TYPE` for other types
 */
export function parseByteSize(value: unknown, name = 'size', minusOneIsMax = false): number | 'max' {
  if (value === Infinity || value === 'max' || (minusOneIsMax && (value === -1 || value === '-1'))) return 'max';
  let n: number;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw outOfRange(name, 'an integer number of bytes', value);
    n = value;
  } else if (typeof value === 'string') {
    const m = /^\s*([+-]?\d+(?:\.\d+)?)\s*([bkmgtp]?)(?:i?b)?\s*$/i.exec(value);
    if (m === null) throw invalidArgValue(name, value, "must be a size such as 1048576, '64M' or '1.5g'");
    n = Math.floor(Number(m[1]) * UNITS[m[2].toLowerCase()]);
    if (Number(m[1]) < 0) n = Number(m[1]);
  } else {
    throw invalidArgType(name, "of type number or string (a size such as '64M')", value);
  }
  if (n < 0 || !Number.isSafeInteger(n)) throw outOfRange(name, `>= 0 && <= ${Number.MAX_SAFE_INTEGER} bytes`, value);
  return n;
}

function intIn(value: unknown, name: string, min: number, max: number, allowMax: boolean): number | 'max' {
  if (allowMax && (value === 'max' || value === Infinity)) return 'max';
  if (typeof value !== 'number') throw invalidArgType(name, allowMax ? "of type number or 'max'" : 'of type number', value);
  if (!Number.isInteger(value) || value < min || value > max) throw outOfRange(name, `an integer >= ${min} && <= ${max}`, value);
  return value;
}

const RESOURCE_KEYS = ['memory', 'memorySwap', 'cpus', 'cpuPeriod', 'cpuWeight', 'pids', 'ioWeight'];
const PID_MAX_LIMIT = 4194304; // include/linux/threads.h, the most pids.max takes on 64-bit

/** Validates resources, all of them, before anything is created or written. @internal */
export function validateResources(value: unknown, name = 'resources'): Limits {
  const r = validateObject<Record<string, unknown>>(value, name) ?? {};
  for (const k of Object.keys(r)) {
    if (!RESOURCE_KEYS.includes(k)) throw invalidArgValue(`${name}.${k}`, r[k], `is not a known resource (${RESOURCE_KEYS.join(', ')})`);
  }
  const out: Limits = {};
  if (r.memory !== undefined) out.memory = parseByteSize(r.memory, `${name}.memory`);
  if (r.memorySwap !== undefined) {
    out.memorySwap = parseByteSize(r.memorySwap, `${name}.memorySwap`, true);
    if (out.memorySwap !== 'max') {
      if (out.memory === undefined || out.memory === 'max') {
        throw invalidArgValue(`${name}.memorySwap`, r.memorySwap, 'needs a memory limit (resources.memory) in the same call');
      }
      if (out.memorySwap < out.memory) throw outOfRange(`${name}.memorySwap`, `>= memory (${out.memory} bytes): it is memory plus swap`, r.memorySwap);
    }
  }
  if (r.cpuPeriod !== undefined && r.cpus === undefined) {
    throw invalidArgValue(`${name}.cpuPeriod`, r.cpuPeriod, 'needs resources.cpus in the same call');
  }
  if (r.cpus !== undefined) {
    const period = r.cpuPeriod === undefined ? 100000 : (intIn(r.cpuPeriod, `${name}.cpuPeriod`, 1000, 1000000, false) as number);
    if (r.cpus === 'max' || r.cpus === Infinity) {
      out.cpu = { quota: 'max', period };
    } else {
      if (typeof r.cpus !== 'number') throw invalidArgType(`${name}.cpus`, "of type number or 'max'", r.cpus);
      const quota = Math.round(r.cpus * period);
      if (!Number.isFinite(r.cpus) || quota < 1000 || r.cpus > 1e6) {
        throw outOfRange(`${name}.cpus`, `>= ${1000 / period} (a quota of 1000 µs) && <= 1000000`, r.cpus);
      }
      out.cpu = { quota, period };
    }
  }
  if (r.cpuWeight !== undefined) out.cpuWeight = intIn(r.cpuWeight, `${name}.cpuWeight`, 1, 10000, false) as number;
  if (r.pids !== undefined) out.pids = intIn(r.pids, `${name}.pids`, 1, PID_MAX_LIMIT, true);
  if (r.ioWeight !== undefined) out.ioWeight = intIn(r.ioWeight, `${name}.ioWeight`, 1, 10000, false) as number;
  return out;
}

/** The controller (v2 name) each limit needs. */
function limitControllers(l: Limits): Set<string> {
  const s = new Set<string>();
  if (l.memory !== undefined || l.memorySwap !== undefined) s.add('memory');
  if (l.cpu !== undefined || l.cpuWeight !== undefined) s.add('cpu');
  if (l.pids !== undefined) s.add('pids');
  if (l.ioWeight !== undefined) s.add('io');
  return s;
}

/** v1 name of a controller whose v2 name differs. */
function v1Name(c: string): string {
  return c === 'io' ? 'blkio' : c;
}

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

// ---------------------------------------------------------------------------
// Controller resolution

/** Where a controller is used from. */
export type CgroupHierarchy = 'v1' | 'v2';

/**
 * Decides where each wanted controller is used from: `'v2'` when
 * `v2Available` (the parent's v2 `cgroup.controllers`) lists it, else `'v1'`
 * when `layout` mounts a v1 hierarchy with it (`io` is `blkio` there) and
 * `v1Parents` has a directory for it; controllers found in neither are left
 * out.
 * @internal
 */
export function resolveControllers(
  layout: CgroupLayout, v2Available: readonly string[], v1Parents: Readonly<Record<string, string>>, wanted: Iterable<string>,
): Record<string, CgroupHierarchy> {
  const out: Record<string, CgroupHierarchy> = {};
  for (const c of wanted) {
    if (layout.v2 !== undefined && v2Available.includes(c)) out[c] = 'v2';
    else if (layout.v1[v1Name(c)] !== undefined && v1Parents[v1Name(c)] !== undefined) out[c] = 'v1';
  }
  return out;
}

// ---------------------------------------------------------------------------
// The Cgroup

/** Options of {@link Cgroup.create}. */
export interface CgroupOptions {
  /**
   * Where to create it: another {@link Cgroup} (its directory in each
   * hierarchy), or a cgroup path as /proc/<pid>/cgroup shows it (`'/jobs'`,
   * the same path in every hierarchy). Default: the calling process's own
   * cgroup in each hierarchy (from /proc/self/cgroup).
   */
  parent?: Cgroup | string;
  /** Limits written once the directories exist. */
  resources?: CgroupResources;
  /**
   * More controllers the cgroup must have, by their v2 names (`'cpuset'`,
   * `'hugetlb'`, `'io'` …). A v1 cpuset gets its parent's `cpuset.cpus` and
   * `cpuset.mems`.
   */
  controllers?: readonly string[];
  /**
   * Skip (and list in {@link Cgroup.skipped}) the resources the host cannot
   * enforce, such as `ioWeight` without a weight-aware I/O scheduler or
   * `memorySwap` without swap accounting, instead of failing. Default false.
   */
  bestEffort?: boolean;
  /** The layout to use instead of this host's ({@link cgroupLayout}); e.g. without `v2` to use the v1 hierarchies only. */
  layout?: CgroupLayout;
}

/** Usage and limits of a {@link Cgroup}; null where this host or cgroup does not report it. */
export interface CgroupStats {
  memory: {
    /** Bytes in use: v2 `memory.current`, v1 `memory.usage_in_bytes`. */
    current: number | null;
    /** Most bytes ever in use: v2 `memory.peak` (Linux 5.19), v1 `memory.max_usage_in_bytes`. */
    peak: number | null;
    /** The limit in bytes, Infinity when unlimited: v2 `memory.max`, v1 `memory.limit_in_bytes`. */
    limit: number | null;
  };
  cpu: {
    /** CPU time used, µs: v2 `cpu.stat` usage_usec, v1 `cpuacct.usage` (ns) / 1000. */
    usageUsec: number | null;
    /** In user mode, µs: v2 `cpu.stat` user_usec, v1 `cpuacct.stat` user (USER_HZ ticks) converted. */
    userUsec: number | null;
    /** In kernel mode, µs: v2 `cpu.stat` system_usec, v1 `cpuacct.stat` system converted. */
    systemUsec: number | null;
    /** Periods in which the quota ran out: v2 `cpu.stat` nr_throttled, v1 `cpu.stat` nr_throttled. */
    nrThrottled: number | null;
    /** Time throttled, µs: v2 `cpu.stat` throttled_usec, v1 `cpu.stat` throttled_time (ns) / 1000. */
    throttledUsec: number | null;
  };
  pids: {
    /** Tasks now: `pids.current`. */
    current: number | null;
    /** `pids.max`, Infinity when unlimited. */
    limit: number | null;
  };
  /** Processes the OOM killer killed in it: v2 `memory.events` oom_kill (with its descendants), v1 `memory.oom_control` oom_kill (Linux 4.13). */
  oomKills: number | null;
}

/** Options of the calls that wait ({@link Cgroup.freeze}, {@link Cgroup.destroy} …). */
export interface CgroupWaitOptions {
  /** Ends the wait with an AbortError; what was written stays written. */
  signal?: AbortSignal;
}

/** Options of {@link Cgroup.joinSteps}. */
export interface JoinOptions {
  /**
   * Include the v2 `cgroup.procs` write (default true). Pass false when the
   * child is made with `clone(flags, plan, { cgroup: cg.v2Fd() })`, which puts
   * it into the v2 cgroup already (CLONE_INTO_CGROUP).
   */
  v2?: boolean;
}

let counter = 0;

function validateCgroupName(name: unknown): string {
  if (typeof name !== 'string') throw invalidArgType('name', 'of type string', name);
  if (name === '' || name === '.' || name === '..' || /[/\n\u0000]/.test(name) || Buffer.byteLength(name) > 255) {
    throw invalidArgValue('name', name, "must be a directory name: not empty, '.' or '..', at most 255 bytes, without '/', newlines or null bytes");
  }
  return name;
}

function validateLayout(value: unknown): CgroupLayout | undefined {
  const l = validateObject<CgroupLayout>(value, 'options.layout');
  if (l === undefined) return undefined;
  if (l.v2 !== undefined && typeof l.v2 !== 'string') throw invalidArgType('options.layout.v2', 'of type string', l.v2);
  if (l.v1 === null || typeof l.v1 !== 'object') throw invalidArgType('options.layout.v1', 'of type object', l.v1);
  return l;
}

function unsupported(what: string, why: string): Error {
  return errorWithCode('ERR_CGROUP_UNSUPPORTED', `cgroup: ${what} cannot be enforced on this host: ${why}`);
}

function pidsIn(dir: string): number[] {
  const t = tryRead(`${dir}/cgroup.procs`);
  if (t === undefined) return [];
  return t.split('\n').filter((s) => s !== '').map(Number);
}

/** `dir` and every cgroup below it, deepest first. */
/** rmdir(2) of `dir` and its sub-cgroups, deepest first; false (leaving the rest) at the first that is busy. */
function rmdirTree(dir: string): boolean {
  for (const d of subtree(dir)) {
    try {
      fs.rmdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return false;
    }
  }
  return true;
}

function subtree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) if (e.isDirectory()) walk(`${d}/${e.name}`);
    out.push(d);
  };
  walk(dir);
  return out;
}

/**
 * A control group (cgroups(7)): one directory in each cgroup hierarchy that
 * holds one of its controllers, and always one in the v2 hierarchy when
 * cgroup2 is mounted. Made by {@link Cgroup.create}; removed by
 * {@link Cgroup.destroy}.
 *
 * Processes enter it before they exec: `clone(flags, plan, { cgroup:
 * cg.v2Fd() })` (clone3 CLONE_INTO_CGROUP, Linux 5.7) for v2 with
 * `cg.joinSteps({ v2: false })` in the plan for the v1 hierarchies, or
 * `fork([...cg.joinSteps(), ...])` for all of them. The descriptors these
 * use are opened once, belong to the Cgroup, and stay open (close-on-exec)
 * until {@link Cgroup.release} or {@link Cgroup.destroy}: call `release()`
 * once the children are started.
 *
 * Requirements: write access to the parent directories (root, or a delegated
 * subtree, see cgroup-v2.rst "Delegation"); cgroup v2 freezing needs Linux 5.2,
 * `cgroup.kill` Linux 5.14, CLONE_INTO_CGROUP Linux 5.7.
 * @see https://man7.org/linux/man-pages/man7/cgroups.7.html
 * @see https://docs.kernel.org/admin-guide/cgroup-v2.html
 */
export class Cgroup {
  /** Its directory name. */
  readonly name: string;
  /** Its directory in each hierarchy: v2, and v1 by controller. */
  readonly paths: Readonly<CgroupPaths>;
  /** Where each of its controllers is used from (`memory`, `cpu`, `pids`, `io`, `cpuacct` and `freezer` on v1 …). */
  readonly controllers: Readonly<Record<string, CgroupHierarchy>>;
  #skipped: string[] = [];
  readonly #bestEffort: boolean;
  #fds = new Map<string, number>();
  #destroyed = false;
  #destroying: Promise<void> | undefined;

  /** Resources not enforced because the host cannot and `bestEffort` was set (`'ioWeight'`, `'memorySwap'` …). */
  get skipped(): readonly string[] {
    return [...this.#skipped];
  }

  private constructor(name: string, paths: CgroupPaths, controllers: Record<string, CgroupHierarchy>, bestEffort: boolean) {
    this.name = name;
    this.paths = Object.freeze({ ...paths, v1: Object.freeze({ ...paths.v1 }) });
    this.controllers = Object.freeze({ ...controllers });
    this.#bestEffort = bestEffort;
  }

  /**
   * mkdir(2)s a new cgroup in every hierarchy it needs, beneath the calling
   * process's own cgroup (per hierarchy, from /proc/self/cgroup) unless
   * `options.parent` says where, and writes `options.resources`.
   *
   * It gets the controllers its resources need and, where the host has them,
   * `memory`, `cpu` and `pids` for {@link Cgroup.stats} and later
   * {@link Cgroup.set} calls (plus v1 `cpuacct` and `freezer` when cgroup v2
   * cannot measure or freeze it). A v2 controller not yet enabled for the
   * parent's children is enabled in the parent's `cgroup.subtree_control`
   * and stays enabled. The "no internal processes" rule of cgroup v2 forbids
   * that when the parent is a non-root cgroup holding processes: then a
   * controller a resource needs is an error (EBUSY, saying what to do), and
   * one wanted only for statistics is left out.
   *
   * Everything is validated before anything is created; a failure half-way
   * removes every directory made.
   * The name of its directory is the first argument when a string is given
   * (default `rawsys-<pid>-<n>-<random>`).
   * @throws {TypeError|RangeError} for bad options (`ERR_INVALID_ARG_TYPE`, `ERR_INVALID_ARG_VALUE`, `ERR_OUT_OF_RANGE`: a memory limit of `'-5'`), before anything is created
   * @throws {Error} code `'ERR_CGROUP_UNSUPPORTED'` when a resource or controller cannot be had here; `'ERR_CGROUP_UNAVAILABLE'` when no cgroup filesystem is mounted or the parent is not visible
   * @throws {SyscallError} `mkdir` EEXIST (the name is taken), EACCES/EPERM (no write access), `write` EBUSY on `cgroup.subtree_control` (no internal processes), EINVAL on a limit file
   * @see https://man7.org/linux/man-pages/man7/cgroups.7.html
   */
  static create(options?: CgroupOptions): Cgroup;
  static create(name: string | undefined, options?: CgroupOptions): Cgroup;
  static create(name?: string | CgroupOptions, options?: CgroupOptions): Cgroup {
    if (name !== undefined && typeof name === 'object' && options === undefined) {
      options = name as CgroupOptions;
      name = undefined;
    }
    const n = name === undefined
      ? `rawsys-${process.pid}-${++counter}-${Math.floor(Math.random() * 2 ** 32).toString(16).padStart(8, '0')}`
      : validateCgroupName(name);
    const o = validateObject<CgroupOptions>(options, 'options') ?? {};
    const limits = validateResources(o.resources, 'options.resources');
    if (o.bestEffort !== undefined && typeof o.bestEffort !== 'boolean') throw invalidArgType('options.bestEffort', 'of type boolean', o.bestEffort);
    const bestEffort = o.bestEffort === true;
    const extra: string[] = [];
    if (o.controllers !== undefined) {
      if (!Array.isArray(o.controllers)) throw invalidArgType('options.controllers', 'an array of controller names', o.controllers);
      o.controllers.forEach((c: unknown, i: number) => {
        if (typeof c !== 'string' || !/^[a-z_][a-z0-9_]*$/.test(c)) throw invalidArgValue(`options.controllers[${i}]`, c, 'must be a controller name');
        extra.push(c);
      });
    }
    let parentPath: string | undefined;
    if (o.parent !== undefined && !(o.parent instanceof Cgroup)) {
      if (typeof o.parent !== 'string') throw invalidArgType('options.parent', 'a Cgroup or a cgroup path string', o.parent);
      if (!o.parent.startsWith('/') || o.parent.split('/').includes('..') || /[\n\u0000]/.test(o.parent)) {
        throw invalidArgValue('options.parent', o.parent, "must be an absolute cgroup path without '..', as /proc/<pid>/cgroup shows it");
      }
      parentPath = o.parent;
    }
    if (o.parent instanceof Cgroup && o.parent.#destroyed) throw invalidArgValue('options.parent', o.parent.name, 'was destroyed');
    const layout = validateLayout(o.layout) ?? cgroupLayout();

    // Parent directories per hierarchy.
    let parents: CgroupPaths;
    if (o.parent instanceof Cgroup) parents = o.parent.paths;
    else if (parentPath !== undefined) {
      const all: ProcCgroups = { v2: parentPath, v1: {} };
      for (const c of Object.keys(layout.v1)) all.v1[c] = parentPath;
      parents = pathDirs(layout, all);
    } else {
      parents = cgroupDirs(layout, readText('/proc/self/cgroup'));
    }
    if (layout.v2 === undefined) parents = { v1: parents.v1 };
    if (parents.v2 === undefined && Object.keys(parents.v1).length === 0) {
      throw errorWithCode('ERR_CGROUP_UNAVAILABLE', 'cgroup: the parent cgroup is not visible in any mounted hierarchy (a subtree mount, or a path outside the cgroup namespace)');
    }

    // Which controllers, and from where.
    const required = new Set([...limitControllers(limits), ...extra]);
    const wanted = new Set(['memory', 'cpu', 'pids', ...required]);
    const v2Available = parents.v2 === undefined ? [] : readText(`${parents.v2}/cgroup.controllers`).trim().split(/\s+/).filter(Boolean);
    const where = resolveControllers(layout, v2Available, parents.v1, wanted);
    for (const c of required) {
      if (where[c] !== undefined) continue;
      const why = `the ${c} controller is neither enabled for ${parents.v2 ?? 'the v2 parent'} (cgroup.controllers) nor mounted as a v1 hierarchy`;
      if (!bestEffort || extra.includes(c)) throw unsupported(extra.includes(c) ? `controller ${c}` : `a resource needing ${c}`, why);
    }

    const made: string[] = [];
    const rollback = (): void => {
      for (const d of made.reverse()) {
        try {
          fs.rmdirSync(d);
        } catch { /* best effort: what cannot be removed is reported by the original error */ }
      }
    };
    const mkdir = (parent: string): string => {
      const d = `${parent}/${n}`;
      try {
        fs.mkdirSync(d, 0o755);
      } catch (e) {
        throw fromNode(e, d);
      }
      made.push(d);
      return d;
    };
    try {
      const paths: CgroupPaths = { v1: {} };
      if (parents.v2 !== undefined) {
        const enable = Object.keys(where).filter((c) => where[c] === 'v2');
        if (enable.length > 0) enableV2(parents.v2, enable, required, where);
        paths.v2 = mkdir(parents.v2);
        // v1 stand-ins for what this v2 cgroup cannot do itself.
        if (!exists(`${paths.v2}/cgroup.freeze`)) wanted.add('freezer');
        if (where.cpu !== 'v2' && !exists(`${paths.v2}/cpu.stat`)) wanted.add('cpuacct');
      } else {
        wanted.add('freezer');
        wanted.add('cpuacct');
      }
      for (const c of ['freezer', 'cpuacct']) {
        if (wanted.has(c) && where[c] === undefined && layout.v1[c] !== undefined && parents.v1[c] !== undefined) where[c] = 'v1';
      }
      const byDir = new Map<string, string>(); // parent dir -> new dir, for co-mounted controllers
      for (const [c, w] of Object.entries(where)) {
        if (w !== 'v1') continue;
        const v1 = v1Name(c);
        const parent = parents.v1[v1];
        let d = byDir.get(parent);
        if (d === undefined) {
          d = mkdir(parent);
          byDir.set(parent, d);
          if (v1 === 'cpuset') copyCpuset(parent, d);
        }
        // Controllers co-mounted with it (cpu,cpuacct) share the directory.
        for (const [k, p] of Object.entries(layout.v1)) {
          if (p !== layout.v1[v1] || parents.v1[k] !== parent) continue;
          paths.v1[k] = d;
          if (!k.startsWith('name=') && where[k] === undefined) where[k] = 'v1';
        }
      }
      const cg = new Cgroup(n, paths, where, bestEffort);
      cg.#apply(limits, bestEffort);
      return cg;
    } catch (e) {
      rollback();
      throw e;
    }
  }

  /**
   * Changes limits: the same fields as `options.resources` of
   * {@link Cgroup.create}, validated before any file is written. Fields left
   * out keep their value.
   * @param options.bestEffort default: the value given to `create`
   * @throws {TypeError|RangeError} for bad resources
   * @throws {Error} code `'ERR_CGROUP_UNSUPPORTED'` for a resource this cgroup has no controller or file for
   * @throws {SyscallError} `write` EINVAL (refused value), EBUSY (v1: memory limit below what is in use and cannot be reclaimed)
   */
  set(resources: CgroupResources, options?: { bestEffort?: boolean }): void {
    const limits = validateResources(resources, 'resources');
    const o = validateObject<{ bestEffort?: boolean }>(options, 'options') ?? {};
    if (o.bestEffort !== undefined && typeof o.bestEffort !== 'boolean') throw invalidArgType('options.bestEffort', 'of type boolean', o.bestEffort);
    this.#alive();
    this.#apply(limits, o.bestEffort ?? this.#bestEffort);
  }

  #alive(): void {
    if (this.#destroyed) throw errorWithCode('ERR_CGROUP_DESTROYED', `cgroup ${this.name} was destroyed`);
  }

  /** The directory of controller `c`, if it has it. */
  #dir(c: string): string | undefined {
    const w = this.controllers[c];
    if (w === 'v2') return this.paths.v2;
    if (w === 'v1') return this.paths.v1[v1Name(c)];
    return undefined;
  }

  #apply(l: Limits, bestEffort: boolean): void {
    const skip = (what: string, why: string): void => {
      if (!bestEffort) throw unsupported(what, why);
      if (!this.#skipped.includes(what)) this.#skipped.push(what);
    };
    const v2 = (c: string): boolean => this.controllers[c] === 'v2';
    const noController = (c: string): string => `this cgroup has no ${c} controller (not available on the host or to its parent)`;

    if (l.memory !== undefined || l.memorySwap !== undefined) {
      const d = this.#dir('memory');
      if (d === undefined) skip(l.memory !== undefined ? 'memory' : 'memorySwap', noController('memory'));
      else if (v2('memory')) {
        if (l.memory !== undefined) writeText(`${d}/memory.max`, String(l.memory));
        if (l.memorySwap !== undefined) {
          if (!exists(`${d}/memory.swap.max`)) skip('memorySwap', 'no memory.swap.max (kernel without swap accounting)');
          else writeText(`${d}/memory.swap.max`, l.memorySwap === 'max' ? 'max' : String(l.memorySwap - (l.memory as number)));
        }
      } else {
        const mem = l.memory === undefined ? undefined : l.memory === 'max' ? '-1' : String(l.memory);
        const memsw = `${d}/memory.memsw.limit_in_bytes`;
        if (l.memorySwap !== undefined && !exists(memsw)) {
          skip('memorySwap', 'no memory.memsw.limit_in_bytes (boot with swapaccount=1)');
          if (mem !== undefined) writeText(`${d}/memory.limit_in_bytes`, mem);
        } else if (l.memorySwap !== undefined) {
          const sw = l.memorySwap === 'max' ? '-1' : String(l.memorySwap);
          // memsw may never be below the memory limit: which goes first depends on the old values.
          try {
            if (mem !== undefined) writeText(`${d}/memory.limit_in_bytes`, mem);
            writeText(memsw, sw);
          } catch (e) {
            if (!(e instanceof SyscallError) || e.code !== 'EINVAL') throw e;
            writeText(memsw, sw);
            if (mem !== undefined) writeText(`${d}/memory.limit_in_bytes`, mem);
          }
        } else if (mem !== undefined) {
          writeText(`${d}/memory.limit_in_bytes`, mem);
        }
      }
    }
    if (l.cpu !== undefined || l.cpuWeight !== undefined) {
      const d = this.#dir('cpu');
      if (d === undefined) skip(l.cpu !== undefined ? 'cpus' : 'cpuWeight', noController('cpu'));
      else if (v2('cpu')) {
        if (l.cpu !== undefined) writeText(`${d}/cpu.max`, `${l.cpu.quota} ${l.cpu.period}`);
        if (l.cpuWeight !== undefined) writeText(`${d}/cpu.weight`, String(l.cpuWeight));
      } else {
        if (l.cpu !== undefined) {
          writeText(`${d}/cpu.cfs_period_us`, String(l.cpu.period));
          writeText(`${d}/cpu.cfs_quota_us`, l.cpu.quota === 'max' ? '-1' : String(l.cpu.quota));
        }
        if (l.cpuWeight !== undefined) writeText(`${d}/cpu.shares`, String(clamp(Math.round((l.cpuWeight * 1024) / 100), 2, 262144)));
      }
    }
    if (l.pids !== undefined) {
      const d = this.#dir('pids');
      if (d === undefined) skip('pids', noController('pids'));
      else writeText(`${d}/pids.max`, String(l.pids));
    }
    if (l.ioWeight !== undefined) {
      const d = this.#dir('io');
      const w = l.ioWeight;
      const files: [string, string][] = v2('io')
        ? [['io.weight', `default ${w}`], ['io.bfq.weight', String(clamp(w, 1, 1000))]]
        : [['blkio.weight', String(clamp(Math.round(w * 5), 10, 1000))], ['blkio.bfq.weight', String(clamp(w, 1, 1000))]];
      const f = d === undefined ? undefined : files.find(([name]) => exists(`${d}/${name}`));
      if (d === undefined) skip('ioWeight', noController(this.controllers.io === undefined ? 'io (v1: blkio)' : 'io'));
      else if (f === undefined) skip('ioWeight', `no ${files.map(([name]) => name).join(' or ')} (the block devices' I/O schedulers have no weights)`);
      else writeText(`${d}/${f[0]}`, f[1]);
    }
  }

  /**
   * The processes in it and in the cgroups below it, from `cgroup.procs` of
   * every hierarchy it has (a process that joined only some still counts).
   * @returns pids in this process's pid namespace, sorted
   */
  procs(): number[] {
    const all = new Set<number>();
    for (const d of this.#dirs()) for (const s of subtree(d)) for (const p of pidsIn(s)) all.add(p);
    return [...all].sort((a, b) => a - b);
  }

  /** Its distinct directories, v2 first. */
  #dirs(): string[] {
    const s = new Set<string>();
    if (this.paths.v2 !== undefined) s.add(this.paths.v2);
    for (const d of Object.values(this.paths.v1)) s.add(d);
    return [...s];
  }

  /**
   * Usage and limits, read from the controller files (see {@link CgroupStats}
   * for which). The same meaning on cgroup v2 and v1; null where a value is
   * not available here.
   */
  stats(): CgroupStats {
    const st: CgroupStats = {
      memory: { current: null, peak: null, limit: null },
      cpu: { usageUsec: null, userUsec: null, systemUsec: null, nrThrottled: null, throttledUsec: null },
      pids: { current: null, limit: null },
      oomKills: null,
    };
    const mem = this.#dir('memory');
    if (mem !== undefined && this.controllers.memory === 'v2') {
      st.memory.current = numberIn(tryRead(`${mem}/memory.current`));
      st.memory.peak = numberIn(tryRead(`${mem}/memory.peak`));
      st.memory.limit = limitValue(tryRead(`${mem}/memory.max`));
      st.oomKills = keyed(tryRead(`${mem}/memory.events`)).get('oom_kill') ?? null;
    } else if (mem !== undefined) {
      st.memory.current = numberIn(tryRead(`${mem}/memory.usage_in_bytes`));
      st.memory.peak = numberIn(tryRead(`${mem}/memory.max_usage_in_bytes`));
      st.memory.limit = limitValue(tryRead(`${mem}/memory.limit_in_bytes`));
      st.oomKills = keyed(tryRead(`${mem}/memory.oom_control`)).get('oom_kill') ?? null;
    }
    const cpu = this.#dir('cpu');
    const acct = this.#dir('cpuacct');
    if (this.controllers.cpu === 'v2' || (acct === undefined && this.paths.v2 !== undefined)) {
      const s = keyed(tryRead(`${this.paths.v2}/cpu.stat`));
      st.cpu.usageUsec = s.get('usage_usec') ?? null;
      st.cpu.userUsec = s.get('user_usec') ?? null;
      st.cpu.systemUsec = s.get('system_usec') ?? null;
      st.cpu.nrThrottled = s.get('nr_throttled') ?? null;
      st.cpu.throttledUsec = s.get('throttled_usec') ?? null;
    } else if (acct !== undefined) {
      const ns = numberIn(tryRead(`${acct}/cpuacct.usage`));
      st.cpu.usageUsec = ns === null ? null : Math.floor(ns / 1000);
      const s = keyed(tryRead(`${acct}/cpuacct.stat`));
      const hz = userHz();
      if (hz !== undefined) {
        const u = s.get('user');
        const k = s.get('system');
        if (u !== undefined) st.cpu.userUsec = Math.round((u * 1e6) / hz);
        if (k !== undefined) st.cpu.systemUsec = Math.round((k * 1e6) / hz);
      }
    }
    if (cpu !== undefined && this.controllers.cpu === 'v1') {
      const s = keyed(tryRead(`${cpu}/cpu.stat`));
      st.cpu.nrThrottled = s.get('nr_throttled') ?? null;
      const t = s.get('throttled_time');
      st.cpu.throttledUsec = t === undefined ? null : Math.floor(t / 1000);
    }
    const pids = this.#dir('pids');
    if (pids !== undefined) {
      st.pids.current = numberIn(tryRead(`${pids}/pids.current`));
      st.pids.limit = limitValue(tryRead(`${pids}/pids.max`));
    }
    return st;
  }

  /** Which freezer it uses: v2 `cgroup.freeze` (Linux 5.2) or the v1 freezer hierarchy. */
  #freezer(): 'v2' | 'v1' | undefined {
    if (this.paths.v2 !== undefined && exists(`${this.paths.v2}/cgroup.freeze`)) return 'v2';
    if (this.paths.v1.freezer !== undefined) return 'v1';
    return undefined;
  }

  /**
   * Whether it is frozen now: v2 `cgroup.events` frozen 1, or v1 `freezer.state` FROZEN.
   * @throws {Error} code `'ERR_CGROUP_UNSUPPORTED'` without a freezer
   */
  frozen(): boolean {
    const f = this.#freezer();
    if (f === 'v2') return keyed(tryRead(`${this.paths.v2}/cgroup.events`)).get('frozen') === 1;
    if (f === 'v1') return readText(`${this.paths.v1.freezer}/freezer.state`).trim() === 'FROZEN';
    throw unsupported('freezing', 'neither cgroup v2 cgroup.freeze nor a v1 freezer hierarchy');
  }

  /**
   * Freezes every process in it and below it, and resolves once all are
   * frozen: v2 writes 1 to `cgroup.freeze` and waits for `cgroup.events` to
   * say frozen 1; v1 writes FROZEN to `freezer.state` and waits for it to read
   * FROZEN (FREEZING meanwhile). Polls with a pause growing to 20 ms; there is
   * no time limit of its own, pass `options.signal` for one.
   * @throws {Error} code `'ERR_CGROUP_UNSUPPORTED'` without a freezer
   * @throws {AbortError} when `options.signal` aborts
   * @throws {SyscallError} from writing the file
   */
  async freeze(options?: CgroupWaitOptions): Promise<void> {
    await this.#setFrozen(true, options);
  }

  /**
   * Thaws it: v2 `cgroup.freeze` 0 (waiting for `cgroup.events` frozen 0),
   * v1 `freezer.state` THAWED. As {@link Cgroup.freeze}.
   */
  async thaw(options?: CgroupWaitOptions): Promise<void> {
    await this.#setFrozen(false, options);
  }

  async #setFrozen(on: boolean, options: CgroupWaitOptions | undefined): Promise<void> {
    const o = validateObject<CgroupWaitOptions>(options, 'options') ?? {};
    const signal = validateAbortSignal(o.signal);
    this.#alive();
    const f = this.#freezer();
    if (f === 'v2') {
      writeText(`${this.paths.v2}/cgroup.freeze`, on ? '1' : '0');
      await until(() => keyed(tryRead(`${this.paths.v2}/cgroup.events`)).get('frozen') === (on ? 1 : 0), signal);
    } else if (f === 'v1') {
      const file = `${this.paths.v1.freezer}/freezer.state`;
      const want = on ? 'FROZEN' : 'THAWED';
      writeText(file, want);
      await until(() => readText(file).trim() === want, signal);
    } else {
      throw unsupported('freezing', 'neither cgroup v2 cgroup.freeze nor a v1 freezer hierarchy');
    }
  }

  #refuseSelf(): void {
    if (this.procs().includes(process.pid)) {
      throw errorWithCode('ERR_CGROUP_SELF', `cgroup ${this.name} holds this process (${process.pid}): refusing to signal it`);
    }
  }

  /**
   * Sends `signal` to every process in it and below it. SIGKILL with v2
   * `cgroup.kill` (Linux 5.14) is one write that the kernel applies to the
   * whole subtree, new forks included. Otherwise it freezes the cgroup (so
   * nothing forks meanwhile), kill(2)s each pid of `cgroup.procs`, and thaws
   * it again unless it was frozen before (v2 frozen processes still die of
   * SIGKILL; v1 ones act on signals only once thawed). Without any freezer
   * the pids are signalled once, without that guarantee.
   * @param signal a name or number, default `'SIGKILL'`
   * @throws {Error} code `'ERR_CGROUP_SELF'` if the calling process is inside (nothing is signalled)
   * @throws {SyscallError} `kill` EPERM; ESRCH (gone meanwhile) is ignored
   * @see https://man7.org/linux/man-pages/man2/kill.2.html
   */
  async kill(signal: number | string = 'SIGKILL', options?: CgroupWaitOptions): Promise<void> {
    const sig = toSignal(signal, 'signal');
    const o = validateObject<CgroupWaitOptions>(options, 'options') ?? {};
    validateAbortSignal(o.signal);
    this.#alive();
    this.#refuseSelf();
    const v2 = this.paths.v2;
    if (sig === constants.SIGKILL && v2 !== undefined && exists(`${v2}/cgroup.kill`)) {
      writeText(`${v2}/cgroup.kill`, '1');
      return;
    }
    const f = this.#freezer();
    const wasFrozen = f !== undefined && this.frozen();
    if (f !== undefined && !wasFrozen) await this.freeze(o);
    try {
      this.#refuseSelf();
      for (const pid of this.procs()) {
        try {
          killPid(pid, sig);
        } catch (e) {
          if ((e as SyscallError).code !== 'ESRCH') throw e;
        }
      }
    } finally {
      if (f !== undefined && !wasFrozen) await this.thaw(o);
    }
  }

  /**
   * Puts children into it before they exec: one plan step per hierarchy,
   * `{ op: 'write', fd, data: '0' }` to a descriptor of its `cgroup.procs`
   * (writing 0 moves the writing process, cgroups(7)), v2 first. The
   * descriptors are opened O_WRONLY|O_CLOEXEC here, once, and are reused
   * by later calls until {@link Cgroup.release} or {@link Cgroup.destroy}
   * closes them. A failed write makes fork/clone throw (`write`, with the
   * step's errno) and the child is reaped.
   * @throws {SyscallError} `open` of a `cgroup.procs` file
   */
  joinSteps(options?: JoinOptions): Step[] {
    const o = validateObject<JoinOptions>(options, 'options') ?? {};
    if (o.v2 !== undefined && typeof o.v2 !== 'boolean') throw invalidArgType('options.v2', 'of type boolean', o.v2);
    this.#alive();
    const steps: Step[] = [];
    for (const d of this.#dirs()) {
      if (d === this.paths.v2 && o.v2 === false) continue;
      steps.push({ op: 'write', fd: this.#fd(`${d}/cgroup.procs`, constants.O_WRONLY), data: '0' });
    }
    return steps;
  }

  /**
   * A descriptor of its v2 directory (O_RDONLY|O_DIRECTORY|O_CLOEXEC) for
   * `clone(flags, plan, { cgroup })`, which starts the child in it
   * (clone3 CLONE_INTO_CGROUP, Linux 5.7). Opened once; owned by the Cgroup
   * and closed by {@link Cgroup.release} or {@link Cgroup.destroy}: do not close it yourself.
   * @throws {Error} code `'ERR_CGROUP_UNSUPPORTED'` when cgroup v2 is not mounted
   * @throws {SyscallError} `open`
   */
  v2Fd(): number {
    this.#alive();
    if (this.paths.v2 === undefined) throw unsupported('CLONE_INTO_CGROUP', 'cgroup v2 is not mounted');
    return this.#fd(this.paths.v2, constants.O_RDONLY | constants.O_DIRECTORY);
  }

  #fd(path: string, flags: number): number {
    let fd = this.#fds.get(path);
    if (fd === undefined) {
      fd = open(path, flags);
      this.#fds.set(path, fd);
    }
    return fd;
  }

  /**
   * Closes the descriptors {@link Cgroup.joinSteps} and {@link Cgroup.v2Fd}
   * opened. Call it once the children are started; later calls of those open
   * new ones. The cgroup itself stays.
   */
  release(): void {
    for (const fd of this.#fds.values()) {
      try {
        close(fd);
      } catch { /* already closed by someone else: nothing to release */ }
    }
    this.#fds.clear();
  }

  /**
   * Removes it: kills everything in it and below it (SIGKILL, see
   * {@link Cgroup.kill}; a frozen cgroup is thawed so v1 processes can die),
   * waits until it is empty (v2 `cgroup.events` populated 0, no pid left in
   * any `cgroup.procs`), and rmdir(2)s its directories, the deepest first, in
   * every hierarchy. Closes its descriptors. Idempotent: directories already
   * gone are fine, and a second call after success does nothing. Processes
   * need not be reaped first (zombies hold no cgroup).
   * @throws {Error} code `'ERR_CGROUP_SELF'` if the calling process is inside
   * @throws {AbortError} when `options.signal` aborts the wait (call again to finish)
   * @throws {SyscallError} `rmdir` (EBUSY if something keeps it populated), `kill`
   */
  async destroy(options?: CgroupWaitOptions): Promise<void> {
    const o = validateObject<CgroupWaitOptions>(options, 'options') ?? {};
    const signal = validateAbortSignal(o.signal);
    this.release();
    if (this.#destroyed) return;
    if (this.#destroying === undefined) {
      this.#destroying = this.#destroy(signal).then(
        () => { this.#destroyed = true; },
        (e) => { this.#destroying = undefined; throw e; },
      );
    }
    await this.#destroying;
  }

  async #destroy(signal: AbortSignal | undefined): Promise<void> {
    let dirs = this.#dirs().filter(exists);
    if (dirs.length === 0) return;
    // Fast path: a cgroup whose processes are gone (a container whose init
    // was reaped) goes at the first rmdir; only EBUSY needs the kill and wait.
    dirs = dirs.filter((d) => !rmdirTree(d));
    if (dirs.length === 0) return;
    this.#refuseSelf();
    if (this.procs().length > 0) {
      await this.kill('SIGKILL', { signal });
      const f = this.#freezer();
      if (f !== undefined && this.frozen()) await this.thaw({ signal });
    }
    const v2 = this.paths.v2;
    await until(() => {
      const left = this.procs();
      for (const pid of left) {
        try {
          killPid(pid, 'SIGKILL');
        } catch { /* gone */ }
      }
      const populated = v2 === undefined ? 0 : keyed(tryRead(`${v2}/cgroup.events`)).get('populated') ?? 0;
      return left.length === 0 && populated === 0;
    }, signal);
    for (const d of dirs) {
      for (const s of subtree(d)) {
        let pause = 1;
        for (;;) {
          try {
            fs.rmdirSync(s);
            break;
          } catch (e) {
            const code = (e as NodeJS.ErrnoException).code;
            if (code === 'ENOENT') break;
            if (code !== 'EBUSY' || pause > 200) throw fromNode(e, s);
            if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
            await sleep(pause);
            pause *= 2;
          }
        }
      }
    }
  }
}

/** Enables v2 controllers for the parent's children, explaining the "no internal processes" EBUSY. */
function enableV2(parent: string, enable: string[], required: Set<string>, where: Record<string, CgroupHierarchy>): void {
  const file = `${parent}/cgroup.subtree_control`;
  const on = readText(file).trim().split(/\s+/);
  const missing = enable.filter((c) => !on.includes(c));
  if (missing.length === 0) return;
  try {
    writeText(file, missing.map((c) => `+${c}`).join(' '));
  } catch (e) {
    if (!(e instanceof SyscallError) || e.code !== 'EBUSY') throw e;
    const needed = missing.filter((c) => required.has(c));
    if (needed.length === 0) {
      // Only wanted for statistics: go without them.
      for (const c of missing) delete where[c];
      return;
    }
    throw explainBusy(e, parent, needed, pidsIn(parent));
  }
}

/**
 * The EBUSY of cgroup.subtree_control with what it means and what to do. @internal
 */
export function explainBusy(err: SyscallError, parent: string, controllers: readonly string[], pids: readonly number[]): SyscallError {
  const shown = pids.length > 8 ? `${pids.slice(0, 8).join(', ')} …` : pids.join(', ');
  (err as { message: string }).message += `: cgroup v2's "no internal processes" rule: ${parent} holds processes`
    + `${pids.length > 0 ? ` (${shown})` : ''}, so the ${controllers.join(', ')} controller${controllers.length > 1 ? 's' : ''}`
    + ' cannot be enabled for its children. Run from a leaf of a delegated cgroup (move this process into a child'
    + ' cgroup such as <parent>/supervisor first, as systemd Delegate=yes services do), or pass options.parent'
    + ' naming a cgroup without processes';
  Error.captureStackTrace(err, Cgroup.create);
  return err;
}

/** A new v1 cpuset has empty cpus and mems and takes no task: copy the parent's. */
function copyCpuset(parent: string, dir: string): void {
  for (const f of ['cpuset.cpus', 'cpuset.mems']) {
    const v = tryRead(`${parent}/${f}`);
    if (v !== undefined && v.trim() !== '' && tryRead(`${dir}/${f}`)?.trim() === '') writeText(`${dir}/${f}`, v.trim());
  }
}
