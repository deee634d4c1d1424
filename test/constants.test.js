'use strict';
// Constants come from the system headers at build time: they must agree with
// the values Node itself was compiled with, and be frozen.
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('node:fs');
const os = require('node:os');
const rawsys = require('..');
const { constants: fromSubpath } = require('rawsys/constants');

const C = rawsys.constants;

test('constants: one frozen object, also from rawsys/constants', () => {
  assert.ok(Object.isFrozen(C));
  assert.is(fromSubpath, C);
  assert.throws(() => { 'use strict'; C.O_RDONLY = 5; }, TypeError);
});

test('constants: open flags and modes agree with node:fs', () => {
  let compared = 0;
  for (const [k, v] of Object.entries(fs.constants)) {
    if (/^(O_|S_I)/.test(k) && k in C) {
      assert.is(C[k], v, k);
      compared++;
    }
  }
  assert.ok(compared >= 20, `compared ${compared}`);
});

test('constants: errnos and signals agree with os.constants', () => {
  for (const [k, v] of Object.entries(os.constants.errno)) if (k in C) assert.is(C[k], v, k);
  for (const [k, v] of Object.entries(os.constants.signals)) if (k in C) assert.is(C[k], v, k);
  assert.is(C.ENOENT, 2);
  assert.ok(C.SIGRTMIN >= 32 && C.SIGRTMAX > C.SIGRTMIN);
});

test('constants: syscall numbers of this architecture', () => {
  assert.type(C.SYS_read, 'number');
  assert.type(C.SYS_openat, 'number');
  assert.is(Number(rawsys.syscall(C.SYS_getppid)), process.ppid);
  if (process.arch === 'x64') assert.is(C.SYS_getpid, 39);
  if (process.arch === 'arm64') assert.is(C.SYS_getpid, 172);
});

test('constants: lock, seek and fcntl values are usable', () => {
  for (const k of ['LOCK_SH', 'LOCK_EX', 'LOCK_NB', 'LOCK_UN', 'SEEK_SET', 'SEEK_END', 'SEEK_DATA', 'F_OFD_SETLKW', 'F_DUPFD_CLOEXEC', 'AT_FDCWD', 'XATTR_CREATE']) {
    assert.type(C[k], 'number', k);
  }
  assert.is(C.AT_FDCWD, -100);
});

test.run();
