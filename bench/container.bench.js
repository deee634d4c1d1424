'use strict';
// Container start-to-exit: /bin/true in a busybox rootfs with new pid, mount,
// uts, ipc, net (and cgroup) namespaces, a cgroup, seccomp and a capability
// drop, started by
//  - rawsys/container run() from this (already running) Node process;
//  - the `rawsys run` CLI as a whole process (bin/rawsys.js; where the build
//    has no CLI yet, `node -e "require(container).run(...)"` stands in), with
//    `node -e 0` and `node -e "require(cli)"` beside it to show how much of
//    that is Node's own start-up and loading rawsys;
//  - `crun run` and `runc run` on an OCI bundle made from `runc spec` (or
//    `crun spec`) with the same rootfs, capabilities and seccomp profile;
//  - `bwrap --unshare-all` on the same rootfs;
//  - the kernel floor: clone(2) into the same namespaces + execve + waitpid
//    (bench/container_timer.c clone mode), with no mounts, cgroup or seccomp.
// Whole processes are timed by bench/container_timer.c (posix_spawn +
// waitpid, one clock reading either side of each start), run() by hrtime
// around each `await run(spec)`. Cases run in ROUNDS interleaved rounds (the
// VM runs in fast and slow phases), each case warmed up first; a case's
// figures are the median and p90 of every start over all rounds.
//
// crun, runc and bwrap are installed with apt-get when missing (as root, not
// with BENCH_NO_INSTALL=1); one that cannot be had or refuses to run is
// reported with its message instead of a time (crun 1.8 refuses hybrid
// cgroup hosts: "cgroups in hybrid mode not supported").
//
// Afterwards, with run() wrapped (no change to src/), where one run() goes:
// a timeline of its phases, the marginal cost of init, seccomp and the
// network namespace, and a few direct measurements (seccomp compile, the
// per-capability re-read of /proc/sys/kernel/cap_last_cap, joining a cgroup
// v1 hierarchy versus clone into a v2 cgroup).
const { execFileSync, spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { median, rme } = require('./stats.js');

const ROOT = path.join(__dirname, '..');
const DIST = path.join(ROOT, 'dist', 'cjs');
const CONTAINER_JS = path.join(DIST, 'container.js');
const CLI_JS = path.join(DIST, 'cli.js');
const BIN_JS = path.join(ROOT, 'bin', 'rawsys.js');

const ROUNDS = Number(process.env.BENCH_ROUNDS) || 5;
// Starts per case and round: about 1 s per case and round at most.
const PER_ROUND = { inproc: 40, fast: 40, slow: 20, node: 10 };
const WARMUP = { inproc: 10, fast: 5, slow: 3, node: 2 };
const BREAKDOWN_RUNS = Number(process.env.BENCH_BREAKDOWN_RUNS) || 60;
const VARIANT_ROUNDS = 18; // of VARIANT_BLOCK runs per variant, the variants' order rotating
const VARIANT_BLOCK = 5;

const SBIN = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

function which(name) {
  for (const d of SBIN) {
    const p = path.join(d, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch { /* not here */ }
  }
  return null;
}

const log = (s) => process.stderr.write(`  ${s}\n`);
const firstLine = (s) => String(s || '').trim().split('\n')[0].trim();

/** `name` from PATH, apt-get installing `pkg` when missing; { path } or { path: null, why }. */
function ensureTool(name, pkg, state) {
  let p = which(name);
  if (p) return { path: p };
  if (process.env.BENCH_NO_INSTALL === '1') return { path: null, why: `${name} is not installed (BENCH_NO_INSTALL=1)` };
  if (process.getuid() !== 0 || !which('apt-get')) return { path: null, why: `${name} is not installed and apt-get cannot be used here` };
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', '--no-install-recommends', pkg], { env, encoding: 'utf8' });
  log(`installing ${pkg} with apt-get`);
  let r = install();
  if (r.status !== 0 && !state.updated) {
    state.updated = true;
    spawnSync('apt-get', ['update'], { env, stdio: 'ignore' });
    r = install();
  }
  p = which(name);
  if (p) return { path: p, installed: pkg };
  return { path: null, why: `apt-get install ${pkg} failed: ${firstLine(r.stderr) || `exit ${r.status}`}` };
}

/** Whether an ELF file has no program interpreter (PT_INTERP), i.e. is static. */
function isStaticElf(file) {
  const fd = fs.openSync(file, 'r');
  try {
    const h = Buffer.alloc(64);
    fs.readSync(fd, h, 0, 64, 0);
    if (h.readUInt32BE(0) !== 0x7f454c46 || h[4] !== 2) return false; // ELF64 only
    const phoff = Number(h.readBigUInt64LE(32));
    const phentsize = h.readUInt16LE(54);
    const phnum = h.readUInt16LE(56);
    const ph = Buffer.alloc(phentsize * phnum);
    fs.readSync(fd, ph, 0, ph.length, phoff);
    for (let i = 0; i < phnum; i++) if (ph.readUInt32LE(i * phentsize) === 3) return false;
    return true;
  } finally {
    fs.closeSync(fd);
  }
}

/** A static busybox: the host's (busybox-static), installed if need be. */
function staticBusybox(state) {
  const ok = () => ['/bin/busybox', '/usr/bin/busybox'].find((p) => fs.existsSync(p) && isStaticElf(p));
  let p = ok();
  if (!p && process.env.BENCH_NO_INSTALL !== '1' && process.getuid() === 0 && which('apt-get')) {
    ensureTool('busybox-static-probe', 'busybox-static', state); // installs the package; the probe name never exists
    p = ok();
  }
  if (!p) throw new Error('container bench: needs a static busybox (Debian package busybox-static)');
  return p;
}

/** A temp dir holding rootfs/ (busybox and its applets in /bin) and the OCI bundle's config.json. */
function makeBundle(busybox) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rawsys-bench-ctr-'));
  const rootfs = path.join(dir, 'rootfs');
  for (const d of ['bin', 'proc', 'dev', 'sys', 'tmp', 'etc', 'root']) fs.mkdirSync(path.join(rootfs, d), { recursive: true });
  fs.copyFileSync(busybox, path.join(rootfs, 'bin', 'busybox'));
  fs.chmodSync(path.join(rootfs, 'bin', 'busybox'), 0o755);
  const applets = execFileSync(busybox, ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => /^[\w.[-]+$/.test(a) && a !== 'busybox');
  for (const a of applets) fs.symlinkSync('busybox', path.join(rootfs, 'bin', a));
  fs.writeFileSync(path.join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  fs.writeFileSync(path.join(rootfs, 'etc', 'group'), 'root:x:0:\n');
  return { dir, rootfs, applets: applets.length, busyboxVersion: firstLine(spawnSync(busybox, [], { encoding: 'utf8' }).stdout) };
}

/**
 * rawsys's default seccomp profile (Docker's shape, with includes/excludes)
 * resolved for `caps` on this architecture into a plain OCI linux.seccomp,
 * so runc and crun load the same rules rawsys does.
 */
function ociSeccomp(profile, caps) {
  const arch = { x64: 'amd64', arm64: 'arm64' }[process.arch] || process.arch;
  const kernel = os.release().split(/[.-]/).map(Number);
  const atLeast = (v) => {
    const w = String(v).split('.').map(Number);
    for (let i = 0; i < 2; i++) if ((kernel[i] || 0) !== (w[i] || 0)) return (kernel[i] || 0) > (w[i] || 0);
    return true;
  };
  const held = new Set(caps);
  const applies = (r) => {
    const i = r.includes || {};
    const e = r.excludes || {};
    if ((e.arches || []).includes(arch) || (e.caps || []).some((c) => held.has(c)) || (e.minKernel && atLeast(e.minKernel))) return false;
    if ((i.arches || []).length && !i.arches.includes(arch)) return false;
    if ((i.caps || []).some((c) => !held.has(c)) || (i.minKernel && !atLeast(i.minKernel))) return false;
    return true;
  };
  const errno = (v) => (typeof v === 'string' ? os.constants.errno[v] : v);
  const architectures = process.arch === 'x64' ? ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']
    : process.arch === 'arm64' ? ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'] : [];
  return {
    defaultAction: profile.defaultAction,
    ...(profile.defaultErrnoRet !== undefined ? { defaultErrnoRet: errno(profile.defaultErrnoRet) } : {}),
    architectures,
    syscalls: profile.syscalls.filter(applies).map((r) => ({
      names: [...r.names],
      action: r.action,
      ...(r.errnoRet !== undefined || r.errno !== undefined ? { errnoRet: errno(r.errnoRet ?? r.errno) } : {}),
      ...(r.args ? { args: r.args.map((a) => ({ index: a.index, value: a.value, valueTwo: a.valueTwo || 0, op: a.op })) } : {}),
    })),
  };
}

/** config.json from `<tool> spec`, adjusted to the run() case: see the notes. */
function writeOciConfig(specTool, bundle, caps, seccomp) {
  execFileSync(specTool, ['spec'], { cwd: bundle.dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const file = path.join(bundle.dir, 'config.json');
  const c = JSON.parse(fs.readFileSync(file, 'utf8'));
  c.process.terminal = false;
  c.process.args = ['/bin/true'];
  c.process.cwd = '/';
  c.process.noNewPrivileges = true;
  c.process.capabilities = { bounding: [...caps], effective: [...caps], permitted: [...caps] };
  c.root = { path: bundle.rootfs, readonly: true };
  c.hostname = 'bench';
  c.linux = c.linux || {};
  delete c.linux.uidMappings; // rootless: false
  delete c.linux.gidMappings;
  c.linux.namespaces = ['pid', 'mount', 'uts', 'ipc', 'network', 'cgroup'].map((type) => ({ type }));
  c.linux.seccomp = seccomp;
  fs.writeFileSync(file, JSON.stringify(c, null, 2));
  return c;
}

/** { median, p90, mean, min, max, n, rme } in ns of a list of ns. */
function summary(xs) {
  if (!xs.length) return null;
  const a = xs.slice().sort((x, y) => x - y);
  return {
    median: median(a),
    p90: a[Math.max(0, Math.ceil(a.length * 0.9) - 1)],
    mean: a.reduce((s, x) => s + x, 0) / a.length,
    min: a[0],
    max: a[a.length - 1],
    n: a.length,
    rme: rme(a),
  };
}

const ms = (ns) => (ns === null || ns === undefined ? '—' : `${(ns / 1e6).toFixed(2)} ms`);

module.exports = async function runBench({ floorBins = {} } = {}) {
  const timer = floorBins.container_timer;
  if (!timer) throw new Error('container bench: bench/container_timer.c did not build (no C compiler?)');
  const ctr = require(CONTAINER_JS);
  const seccompMod = require(path.join(DIST, 'seccomp.js'));
  const state = {};

  // --- tools and the bundle ---------------------------------------------------
  const busybox = staticBusybox(state);
  const bundle = makeBundle(busybox);
  const tools = {
    bwrap: ensureTool('bwrap', 'bubblewrap', state),
    crun: ensureTool('crun', 'crun', state),
    runc: ensureTool('runc', 'runc', state),
  };
  for (const [k, t] of Object.entries(tools)) {
    t.version = t.path ? firstLine(spawnSync(t.path, ['--version'], { encoding: 'utf8' }).stdout) : null;
    log(`${k}: ${t.path ? `${t.path} (${t.version})` : `skipped: ${t.why}`}`);
  }
  const caps = [...ctr.DEFAULT_CAPABILITIES];
  const seccomp = ociSeccomp(seccompMod.defaultSeccompProfile(), caps);
  const specTool = tools.runc.path || tools.crun.path;
  const ociConfig = specTool ? writeOciConfig(specTool, bundle, caps, seccomp) : null;
  const spec = { rootfs: bundle.rootfs, command: ['/bin/true'], readonly: true };

  const hasCli = fs.existsSync(CLI_JS) && fs.existsSync(BIN_JS);
  const node = process.execPath;
  const js = (s) => JSON.stringify(s);
  const standIn = `require(${js(CONTAINER_JS)}).run({ rootfs: ${js(bundle.rootfs)}, command: ['/bin/true'], readonly: true })`
    + '.then((r) => { process.exitCode = r.exitCode; })';

  // --- cases --------------------------------------------------------------------
  // kind: inproc (run() here), spawn/clone (container_timer). size: PER_ROUND key.
  const cases = [
    { id: 'run', label: 'rawsys run() in-process', kind: 'inproc', size: 'inproc', spec },
    { id: 'run-noinit', label: 'rawsys run() in-process, init: false', kind: 'inproc', size: 'inproc', spec: { ...spec, init: false } },
    { id: 'floor', label: 'C clone (6 namespaces) + execve + wait', kind: 'clone', size: 'fast', argv: [path.join(bundle.rootfs, 'bin', 'busybox'), 'true'] },
    { id: 'bwrap', label: 'bwrap --unshare-all', kind: 'spawn', size: 'fast', tool: 'bwrap',
      argv: [tools.bwrap.path, '--unshare-all', '--die-with-parent', '--ro-bind', bundle.rootfs, '/', '--proc', '/proc', '--dev', '/dev', '/bin/true'] },
    { id: 'crun', label: 'crun run', kind: 'spawn', size: 'slow', tool: 'crun', argv: [tools.crun.path, 'run', '-b', bundle.dir, 'rsb-crun-{i}'] },
    { id: 'runc', label: 'runc run', kind: 'spawn', size: 'slow', tool: 'runc', argv: [tools.runc.path, 'run', '-b', bundle.dir, 'rsb-runc-{i}'] },
    hasCli
      ? { id: 'cli', label: 'rawsys run CLI', kind: 'spawn', size: 'node', argv: [node, BIN_JS, 'run', '--read-only', '--rootfs', bundle.rootfs, '--', '/bin/true'] }
      : null,
    { id: 'standin', label: 'node -e "require(rawsys/container).run(...)"', kind: 'spawn', size: 'node', argv: [node, '-e', standIn] },
    { id: 'node-require', label: `node -e "require(${hasCli ? 'dist/cjs/cli.js' : 'dist/cjs/container.js'})"`, kind: 'spawn', size: 'node',
      argv: [node, '-e', `require(${js(hasCli ? CLI_JS : CONTAINER_JS)})`] },
    { id: 'node0', label: 'node -e 0', kind: 'spawn', size: 'node', argv: [node, '-e', '0'] },
  ].filter(Boolean);

  const timed = (c, n) => {
    if (c.kind === 'inproc') return null;
    const r = spawnSync(timer, [c.kind, String(n), '--', ...c.argv], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.status !== 0) {
      const err = new Error(firstLine(r.stderr.split('\n').filter((l) => !l.startsWith('container_timer:')).join('\n'))
        || firstLine(r.stderr) || `exit ${r.status}`);
      err.full = r.stderr.trim();
      throw err;
    }
    return JSON.parse(r.stdout);
  };
  const inproc = async (c, n) => {
    const out = [];
    for (let i = 0; i < n; i++) {
      const t = process.hrtime.bigint();
      const r = await ctr.run(c.spec);
      out.push(Number(process.hrtime.bigint() - t));
      if (r.exitCode !== 0) throw new Error(`run() exited ${r.exitCode}`);
    }
    return out;
  };
  const batch = (c, n) => (c.kind === 'inproc' ? inproc(c, n) : timed(c, n));

  // Check and warm up every case; one that fails is reported, not timed.
  const status = {};
  for (const c of cases) {
    if (c.tool && !tools[c.tool].path) {
      status[c.id] = { ok: false, why: tools[c.tool].why };
      continue;
    }
    try {
      await batch(c, WARMUP[c.size]);
      status[c.id] = { ok: true };
    } catch (e) {
      status[c.id] = { ok: false, why: `refused to run: ${e.message}`, stderr: e.full || e.message };
    }
    log(`${c.label}: ${status[c.id].ok ? 'ok' : status[c.id].why}`);
  }

  // --- rounds -------------------------------------------------------------------
  const samples = Object.fromEntries(cases.map((c) => [c.id, []]));
  const perRound = Object.fromEntries(cases.map((c) => [c.id, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const c of cases) {
      if (!status[c.id].ok) continue;
      let xs;
      try {
        xs = await batch(c, PER_ROUND[c.size]);
      } catch (e) {
        status[c.id] = { ok: false, why: `failed in round ${round}: ${e.message}`, stderr: e.full || e.message };
        log(`${c.label}: ${status[c.id].why}`);
        continue;
      }
      samples[c.id].push(...xs);
      perRound[c.id].push(median(xs));
    }
    log(`round ${round}/${ROUNDS}: ${cases.filter((c) => status[c.id].ok)
      .map((c) => `${c.id} ${(perRound[c.id][round - 1] / 1e6).toFixed(2)}`).join(', ')} ms (medians)`);
  }
  const res = Object.fromEntries(cases.map((c) => [c.id, {
    label: c.label,
    argv: c.argv ? c.argv.map((a) => (a === standIn ? '<stand-in script>' : a)) : undefined,
    ...status[c.id],
    ...(summary(samples[c.id]) || {}),
    rounds: perRound[c.id],
  }]));

  // --- where run() goes ---------------------------------------------------------
  const breakdown = await whereRunGoes(ctr, spec, caps, bundle.rootfs);

  // runc/crun leave nothing behind when they run in the foreground; check.
  const leftovers = leftoverCgroups(/^rsb-/);

  fs.rmSync(bundle.dir, { recursive: true, force: true });

  // --- rows and targets -----------------------------------------------------------
  const get = (id) => (res[id] && res[id].ok && res[id].median !== undefined ? res[id] : null);
  const whole = hasCli ? 'cli' : 'standin';
  const wholeLabel = hasCli ? 'rawsys run CLI (whole process)' : 'node -e run() (whole-process stand-in: no CLI in this build)';
  const floor = get('floor');
  const row = (name, a, b, note) => {
    const x = get(a);
    const y = get(b);
    const why = !y && res[b] && !res[b].ok ? `${b} ${/refused/.test(res[b].why) ? 'refused to run here' : 'not measured'}, see the notes` : undefined;
    return {
      case: name,
      ...(note || why ? { note: [note, why].filter(Boolean).join('; ') } : {}),
      rawsys_ns: x ? x.median : null,
      rawsys_rme: x ? x.rme : null,
      rawsys_p90_ns: x ? x.p90 : null,
      baseline_ns: y ? y.median : null,
      baseline_rme: y ? y.rme : null,
      baseline_p90_ns: y ? y.p90 : null,
      ratio: x && y ? x.median / y.median : null,
      c_ns: floor && a.startsWith('run') ? floor.median : null,
      ratio_c: floor && x && a.startsWith('run') ? x.median / floor.median : null,
    };
  };
  const heapRows = [];
  const bw = get('bwrap');
  for (const [k, label] of [['small', 'a small process'], ['big', 'a process holding 1 GiB of ArrayBuffers']]) {
    const h = breakdown.heap && breakdown.heap[k];
    if (!h || h.error) continue;
    heapRows.push({
      case: `run() from ${label} vs bwrap --unshare-all`,
      note: `a node child, rss ${h.rssMiB} MiB, ${HEAP_RUNS} runs after the rounds`,
      rawsys_ns: h.median,
      rawsys_rme: h.rme,
      rawsys_p90_ns: h.p90,
      baseline_ns: bw ? bw.median : null,
      baseline_rme: bw ? bw.rme : null,
      baseline_p90_ns: bw ? bw.p90 : null,
      ratio: bw ? h.median / bw.median : null,
      c_ns: floor ? floor.median : null,
      ratio_c: floor ? h.median / floor.median : null,
    });
  }
  const rows = [
    row('run() from a running process vs bwrap --unshare-all', 'run', 'bwrap'),
    row('run() with init: false vs bwrap --unshare-all', 'run-noinit', 'bwrap'),
    row('run() from a running process vs crun run', 'run', 'crun'),
    row('run() from a running process vs runc run', 'run', 'runc'),
    ...heapRows,
    row(`${wholeLabel} vs crun run`, whole, 'crun'),
    row(`${wholeLabel} vs runc run`, whole, 'runc'),
    row(`${wholeLabel} vs bwrap --unshare-all`, whole, 'bwrap'),
  ];
  if (hasCli) rows.push(row('node -e run() (no CLI parsing) vs runc run', 'standin', 'runc'));
  rows.push(row(`node -e require(${hasCli ? 'cli.js' : 'container.js'}): Node start-up + loading rawsys`, 'node-require', null));
  rows.push(row('node -e 0: Node\'s own start-up', 'node0', null));

  const ratio = (a, b) => {
    const x = get(a);
    const y = get(b);
    return x && y ? { value: x.median / y.median, rme: x.rme + y.rme } : { value: null, rme: 0 };
  };
  const target = (name, limit, unit, m) => ({ target: name, limit, unit, ...m, pass: m.value !== null && m.value <= limit });
  const crunWhy = res.crun && !res.crun.ok ? ` — crun ${res.crun.why}` : '';
  const targets = [
    target('run() from a running process faster than bwrap\'s whole-process start', 1, 'run() / bwrap', ratio('run', 'bwrap')),
    target(`${hasCli ? 'the CLI' : 'the stand-in'} within 1.5x of crun${crunWhy}`, 1.5, `${whole} / crun`, ratio(whole, 'crun')),
    // While crun refuses this host, runc is the OCI runtime measured here.
    target(`${hasCli ? 'the CLI' : 'the stand-in'} within 1.5x of runc (extra: the OCI runtime that runs here)`, 1.5, `${whole} / runc`, ratio(whole, 'runc')),
  ];

  const n0 = get('node0');
  const nr = get('node-require');
  const wh = get(whole);
  const share = n0 && wh ? n0.median / wh.median : null;
  const startup = {
    node0_ns: n0 ? n0.median : null,
    nodeRequire_ns: nr ? nr.median : null,
    whole_ns: wh ? wh.median : null,
    nodeShare: share,
    loadShare: nr && wh && n0 ? (nr.median - n0.median) / wh.median : null,
    containerShare: nr && wh ? (wh.median - nr.median) / wh.median : null,
  };

  const t = (id) => (res[id] ? (res[id].ok ? `${ms(res[id].median)} median, ${ms(res[id].p90)} p90` : res[id].why) : 'not run');
  const notes = [
    `Start-to-exit of /bin/true (static busybox ${bundle.busyboxVersion.replace(/^BusyBox /, '')} from ${busybox}, ${bundle.applets} applet links)`
      + ' in a fresh rootfs, read-only root. Each case was warmed up, then ran in '
      + `${ROUNDS} interleaved rounds (per round: ${PER_ROUND.inproc} run(), ${PER_ROUND.fast} bwrap and C floor, `
      + `${PER_ROUND.slow} crun/runc, ${PER_ROUND.node} Node processes). ms/op: the median of every start over all rounds;`
      + ' p90 columns: the 90th percentile; ± is the relative margin of error of the mean. Whole processes are timed by'
      + ' bench/container_timer.c (posix_spawn + waitpid around each start, stdin/stdout /dev/null); run() by hrtime around'
      + ' `await run(spec)` in the bench process (cgroup create, clone, setup, exec, wait, stats, cgroup removal).',
    '',
    `- rawsys: \`run({ rootfs, command: ['/bin/true'], readonly: true })\`: new pid, mount, uts, ipc, cgroup and net namespaces`
      + ' (lo up), a cgroup (here: v2 plus the v1 memory, cpu and pids hierarchies of this hybrid host), Docker\'s default'
      + ' capabilities, no_new_privs, the default seccomp profile (compiled once, cached), /proc, /dev, /sys, /tmp, masked'
      + ` paths, pivot_root, and the native init (PID 1) unless init: false. ${hasCli
        ? 'CLI: `node bin/rawsys.js run --read-only --rootfs ROOTFS -- /bin/true`.'
        : 'No CLI in this build (dist/cjs/cli.js, bin/rawsys.js): the whole-process rows time `node -e "require(\'rawsys/container\').run(...)"`.'}`,
    `- crun/runc: \`run -b BUNDLE ID\` (foreground, removes the container at exit), config.json from \`${specTool ? path.basename(specTool) : '?'} spec\``
      + ' adjusted: terminal false, args ["/bin/true"], read-only root, namespaces pid, mount, uts, ipc, network and cgroup,'
      + ' no user namespace (rootless false), Docker\'s default capabilities, noNewPrivileges, and rawsys\'s default seccomp'
      + ' profile resolved for those capabilities into OCI form; the spec\'s mounts, masked and read-only paths kept.'
      + ' The runtime makes its cgroup beneath the bench\'s own.',
    '- bwrap: `bwrap --unshare-all --die-with-parent --ro-bind ROOTFS / --proc /proc --dev /dev /bin/true` (no cgroup, no seccomp).',
    '- C floor: clone(2) with the same six namespaces, execve of the rootfs\'s busybox `true`, waitpid: no mounts, cgroup, seccomp or caps.',
    '',
    'Results: '
      + ['run', 'run-noinit', 'floor', 'bwrap', 'crun', 'runc', 'cli', 'standin', 'node-require', 'node0']
        .filter((id) => res[id]).map((id) => `${res[id].label}: ${t(id)}`).join('; ') + '.',
    ...(Object.entries(tools).filter(([, v]) => v.path).length
      ? ['', `Tools: ${Object.entries(tools).map(([k, v]) => `${k} ${v.path ? v.version : `(${v.why})`}`).join(', ')}.`] : []),
    ...(share !== null
      ? ['', `Node start-up: \`node -e 0\` is ${ms(n0.median)}, ${(share * 100).toFixed(0)}% of the ${hasCli ? 'CLI' : 'stand-in'}'s ${ms(wh.median)}`
        + (startup.loadShare !== null ? `; loading rawsys adds ${ms(nr.median - n0.median)} (${(startup.loadShare * 100).toFixed(0)}%),`
          + ` the container itself ${ms(wh.median - nr.median)} (${(startup.containerShare * 100).toFixed(0)}%).` : '.')]
      : []),
    '',
    ...breakdownNotes(breakdown),
  ];

  return {
    name: 'container',
    title: 'Container start-to-exit of /bin/true: rawsys run() and CLI against crun, runc and bwrap',
    labels: { rawsys: 'rawsys', baseline: 'other runtime', c: 'C clone into the namespaces' },
    unit: 'ms',
    chart: { log: true },
    notes,
    extraColumns: [
      { title: 'rawsys p90 ms/op', key: 'rawsys_p90_ns' },
      { title: 'other p90 ms/op', key: 'baseline_p90_ns' },
    ],
    rows,
    targets,
    rounds: ROUNDS,
    perRound: PER_ROUND,
    cli: hasCli ? 'bin/rawsys.js' : null,
    startup,
    tools: Object.fromEntries(Object.entries(tools).map(([k, v]) => [k, { path: v.path, version: v.version, ...(v.why ? { why: v.why } : {}), ...(v.installed ? { installed: v.installed } : {}) }])),
    busybox: { path: busybox, version: bundle.busyboxVersion, applets: bundle.applets },
    ociConfig: ociConfig ? { ...ociConfig, linux: { ...ociConfig.linux, seccomp: `${seccomp.syscalls.length} rules (rawsys default profile, resolved)` } } : null,
    cases: res,
    breakdown,
    leftovers,
  };
};

// -----------------------------------------------------------------------------
// Where run() goes

/**
 * Wraps what run() calls (Cgroup.create, stats and destroy, the addon's
 * spawnAsync and waitAsync, compileSeccomp, and fs.readFileSync of
 * /proc/sys/kernel/cap_last_cap, which the plan compiler reads once per
 * capability) to timestamp each phase of a run, with no change to src/.
 * begin() and end() bracket one run; end() returns its marks.
 */
function instrument() {
  const { native } = require(path.join(DIST, 'binding.js'));
  const { Cgroup } = require(path.join(DIST, 'cgroup.js'));
  const seccompMod = require(path.join(DIST, 'seccomp.js'));
  const now = () => Number(process.hrtime.bigint());
  let cur = null;
  const mark = (k) => {
    if (cur && cur[k] === undefined) cur[k] = now();
  };
  const restore = [];
  const wrap = (obj, name, before, after, isAsync) => {
    const f = obj[name];
    restore.push(() => { obj[name] = f; });
    obj[name] = function wrapped(...a) {
      const ctx = before(a);
      const r = f.apply(this, a);
      if (isAsync && r && typeof r.then === 'function') return r.then((v) => { after(ctx); return v; });
      after(ctx);
      return r;
    };
  };
  wrap(Cgroup, 'create', () => mark('cgCreate0'), () => mark('cgCreate1'), false);
  // Before the spawn: the OOM-kill baseline (rawsys versions that read one); after: the figures at the exit.
  wrap(Cgroup.prototype, 'stats', () => {
    const before = !!cur && cur.spawn0 === undefined;
    mark(before ? 'stats0' : 'statsEnd0');
    return before;
  }, (before) => mark(before ? 'stats1' : 'statsEnd1'), false);
  wrap(Cgroup.prototype, 'destroy', () => mark('destroy0'), () => mark('destroy1'), true);
  wrap(native, 'spawnAsync', () => mark('spawn0'), () => mark('spawn1'), true);
  wrap(native, 'waitAsync', () => mark('wait0'), () => mark('wait1'), true);
  wrap(seccompMod, 'compileSeccomp', () => now(), (t) => { if (cur) cur.compileNs = (cur.compileNs || 0) + now() - t; }, false);
  wrap(fs, 'readFileSync', (a) => (a[0] === '/proc/sys/kernel/cap_last_cap' ? now() : 0), (t) => {
    if (t && cur) {
      cur.capCalls = (cur.capCalls || 0) + 1;
      cur.capNs = (cur.capNs || 0) + now() - t;
    }
  }, false);
  return {
    begin: () => { cur = { t0: now() }; },
    end: () => {
      const m = cur;
      m.t1 = now();
      cur = null;
      return m;
    },
    restore: () => { for (const r of restore.reverse()) r(); },
  };
}

/** The phases of one run from its marks: [label, ns]. */
function phasesOf(m) {
  const d = (a, b) => (m[a] !== undefined && m[b] !== undefined ? m[b] - m[a] : null);
  const compile = m.compileNs || 0;
  const caps = m.capNs || 0;
  const plan = d(m.stats1 !== undefined ? 'stats1' : 'cgCreate1', 'spawn0');
  const out = [
    ['seccomp: compile the default profile (libseccomp; first run only, then cached)', compile],
    ['validate the spec, hostname, env, realpath, PATH lookup (JS)', d('t0', 'cgCreate0') - compile],
    ['Cgroup.create: mkdir in v2 and each v1 hierarchy', d('cgCreate0', 'cgCreate1')],
    ['Cgroup.stats before the start (OOM-kill baseline; none in later versions)', d('stats0', 'stats1') ?? 0],
    [`plan: ${m.capCalls || 0} reads of /proc/sys/kernel/cap_last_cap`, caps],
    ['plan: the rest (setup steps, Command, buildSpawn, compilePlan) (JS)', plan === null ? null : plan - caps],
    ['spawnAsync: clone3 + cgroup v1 joins + mounts + pivot_root + init + exec (threadpool)', d('spawn0', 'spawn1')],
    ['the payload runs and exits, waitid (threadpool)', d('spawn1', 'wait1')],
    ['Cgroup.stats at the exit', d('statsEnd0', 'statsEnd1')],
    ['Cgroup.destroy: emptiness checks, rmdir in every hierarchy', d('destroy0', 'destroy1')],
  ];
  const known = out.reduce((s, [, v]) => s + (v || 0), 0);
  out.push(['the rest (promise hops, release, between the phases)', m.t1 - m.t0 - known]);
  return out;
}

/** Phase medians over many marks: [{ phase, median, p90 }]. */
function phaseSummary(marks) {
  const all = marks.map(phasesOf);
  const labels = all[0].map(([l]) => l.replace(/^plan: \d+ reads/, 'plan: the reads'));
  return labels.map((phase, i) => {
    const s = summary(all.map((p) => p[i][1]).filter((v) => v !== null));
    return { phase, median: s ? s.median : null, p90: s ? s.p90 : null };
  });
}

/**
 * Hot runs with the phases timed, variants for marginal costs, a few pieces
 * timed directly, and cold starts: fresh `node` processes timing their own
 * start-up, require and first run() (this file with --cold).
 */
async function whereRunGoes(ctr, spec, caps, rootfs) {
  const plan = require(path.join(DIST, 'plan.js'));
  const seccompMod = require(path.join(DIST, 'seccomp.js'));
  const { Cgroup, cgroupLayout } = require(path.join(DIST, 'cgroup.js'));
  const { toCapability } = require(path.join(DIST, 'creds.js'));
  const now = () => Number(process.hrtime.bigint());

  const ins = instrument();
  const marks = [];
  try {
    for (let i = 0; i < BREAKDOWN_RUNS + 5; i++) {
      ins.begin();
      await ctr.run(spec);
      const m = ins.end();
      if (i >= 5) marks.push(m);
    }
  } finally {
    ins.restore();
  }
  const total = summary(marks.map((m) => m.t1 - m.t0));

  // Variants, interleaved, for marginal costs.
  const variants = [
    ['default', spec],
    ['init: false', { ...spec, init: false }],
    ["seccomp: 'unconfined'", { ...spec, seccomp: 'unconfined' }],
    ["network: 'host' (no net namespace)", { ...spec, network: 'host' }],
  ];
  // On a hybrid host: the container's cgroup beneath a parent made with a
  // v2-only layout, so it has no v1 directories to join (and no v1 memory,
  // cpu or pids figures): what the v1 joins cost.
  const layout = cgroupLayout();
  let v2parent = null;
  if (layout.v2 !== undefined && Object.keys(layout.v1).some((k) => !k.startsWith('name='))) {
    v2parent = Cgroup.create({ layout: { ...layout, mode: 'unified', v1: {}, roots: { ...layout.roots, v1: {} } } });
    variants.push(['cgroup v2 only (cgroupParent: a v2-only Cgroup; no v1 joins)', { ...spec, cgroupParent: v2parent }]);
  }
  const vs = Object.fromEntries(variants.map(([k]) => [k, []]));
  try {
    for (let r = 0; r < VARIANT_ROUNDS; r++) {
      for (let j = 0; j < variants.length; j++) {
        const [k, s] = variants[(j + r) % variants.length];
        for (let i = 0; i < VARIANT_BLOCK; i++) {
          const t0 = now();
          await ctr.run(s);
          vs[k].push(now() - t0);
        }
      }
    }
  } finally {
    if (v2parent) await v2parent.destroy();
  }
  const variantRes = variants.map(([k]) => ({ variant: k, ...summary(vs[k]) }));
  for (const v of variantRes) v.delta = v.median - variantRes[0].median;

  // Pieces timed directly.
  const capNums = caps.map((c, i) => toCapability(c, `caps[${i}]`));
  const compile = [];
  for (let i = 0; i < 5; i++) {
    const t0 = now();
    seccompMod.compileSeccomp(seccompMod.defaultSeccompProfile(), { capabilities: capNums });
    compile.push(now() - t0);
  }
  const capReads = [];
  for (let i = 0; i < 200; i++) {
    const t0 = now();
    plan.lastCap();
    capReads.push(now() - t0);
  }
  const attach = await cgroupAttach(Cgroup);
  const cold = coldStarts(rootfs);
  const heap = { small: heapRuns(rootfs, 'small'), big: heapRuns(rootfs, 'big') };

  return {
    runs: marks.length,
    total,
    phases: phaseSummary(marks),
    variants: variantRes,
    seccompCompileUncached: summary(compile),
    lastCap: { callsPerRun: median(marks.map((m) => m.capCalls || 0)), nsPerCall: summary(capReads).median },
    cgroupAttach: attach,
    cold,
    heap,
  };
}

/**
 * The cost of moving a process into a cgroup by writing its cgroup.procs,
 * after 40 ms with no migration ("quiet") and right after another one
 * ("hot"), in a v1 hierarchy and in v2 (which run() avoids with
 * CLONE_INTO_CGROUP). The process is a `sleep` this bench starts, in a
 * cgroup it makes beneath its own; all removed afterwards.
 */
async function cgroupAttach(Cgroup) {
  const out = { v1Quiet: [], v1Hot: [], v2Quiet: [] };
  const pause = (ms) => new Promise((r) => setTimeout(r, ms));
  for (let i = 0; i < 8; i++) {
    const cg = Cgroup.create();
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await new Promise((resolve, reject) => { child.once('spawn', resolve); child.once('error', reject); });
      const v1 = [...new Set(Object.entries(cg.paths.v1).filter(([k]) => !k.startsWith('name=')).map(([, d]) => d))];
      const put = (dir) => {
        const t0 = process.hrtime.bigint();
        fs.writeFileSync(path.join(dir, 'cgroup.procs'), String(child.pid));
        return Number(process.hrtime.bigint() - t0);
      };
      if (v1.length) {
        await pause(40);
        out.v1Quiet.push(put(v1[i % v1.length]));
        if (v1.length > 1) out.v1Hot.push(put(v1[(i + 1) % v1.length]));
      }
      if (cg.paths.v2) {
        await pause(40);
        out.v2Quiet.push(put(cg.paths.v2));
      }
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', r)));
      await cg.destroy();
    }
  }
  return { v1Quiet: summary(out.v1Quiet), v1Hot: summary(out.v1Hot), v2Quiet: summary(out.v2Quiet) };
}

const HEAP_RUNS = 40;

/**
 * run() from a `node` child holding `kind` memory: 'small' (nothing extra)
 * or 'big' (1 GiB of filled ArrayBuffers, outside the V8 heap, which a
 * clone without CLONE_VM copies the page tables of). Returns the summary.
 */
function heapRuns(rootfs, kind) {
  const r = spawnSync(process.execPath, [__filename, '--heap', rootfs, kind], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) return { error: firstLine(r.stderr) || `exit ${r.status}` };
  const got = JSON.parse(r.stdout);
  return { rssMiB: got.rssMiB, ...summary(got.ns) };
}

async function heapMain(rootfs, kind) {
  const keep = [];
  if (kind === 'big') {
    for (let i = 0; i < 16; i++) keep.push(new Float64Array(8 << 20).fill(1)); // 16 x 64 MiB
  }
  const ctr = require(CONTAINER_JS);
  const spec = { rootfs, command: ['/bin/true'], readonly: true };
  for (let i = 0; i < 5; i++) await ctr.run(spec);
  const ns = [];
  for (let i = 0; i < HEAP_RUNS; i++) {
    const t0 = process.hrtime.bigint();
    await ctr.run(spec);
    ns.push(Number(process.hrtime.bigint() - t0));
  }
  process.stdout.write(`${JSON.stringify({ rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20), ns, kept: keep.length })}\n`);
}

const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS) || 10;

/** COLD_RUNS fresh `node bench/container.bench.js --cold ROOTFS`; medians of what they report. */
function coldStarts(rootfs) {
  const got = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    const r = spawnSync(process.execPath, [__filename, '--cold', rootfs], { encoding: 'utf8' });
    if (r.status !== 0) return { error: firstLine(r.stderr) || `exit ${r.status}` };
    got.push(JSON.parse(r.stdout));
  }
  const med = (f) => median(got.map(f));
  const phases = got[0].phases.map(([label], i) => ({ phase: label.replace(/^plan: \d+ reads/, 'plan: the reads'), median: med((g) => g.phases[i][1]) }));
  return {
    runs: got.length,
    bootstrapMs: med((g) => g.bootstrapMs),
    scriptStartMs: med((g) => g.scriptStartMs),
    addonLoadMs: med((g) => g.addonLoadMs),
    containerLoadMs: med((g) => g.containerLoadMs),
    firstRunMs: med((g) => g.firstRunMs),
    secondRunMs: med((g) => g.secondRunMs),
    endMs: med((g) => g.endMs),
    phases,
  };
}

/** In a fresh process: its own start-up, loading rawsys, a first and a second run(); JSON on stdout. */
async function coldMain(rootfs) {
  const { performance } = require('node:perf_hooks');
  const scriptStartMs = performance.now();
  const t = () => performance.now();
  let a = t();
  require(path.join(DIST, 'binding.js')); // the addon (dlopen) and its declarations
  const addonLoadMs = t() - a;
  a = t();
  const ctr = require(CONTAINER_JS);
  const containerLoadMs = t() - a;
  const ins = instrument();
  const spec = { rootfs, command: ['/bin/true'], readonly: true };
  ins.begin();
  a = t();
  const r = await ctr.run(spec);
  const firstRunMs = t() - a;
  const m = ins.end();
  ins.restore();
  if (r.exitCode !== 0) throw new Error(`run() exited ${r.exitCode}`);
  a = t();
  await ctr.run(spec);
  const secondRunMs = t() - a;
  process.stdout.write(`${JSON.stringify({
    bootstrapMs: performance.nodeTiming.bootstrapComplete,
    scriptStartMs,
    addonLoadMs,
    containerLoadMs,
    firstRunMs,
    secondRunMs,
    endMs: t(),
    phases: phasesOf(m),
  })}\n`);
}

/** Cgroup directories named like `re` beneath this process's own, in every hierarchy (runc/crun leftovers); removed. */
function leftoverCgroups(re) {
  const found = [];
  let lines = [];
  try {
    lines = fs.readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n');
  } catch {
    return found;
  }
  for (const l of lines) {
    const [, ctrls, p] = l.split(':');
    const mounts = ctrls === '' ? ['/sys/fs/cgroup/unified', '/sys/fs/cgroup'] : ctrls.split(',').map((c) => `/sys/fs/cgroup/${c.replace(/^name=/, '')}`);
    for (const m of mounts) {
      const dir = path.join(m, p);
      let names = [];
      try {
        names = fs.readdirSync(dir).filter((n) => re.test(n));
      } catch {
        continue;
      }
      for (const n of names) {
        found.push(path.join(dir, n));
        try {
          fs.rmdirSync(path.join(dir, n));
        } catch { /* reported */ }
      }
    }
  }
  return [...new Set(found)];
}

function breakdownNotes(b) {
  const f = (ns) => (ns === null || ns === undefined ? '—' : (ns / 1e6).toFixed(2));
  const out = [
    `### Where run() goes (${b.runs} hot runs in this process, phases timestamped by wrapping the functions it calls; `
      + `total ${ms(b.total.median)} median, ${ms(b.total.p90)} p90)`,
    '',
    '| phase | median ms | p90 ms |',
    '| --- | ---: | ---: |',
    ...b.phases.map((p) => `| ${p.phase} | ${f(p.median)} | ${f(p.p90)} |`),
    '',
    'Medians of phases do not add up to the median total exactly.',
    '',
    `Variants, in ${VARIANT_ROUNDS} rounds of ${VARIANT_BLOCK} runs each, their order rotating (${VARIANT_ROUNDS * VARIANT_BLOCK} runs each; difference of medians against the default, within the noise when small):`,
    '',
    ...b.variants.map((v) => `- ${v.variant}: ${ms(v.median)}${v.variant === 'default' ? '' : ` (${v.delta >= 0 ? '+' : ''}${(v.delta / 1e6).toFixed(2)} ms)`}`),
    '',
  ];
  const a = b.cgroupAttach;
  out.push(`Pieces: compiling the default seccomp profile takes ${ms(b.seccompCompileUncached.median)} (first run of a process;`
    + ' cached per capability set after). '
    + (b.lastCap.callsPerRun > 0
      ? `The plan compiler reads /proc/sys/kernel/cap_last_cap ${b.lastCap.callsPerRun} times per run (${(b.lastCap.nsPerCall / 1e3).toFixed(1)} µs a read). `
      : 'The plan compiler reads /proc/sys/kernel/cap_last_cap once per process (none in these runs). ')
    + `Writing a pid to cgroup.procs: ${ms(a.v1Quiet && a.v1Quiet.median)}`
    + ` in a v1 hierarchy after 40 ms without migrations (p90 ${ms(a.v1Quiet && a.v1Quiet.p90)}), ${ms(a.v1Hot && a.v1Hot.median)}`
    + ` right after another, ${ms(a.v2Quiet && a.v2Quiet.median)} in v2 after 40 ms quiet: a migration takes the global cgroup`
    + ' threadgroup rwsem (a percpu rwsem) for writing, which waits for an RCU grace period unless a writer held it moments'
    + ' ago. run() enters v2 with CLONE_INTO_CGROUP (no migration) but joins each v1 hierarchy (memory, cpu, pids here) by'
    + ' writing cgroup.procs in the child, so on this hybrid host a container started after a quiet spell pays one grace'
    + ' period; back-to-back runs often do not, hence the spread between median and p90.');
  const h = b.heap;
  if (h && h.small && h.big && !h.small.error && !h.big.error) {
    out.push('');
    out.push(`Calling process size: run() from a \`node\` child with nothing extra (rss ${h.small.rssMiB} MiB) takes ${ms(h.small.median)}`
      + ` (p90 ${ms(h.small.p90)}); from one holding 1 GiB of filled ArrayBuffers (rss ${h.big.rssMiB} MiB) ${ms(h.big.median)}`
      + ` (p90 ${ms(h.big.p90)}), ${HEAP_RUNS} runs each. CLONE_INTO_CGROUP sends the native spawn down its clone3 path without`
      + ' CLONE_VM (native/plan.cc), a fork: the kernel copies the page tables of the whole calling process, where the'
      + ' CLONE_VM|CLONE_VFORK path of rawsys.fork copies none.');
  }
  const c = b.cold;
  if (c && !c.error) {
    out.push('');
    out.push(`### Cold start (${c.runs} fresh \`node\` processes running one container, medians)`);
    out.push('');
    out.push(`Node bootstrap done at ${c.bootstrapMs.toFixed(1)} ms after process start, script running at ${c.scriptStartMs.toFixed(1)} ms;`
      + ` loading the addon (binding.js) ${c.addonLoadMs.toFixed(1)} ms, then rawsys/container ${c.containerLoadMs.toFixed(1)} ms;`
      + ` the first run() ${c.firstRunMs.toFixed(1)} ms, a second one ${c.secondRunMs.toFixed(1)} ms; done at ${c.endMs.toFixed(1)} ms`
      + ' (process exit follows). The first run():');
    out.push('');
    out.push('| phase | median ms |');
    out.push('| --- | ---: |');
    for (const p of c.phases) out.push(`| ${p.phase} | ${f(p.median)} |`);
  } else if (c) {
    out.push('', `Cold start: not measured (${c.error}).`);
  }
  return out;
}

// For checking the bundle by hand.
module.exports.internals = { makeBundle, ociSeccomp, writeOciConfig, staticBusybox };

if (require.main === module && (process.argv[2] === '--cold' || process.argv[2] === '--heap')) {
  (process.argv[2] === '--cold' ? coldMain(process.argv[3]) : heapMain(process.argv[3], process.argv[4])).catch((e) => {
    process.stderr.write(`${e && e.stack ? e.stack : e}\n`);
    process.exitCode = 1;
  });
}
