'use strict';
// The shipped binary: built from the current sources, loadable on glibc 2.28
// without libstdc++, and the packed package installs and works through both
// `import` and `require` with no compiler on PATH.
const { test } = require('uvu');
const assert = require('uvu/assert');
const cp = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { sourceHash } = require('../scripts/source-hash');
const elf = require('../scripts/elf');

const root = path.join(__dirname, '..');
const arch = `${process.platform}-${process.arch}`;
const prebuildDir = path.join(root, 'prebuilds', arch);
const prebuild = fs.existsSync(prebuildDir)
  ? fs.readdirSync(prebuildDir).filter((f) => f.endsWith('.node')).map((f) => path.join(prebuildDir, f))[0]
  : undefined;

test('prebuild: a prebuild for this platform is committed', () => {
  assert.ok(prebuild, `no prebuild in prebuilds/${arch}: run npm run prebuildify`);
  assert.ok(/\.glibc\.node$/.test(prebuild), 'tagged glibc, so it is never loaded on musl');
});

test('prebuild: it was built from the current native/ and binding.gyp', () => {
  const binding = require(prebuild);
  assert.is(binding.sourceHash, sourceHash(root), 'prebuild is stale: run npm run prebuildify and commit prebuilds/');
});

test('prebuild: the generated constant files match native/constants.txt', () => {
  const r = cp.spawnSync(process.execPath, [path.join(root, 'scripts/gen-constants.js'), '--check'], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
});

test('prebuild: needs no GLIBC symbol newer than 2.28 and no libstdc++', () => {
  const syms = cp.execFileSync('objdump', ['-T', prebuild], { encoding: 'utf8' });
  const versions = [...new Set(syms.match(/GLIBC_[0-9.]+/g))];
  assert.ok(versions.length > 0, 'objdump found glibc symbols');
  const newer = versions.filter((v) => {
    const [maj, min] = v.slice(6).split('.').map(Number);
    return maj > 2 || (maj === 2 && min > 28);
  });
  assert.equal(newer, [], `symbols need ${newer.join(', ')}`);
  assert.not.ok(/GLIBCXX|CXXABI/.test(syms), 'no libstdc++ symbol versions');
  const dyn = cp.execFileSync('readelf', ['-d', prebuild], { encoding: 'utf8' });
  const needed = [...dyn.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
  assert.not.ok(needed.some((n) => /stdc\+\+|gcc_s/.test(n)), `NEEDED: ${needed}`);
  const sections = cp.execFileSync('readelf', ['-S', prebuild], { encoding: 'utf8' });
  assert.not.ok(/\.symtab/.test(sections), 'stripped');
});

// Every committed prebuild, including those for other CPUs (linux-arm64,
// cross-compiled by npm run prebuildify:all), which this machine cannot load:
// read with readelf, and the source hash found as the string constant
// binding.gyp compiles in. npm run verify:arm64 runs the arm64 one.
const shipped = fs.existsSync(path.join(root, 'prebuilds'))
  ? fs.readdirSync(path.join(root, 'prebuilds')).filter((d) => d.startsWith('linux-')).sort() : [];

for (const dir of shipped) {
  const a = dir.slice('linux-'.length);
  test(`prebuild: ${dir} is an ELF for ${a}, stripped, glibc <= 2.28, no libstdc++, built from the current native/`, () => {
    const files = fs.readdirSync(path.join(root, 'prebuilds', dir));
    assert.equal(files, ['rawsys.glibc.node'], 'one Node-API binary, tagged glibc');
    const file = path.join(root, 'prebuilds', dir, files[0]);
    assert.ok(elf.MACHINES[a], `an architecture rawsys knows: ${a}`);
    assert.equal(elf.problems(file, a, sourceHash(root)), [], `${dir}: run npm run prebuildify:all`);
  });
}

test('prebuild: the ELF check can fail (wrong machine, stale hash, newer glibc)', () => {
  assert.ok(shipped.includes(arch), `prebuilds/${arch} exists`);
  const other = Object.keys(elf.MACHINES).find((a) => a !== process.arch);
  const bad = elf.problems(prebuild, other, '0123456789abcdef0123456789abcdef');
  assert.ok(bad.some((p) => p.startsWith('ELF machine is ')), bad.join('; '));
  assert.ok(bad.some((p) => p.includes('source hash')), bad.join('; '));
  assert.equal(elf.tooNewGlibc(['GLIBC_2.17', 'GLIBC_2.28', 'GLIBC_2.29', 'GLIBC_2.34', 'GLIBC_3.0', 'GLIBCXX_3.4.30']),
    ['GLIBC_2.29', 'GLIBC_2.34', 'GLIBC_3.0']);
});

test('prebuild: node-gyp-build loads it when no local build exists', () => {
  const out = cp.execFileSync(process.execPath, ['-p', `require('node-gyp-build').resolve(${JSON.stringify(root)})`], { encoding: 'utf8' }).trim();
  // A local build (npm run build:native) takes precedence, as node-gyp-build documents.
  const local = path.join(root, 'build', 'Release', 'rawsys.node');
  if (!fs.existsSync(local)) assert.is(out, prebuild);
  else assert.is(out, local);
});

test('loading: with no binary for the platform, require throws one clear error (no crash, no empty module)', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rawsys-nobin-'));
  try {
    fs.cpSync(path.join(root, 'dist'), path.join(work, 'dist'), { recursive: true });
    fs.copyFileSync(path.join(root, 'package.json'), path.join(work, 'package.json'));
    fs.mkdirSync(path.join(work, 'scripts'));
    fs.copyFileSync(path.join(root, 'scripts', 'libc.js'), path.join(work, 'scripts', 'libc.js'));
    fs.cpSync(path.dirname(require.resolve('node-gyp-build/package.json')), path.join(work, 'node_modules', 'node-gyp-build'), { recursive: true });
    const r = cp.spawnSync(process.execPath, ['-e', `
      try { const m = require(${JSON.stringify(work)}); console.log('loaded ' + Object.keys(m).length); }
      catch (e) { console.log(e.message.split(' Cause:')[0]); }`], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    assert.ok(r.stdout.startsWith(`rawsys: no native binary for linux-${process.arch} (glibc, Node ${process.version}`), r.stdout);
    assert.match(r.stdout, /apt-get install g\+\+ make python3/);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test('loading: the libc is read from the process: glibc here, musl from a musl map, LIBC overrides', () => {
  const { detectLibc, libcFromMaps } = require('../scripts/libc');
  assert.is(detectLibc({ env: {} }), 'glibc');
  const line = (file) => `7f1c2a000000-7f1c2a028000 r--p 00000000 fe:01 1234   ${file}`;
  const musl = [line('/usr/bin/node'), line('/usr/lib/libstdc++.so.6.0.32'), line('/lib/ld-musl-aarch64.so.1'), line('[heap]')].join('\n');
  assert.is(libcFromMaps(musl), 'musl');
  assert.is(libcFromMaps([line('/usr/bin/node'), line('/usr/lib/x86_64-linux-gnu/libc.so.6')].join('\n')), 'glibc');
  assert.is(libcFromMaps(line('/usr/lib/libc.musl-x86_64.so.1')), 'musl');
  assert.is(libcFromMaps([line('/usr/lib/x86_64-linux-gnu/libc.so.6'), line('/lib/ld-musl-x86_64.so.1')].join('\n')), 'musl', 'musl wins: gcompat maps both');
  assert.is(libcFromMaps(line('/usr/bin/node')), undefined);
  assert.is(detectLibc({ env: {}, maps: musl }), 'musl');
  assert.is(detectLibc({ env: { LIBC: 'musl' } }), 'musl');
});

test('loading: on a musl system that node-gyp-build takes for glibc, the glibc prebuild is never loaded', () => {
  // node-gyp-build reads LIBC once, when it is first required: required here
  // before LIBC is set, it takes this process for glibc, as it does on any
  // musl system without /etc/alpine-release; scripts/libc.js reads LIBC later
  // and says musl.
  const r = cp.spawnSync(process.execPath, ['-e', `
    const ngb = require('node-gyp-build');
    process.env.PREBUILDS_ONLY = '1';
    const picked = ngb.resolve(${JSON.stringify(root)});
    process.env.LIBC = 'musl';
    let msg = 'loaded';
    try { require(${JSON.stringify(root)}); } catch (e) { msg = e.message; }
    const mapped = require('fs').readFileSync('/proc/self/maps', 'utf8').includes('.node');
    console.log(JSON.stringify({ picked, msg, mapped }));`], { encoding: 'utf8', cwd: root });
  assert.is(r.status, 0, r.stderr);
  const { picked, msg, mapped } = JSON.parse(r.stdout);
  assert.is(picked, prebuild, 'node-gyp-build alone would load the glibc prebuild');
  assert.ok(msg.startsWith(`rawsys: no native binary for linux-${process.arch} (musl, Node ${process.version}`), msg);
  assert.match(msg, `prebuilds/${arch}/rawsys.glibc.node is built for glibc, and this process runs on musl`);
  assert.match(msg, /apk add g\+\+ make python3/);
  assert.is(mapped, false, 'no .node file was mapped into the process');
});

test('package: npm pack installs into an empty project with no compiler and works via import and require; on musl, require says what to install', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rawsys-pack-'));
  try {
    const env = { ...process.env, npm_config_loglevel: 'error', npm_config_fund: 'false', npm_config_audit: 'false' };
    const packed = cp.execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', work, '--json'], {
      cwd: root, encoding: 'utf8', env,
    });
    const tarball = path.join(work, JSON.parse(packed)[0].filename);
    const files = JSON.parse(packed)[0].files.map((f) => f.path);
    for (const f of ['dist/cjs/index.js', 'dist/cjs/index.d.ts', 'dist/esm/index.mjs', 'dist/cjs/promises.d.ts', 'scripts/install.js',
      'scripts/libc.js', path.relative(root, prebuild)]) {
      assert.ok(files.includes(f), `${f} in the tarball`);
    }
    // A PATH with node, npm and a shell only: no cc, g++, make or python.
    const bin = path.join(work, 'bin');
    fs.mkdirSync(bin);
    fs.symlinkSync(process.execPath, path.join(bin, 'node'));
    const npmCli = [process.env.npm_execpath, path.join(path.dirname(process.execPath), '../lib/node_modules/npm/bin/npm-cli.js')]
      .find((f) => f && /npm-cli\.js$/.test(f) && fs.existsSync(f));
    assert.ok(npmCli, 'npm-cli.js found');
    fs.writeFileSync(path.join(bin, 'npm'), `#!/bin/sh\nexec ${process.execPath} ${npmCli} "$@"\n`, { mode: 0o755 });
    fs.symlinkSync('/bin/sh', path.join(bin, 'sh'));
    const bare = { ...env, PATH: bin, CC: '/nonexistent/cc', CXX: '/nonexistent/c++', npm_config_nodedir: '/nonexistent', npm_config_python: '/nonexistent/python' };
    const proj = path.join(work, 'proj');
    fs.mkdirSync(proj);
    fs.writeFileSync(path.join(proj, 'package.json'), '{"name":"proj","version":"1.0.0","private":true}');
    for (const tool of ['cc', 'g++', 'make', 'python3']) {
      const r = cp.spawnSync('sh', ['-c', `command -v ${tool}`], { env: bare });
      assert.is.not(r.status, 0, `${tool} is unreachable`);
    }
    cp.execFileSync(path.join(bin, 'npm'), ['install', '--no-audit', '--no-fund', tarball], { cwd: proj, env: bare, stdio: 'pipe' });
    assert.not.ok(fs.existsSync(path.join(proj, 'node_modules/rawsys/build')), 'nothing was compiled');
    const cjs = cp.execFileSync(process.execPath, ['-e', `
      const r = require('rawsys');
      const p = require('rawsys/promises');
      const { constants } = require('rawsys/constants');
      const fd = r.open(__filename === '[eval]' ? '/proc/self/status' : __filename);
      const b = Buffer.alloc(4);
      r.read(fd, b);
      r.close(fd);
      let code; try { r.open('/nope') } catch (e) { code = e instanceof r.SyscallError && e.code; }
      p.getxattr('/nope', 'user.x').catch((e) => console.log([b.toString(), code, e.code, constants === r.constants, typeof p.pread].join(' ')));`],
    { cwd: proj, env: bare, encoding: 'utf8' }).trim();
    assert.is(cjs, 'Name ENOENT ENOENT true function');
    const esm = cp.execFileSync(process.execPath, ['--input-type=module', '-e', `
      import { open, close, SyscallError, constants } from 'rawsys';
      import * as p from 'rawsys/promises';
      import { constants as c2 } from 'rawsys/constants';
      import { createRequire } from 'node:module';
      const cjs = createRequire(process.cwd() + '/x.js')('rawsys');
      const fd = await p.open('/proc/self/status');
      await p.close(fd);
      let same = false; try { open('/nope') } catch (e) { same = e instanceof cjs.SyscallError && e instanceof SyscallError; }
      console.log([typeof open, typeof close, constants.O_CLOEXEC === c2.O_CLOEXEC, same].join(' '));`],
    { cwd: proj, env: bare, encoding: 'utf8' }).trim();
    assert.is(esm, 'function function true true');

    // A libc with no prebuild (LIBC=musl: what scripts/libc.js reports on a
    // musl system) and no compiler: the build from source fails, the install
    // does not, and require throws the one clear error.
    const musl = path.join(work, 'musl');
    fs.mkdirSync(musl);
    fs.writeFileSync(path.join(musl, 'package.json'), '{"name":"musl","version":"1.0.0","private":true}');
    const muslEnv = { ...bare, LIBC: 'musl' };
    cp.execFileSync(path.join(bin, 'npm'), ['install', '--no-audit', '--no-fund', tarball], { cwd: musl, env: muslEnv, stdio: 'pipe' });
    assert.not.ok(fs.existsSync(path.join(musl, 'node_modules/rawsys/build/Release/rawsys.node')), 'nothing could be built');
    const err = cp.execFileSync(process.execPath, ['-e', `
      try { require('rawsys'); console.log('loaded'); } catch (e) { console.log(e.message.split(' Cause:')[0]); }`],
    { cwd: musl, env: muslEnv, encoding: 'utf8' }).trim();
    assert.ok(err.startsWith(`rawsys: no native binary for linux-${process.arch} (musl, Node ${process.version}`), err);
    assert.match(err, /apk add g\+\+ make python3/);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test.run();
