#!/usr/bin/env node
'use strict';
// Proof that the shipped prebuilds run where they claim to:
//
//   node scripts/verify.js arm64    the linux-arm64 prebuild, under Debian's
//                                   Node 18 for arm64 run by qemu-aarch64-static
//   node scripts/verify.js node18   the linux-x64 prebuild under Debian's Node 18
//                                   for amd64
//
// Each builds a throw-away sysroot from Debian's packages: `apt-get download`
// of nodejs (Node 18, the version Debian 12 ships) and the libraries it
// depends on, unpacked with `dpkg -x` into a folder under the temp dir. Nothing
// is installed over the host's Node. Then it checks that the prebuild is an
// ELF for the right machine and was built from the current native/ sources,
// and runs the core test files (CORE_TESTS below) with that Node, loading only
// the prebuild (PREBUILDS_ONLY=1, so a local build/ is never picked). It exits
// non-zero when anything is wrong.
//
// Options: test file names (default: CORE_TESTS), --fresh (download and unpack again), --keep-going (run every test
// file even after one failed). Needs root for apt-get (it installs
// qemu-user-static and binutils on the host when missing, and adds arm64 as a
// foreign dpkg architecture, which only lets apt see arm64 packages).
const cp = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { sourceHash } = require('./source-hash');

const ROOT = path.join(__dirname, '..');

/**
 * The core tests: what qemu-user emulates faithfully (fd syscalls, errors,
 * flock and record locks, pipes, fork/exec through child plans, waits,
 * signals to children, the raw syscall entry). Tests that need namespaces,
 * credentials changes, mounts or xattrs on the host are not in it. A test in
 * these files that cannot work under qemu-user skips itself where
 * RAWSYS_VERIFY=qemu-user, with the reason written beside it.
 */
const CORE_TESTS = [
  'fd.test.js',
  'errors.test.js',
  'locks.test.js',
  'async.test.js',
  'process.test.js',
  'constants.test.js',
  'syscall.test.js',
];

const TARGETS = {
  arm64: {
    debArch: 'arm64',
    nodeArch: 'arm64',
    triplet: 'aarch64-linux-gnu',
    elfMachine: 'AArch64',
    qemu: 'qemu-aarch64-static',
  },
  node18: {
    debArch: 'amd64',
    nodeArch: 'x64',
    triplet: 'x86_64-linux-gnu',
    elfMachine: 'Advanced Micro Devices X86-64',
    qemu: null,
  },
};

const NODE_MAJOR = '18';

function log(msg) {
  process.stderr.write(`verify: ${msg}\n`);
}

function run(cmd, args, opts = {}) {
  return cp.execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20, ...opts });
}

function have(cmd) {
  return cp.spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

let updated = false;
function aptUpdate() {
  if (updated) return;
  log('apt-get update');
  run('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'] });
  updated = true;
}

function aptInstall(pkgs) {
  aptUpdate();
  log(`apt-get install ${pkgs.join(' ')}`);
  run('apt-get', ['install', '-y', '-qq', ...pkgs], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

/** Host tools: readelf (binutils), dpkg and apt-get, and qemu-user for a foreign architecture. */
function ensureTools(target) {
  if (!have('apt-get') || !have('dpkg')) throw new Error('needs a Debian-like host with apt-get and dpkg');
  const missing = [];
  if (!have('readelf')) missing.push('binutils');
  if (target.qemu && !have(target.qemu)) missing.push('qemu-user-static');
  if (missing.length) aptInstall(missing);
  const native = run('dpkg', ['--print-architecture']).trim();
  if (target.debArch !== native) {
    const foreign = run('dpkg', ['--print-foreign-architectures']).split('\n');
    if (!foreign.includes(target.debArch)) {
      // Lets apt list and download arm64 packages; installs nothing.
      log(`dpkg --add-architecture ${target.debArch}`);
      run('dpkg', ['--add-architecture', target.debArch]);
      updated = false;
      aptUpdate();
    }
  }
}

/** `apt-cache show` of the candidate (or a given version) as a field map, or null. */
function showPackage(name, arch, version) {
  for (const spec of [`${name}:${arch}`, name]) {
    const r = cp.spawnSync('apt-cache', ['show', '--no-all-versions', version ? `${spec}=${version}` : spec], { encoding: 'utf8' });
    if (r.status !== 0 || !r.stdout.trim()) continue;
    const fields = {};
    let last;
    for (const line of r.stdout.split('\n\n')[0].split('\n')) {
      if (/^\s/.test(line) && last) fields[last] += `\n${line}`;
      else {
        const i = line.indexOf(':');
        if (i > 0) {
          last = line.slice(0, i);
          fields[last] = line.slice(i + 1).trim();
        }
      }
    }
    if (fields.Architecture !== arch && fields.Architecture !== 'all') continue;
    return fields;
  }
  return null;
}

/** The newest Debian version of nodejs with the wanted major for this architecture. */
function nodeVersion(arch) {
  const out = run('apt-cache', ['madison', `nodejs:${arch}`]);
  const versions = out.split('\n').map((l) => l.split('|').map((s) => s.trim()))
    .filter((f) => f.length >= 3 && f[1].startsWith(`${NODE_MAJOR}.`) && f[2].includes(` ${arch} `))
    .map((f) => f[1]);
  if (!versions.length) {
    throw new Error(`apt knows no nodejs ${NODE_MAJOR}.x for ${arch} (Debian 12 ships Node 18)`);
  }
  return versions[0];
}

/**
 * The packages Node needs to run: nodejs and libnode pinned to one version,
 * then everything they depend on (Depends and Pre-Depends, first alternative).
 * For the host's own architecture the host's C library runs it (the host's
 * dynamic loader must match its libc), so libc6 and what only it needs are
 * left out.
 */
function resolvePackages(target) {
  const arch = target.debArch;
  const version = nodeVersion(arch);
  const native = run('dpkg', ['--print-architecture']).trim() === arch;
  const skip = new Set(native ? ['libc6'] : []);
  // Pulled in by maintainer scripts or as `nodejs:any` loops; nothing Node loads.
  for (const n of ['debconf', 'nodejs:any', 'dpkg', 'install-info', 'perl-base', 'tar']) skip.add(n);
  const found = new Map();
  const queue = [['nodejs', version]];
  while (queue.length) {
    const [name, pinned] = queue.shift();
    if (found.has(name) || skip.has(name)) continue;
    const f = showPackage(name, arch, pinned);
    if (!f) throw new Error(`apt-cache knows no package ${name}${pinned ? `=${pinned}` : ''} for ${arch}`);
    found.set(name, { name, version: f.Version, arch: f.Architecture });
    const deps = [f['Pre-Depends'], f.Depends].filter(Boolean).join(', ');
    for (const dep of deps.split(',').map((d) => d.trim()).filter(Boolean)) {
      const first = dep.split('|')[0].trim();
      const m = /^([a-z0-9][a-z0-9+.-]*)(?::([a-z0-9]+))?\s*(?:\(\s*([<>=]+)\s*([^)]+)\))?/.exec(first);
      if (!m) continue;
      if (m[2] === 'any') continue;
      queue.push([m[1], m[3] === '=' ? m[4].trim() : undefined]);
    }
  }
  return { version, packages: [...found.values()].sort((a, b) => a.name.localeCompare(b.name)) };
}

/** Downloads and unpacks the packages into a sysroot; reused while the package list is the same. */
function sysroot(name, target, fresh) {
  const base = path.join(os.tmpdir(), 'rawsys-verify', `${target.debArch}-node${NODE_MAJOR}`);
  const root = path.join(base, 'root');
  const debs = path.join(base, 'debs');
  const { version, packages } = resolvePackages(target);
  const stamp = packages.map((p) => `${p.name}:${p.arch}=${p.version}`).join('\n') + '\n';
  const stampFile = path.join(base, 'packages.txt');
  if (!fresh && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp
    && fs.existsSync(path.join(root, 'usr/bin/node'))) {
    log(`reusing the sysroot in ${root} (nodejs ${version}, ${packages.length} packages)`);
    return { root, version, packages };
  }
  fs.rmSync(base, { recursive: true, force: true });
  fs.mkdirSync(root, { recursive: true });
  fs.mkdirSync(debs, { recursive: true });
  log(`apt-get download nodejs ${version} for ${target.debArch} and ${packages.length - 1} packages into ${debs}`);
  const specs = packages.map((p) => `${p.name}${p.arch === 'all' ? '' : `:${p.arch}`}=${p.version}`);
  // apt-get download writes into the cwd, as the _apt user where it can (so the folder must be writable by it).
  fs.chmodSync(base, 0o755);
  fs.chmodSync(debs, 0o777);
  run('apt-get', ['download', '-qq', ...specs], { cwd: debs, stdio: ['ignore', 'ignore', 'inherit'] });
  for (const f of fs.readdirSync(debs).filter((n) => n.endsWith('.deb')).sort()) {
    run('dpkg', ['-x', path.join(debs, f), root]);
  }
  fs.writeFileSync(stampFile, stamp);
  log(`unpacked into ${root}`);
  return { root, version, packages };
}

/** The prebuild for the target: the right ELF machine, and built from the current native/ sources. */
function checkPrebuild(target) {
  const dir = path.join(ROOT, 'prebuilds', `linux-${target.nodeArch}`);
  const file = path.join(dir, 'rawsys.glibc.node');
  if (!fs.existsSync(file)) {
    throw new Error(`no ${path.relative(ROOT, file)}: run npm run prebuildify:all`);
  }
  const header = run('readelf', ['-h', file]);
  const machine = /Machine:\s+(.*)/.exec(header)?.[1].trim();
  if (machine !== target.elfMachine) {
    throw new Error(`${path.relative(ROOT, file)} is an ELF for ${machine}, not ${target.elfMachine}`);
  }
  const hash = sourceHash(ROOT);
  if (!fs.readFileSync(file).includes(Buffer.from(hash))) {
    throw new Error(`${path.relative(ROOT, file)} was not built from the current native/ (hash ${hash}): run npm run prebuildify:all`);
  }
  log(`${path.relative(ROOT, file)}: ELF ${machine}, source hash ${hash}`);
  return file;
}

/** argv and env that run the sysroot's Node. */
function nodeCommand(target, root) {
  const node = path.join(root, 'usr', 'bin', 'node');
  const env = { ...process.env, PREBUILDS_ONLY: '1' };
  delete env.NODE_OPTIONS;
  if (target.qemu) {
    // qemu-user runs the arm64 ELF; QEMU_LD_PREFIX makes its loader and every
    // absolute path it opens look in the sysroot first (/lib/ld-linux-aarch64.so.1,
    // the libraries, /usr/share/nodejs).
    env.QEMU_LD_PREFIX = root;
    env.RAWSYS_VERIFY = 'qemu-user';
    return { node, env };
  }
  // The host's loader and libc, the sysroot's other libraries.
  env.LD_LIBRARY_PATH = [`lib/${target.triplet}`, `usr/lib/${target.triplet}`].map((d) => path.join(root, d)).join(':');
  env.RAWSYS_VERIFY = `node${NODE_MAJOR}`;
  return { node, env };
}

// binfmt_misc entry for arm64 ELF executables and shared objects (e_ident of a
// 64-bit little-endian ELF, e_type 2 or 3, e_machine 0xb7 = EM_AARCH64), run
// by qemu. F: the kernel opens the interpreter now, so it need not be
// reachable later.
const BINFMT_AARCH64 = ':rawsys-aarch64:M::'
  + '\\x7f\\x45\\x4c\\x46\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00:'
  + '\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff:';

/**
 * Runs the sysroot's Node with args in a mount namespace of its own and
 * returns { status, out }. Made with the host's own rawsys build (dist/).
 *
 * node18: Debian's Node loads some of its built-in modules from
 * /usr/share/nodejs (cjs-module-lexer, undici, acorn), a path compiled in; the
 * sysroot's copy is bind-mounted there, in that namespace only (the host gets
 * at most an empty /usr/share/nodejs to mount on).
 *
 * arm64: also a user namespace of its own (uids and gids mapped 1:1, so files
 * keep their owners) with a private binfmt_misc instance (Linux 6.7+) that
 * hands arm64 ELF files to qemu, so the tests' child processes (a second node,
 * process.execPath) run too. The host's binfmt_misc is never touched.
 */
function runNode(target, root, args) {
  const { node, env } = nodeCommand(target, root);
  const rawsys = require('../dist/cjs/index.js');
  const C = rawsys.constants;
  const outFile = path.join(path.dirname(root), `out-${process.pid}.txt`);
  const script = ['set -e'];
  let flags = C.CLONE_NEWNS;
  let options;
  if (target.qemu) {
    const qemu = run('sh', ['-c', `command -v ${target.qemu}`]).trim();
    script.push(
      'mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc',
      `printf '%s' '${BINFMT_AARCH64}${qemu}:F' > /proc/sys/fs/binfmt_misc/register`,
    );
    flags |= C.CLONE_NEWUSER;
    const half = 2 ** 31 - 1;
    const ids = [{ containerId: 0, hostId: 0, size: half }, { containerId: half, hostId: half, size: half }];
    options = { uidMappings: ids, gidMappings: ids, setgroups: 'allow' };
  } else {
    script.push(
      'mkdir -p /usr/share/nodejs',
      `mount --bind '${path.join(root, 'usr/share/nodejs')}' /usr/share/nodejs`,
    );
  }
  script.push('out="$1"; shift', 'exec "$@" > "$out" 2>&1 < /dev/null');
  const envList = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined));
  const child = rawsys.clone(flags, [
    { op: 'mount', source: 'none', target: '/', flags: C.MS_REC | C.MS_PRIVATE },
    { op: 'chdir', path: ROOT },
    { op: 'execve', path: '/bin/sh', argv: ['sh', '-c', script.join('\n'), 'sh', outFile, node, ...args], env: envList },
  ], options);
  try {
    const st = rawsys.waitpid(child.pid);
    const out = fs.existsSync(outFile) ? fs.readFileSync(outFile, 'utf8') : '';
    return { status: st.exitCode === null ? 128 + st.signalNumber : st.exitCode, out };
  } finally {
    if (child.pidfd !== undefined) rawsys.close(child.pidfd);
    fs.rmSync(outFile, { force: true });
  }
}

function main() {
  const args = process.argv.slice(2);
  const [name, ...only] = args.filter((a) => !a.startsWith('--'));
  // Other test files may be named too (node18 can run them all); the default is CORE_TESTS.
  const files = only.length ? only : CORE_TESTS;
  for (const f of files) {
    if (!/^[\w-]+\.test\.js$/.test(f) || !fs.existsSync(path.join(ROOT, 'test', f))) throw new Error(`no test file test/${f}`);
  }
  const target = TARGETS[name];
  if (!target) {
    process.stderr.write(`usage: node scripts/verify.js ${Object.keys(TARGETS).join('|')} [--fresh] [--keep-going] [core test files...]\n`);
    process.exit(2);
  }
  if (!fs.existsSync(path.join(ROOT, 'dist', 'cjs', 'index.js'))) throw new Error('no dist/: run npm run build first');
  ensureTools(target);
  const prebuild = checkPrebuild(target);
  const { root, version } = sysroot(name, target, args.includes('--fresh'));

  // The sysroot's Node must be the one running, on the target CPU, with the prebuild loaded.
  const probe = runNode(target, root, ['-e', `
    const r = require('.');
    const maps = require('fs').readFileSync('/proc/self/maps', 'utf8');
    console.log(JSON.stringify({ node: process.version, arch: process.arch, napi: process.versions.napi,
      loaded: [...new Set(maps.split('\\n').map((l) => l.split(/\\s+/)[5]).filter((p) => p && p.endsWith('.node')))],
      pid: r.getpid() === process.pid }));`]);
  if (probe.status !== 0) throw new Error(`the sysroot's node failed to load rawsys:\n${probe.out}`);
  const info = JSON.parse(probe.out.trim().split('\n').pop());
  log(`sysroot node ${info.node} (Debian ${version}), process.arch ${info.arch}, Node-API ${info.napi}, loaded ${info.loaded.join(', ')}`);
  const problems = [];
  if (!info.node.startsWith(`v${NODE_MAJOR}.`)) problems.push(`ran Node ${info.node}, not ${NODE_MAJOR}`);
  if (info.arch !== target.nodeArch) problems.push(`process.arch is ${info.arch}, not ${target.nodeArch}`);
  if (!info.loaded.includes(fs.realpathSync(prebuild))) problems.push(`loaded ${info.loaded.join(', ')}, not ${prebuild}`);
  if (!info.pid) problems.push('getpid() disagrees with process.pid');
  if (problems.length) throw new Error(problems.join('; '));

  const results = [];
  for (const file of files) {
    const started = Date.now();
    log(`${file} ...`);
    const r = runNode(target, root, ['--expose-gc', path.join(ROOT, 'node_modules/uvu/bin.js'), 'test',
      `^${file.replace(/\./g, '\\.')}$`]);
    const out = r.out.replace(/\x1b\[[0-9;]*m/g, '');
    const total = /Total:\s+(\d+)/.exec(out)?.[1];
    const passed = /Passed:\s+(\d+)/.exec(out)?.[1];
    const skipped = /Skipped:\s+(\d+)/.exec(out)?.[1];
    const ok = r.status === 0 && total !== undefined && total === passed;
    results.push({ file, ok, total, passed, skipped, s: (Date.now() - started) / 1000 });
    log(`${file}: ${ok ? 'ok' : 'FAILED'} (${passed ?? '?'}/${total ?? '?'} passed, ${skipped ?? 0} skipped, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
    if (!ok) {
      process.stdout.write(out);
      if (!args.includes('--keep-going')) break;
    }
  }
  const failed = results.filter((r) => !r.ok);
  const passed = results.reduce((a, r) => a + Number(r.passed || 0), 0);
  const skipped = results.reduce((a, r) => a + Number(r.skipped || 0), 0);
  console.log(`verify ${name}: Node ${info.node} ${info.arch}${target.qemu ? ` under ${target.qemu}` : ''}, `
    + `${path.relative(ROOT, prebuild)}: ${results.length - failed.length}/${files.length} files, `
    + `${passed} tests passed, ${skipped} skipped${failed.length ? `; FAILED: ${failed.map((r) => r.file).join(', ')}` : ''}`);
  if (failed.length || results.length !== files.length) process.exitCode = 1;
}

try {
  main();
} catch (e) {
  process.stderr.write(`verify: ${e.message}\n`);
  process.exitCode = 1;
}
