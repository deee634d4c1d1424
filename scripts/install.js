#!/usr/bin/env node
'use strict';
// The package's install step: node-gyp-build, told which libc this is.
//
// node-gyp-build keeps a matching prebuild (after loading it once to test it)
// or builds from source with node-gyp. It takes every Linux but Alpine for
// glibc, so on another musl system it would load the glibc prebuild to test
// it; LIBC (its own override) carries what scripts/libc.js found instead, and
// a libc that is neither glibc nor musl matches no prebuild, so it builds.
//
// When that build fails (no compiler, no headers), the install still
// succeeds: `require('rawsys')` then throws one error that names the
// platform, the libc and what to install, which is where a user looks. The
// build's own output is above this message.
const cp = require('node:child_process');
const path = require('node:path');
const { detectLibc } = require('./libc');

const libc = detectLibc();
const bin = require.resolve('node-gyp-build/bin.js');
const r = cp.spawnSync(process.execPath, [bin], {
  cwd: path.join(__dirname, '..'),
  env: { ...process.env, LIBC: libc },
  stdio: 'inherit',
});
if (r.status !== 0) {
  process.stderr.write(
    `rawsys: no prebuild for linux-${process.arch} (${libc}) and the build from source failed` +
    `${r.status === null ? ` (${r.signal})` : ` (exit ${r.status})`}. It needs g++, make and python3 ` +
    '(Debian/Ubuntu: apt-get install g++ make python3; Alpine: apk add g++ make python3); then run npm rebuild rawsys. ' +
    "Until then require('rawsys') throws.\n",
  );
}
