'use strict';
// What a prebuild needs from the system that loads it, read with readelf
// (binutils; it reads ELF files of any architecture): the ELF machine, the
// glibc and libstdc++ symbol versions it asks for, its NEEDED libraries,
// whether it is stripped, and whether it embeds a given source hash.
// Used by scripts/prebuild.js after each build and by test/prebuild.test.js.
const cp = require('node:child_process');
const fs = require('node:fs');

/** readelf's name for the ELF machine of each Node architecture rawsys ships. */
const MACHINES = {
  x64: 'Advanced Micro Devices X86-64',
  arm64: 'AArch64',
};

/** Oldest glibc the prebuilds support (Debian 10, RHEL 8). */
const GLIBC_MAX = [2, 28];

function readelf(args, file) {
  return cp.execFileSync('readelf', ['-W', ...args, file], { encoding: 'utf8', maxBuffer: 64 << 20 });
}

/**
 * { machine, versions, needed, stripped } of an ELF shared object: versions is
 * every symbol version it requires (.gnu.version_r: GLIBC_2.17, GLIBCXX_3.4 …).
 */
function inspect(file) {
  const machine = /Machine:\s+(.*)/.exec(readelf(['-h'], file))?.[1].trim();
  const v = readelf(['-V'], file);
  const needs = v.slice(v.indexOf('.gnu.version_r') >= 0 ? v.indexOf('.gnu.version_r') : v.length);
  const versions = [...new Set([...needs.matchAll(/Name:\s+(\S+)/g)].map((m) => m[1]))].sort();
  const needed = [...readelf(['-d'], file).matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
  const stripped = !/\.symtab\b/.test(readelf(['-S'], file));
  return { machine, versions, needed, stripped };
}

/** The GLIBC_x.y versions in `versions` newer than GLIBC_MAX. */
function tooNewGlibc(versions) {
  return versions.filter((name) => {
    const m = /^GLIBC_(\d+)\.(\d+)/.exec(name);
    if (!m) return false;
    const [maj, min] = [Number(m[1]), Number(m[2])];
    return maj > GLIBC_MAX[0] || (maj === GLIBC_MAX[0] && min > GLIBC_MAX[1]);
  });
}

/**
 * Problems that keep `file` from being a prebuild for `arch`, as sentences
 * (empty: none). `hash`, when given, must appear in it: binding.gyp compiles
 * scripts/source-hash.js's output in as a string constant.
 */
function problems(file, arch, hash) {
  const out = [];
  const info = inspect(file);
  if (info.machine !== MACHINES[arch]) out.push(`ELF machine is ${info.machine}, not ${MACHINES[arch]} (${arch})`);
  const newer = tooNewGlibc(info.versions);
  if (newer.length) out.push(`needs ${newer.join(', ')} (newer than GLIBC_${GLIBC_MAX.join('.')})`);
  if (!info.versions.some((n) => n.startsWith('GLIBC_'))) out.push('asks for no GLIBC symbol version: not a glibc build?');
  const cxx = info.versions.filter((n) => /^(GLIBCXX|CXXABI)_/.test(n));
  if (cxx.length) out.push(`needs libstdc++ (${cxx.join(', ')})`);
  const libs = info.needed.filter((n) => /stdc\+\+|gcc_s/.test(n));
  if (libs.length) out.push(`NEEDED ${libs.join(', ')}`);
  if (!info.stripped) out.push('not stripped (.symtab present)');
  if (hash && !fs.readFileSync(file).includes(Buffer.from(hash))) {
    out.push(`does not embed the current source hash ${hash}: built from other native/ sources`);
  }
  return out;
}

module.exports = { MACHINES, GLIBC_MAX, inspect, tooNewGlibc, problems };
