#!/usr/bin/env node
'use strict';
// `npm run prebuildify:all` (node scripts/prebuild.js x64 arm64): builds
// prebuilds/linux-<arch>/rawsys.glibc.node for each architecture with
// prebuildify (Node-API, stripped, tagged glibc), cross-compiling where the
// architecture is not the host's, then checks each result with scripts/elf.js
// and fails on a wrong ELF machine, a GLIBC symbol newer than 2.28, libstdc++
// at run time, symbols left in, or a stale source hash.
//
// prebuildify picks neither a cross compiler nor a cross strip by itself: it
// passes --arch to node-gyp, which only changes gyp's target_arch, and runs
// the host's `strip`. So every tool is named here: CC (C sources, such as a
// freestanding executable target in binding.gyp), CXX, LINK, AR, and
// --strip-bin, from Debian's cross toolchains:
//   apt-get install g++-aarch64-linux-gnu binutils-aarch64-linux-gnu   (on x64)
//   apt-get install g++-x86-64-linux-gnu binutils-x86-64-linux-gnu     (on arm64)
const cp = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { sourceHash } = require('./source-hash');
const elf = require('./elf');

const ROOT = path.join(__dirname, '..');

/** GNU triplet and Debian cross packages of each architecture. */
const CROSS = {
  x64: { triplet: 'x86_64-linux-gnu', packages: 'g++-x86-64-linux-gnu binutils-x86-64-linux-gnu' },
  arm64: { triplet: 'aarch64-linux-gnu', packages: 'g++-aarch64-linux-gnu binutils-aarch64-linux-gnu' },
};

function have(cmd) {
  return cp.spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** The environment and strip binary that build for arch on this host. */
function toolchain(arch) {
  if (!CROSS[arch]) throw new Error(`no toolchain known for ${arch}; known: ${Object.keys(CROSS).join(', ')}`);
  const env = { ...process.env };
  if (arch === os.arch()) return { env, strip: 'strip', cross: false };
  const t = CROSS[arch].triplet;
  const tools = { CC: `${t}-gcc`, CXX: `${t}-g++`, LINK: `${t}-g++`, AR: `${t}-ar`, NM: `${t}-nm`, OBJCOPY: `${t}-objcopy`, STRIP: `${t}-strip` };
  const missing = Object.values(tools).filter((c) => !have(c));
  if (missing.length) {
    throw new Error(`cross tools for ${arch} missing (${missing.join(', ')}): apt-get install ${CROSS[arch].packages}`);
  }
  Object.assign(env, tools);
  return { env, strip: tools.STRIP, cross: true };
}

function build(arch) {
  const { env, strip, cross } = toolchain(arch);
  const bin = path.join(ROOT, 'node_modules', '.bin', 'prebuildify');
  const args = ['--napi', '--strip', '--tag-libc', '--arch', arch, '--strip-bin', strip];
  process.stderr.write(`\n== prebuildify ${args.join(' ')}${cross ? ` (CC=${env.CC} CXX=${env.CXX})` : ''}\n`);
  const r = cp.spawnSync(bin, args, { cwd: ROOT, env, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`prebuildify for ${arch} failed (exit ${r.status})`);
  const file = path.join(ROOT, 'prebuilds', `linux-${arch}`, 'rawsys.glibc.node');
  if (!fs.existsSync(file)) throw new Error(`prebuildify wrote no ${path.relative(ROOT, file)}`);
  const bad = elf.problems(file, arch, sourceHash(ROOT));
  if (bad.length) throw new Error(`${path.relative(ROOT, file)}: ${bad.join('; ')}`);
  const info = elf.inspect(file);
  process.stderr.write(`${path.relative(ROOT, file)}: ${info.machine}, ${fs.statSync(file).size} bytes, `
    + `needs ${info.versions.join(' ')}, NEEDED ${info.needed.join(' ')}, stripped\n`);
}

function main() {
  const arches = process.argv.slice(2);
  if (!arches.length) arches.push(os.arch());
  for (const arch of arches) build(arch);
  // prebuildify moved the last binary out of build/Release; a cross build
  // leaves objects of another architecture there. Nothing in build/ is loaded
  // (node-gyp-build looks for build/Release/*.node only), and the next
  // `npm run build:native` rebuilds it from scratch.
}

try {
  main();
} catch (e) {
  process.stderr.write(`prebuild: ${e.message}\n`);
  process.exitCode = 1;
}
