'use strict';
// Which C library this Node process runs on: 'glibc', 'musl', or 'unknown'.
// Loading a glibc binary into a musl process (or the reverse) is never safe,
// so rawsys asks before it loads anything: src/binding.ts at run time and
// scripts/install.js at install time. node-gyp-build alone takes every Linux
// without /etc/alpine-release for glibc (Void, Chimera, a musl Node in a
// distroless image); this looks at the process itself instead.
//
// Order: the LIBC variable (node-gyp-build's own override, 'glibc' or
// 'musl'); the C library mapped into this process (/proc/self/maps: glibc's
// libc.so.6, musl's ld-musl-<arch>.so.1, which is its libc); then the glibc
// version Node reports when it was built against glibc.
const fs = require('node:fs');
const path = require('node:path');

/** The libc named by the files mapped into a process (/proc/<pid>/maps text), or undefined. */
function libcFromMaps(maps) {
  let found;
  for (const line of maps.split('\n')) {
    const file = line.split(/\s+/)[5];
    if (!file || file[0] !== '/') continue;
    const base = path.basename(file);
    if (/^ld-musl-[^/]*\.so\.1$/.test(base) || /^libc\.musl-[^/]*\.so\.1$/.test(base)) return 'musl';
    if (/^libc\.so\.6$/.test(base) || /^libc-2\.\d+\.so$/.test(base)) found = 'glibc';
  }
  return found;
}

/**
 * 'glibc', 'musl' or 'unknown' for this process. `env` and `maps` are for
 * tests (defaults: process.env, this process's /proc/self/maps).
 */
function detectLibc({ env = process.env, maps } = {}) {
  if (env.LIBC === 'glibc' || env.LIBC === 'musl') return env.LIBC;
  if (maps === undefined) {
    try {
      maps = fs.readFileSync('/proc/self/maps', 'utf8');
    } catch {
      maps = '';
    }
  }
  const fromMaps = libcFromMaps(maps);
  if (fromMaps) return fromMaps;
  // No /proc, or a libc under another file name: a glibc build of Node says so in its report.
  try {
    const header = process.report && process.report.getReport().header;
    if (header && header.glibcVersionRuntime) return 'glibc';
  } catch { /* no report support */ }
  return 'unknown';
}

module.exports = { detectLibc, libcFromMaps };
