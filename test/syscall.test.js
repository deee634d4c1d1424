'use strict';
// syscall(2), the raw escape hatch: numbers, bigints, strings and buffers as
// arguments, the bigint result, SyscallErrors named after the call, refused
// calls and argument checks, sync and promise forms side by side, and the
// pinning of buffers across garbage collection for promise calls.
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const rawsys = require('..');
const { FORMS, tmpdir, openFds, timeout, assertNoNewFds, caught } = require('./helpers');

const C = rawsys.constants;
const dir = tmpdir('rawsys-syscall-');


async function syscallFails(label, fn, code, syscall) {
  const err = await caught(label, fn);
  assert.instance(err, rawsys.SyscallError, err && err.stack);
  assert.is(err.code, code, err.message);
  assert.is(err.errno, -C[code]);
  assert.is(err.syscall, syscall);
  return err;
}

async function argFails(label, fn, Ctor, code) {
  const err = await caught(label, fn);
  assert.instance(err, Ctor, err && err.stack);
  assert.not.instance(err, rawsys.SyscallError);
  assert.is(err.code, code, err.message);
  return err;
}

/** A NUL-terminated C string field of `buf` at `off`, at most `len` bytes. */
function cstr(buf, off, len) {
  const field = buf.subarray(off, off + len);
  const end = field.indexOf(0);
  return field.toString('latin1', 0, end < 0 ? len : end);
}

for (const [label, api] of FORMS) {
  const t = (name, fn) => test(`${name} [${label}]`, fn);

  t('syscall: SYS_getpid returns BigInt(process.pid)', async () => {
    const r = await api.syscall(C.SYS_getpid);
    assert.is(typeof r, 'bigint');
    assert.is(r, BigInt(process.pid));
  });

  t('syscall: a string argument is passed as a C string (SYS_openat with AT_FDCWD, then SYS_close)', async () => {
    const file = path.join(dir, `open-${label}`);
    fs.writeFileSync(file, 'contents of the file');
    const before = openFds();
    const fd = await api.syscall(C.SYS_openat, C.AT_FDCWD, file, C.O_RDONLY | C.O_CLOEXEC);
    assert.is(typeof fd, 'bigint');
    assert.ok(fd >= 0n);
    const n = Number(fd);
    assert.is(fs.readlinkSync(`/proc/self/fd/${n}`), file);
    const flags = parseInt(fs.readFileSync(`/proc/self/fdinfo/${n}`, 'utf8').match(/^flags:\s+(\d+)/m)[1], 8);
    assert.ok(flags & C.O_CLOEXEC, 'O_CLOEXEC was passed through');
    const buf = Buffer.alloc(8);
    assert.is(rawsys.read(n, buf), 8);
    assert.is(buf.toString(), 'contents');
    assert.is(await api.syscall(C.SYS_close, fd), 0n);
    assertNoNewFds(before, 'after the call');
  });

  t('syscall: a non-ASCII string is passed as UTF-8 (SYS_openat with O_CREAT)', async () => {
    const name = path.join(dir, `ünï-✓-${label}`);
    const fd = await api.syscall(C.SYS_openat, C.AT_FDCWD, name, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_CLOEXEC, 0o600);
    await api.syscall(C.SYS_close, fd);
    assert.ok(fs.existsSync(name));
    assert.ok(fs.readdirSync(dir, { encoding: 'buffer' }).some((b) => b.equals(Buffer.from(path.basename(name), 'utf8'))));
  });

  t('syscall: a Buffer argument is passed as a pointer the kernel writes into (SYS_read)', async () => {
    const [r, w] = rawsys.pipe2();
    try {
      rawsys.write(w, 'hello, pipe');
      const buf = Buffer.alloc(32, 0x2e);
      const n = await api.syscall(C.SYS_read, r, buf, buf.length);
      assert.is(n, 11n);
      assert.is(buf.toString('latin1', 0, 11), 'hello, pipe');
      assert.is(buf[11], 0x2e, 'nothing written past the count');
    } finally {
      rawsys.close(r);
      rawsys.close(w);
    }
  });

  t("syscall: a view's pointer starts at its byte offset (Buffer subarray, DataView)", async () => {
    const [r, w] = rawsys.pipe2();
    try {
      rawsys.write(w, 'abcdef');
      const buf = Buffer.alloc(8, 0x2e);
      assert.is(await api.syscall(C.SYS_read, r, buf.subarray(3), 3), 3n);
      assert.is(buf.toString('latin1'), '...abc..');
      const ab = new ArrayBuffer(8);
      assert.is(await api.syscall(C.SYS_read, r, new DataView(ab, 5, 3), 3), 3n);
      assert.equal([...new Uint8Array(ab)], [0, 0, 0, 0, 0, 0x64, 0x65, 0x66]);
    } finally {
      rawsys.close(r);
      rawsys.close(w);
    }
  });

  t('syscall: SYS_write passes a Buffer the kernel reads from', async () => {
    const [r, w] = rawsys.pipe2();
    try {
      assert.is(await api.syscall(C.SYS_write, w, Buffer.from('written raw'), 11), 11n);
      const buf = Buffer.alloc(16);
      assert.is(rawsys.read(r, buf), 11);
      assert.is(buf.toString('latin1', 0, 11), 'written raw');
    } finally {
      rawsys.close(r);
      rawsys.close(w);
    }
  });

  t('syscall: SYS_pipe2 fills an Int32Array with two working descriptors', async () => {
    const fds = new Int32Array(2);
    assert.is(await api.syscall(C.SYS_pipe2, fds, C.O_CLOEXEC), 0n);
    const [r, w] = fds;
    assert.ok(r > 2 && w > 2 && r !== w, `${r}, ${w}`);
    try {
      assert.is(rawsys.write(w, 'through'), 7);
      const buf = Buffer.alloc(7);
      assert.is(rawsys.read(r, buf), 7);
      assert.is(buf.toString(), 'through');
      assert.ok(rawsys.fcntl(r, C.F_GETFD) & 1, 'FD_CLOEXEC from O_CLOEXEC');
    } finally {
      rawsys.close(r);
      rawsys.close(w);
    }
  });

  t('syscall: SYS_uname fills a 390-byte struct utsname', async () => {
    const buf = Buffer.alloc(390, 0xff); // 6 fields of 65 bytes
    assert.is(await api.syscall(C.SYS_uname, buf), 0n);
    assert.is(cstr(buf, 0, 65), 'Linux');
    assert.is(cstr(buf, 65, 65), os.hostname());
    assert.is(cstr(buf, 130, 65), os.release());
    if (process.arch === 'x64') assert.is(cstr(buf, 260, 65), 'x86_64');
  });

  t('syscall: bigint arguments are 64-bit words (SYS_lseek to 5n and to 2^40)', async () => {
    const file = path.join(dir, `seek-${label}`);
    fs.writeFileSync(file, '0123456789');
    const fd = rawsys.open(file, 'r');
    try {
      assert.is(await api.syscall(C.SYS_lseek, fd, 5n, BigInt(C.SEEK_SET)), 5n);
      const b = Buffer.alloc(2);
      rawsys.read(fd, b);
      assert.is(b.toString(), '56');
      assert.is(await api.syscall(C.SYS_lseek, BigInt(fd), 2n ** 40n, C.SEEK_SET), 2n ** 40n);
      assert.is(rawsys.lseek(fd, 0n, C.SEEK_CUR), 2n ** 40n);
      assert.is(await api.syscall(C.SYS_lseek, fd, -3n, C.SEEK_END), 7n, 'a negative bigint');
    } finally {
      rawsys.close(fd);
    }
  });

  t('syscall: a bigint up to 2^64-1 is passed as its bit pattern (SYS_close of 2^64-1 is fd -1: EBADF)', async () => {
    await syscallFails(label, () => api.syscall(C.SYS_close, 2n ** 64n - 1n), 'EBADF', 'close');
  });

  t('syscall: null and undefined pass 0 (SYS_uname(NULL) is EFAULT)', async () => {
    await syscallFails(label, () => api.syscall(C.SYS_uname, null), 'EFAULT', 'uname');
    await syscallFails(label, () => api.syscall(C.SYS_uname, undefined), 'EFAULT', 'uname');
  });

  // getpgid(0) is the caller's process group; getpgid(<no such pid>) is ESRCH.
  // Side-effect free, so it shows safely what a missing argument was passed as.
  t('syscall: missing arguments are passed as 0, not as leftovers of an earlier call (SYS_getpgid)', async () => {
    const own = await api.syscall(C.SYS_getpgid, 0);
    assert.is(own, BigInt(Number(rawsys.syscall(C.SYS_getpgid, process.pid))));
    await syscallFails(label, () => api.syscall(C.SYS_getpgid, 0x7ffffff0, 1, 2, 3, 4, 5), 'ESRCH', 'getpgid');
    let got;
    try {
      got = await api.syscall(C.SYS_getpgid);
    } catch (e) {
      got = e.code;
    }
    assert.is(got, own, `getpgid() with no argument gave ${got}: the missing argument was not passed as 0`);
    assert.is(await api.syscall(C.SYS_getpgid, undefined), own);
  });

  // -------------------------------------------------------------------------
  // Errors from the kernel

  t("syscall: SYS_close of a bad fd throws SyscallError EBADF, errno -9, syscall 'close'", async () => {
    const err = await syscallFails(label, () => api.syscall(C.SYS_close, 999999), 'EBADF', 'close');
    assert.is(err.errno, -9);
    assert.is(err.message, 'EBADF: bad file descriptor, close');
    assert.is(err.name, 'SyscallError');
    assert.instance(err, Error);
  });

  t("syscall: SYS_openat of a missing path throws ENOENT with syscall 'openat'", async () => {
    const missing = path.join(dir, 'no-such-dir', 'no-such-file');
    const before = openFds();
    const err = await syscallFails(label, () => api.syscall(C.SYS_openat, C.AT_FDCWD, missing, C.O_RDONLY | C.O_CLOEXEC), 'ENOENT', 'openat');
    assert.is(err.errno, -2);
    assertNoNewFds(before, 'after the call');
  });

  t('syscall: an unnamed syscall number is named "syscall N" in its error (ENOSYS)', async () => {
    const err = await syscallFails(label, () => api.syscall(100000), 'ENOSYS', 'syscall 100000');
    assert.is(err.errno, -38);
  });

  // -------------------------------------------------------------------------
  // Refused before any call

  // arm64's syscall table (the generic one) has no fork or vfork, only clone and clone3.
  const legacyFork = process.arch === 'arm64' ? [] : ['fork', 'vfork'];
  for (const name of [...legacyFork, 'clone', 'clone3', 'exit', 'rt_sigreturn', 'set_tid_address']) {
    t(`syscall: SYS_${name} is refused with TypeError ERR_INVALID_ARG_VALUE`, async () => {
      const nr = C[`SYS_${name}`];
      assert.type(nr, 'number');
      const err = await argFails(label, () => api.syscall(nr, 0, 0, 0, 0, 0, 0), TypeError, 'ERR_INVALID_ARG_VALUE');
      assert.match(err.message, `SYS_${name}`);
      assert.is(process.pid, Number(rawsys.syscall(C.SYS_getpid)), 'still this process');
    });
  }

  t('syscall: more than 6 arguments is RangeError ERR_OUT_OF_RANGE', async () => {
    const before = openFds();
    const file = path.join(dir, `seven-${label}`);
    await argFails(label, () => api.syscall(C.SYS_openat, C.AT_FDCWD, file, C.O_CREAT | C.O_WRONLY | C.O_CLOEXEC, 0o600, 0, 0, 0), RangeError, 'ERR_OUT_OF_RANGE');
    assert.not.ok(fs.existsSync(file), 'no call was made');
    assertNoNewFds(before, 'after the call');
  });

  t('syscall: a non-integer number argument is RangeError ERR_OUT_OF_RANGE', async () => {
    for (const bad of [1.5, NaN, Infinity, -Infinity, 2 ** 53, -(2 ** 53)]) {
      await argFails(label, () => api.syscall(C.SYS_getpid, bad), RangeError, 'ERR_OUT_OF_RANGE');
    }
  });

  t('syscall: a bigint outside [-(2^63), 2^64) is RangeError ERR_OUT_OF_RANGE', async () => {
    for (const bad of [2n ** 64n, -(2n ** 63n) - 1n, 1n << 70n]) {
      await argFails(label, () => api.syscall(C.SYS_getpid, bad), RangeError, 'ERR_OUT_OF_RANGE');
    }
  });

  t('syscall: an object, array, boolean, symbol, function or ArrayBuffer argument is TypeError ERR_INVALID_ARG_TYPE', async () => {
    for (const bad of [{}, [], [1], true, Symbol('s'), () => 0, new ArrayBuffer(8)]) {
      await argFails(label, () => api.syscall(C.SYS_getpid, bad), TypeError, 'ERR_INVALID_ARG_TYPE');
    }
  });

  t('syscall: a string argument with a NUL byte is TypeError ERR_INVALID_ARG_VALUE', async () => {
    const file = path.join(dir, `nul-${label}`);
    await argFails(label, () => api.syscall(C.SYS_openat, C.AT_FDCWD, `${file}\0tail`, C.O_CREAT | C.O_WRONLY | C.O_CLOEXEC, 0o600), TypeError, 'ERR_INVALID_ARG_VALUE');
    assert.not.ok(fs.existsSync(file), 'the truncated path was not created');
  });

  t('syscall: the syscall number must be a non-negative int32', async () => {
    await argFails(label, () => api.syscall(`${C.SYS_getpid}`), TypeError, 'ERR_INVALID_ARG_TYPE');
    await argFails(label, () => api.syscall(BigInt(C.SYS_getpid)), TypeError, 'ERR_INVALID_ARG_TYPE');
    await argFails(label, () => api.syscall(undefined), TypeError, 'ERR_INVALID_ARG_TYPE');
    await argFails(label, () => api.syscall(-1), RangeError, 'ERR_OUT_OF_RANGE');
    await argFails(label, () => api.syscall(1.5), RangeError, 'ERR_OUT_OF_RANGE');
    await argFails(label, () => api.syscall(2 ** 31), RangeError, 'ERR_OUT_OF_RANGE');
  });
}

// ---------------------------------------------------------------------------
// Promise form only: buffers stay pinned while calls are in flight.

test('syscall: 200 promise SYS_reads into fresh Buffers survive global.gc() while in flight [promises]', async () => {
  assert.type(global.gc, 'function', 'run with node --expose-gc');
  const N = 200;
  const REC = 8;
  const [r, w] = rawsys.pipe2();
  const guard = timeout(20000, 'the 200 reads did not complete');
  try {
    // Half of the buffers are kept (to check their data); the other half are
    // only referenced by the pending calls, watched through WeakRefs.
    const kept = [];
    const weak = [];
    const calls = [];
    for (let i = 0; i < N; i++) {
      const buf = Buffer.alloc(REC); // small: V8 may keep such typed arrays on its heap
      if (i % 2 === 0) kept.push(buf);
      else weak.push(new WeakRef(buf));
      calls.push(rawsys.promises.syscall(C.SYS_read, r, buf, REC));
    }
    // The pipe is empty: the reads are in flight (running or queued on the threadpool).
    await new Promise((resolve) => setImmediate(resolve)); // past the job that created the WeakRefs
    for (let i = 0; i < 3; i++) {
      global.gc();
      // Churn the heap so freed memory would be reused.
      for (let j = 0; j < 2000; j++) Buffer.alloc(REC, 0x55);
      await new Promise((resolve) => setImmediate(resolve));
    }
    global.gc();
    assert.ok(weak.every((ref) => ref.deref() !== undefined), 'a buffer of a pending call was collected');
    // Now the data: N records of REC bytes, each read by exactly one call.
    const records = [];
    for (let i = 0; i < N; i++) records.push(`#${String(i).padStart(REC - 2, '0')}\n`);
    const all = Buffer.from(records.join(''));
    let off = 0;
    while (off < all.length) off += rawsys.write(w, all, off);
    const results = await Promise.race([Promise.all(calls), guard]);
    assert.ok(results.every((n) => n === BigInt(REC)), `counts: ${[...new Set(results)]}`);
    const got = kept.map((b) => b.toString('latin1'));
    assert.is(new Set(got).size, got.length, 'every kept buffer got a distinct record');
    const valid = new Set(records);
    for (const g of got) assert.ok(valid.has(g), `unexpected data ${JSON.stringify(g)}`);
    global.gc();
  } finally {
    guard.cancel();
    guard.catch(() => {});
    rawsys.close(r);
    rawsys.close(w);
  }
});

// The async wrapper's suspended frame holds its arguments too, which would
// hide a missing pin in the test above: this one goes to the native core.
test('syscall: the native promise core pins buffers only it references while in flight (internal)', async () => {
  const { native } = require('../dist/cjs/binding');
  const [r, w] = rawsys.pipe2();
  const guard = timeout(20000, 'the native reads did not complete');
  try {
    const weak = [];
    const calls = [];
    for (let i = 0; i < 20; i++) {
      const buf = Buffer.alloc(8);
      weak.push(new WeakRef(buf));
      calls.push(native.syscallAsync(C.SYS_read, r, buf, 8));
    }
    for (let i = 0; i < 2; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      global.gc();
    }
    const alive = weak.filter((ref) => ref.deref() !== undefined).length;
    rawsys.write(w, Buffer.alloc(160, 1));
    const results = await Promise.race([Promise.all(calls), guard]);
    assert.is(alive, weak.length, 'buffers of pending calls were collected');
    assert.ok(results.every((n) => n === 8n));
  } finally {
    guard.cancel();
    guard.catch(() => {});
    rawsys.close(r);
    rawsys.close(w);
  }
});

test('syscall: promise SYS_uname into a buffer only the call references, with gc() in flight [promises]', async () => {
  const calls = [];
  for (let i = 0; i < 50; i++) {
    const buf = Buffer.alloc(390);
    calls.push(rawsys.promises.syscall(C.SYS_uname, buf).then((r) => [r, buf]));
    if (i % 10 === 0) global.gc();
  }
  global.gc();
  for (const [r, buf] of await Promise.all(calls)) {
    assert.is(r, 0n);
    assert.is(cstr(buf, 0, 65), 'Linux');
  }
});

test('syscall: rawsys.promises is require("rawsys/promises") and syscall the same function', () => {
  const p = require('rawsys/promises');
  assert.is(p.syscall, rawsys.promises.syscall);
  assert.is(p.SyscallError, rawsys.SyscallError);
});

test.run();
