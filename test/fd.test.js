'use strict';
// File-descriptor syscalls: each behaviour through the sync and the promise form.
const { test } = require('uvu');
const assert = require('uvu/assert');
const cp = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const rawsys = require('..');
const { tmpdir, FORMS, syscallError, throwsLike } = require('./helpers');

const C = rawsys.constants;
const dir = tmpdir();
let seq = 0;
const fresh = (content = '') => {
  const p = path.join(dir, `f${seq++}`);
  fs.writeFileSync(p, content);
  return p;
};
const cloexec = (fd) => (rawsys.fcntl(fd, C.F_GETFD) & C.FD_CLOEXEC) !== 0;

for (const [form, api] of FORMS) {
  const t = (name, fn) => test(`${name} (${form})`, fn);

  t('open: opens read-only by default, close-on-exec, and close releases it', async () => {
    const p = fresh('hello');
    const fd = await api.open(p);
    assert.ok(Number.isInteger(fd) && fd > 2);
    assert.ok(cloexec(fd), 'O_CLOEXEC set');
    assert.equal(rawsys.fcntl(fd, C.F_GETFL) & C.O_ACCMODE, C.O_RDONLY);
    assert.ok(fs.readlinkSync(`/proc/self/fd/${fd}`) === p);
    await api.close(fd);
    assert.not.ok(fs.existsSync(`/proc/self/fd/${fd}`));
  });

  t('open: flag strings and numbers, mode applies to created files', async () => {
    const p = path.join(dir, `created-${form}`);
    const fd = await api.open(p, C.O_CREAT | C.O_EXCL | C.O_WRONLY, 0o640);
    assert.equal(fs.statSync(p).mode & 0o777, 0o640 & ~process.umask());
    await api.close(fd);
    await syscallError(() => api.open(p, 'wx'), 'EEXIST', 'open', { path: p });
    const fd2 = await api.open(p, 'a');
    assert.ok(rawsys.fcntl(fd2, C.F_GETFL) & C.O_APPEND);
    await api.close(fd2);
  });

  t('open: ENOENT names the path; a URL and a Buffer path work', async () => {
    const err = await syscallError(() => api.open('/nonexistent/x'), 'ENOENT', 'open', { path: '/nonexistent/x' });
    assert.equal(err.message, "ENOENT: no such file or directory, open '/nonexistent/x'");
    const p = fresh('u');
    const fd = await api.open(new URL(`file://${p}`));
    await api.close(fd);
    const fd2 = await api.open(Buffer.from(p));
    await api.close(fd2);
  });

  t('openat: relative to a directory fd and to AT_FDCWD', async () => {
    const p = fresh('x');
    const dfd = await api.open(dir, C.O_RDONLY | C.O_DIRECTORY);
    const fd = await api.openat(dfd, path.basename(p));
    assert.ok(cloexec(fd));
    assert.equal(fs.readlinkSync(`/proc/self/fd/${fd}`), p);
    await api.close(fd);
    const fd2 = await api.openat(C.AT_FDCWD, p, 'r');
    await api.close(fd2);
    await syscallError(() => api.openat(dfd, 'missing'), 'ENOENT', 'openat', { path: 'missing' });
    const file = rawsys.open(p);
    await syscallError(() => api.openat(file, 'x'), 'ENOTDIR', 'openat');
    rawsys.close(file);
    await api.close(dfd);
  });

  t('close: EBADF for a closed descriptor', async () => {
    const fd = rawsys.open(fresh());
    rawsys.close(fd);
    await syscallError(() => api.close(fd), 'EBADF', 'close');
  });

  t('read/write: Buffer, TypedArray and DataView with offset and length', async () => {
    const p = fresh();
    const fd = await api.open(p, 'w+');
    assert.is(await api.write(fd, Buffer.from('0123456789'), 2, 5), 5);
    assert.is(await api.write(fd, 'héllo', 'utf8'), 6);
    assert.is(await api.write(fd, new Uint16Array([0x4241])), 2);
    const xyz = Buffer.from('xyz');
    assert.is(await api.write(fd, new DataView(xyz.buffer, xyz.byteOffset, 3)), 3);
    assert.is(fs.readFileSync(p, 'latin1'), '23456h\u00c3\u00a9lloABxyz');
    rawsys.lseek(fd, 0);
    const out = Buffer.alloc(8, 0);
    assert.is(await api.read(fd, out, 1, 4), 4);
    assert.equal(out.toString('latin1', 0, 5), '\u00002345');
    const u32 = new Uint32Array(2);
    assert.is(await api.read(fd, u32), 8);
    const dv = new DataView(new ArrayBuffer(64));
    assert.is(await api.read(fd, dv), 4, 'the rest');
    assert.is(await api.read(fd, dv), 0, 'end of file');
    await api.close(fd);
  });

  t('read/write: errors EBADF and EISDIR', async () => {
    const wfd = rawsys.open(fresh(), 'w');
    await syscallError(() => api.read(wfd, Buffer.alloc(4)), 'EBADF', 'read');
    rawsys.close(wfd);
    const rfd = rawsys.open(fresh());
    await syscallError(() => api.write(rfd, 'x'), 'EBADF', 'write');
    rawsys.close(rfd);
    const dfd = rawsys.open(dir, C.O_RDONLY | C.O_DIRECTORY);
    await syscallError(() => api.read(dfd, Buffer.alloc(4)), 'EISDIR', 'read');
    rawsys.close(dfd);
  });

  t('pread/pwrite: 64-bit positions as bigint are not truncated', async () => {
    const p = fresh();
    const fd = await api.open(p, 'w+');
    const pos = 2n ** 33n + 5n; // beyond 32 bits: a sparse file of 8 GiB
    assert.is(await api.pwrite(fd, Buffer.from('far'), pos), 3);
    assert.is(rawsys.fstat(fd).size, Number(pos) + 3);
    const b = Buffer.alloc(3);
    assert.is(await api.pread(fd, b, pos), 3);
    assert.is(b.toString(), 'far');
    assert.is(await api.pwrite(fd, 'near', 1), 4);
    assert.is(await api.pwrite(fd, Buffer.from('..ab..'), 2, 2, 10), 2);
    const c = Buffer.alloc(4);
    assert.is(await api.pread(fd, c, 1, 3, 1), 3);
    assert.is(c.toString('latin1'), '\u0000nea');
    assert.is(rawsys.lseek(fd, 0, C.SEEK_CUR), 0, 'the file offset did not move');
    await api.close(fd);
  });

  t('pread/pwrite: ESPIPE on a pipe, EINVAL on a negative position', async () => {
    const [r, w] = rawsys.pipe2();
    await syscallError(() => api.pwrite(w, 'x', 0), 'ESPIPE', 'pwrite');
    await syscallError(() => api.pread(r, Buffer.alloc(1), 0), 'ESPIPE', 'pread');
    await throwsLike(() => api.pread(r, Buffer.alloc(1), -1), { code: 'ERR_OUT_OF_RANGE' });
    rawsys.close(r);
    rawsys.close(w);
  });

  t('readv/writev: scatter and gather, with and without a position', async () => {
    const p = fresh();
    const fd = await api.open(p, 'w+');
    assert.is(await api.writev(fd, [Buffer.from('ab'), new Uint8Array([99, 100]), Buffer.from('ef')]), 6);
    assert.is(await api.writev(fd, [Buffer.from('XY')], 1), 2);
    assert.is(fs.readFileSync(p, 'utf8'), 'aXYdef');
    const a = Buffer.alloc(2);
    const b = Buffer.alloc(10);
    assert.is(await api.readv(fd, [a, b], 0), 6);
    assert.is(a.toString() + b.toString('utf8', 0, 4), 'aXYdef');
    rawsys.lseek(fd, 4);
    assert.is(await api.readv(fd, [a]), 2);
    assert.is(a.toString(), 'ef');
    await api.close(fd);
    await syscallError(() => api.readv(fd, [a]), 'EBADF', 'readv');
    await syscallError(() => api.writev(fd, [a], 0), 'EBADF', 'pwritev');
  });

  t('lseek: SEEK_END, bigint offsets, ESPIPE and EINVAL', async () => {
    const fd = rawsys.open(fresh('0123456789'), 'r+');
    assert.is(await api.lseek(fd, -3, C.SEEK_END), 7);
    assert.is(await api.lseek(fd, 2n ** 40n), 2n ** 40n);
    await syscallError(() => api.lseek(fd, -1), 'EINVAL', 'lseek');
    rawsys.close(fd);
    const [r, w] = rawsys.pipe2();
    await syscallError(() => api.lseek(r, 0), 'ESPIPE', 'lseek');
    rawsys.close(r);
    rawsys.close(w);
  });

  t('fsync/fdatasync: succeed on a file, EINVAL on a pipe', async () => {
    const fd = rawsys.open(fresh(), 'w');
    rawsys.write(fd, 'data');
    await api.fsync(fd);
    await api.fdatasync(fd);
    rawsys.close(fd);
    const [r, w] = rawsys.pipe2();
    await syscallError(() => api.fsync(r), 'EINVAL', 'fsync');
    await syscallError(() => api.fdatasync(w), 'EINVAL', 'fdatasync');
    rawsys.close(r);
    rawsys.close(w);
  });

  t('ftruncate: grows and shrinks, bigint length; EINVAL when not writable', async () => {
    const p = fresh('abcdef');
    const fd = rawsys.open(p, 'r+');
    await api.ftruncate(fd, 3);
    assert.is(fs.readFileSync(p, 'utf8'), 'abc');
    await api.ftruncate(fd, 2n ** 32n);
    assert.is(fs.statSync(p).size, 2 ** 32);
    await api.ftruncate(fd);
    assert.is(fs.statSync(p).size, 0);
    rawsys.close(fd);
    const ro = rawsys.open(p);
    await syscallError(() => api.ftruncate(ro, 1), 'EINVAL', 'ftruncate');
    rawsys.close(ro);
  });

  t('fstat: matches fs.fstatSync, bigint form has nanoseconds', async () => {
    const p = fresh('12345');
    const fd = rawsys.open(p);
    const st = await api.fstat(fd);
    const ref = fs.fstatSync(fd);
    for (const k of ['dev', 'ino', 'mode', 'nlink', 'uid', 'gid', 'rdev', 'size', 'blksize', 'blocks']) assert.is(st[k], ref[k], k);
    assert.ok(Math.abs(st.mtimeMs - ref.mtimeMs) < 1);
    assert.ok(st.isFile() && !st.isDirectory() && !st.isFIFO());
    const big = await api.fstat(fd, { bigint: true });
    assert.is(big.size, 5n);
    assert.is(big.mtimeNs, fs.fstatSync(fd, { bigint: true }).mtimeNs);
    rawsys.close(fd);
    const [r, w] = rawsys.pipe2();
    assert.ok((await api.fstat(r)).isFIFO());
    rawsys.close(r);
    rawsys.close(w);
    await syscallError(() => api.fstat(r), 'EBADF', 'fstat');
  });

  t('fcntl: F_GETFL/F_SETFL, F_GETFD/F_SETFD, F_DUPFD_CLOEXEC; lock commands refused', async () => {
    const fd = rawsys.open(fresh(), 'r+');
    assert.is((await api.fcntl(fd, C.F_GETFL)) & C.O_ACCMODE, C.O_RDWR);
    await api.fcntl(fd, C.F_SETFL, C.O_NONBLOCK | C.O_APPEND);
    assert.ok((await api.fcntl(fd, C.F_GETFL)) & C.O_APPEND);
    assert.is(await api.fcntl(fd, C.F_GETFD), C.FD_CLOEXEC);
    await api.fcntl(fd, C.F_SETFD, 0);
    assert.is(await api.fcntl(fd, C.F_GETFD), 0);
    const d = await api.fcntl(fd, C.F_DUPFD, 100);
    assert.ok(d >= 100 && cloexec(d), 'F_DUPFD is made close-on-exec too');
    rawsys.close(d);
    rawsys.close(fd);
    await syscallError(() => api.fcntl(fd, C.F_GETFD), 'EBADF', 'fcntl');
    await throwsLike(() => api.fcntl(0, C.F_SETLK), { code: 'ERR_INVALID_ARG_VALUE' });
  });

  t('dup/dup2/dup3: close-on-exec copies; dup2 of itself; dup3 of itself is EINVAL', async () => {
    const fd = rawsys.open(fresh('dup'));
    const a = await api.dup(fd);
    assert.ok(a !== fd && cloexec(a));
    const b = await api.dup2(fd, 200);
    assert.is(b, 200);
    assert.ok(cloexec(200));
    assert.is(await api.dup2(fd, fd), fd);
    const c = await api.dup3(fd, 201);
    assert.ok(cloexec(c));
    await syscallError(() => api.dup3(fd, fd), 'EINVAL', 'dup3');
    for (const x of [a, b, c, fd]) rawsys.close(x);
    await syscallError(() => api.dup(fd), 'EBADF', 'dup');
    await syscallError(() => api.dup2(fd, 202), 'EBADF', 'dup2');
    await syscallError(() => api.dup2(fd, fd), 'EBADF', 'dup2');
  });

  t('pipe2: a close-on-exec pipe; O_NONBLOCK read of an empty pipe is EAGAIN', async () => {
    const [r, w] = await api.pipe2(C.O_NONBLOCK);
    assert.ok(cloexec(r) && cloexec(w));
    await syscallError(() => api.read(r, Buffer.alloc(4)), 'EAGAIN', 'read');
    rawsys.write(w, 'ping');
    const b = Buffer.alloc(4);
    assert.is(await api.read(r, b), 4);
    assert.is(b.toString(), 'ping');
    rawsys.close(r);
    await syscallError(() => api.write(w, 'x'), 'EPIPE', 'write');
    rawsys.close(w);
    await throwsLike(() => api.pipe2(-1), { code: 'ERR_OUT_OF_RANGE' });
    await syscallError(() => api.pipe2(C.O_RDWR), 'EINVAL', 'pipe2');
  });

  t('chmod/fchmod: set permission bits; ENOENT/EBADF', async () => {
    const p = fresh();
    await api.chmod(p, 0o600);
    assert.is(fs.statSync(p).mode & 0o7777, 0o600);
    await api.chmod(p, '4755');
    assert.is(fs.statSync(p).mode & 0o7777, 0o4755);
    const fd = rawsys.open(p);
    await api.fchmod(fd, 0o640);
    assert.is(fs.statSync(p).mode & 0o7777, 0o640);
    rawsys.close(fd);
    await syscallError(() => api.chmod(path.join(dir, 'nope'), 0o600), 'ENOENT', 'chmod', { path: path.join(dir, 'nope') });
    await syscallError(() => api.fchmod(fd, 0o600), 'EBADF', 'fchmod');
    await throwsLike(() => api.chmod(p, 0o17777), { code: 'ERR_OUT_OF_RANGE' });
  });

  t('fchown: changes owner (root), -1 leaves one unchanged; EBADF', async () => {
    const p = fresh();
    const fd = rawsys.open(p);
    if (process.getuid() === 0) {
      await api.fchown(fd, 1234, 4321);
      assert.equal([fs.statSync(p).uid, fs.statSync(p).gid], [1234, 4321]);
      await api.fchown(fd, -1, 99);
      assert.equal([fs.statSync(p).uid, fs.statSync(p).gid], [1234, 99]);
    } else {
      await syscallError(() => api.fchown(fd, 1234, 4321), 'EPERM', 'fchown');
    }
    rawsys.close(fd);
    await syscallError(() => api.fchown(fd, 0, 0), 'EBADF', 'fchown');
  });

  t('mkdir/unlink: create and remove; EEXIST, ENOENT, EISDIR', async () => {
    const d = path.join(dir, `d-${form}`);
    await api.mkdir(d, 0o700);
    assert.ok(fs.statSync(d).isDirectory());
    assert.is(fs.statSync(d).mode & 0o777, 0o700 & ~process.umask());
    await syscallError(() => api.mkdir(d), 'EEXIST', 'mkdir', { path: d });
    await syscallError(() => api.unlink(d), 'EISDIR', 'unlink', { path: d });
    const f = fresh();
    await api.unlink(f);
    assert.not.ok(fs.existsSync(f));
    await syscallError(() => api.unlink(f), 'ENOENT', 'unlink', { path: f });
    await syscallError(() => api.mkdir(path.join(dir, 'a', 'b')), 'ENOENT', 'mkdir');
  });
}

test('mkdir: a path whose multibyte character crosses the inline buffer is not cut short', () => {
  // 'é' (2 bytes) at bytes 510-511: a copy of whole UTF-8 characters stops before it.
  const prefix = path.join(dir, 'p'.repeat(200), 'q'.repeat(200));
  fs.mkdirSync(prefix, { recursive: true });
  const filler = 'a'.repeat(510 - Buffer.byteLength(prefix) - 1);
  const full = path.join(prefix, `${filler}éXYZ`);
  assert.is(Buffer.byteLength(full) > 512, true);
  rawsys.mkdir(full);
  assert.ok(fs.existsSync(full), 'created under its whole name');
  assert.not.ok(fs.existsSync(path.join(prefix, filler)), 'not under a truncated one');
});

test('fds: none of ours leaks into a child across exec', () => {
  const ours = [];
  ours.push(rawsys.open(fresh('leak')));
  ours.push(rawsys.openat(C.AT_FDCWD, fresh('leak2'), 'r'));
  ours.push(...rawsys.pipe2());
  ours.push(rawsys.dup(ours[0]));
  ours.push(rawsys.dup2(ours[0], 150));
  ours.push(rawsys.dup3(ours[0], 151));
  ours.push(rawsys.fcntl(ours[0], C.F_DUPFD, 160));
  try {
    // The shell lists its own descriptors after exec: only what it inherited.
    const out = cp.execFileSync('/bin/sh', ['-c', 'ls /proc/$$/fd'], { encoding: 'utf8' });
    const inherited = out.split(/\s+/).filter(Boolean).map(Number);
    for (const fd of ours) assert.not.ok(inherited.includes(fd), `fd ${fd} leaked into the child: ${inherited}`);
  } finally {
    for (const fd of ours) rawsys.close(fd);
  }
});

test('memfdCreate: an anonymous close-on-exec file that can be sealed', async () => {
  const fd = rawsys.memfdCreate('rawsys-test', C.MFD_ALLOW_SEALING);
  assert.ok(rawsys.fcntl(fd, C.F_GETFD) & C.FD_CLOEXEC);
  rawsys.write(fd, 'sealed');
  rawsys.fcntl(fd, C.F_ADD_SEALS, C.F_SEAL_WRITE);
  await syscallError(() => rawsys.write(fd, 'more'), 'EPERM', 'write');
  const b = Buffer.alloc(16);
  assert.is(b.toString('utf8', 0, rawsys.pread(fd, b, 0)), 'sealed');
  rawsys.close(fd);
  const pfd = await rawsys.promises.memfdCreate('p');
  rawsys.close(pfd);
  await syscallError(() => rawsys.memfdCreate('x'.repeat(300)), 'EINVAL', 'memfd_create');
  await throwsLike(() => rawsys.memfdCreate(5), { code: 'ERR_INVALID_ARG_TYPE' });
});

test('poll: readiness and timeout of a pipe', async () => {
  const [rd, wr] = rawsys.pipe2();
  const fds = [{ fd: rd, events: C.POLLIN }, { fd: wr, events: C.POLLOUT }];
  assert.is(rawsys.poll(fds, 0), 1);
  assert.equal([fds[0].revents, fds[1].revents], [0, C.POLLOUT]);
  const t = Date.now();
  assert.is(rawsys.poll([{ fd: rd, events: C.POLLIN }], 30), 0);
  assert.ok(Date.now() - t >= 25, 'waited for the timeout');
  rawsys.write(wr, 'x');
  rawsys.close(wr);
  const one = [{ fd: rd, events: C.POLLIN }];
  assert.is(rawsys.poll(one, -1), 1);
  assert.ok(one[0].revents & C.POLLIN);
  rawsys.close(rd);
  const bad = [{ fd: 99999, events: C.POLLIN }];
  assert.is(rawsys.poll(bad, 0), 1);
  assert.is(bad[0].revents, C.POLLNVAL);
  await throwsLike(() => rawsys.poll([{ fd: 'x', events: 1 }]), { code: 'ERR_INVALID_ARG_TYPE' });
  await throwsLike(() => rawsys.poll([], -2), { code: 'ERR_OUT_OF_RANGE' });
});

test.run();
