'use strict';
// Extended attributes against the real kernel: get/set/list/remove in their
// path, l* (symlink itself) and f* (descriptor) forms, sync and promise forms
// side by side, XATTR_CREATE/XATTR_REPLACE, errors, and a POSIX ACL round trip.
const { test } = require('uvu');
const assert = require('uvu/assert');
const cp = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const rawsys = require('..');
const { FORMS, caught } = require('./helpers');

const C = rawsys.constants;

// ---------------------------------------------------------------------------
// Where to test: a directory whose filesystem supports user.* xattrs. The
// os.tmpdir() filesystem first (ext4 here), else /dev/shm (tmpfs supports
// user.* xattrs since Linux 6.6). Nothing is mounted.

function probe(base) {
  let dir;
  try {
    dir = fs.mkdtempSync(path.join(base, 'rawsys-xattr-'));
  } catch {
    return null;
  }
  const f = path.join(dir, 'probe');
  try {
    fs.writeFileSync(f, '');
    rawsys.setxattr(f, 'user.probe', 'x');
    fs.unlinkSync(f);
    return dir;
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    if (e.code === 'ENOTSUP' || e.code === 'EPERM') return null;
    throw e;
  }
}

const BASE = probe(os.tmpdir()) || probe('/dev/shm');
if (BASE) {
  process.on('exit', () => fs.rmSync(BASE, { recursive: true, force: true }));
} else {
  console.log(`\n  SKIP xattr.test.js: neither ${os.tmpdir()} nor /dev/shm supports user.* extended attributes\n`);
}
/** `test`, or `test.skip` when no filesystem here supports user.* xattrs. */
const xtest = BASE ? test : test.skip;

let counter = 0;
/** A fresh regular file in BASE. */
function fresh(content = '') {
  const f = path.join(BASE, `f${counter++}`);
  fs.writeFileSync(f, content);
  return f;
}
/** A fresh symlink in BASE pointing at `target`. */
function link(target) {
  const l = path.join(BASE, `l${counter++}`);
  fs.symlinkSync(target, l);
  return l;
}
/** Runs fn(fd) with a descriptor of `file`, then closes it. */
async function withFd(file, flags, fn) {
  const fd = rawsys.open(file, flags);
  try {
    return await fn(fd);
  } finally {
    rawsys.close(fd);
  }
}

/**
 * Calls fn and asserts the failure: the sync form must throw synchronously, the
 * promise form must return a Promise that rejects. Then checks that the error
 * is a SyscallError with `code`, errno (negative) and `syscall`, and `path`
 * when `expectedPath` is given (a string), or an undefined path when it is null.
 */
async function fails(label, fn, code, syscall, expectedPath) {
  const err = await caught(label, fn);
  assert.instance(err, rawsys.SyscallError, `${err && err.stack}`);
  assert.is(err.code, code, err.message);
  assert.is(err.errno, -C[code]);
  assert.ok(err.errno < 0);
  assert.is(err.syscall, syscall);
  if (expectedPath === null) {
    // (Whether the property exists at all is checked in errors.test.js.)
    assert.is(err.path, undefined, 'a descriptor call has no path');
    assert.ok(err.message.endsWith(`, ${syscall}`), err.message);
  } else if (expectedPath !== undefined) {
    assert.is(err.path, expectedPath);
    assert.ok(err.message.endsWith(`, ${syscall} '${expectedPath}'`), err.message);
  }
  return err;
}

const str = (b) => Buffer.from(b).toString('utf8');

// A POSIX ACL in the kernel's xattr format (include/uapi/linux/posix_acl_xattr.h):
// a 4-byte little-endian version (2), then entries { u16 tag, u16 perm, u32 id }.
const ACL_USER_OBJ = 0x01;
const ACL_USER = 0x02;
const ACL_GROUP_OBJ = 0x04;
const ACL_MASK = 0x10;
const ACL_OTHER = 0x20;
const NOID = 0xffffffff; // ACL_UNDEFINED_ID, what the kernel reports for the *_OBJ, MASK and OTHER entries

function acl(entries) {
  const b = Buffer.alloc(4 + 8 * entries.length);
  b.writeUInt32LE(2, 0);
  entries.forEach(([tag, perm, id = NOID], i) => {
    b.writeUInt16LE(tag, 4 + 8 * i);
    b.writeUInt16LE(perm, 6 + 8 * i);
    b.writeUInt32LE(id, 8 + 8 * i);
  });
  return b;
}
function parseAcl(buf) {
  assert.is(buf.readUInt32LE(0), 2, 'ACL xattr version');
  assert.is((buf.length - 4) % 8, 0, 'ACL xattr length');
  const out = [];
  for (let o = 4; o < buf.length; o += 8) out.push([buf.readUInt16LE(o), buf.readUInt16LE(o + 2), buf.readUInt32LE(o + 4)]);
  return out;
}
const mode = (f) => fs.statSync(f).mode & 0o7777;

/** Whether the filesystem of BASE supports POSIX ACLs (tmpfs: CONFIG_TMPFS_POSIX_ACL). */
function aclSupported() {
  const f = fresh();
  try {
    rawsys.setxattr(f, 'system.posix_acl_access', acl([[ACL_USER_OBJ, 6], [ACL_USER, 4, 1234], [ACL_GROUP_OBJ, 4], [ACL_MASK, 4], [ACL_OTHER, 0]]));
    return true;
  } catch (e) {
    if (e.code === 'ENOTSUP') return false;
    throw e;
  }
}
/** Whether trusted.* xattrs can be set on a symlink here (CAP_SYS_ADMIN: root). */
function trustedSupported() {
  const l = link(fresh());
  try {
    rawsys.lsetxattr(l, 'trusted.probe', 'x');
    return true;
  } catch (e) {
    if (e.code === 'EPERM' || e.code === 'ENOTSUP') return false;
    throw e;
  }
}
const TRUSTED = BASE ? trustedSupported() : false;
if (BASE && !TRUSTED) console.log(`\n  SKIP trusted.* symlink tests: trusted.* xattrs need CAP_SYS_ADMIN (or ${BASE} lacks them)\n`);

const ACLS = BASE ? aclSupported() : false;
if (BASE && !ACLS) console.log(`\n  SKIP POSIX ACL tests: the filesystem of ${BASE} does not support ACLs (ENOTSUP)\n`);
const acltest = ACLS ? test : test.skip;

/** setfacl(1) from the acl package, for a cross-check with an independent writer of the format. */
const SETFACL = ['/usr/bin/setfacl', '/bin/setfacl'].find((p) => fs.existsSync(p));
if (ACLS && !SETFACL) console.log('\n  SKIP setfacl cross-check: setfacl(1) is not installed (apt-get install acl)\n');
const setfacltest = ACLS && SETFACL ? test : test.skip;

for (const [label, api] of FORMS) {
  const t = (name, fn) => xtest(`${name} [${label}]`, fn);
  /** For tests that put trusted.* attributes on symlinks (user.* is EPERM there). */
  const tt = (name, fn) => (TRUSTED ? test : test.skip)(`${name} [${label}]`, fn);

  // -------------------------------------------------------------------------
  // setxattr / getxattr

  t('setxattr: stores a Buffer value that getxattr returns byte for byte', async () => {
    const f = fresh();
    const value = Buffer.from([0, 1, 2, 0xff, 0, 0x80, 0x7f]);
    assert.is(await api.setxattr(f, 'user.bin', value), undefined);
    const got = await api.getxattr(f, 'user.bin');
    assert.ok(Buffer.isBuffer(got), 'getxattr returns a Buffer');
    assert.equal([...got], [...value]);
  });

  t('setxattr: stores a string as UTF-8', async () => {
    const f = fresh();
    await api.setxattr(f, 'user.text', 'héllo ✓ wörld');
    const got = await api.getxattr(f, 'user.text');
    assert.ok(got.equals(Buffer.from('héllo ✓ wörld', 'utf8')));
    assert.is(got.toString(), 'héllo ✓ wörld');
  });

  t('setxattr: stores an empty value (string, Buffer and DataView); getxattr returns an empty Buffer', async () => {
    const f = fresh();
    await api.setxattr(f, 'user.e1', '');
    await api.setxattr(f, 'user.e2', Buffer.alloc(0));
    await api.setxattr(f, 'user.e3', new DataView(new ArrayBuffer(0)));
    for (const name of ['user.e1', 'user.e2', 'user.e3']) {
      const got = await api.getxattr(f, name);
      assert.ok(Buffer.isBuffer(got));
      assert.is(got.length, 0, name);
    }
    assert.equal((await api.listxattr(f)).sort(), ['user.e1', 'user.e2', 'user.e3']);
  });

  t('setxattr: stores exactly the bytes a view covers (subarray, DataView, TypedArray)', async () => {
    const f = fresh();
    await api.setxattr(f, 'user.sub', Buffer.from('xxhelloxx').subarray(2, 7));
    assert.is(str(await api.getxattr(f, 'user.sub')), 'hello');
    const ab = new ArrayBuffer(10);
    new Uint8Array(ab).set(Buffer.from('0123456789'));
    await api.setxattr(f, 'user.dv', new DataView(ab, 3, 4));
    assert.is(str(await api.getxattr(f, 'user.dv')), '3456');
    await api.setxattr(f, 'user.u16', new Uint16Array(ab, 2, 2));
    assert.is(str(await api.getxattr(f, 'user.u16')), '2345');
    await api.setxattr(f, 'user.u32', new Uint32Array([0x64636261]));
    assert.is(str(await api.getxattr(f, 'user.u32')), 'abcd');
  });

  t('setxattr: replaces an existing value when no flags are given', async () => {
    const f = fresh();
    await api.setxattr(f, 'user.r', 'first, longer value');
    await api.setxattr(f, 'user.r', 'second');
    assert.is(str(await api.getxattr(f, 'user.r')), 'second');
    await api.setxattr(f, 'user.r', 'third', 0);
    assert.is(str(await api.getxattr(f, 'user.r')), 'third');
  });

  t('setxattr: XATTR_CREATE creates a new attribute and fails with EEXIST on an existing one', async () => {
    const f = fresh();
    await api.setxattr(f, 'user.c', 'one', C.XATTR_CREATE);
    assert.is(str(await api.getxattr(f, 'user.c')), 'one');
    const err = await fails(label, () => api.setxattr(f, 'user.c', 'two', C.XATTR_CREATE), 'EEXIST', 'setxattr', f);
    assert.is(err.errno, -17);
    assert.is(str(await api.getxattr(f, 'user.c')), 'one', 'the value is unchanged');
  });

  t('setxattr: XATTR_REPLACE replaces an existing attribute and fails with ENODATA on a missing one', async () => {
    const f = fresh();
    const err = await fails(label, () => api.setxattr(f, 'user.rp', 'v', C.XATTR_REPLACE), 'ENODATA', 'setxattr', f);
    assert.is(err.errno, -61);
    assert.equal(await api.listxattr(f), [], 'nothing was created');
    await api.setxattr(f, 'user.rp', 'old');
    await api.setxattr(f, 'user.rp', 'new', C.XATTR_REPLACE);
    assert.is(str(await api.getxattr(f, 'user.rp')), 'new');
  });

  t('setxattr: ENOENT for a missing file, with path and errno -2', async () => {
    const missing = path.join(BASE, 'no-such-dir', 'no-such-file');
    const err = await fails(label, () => api.setxattr(missing, 'user.x', 'v'), 'ENOENT', 'setxattr', missing);
    assert.is(err.errno, -2);
  });

  t('setxattr: E2BIG for a value over 64 KiB (XATTR_SIZE_MAX)', async () => {
    const f = fresh();
    await fails(label, () => api.setxattr(f, 'user.big', Buffer.alloc(65537)), 'E2BIG', 'setxattr', f);
  });

  t('setxattr: EINVAL for unknown flag bits', async () => {
    const f = fresh();
    await fails(label, () => api.setxattr(f, 'user.x', 'v', 4), 'EINVAL', 'setxattr', f);
  });

  t('setxattr: accepts a Buffer path, a file: URL and a Buffer name', async () => {
    const f = fresh();
    await api.setxattr(Buffer.from(f), Buffer.from('user.bufname'), 'a');
    await api.setxattr(pathToFileURL(f), 'user.url', 'b');
    assert.is(str(await api.getxattr(f, 'user.bufname')), 'a');
    assert.is(str(await api.getxattr(pathToFileURL(f), 'user.url')), 'b');
    assert.is(str(await api.getxattr(Buffer.from(f), Buffer.from('user.url'))), 'b');
  });

  t('getxattr: reads back a 64 KiB value (XATTR_SIZE_MAX) where the filesystem has room for one', async () => {
    const f = fresh();
    const value = Buffer.alloc(65536);
    for (let i = 0; i < value.length; i++) value[i] = (i * 7) & 0xff;
    try {
      await api.setxattr(f, 'user.max', value);
    } catch (e) {
      // ext4 without the ea_inode feature has no room for a 64 KiB value.
      if (e.code === 'ENOSPC' || e.code === 'E2BIG') return;
      throw e;
    }
    assert.ok((await api.getxattr(f, 'user.max')).equals(value));
  });

  t('getxattr: ENODATA (errno -61) for a missing attribute, with syscall and path', async () => {
    const f = fresh();
    const err = await fails(label, () => api.getxattr(f, 'user.missing'), 'ENODATA', 'getxattr', f);
    assert.is(err.errno, -61);
    assert.is(err.message, `ENODATA: no data available, getxattr '${f}'`);
  });

  t('getxattr: ENOENT for a missing file', async () => {
    const missing = path.join(BASE, 'missing-file');
    await fails(label, () => api.getxattr(missing, 'user.x'), 'ENOENT', 'getxattr', missing);
  });

  t('getxattr: ENOTSUP for a name outside the known namespaces', async () => {
    const f = fresh();
    await fails(label, () => api.getxattr(f, 'nonamespace'), 'ENOTSUP', 'getxattr', f);
  });

  t('getxattr: follows a symlink to its target', async () => {
    const f = fresh();
    const l = link(f);
    await api.setxattr(f, 'user.t', 'target');
    assert.is(str(await api.getxattr(l, 'user.t')), 'target');
  });

  t('getxattr: ENOENT through a dangling symlink', async () => {
    const l = link(path.join(BASE, 'nowhere'));
    await fails(label, () => api.getxattr(l, 'user.t'), 'ENOENT', 'getxattr', l);
  });

  // -------------------------------------------------------------------------
  // l* forms: the symlink itself

  t("lgetxattr: reads the symlink's own attributes, not its target's (ENODATA, syscall lgetxattr)", async () => {
    const f = fresh();
    const l = link(f);
    await api.setxattr(f, 'user.t', 'target');
    const err = await fails(label, () => api.lgetxattr(l, 'user.t'), 'ENODATA', 'lgetxattr', l);
    assert.is(err.errno, -61);
  });

  t('lgetxattr: on a regular file reads like getxattr', async () => {
    const f = fresh();
    await api.setxattr(f, 'user.plain', 'p');
    assert.is(str(await api.lgetxattr(f, 'user.plain')), 'p');
  });

  t('lsetxattr: user.* on a symlink is EPERM (the kernel allows user.* on regular files and directories only)', async () => {
    const f = fresh();
    const l = link(f);
    const err = await fails(label, () => api.lsetxattr(l, 'user.onlink', 'v'), 'EPERM', 'lsetxattr', l);
    assert.is(err.errno, -1);
    assert.equal(await api.listxattr(f), [], 'the target did not get it either');
  });

  tt('lsetxattr: trusted.* lands on the symlink itself, not on its target', async () => {
    const f = fresh();
    const l = link(f);
    await api.lsetxattr(l, 'trusted.onlink', 'link value');
    assert.is(str(await api.lgetxattr(l, 'trusted.onlink')), 'link value');
    assert.equal(await api.llistxattr(l), ['trusted.onlink']);
    assert.equal(await api.listxattr(l), [], 'the target (listxattr follows) has none');
    await fails(label, () => api.getxattr(l, 'trusted.onlink'), 'ENODATA', 'getxattr', l);
  });

  tt('lsetxattr: XATTR_CREATE / XATTR_REPLACE give EEXIST / ENODATA on the link itself', async () => {
    const l = link(fresh());
    await fails(label, () => api.lsetxattr(l, 'trusted.f', 'v', C.XATTR_REPLACE), 'ENODATA', 'lsetxattr', l);
    await api.lsetxattr(l, 'trusted.f', 'v', C.XATTR_CREATE);
    await fails(label, () => api.lsetxattr(l, 'trusted.f', 'w', C.XATTR_CREATE), 'EEXIST', 'lsetxattr', l);
    await api.lsetxattr(l, 'trusted.f', 'w', C.XATTR_REPLACE);
    assert.is(str(await api.lgetxattr(l, 'trusted.f')), 'w');
  });

  tt('lsetxattr: works on a dangling symlink, where setxattr gives ENOENT', async () => {
    const l = link(path.join(BASE, 'nowhere'));
    await fails(label, () => api.setxattr(l, 'trusted.d', 'v'), 'ENOENT', 'setxattr', l);
    await api.lsetxattr(l, 'trusted.d', 'v');
    assert.is(str(await api.lgetxattr(l, 'trusted.d')), 'v');
  });

  t('lsetxattr: ENOENT for a missing path', async () => {
    const missing = path.join(BASE, 'missing-link');
    await fails(label, () => api.lsetxattr(missing, 'user.x', 'v'), 'ENOENT', 'lsetxattr', missing);
  });

  t("llistxattr: lists the symlink's own names; listxattr follows it", async () => {
    const f = fresh();
    const l = link(f);
    await api.setxattr(f, 'user.a', '1');
    await api.setxattr(f, 'user.b', '2');
    assert.equal((await api.listxattr(l)).sort(), ['user.a', 'user.b']);
    assert.equal(await api.llistxattr(l), []);
  });

  t('llistxattr: lists a dangling symlink, where listxattr gives ENOENT', async () => {
    const l = link(path.join(BASE, 'nowhere'));
    assert.equal(await api.llistxattr(l), []);
    await fails(label, () => api.listxattr(l), 'ENOENT', 'listxattr', l);
  });

  t('llistxattr: ENOENT for a missing path, with syscall llistxattr', async () => {
    const missing = path.join(BASE, 'missing');
    const err = await fails(label, () => api.llistxattr(missing), 'ENOENT', 'llistxattr', missing);
    assert.is(err.errno, -2);
  });

  tt('lremovexattr: removes the symlink\'s own attribute and leaves the target\'s', async () => {
    const f = fresh();
    const l = link(f);
    await api.setxattr(f, 'trusted.both', 'target');
    await api.lsetxattr(l, 'trusted.both', 'link');
    assert.is(await api.lremovexattr(l, 'trusted.both'), undefined);
    assert.equal(await api.llistxattr(l), []);
    assert.is(str(await api.getxattr(f, 'trusted.both')), 'target');
  });

  t('lremovexattr: user.* on a symlink is EPERM', async () => {
    const l = link(fresh());
    await fails(label, () => api.lremovexattr(l, 'user.x'), 'EPERM', 'lremovexattr', l);
  });

  tt('lremovexattr: ENODATA for a missing attribute', async () => {
    const l = link(fresh());
    const err = await fails(label, () => api.lremovexattr(l, 'trusted.missing'), 'ENODATA', 'lremovexattr', l);
    assert.is(err.errno, -61);
  });

  // -------------------------------------------------------------------------
  // f* forms: a descriptor

  t('fgetxattr: reads through a descriptor', async () => {
    const f = fresh();
    await api.setxattr(f, 'user.fd', Buffer.from([9, 8, 7]));
    await withFd(f, 'r', async (fd) => {
      assert.equal([...(await api.fgetxattr(fd, 'user.fd'))], [9, 8, 7]);
    });
  });

  t('fgetxattr: ENODATA (errno -61) with no path for a missing attribute', async () => {
    const f = fresh();
    await withFd(f, 'r', async (fd) => {
      const err = await fails(label, () => api.fgetxattr(fd, 'user.missing'), 'ENODATA', 'fgetxattr', null);
      assert.is(err.message, 'ENODATA: no data available, fgetxattr');
    });
  });

  t('fgetxattr: EBADF for a closed descriptor', async () => {
    const fd = rawsys.open(fresh(), 'r');
    rawsys.close(fd);
    const err = await fails(label, () => api.fgetxattr(fd, 'user.x'), 'EBADF', 'fgetxattr', null);
    assert.is(err.errno, -9);
  });

  t('fsetxattr: sets through a descriptor, also one opened read-only', async () => {
    const f = fresh();
    await withFd(f, 'r', async (fd) => {
      await api.fsetxattr(fd, 'user.viafd', 'set via fd');
      assert.is(str(await api.fgetxattr(fd, 'user.viafd')), 'set via fd');
    });
    assert.is(str(await api.getxattr(f, 'user.viafd')), 'set via fd');
  });

  t('fsetxattr: XATTR_CREATE / XATTR_REPLACE give EEXIST / ENODATA, with no path', async () => {
    const f = fresh();
    await withFd(f, 'r+', async (fd) => {
      const e1 = await fails(label, () => api.fsetxattr(fd, 'user.x', 'v', C.XATTR_REPLACE), 'ENODATA', 'fsetxattr', null);
      assert.is(e1.errno, -61);
      await api.fsetxattr(fd, 'user.x', 'v', C.XATTR_CREATE);
      const e2 = await fails(label, () => api.fsetxattr(fd, 'user.x', 'w', C.XATTR_CREATE), 'EEXIST', 'fsetxattr', null);
      assert.is(e2.errno, -17);
      await api.fsetxattr(fd, 'user.x', 'w', C.XATTR_REPLACE);
      assert.is(str(await api.fgetxattr(fd, 'user.x')), 'w');
    });
  });

  t('fsetxattr: EBADF for a closed descriptor', async () => {
    const fd = rawsys.open(fresh(), 'r');
    rawsys.close(fd);
    await fails(label, () => api.fsetxattr(fd, 'user.x', 'v'), 'EBADF', 'fsetxattr', null);
  });

  t('flistxattr: lists through a descriptor', async () => {
    const f = fresh();
    await withFd(f, 'r', async (fd) => {
      assert.equal(await api.flistxattr(fd), []);
      await api.fsetxattr(fd, 'user.one', '1');
      await api.fsetxattr(fd, 'user.two', '');
      assert.equal((await api.flistxattr(fd)).sort(), ['user.one', 'user.two']);
    });
  });

  t('flistxattr: EBADF (errno -9) with no path for a closed descriptor', async () => {
    const fd = rawsys.open(fresh(), 'r');
    rawsys.close(fd);
    const err = await fails(label, () => api.flistxattr(fd), 'EBADF', 'flistxattr', null);
    assert.is(err.errno, -9);
  });

  t('fremovexattr: removes through a descriptor', async () => {
    const f = fresh();
    await api.setxattr(f, 'user.gone', 'x');
    await withFd(f, 'r', async (fd) => {
      assert.is(await api.fremovexattr(fd, 'user.gone'), undefined);
      assert.equal(await api.flistxattr(fd), []);
    });
  });

  t('fremovexattr: ENODATA with no path for a missing attribute', async () => {
    await withFd(fresh(), 'r', async (fd) => {
      await fails(label, () => api.fremovexattr(fd, 'user.missing'), 'ENODATA', 'fremovexattr', null);
    });
  });

  t('fremovexattr: EBADF for a closed descriptor', async () => {
    const fd = rawsys.open(fresh(), 'r');
    rawsys.close(fd);
    await fails(label, () => api.fremovexattr(fd, 'user.x'), 'EBADF', 'fremovexattr', null);
  });

  // -------------------------------------------------------------------------
  // listxattr / removexattr

  t('listxattr: lists every name, and [] for a file without attributes', async () => {
    const f = fresh();
    assert.equal(await api.listxattr(f), []);
    const names = ['user.a', 'user.bb', 'user.ccc', 'user.ünïcode'];
    if (TRUSTED) names.push('trusted.t');
    for (const n of names) await api.setxattr(f, n, n);
    const listed = await api.listxattr(f);
    assert.ok(Array.isArray(listed));
    assert.equal([...listed].sort(), [...names].sort());
  });

  t('listxattr: ENOENT (errno -2) for a missing path', async () => {
    const missing = path.join(BASE, 'missing');
    const err = await fails(label, () => api.listxattr(missing), 'ENOENT', 'listxattr', missing);
    assert.is(err.errno, -2);
  });

  t('removexattr: removes one attribute and leaves the others', async () => {
    const f = fresh();
    await api.setxattr(f, 'user.keep', 'k');
    await api.setxattr(f, 'user.drop', 'd');
    assert.is(await api.removexattr(f, 'user.drop'), undefined);
    assert.equal(await api.listxattr(f), ['user.keep']);
    await fails(label, () => api.getxattr(f, 'user.drop'), 'ENODATA', 'getxattr', f);
  });

  t('removexattr: follows a symlink to its target', async () => {
    const f = fresh();
    const l = link(f);
    await api.setxattr(f, 'user.x', 'x');
    await api.removexattr(l, 'user.x');
    assert.equal(await api.listxattr(f), []);
  });

  t('removexattr: ENODATA (errno -61) for a missing attribute, with path', async () => {
    const f = fresh();
    const err = await fails(label, () => api.removexattr(f, 'user.missing'), 'ENODATA', 'removexattr', f);
    assert.is(err.errno, -61);
  });

  t('removexattr: ENOENT for a missing file', async () => {
    const missing = path.join(BASE, 'missing');
    await fails(label, () => api.removexattr(missing, 'user.x'), 'ENOENT', 'removexattr', missing);
  });

  // -------------------------------------------------------------------------
  // POSIX ACLs: system.posix_acl_access / system.posix_acl_default

  const at = (name, fn) => acltest(`${name} [${label}]`, fn);

  at('setxattr: a POSIX access ACL round-trips through getxattr, and the kernel derives the mode bits from it', async () => {
    const f = fresh();
    fs.chmodSync(f, 0o600);
    const entries = [
      [ACL_USER_OBJ, 6], [ACL_USER, 4, 1234], [ACL_GROUP_OBJ, 4], [ACL_MASK, 5], [ACL_OTHER, 1],
    ];
    await api.setxattr(f, 'system.posix_acl_access', acl(entries));
    const got = await api.getxattr(f, 'system.posix_acl_access');
    assert.ok(got.equals(acl(entries)), `read back ${got.toString('hex')}`);
    // owner = USER_OBJ, group = MASK (not GROUP_OBJ) when there is a mask, other = OTHER.
    assert.is(mode(f).toString(8), '651');
    assert.ok((await api.listxattr(f)).includes('system.posix_acl_access'));
    // And the other way: chmod rewrites the ACL's USER_OBJ, MASK and OTHER entries.
    fs.chmodSync(f, 0o740);
    assert.equal(parseAcl(await api.getxattr(f, 'system.posix_acl_access')), [
      [ACL_USER_OBJ, 7, NOID], [ACL_USER, 4, 1234], [ACL_GROUP_OBJ, 4, NOID], [ACL_MASK, 4, NOID], [ACL_OTHER, 0, NOID],
    ]);
  });

  setfacltest(`getxattr: reads the ACL setfacl(1) wrote, in the kernel's binary format [${label}]`, async () => {
    const f = fresh();
    fs.chmodSync(f, 0o640);
    cp.execFileSync(SETFACL, ['-m', 'u:42:rwx,m::r-x', f]);
    assert.equal(parseAcl(await api.getxattr(f, 'system.posix_acl_access')), [
      [ACL_USER_OBJ, 6, NOID], [ACL_USER, 7, 42], [ACL_GROUP_OBJ, 4, NOID], [ACL_MASK, 5, NOID], [ACL_OTHER, 0, NOID],
    ]);
    assert.is(mode(f).toString(8), '650');
  });

  at('fsetxattr: a POSIX access ACL set through a descriptor reads back with fgetxattr', async () => {
    const f = fresh();
    const bytes = acl([[ACL_USER_OBJ, 7], [ACL_USER, 6, 4321], [ACL_GROUP_OBJ, 0], [ACL_MASK, 6], [ACL_OTHER, 4]]);
    await withFd(f, 'r', async (fd) => {
      await api.fsetxattr(fd, 'system.posix_acl_access', bytes);
      assert.ok((await api.fgetxattr(fd, 'system.posix_acl_access')).equals(bytes));
    });
    assert.is(mode(f).toString(8), '764');
  });

  at('setxattr: an ACL equivalent to the mode bits only sets the mode (no xattr is stored)', async () => {
    const f = fresh();
    await api.setxattr(f, 'system.posix_acl_access', acl([[ACL_USER_OBJ, 6], [ACL_GROUP_OBJ, 2], [ACL_OTHER, 1]]));
    assert.is(mode(f).toString(8), '621');
    await fails(label, () => api.getxattr(f, 'system.posix_acl_access'), 'ENODATA', 'getxattr', f);
  });

  at('setxattr: an ACL with a named user but no mask is EINVAL', async () => {
    const f = fresh();
    const bad = acl([[ACL_USER_OBJ, 6], [ACL_USER, 4, 1234], [ACL_GROUP_OBJ, 4], [ACL_OTHER, 0]]);
    await fails(label, () => api.setxattr(f, 'system.posix_acl_access', bad), 'EINVAL', 'setxattr', f);
  });

  at('removexattr: removing the access ACL leaves the mode bits as they were', async () => {
    const f = fresh();
    await api.setxattr(f, 'system.posix_acl_access', acl([[ACL_USER_OBJ, 6], [ACL_USER, 4, 1], [ACL_GROUP_OBJ, 4], [ACL_MASK, 4], [ACL_OTHER, 4]]));
    assert.is(mode(f).toString(8), '644');
    await api.removexattr(f, 'system.posix_acl_access');
    await fails(label, () => api.getxattr(f, 'system.posix_acl_access'), 'ENODATA', 'getxattr', f);
    assert.is(mode(f).toString(8), '644');
  });

  at('setxattr: a default ACL on a directory is inherited by a new file, in place of the umask', async () => {
    const dir = path.join(BASE, `d${counter++}`);
    fs.mkdirSync(dir);
    const dflt = acl([[ACL_USER_OBJ, 7], [ACL_USER, 5, 1000], [ACL_GROUP_OBJ, 5], [ACL_MASK, 7], [ACL_OTHER, 5]]);
    await api.setxattr(dir, 'system.posix_acl_default', dflt);
    assert.ok((await api.getxattr(dir, 'system.posix_acl_default')).equals(dflt));
    const file = path.join(dir, 'child');
    rawsys.close(rawsys.open(file, 'w', 0o666));
    // The create mode 0666 masks the inherited entries: owner 7&6, mask 7&6, other 5&6.
    assert.equal(parseAcl(await api.getxattr(file, 'system.posix_acl_access')), [
      [ACL_USER_OBJ, 6, NOID], [ACL_USER, 5, 1000], [ACL_GROUP_OBJ, 5, NOID], [ACL_MASK, 6, NOID], [ACL_OTHER, 4, NOID],
    ]);
    assert.is(mode(file).toString(8), '664');
  });
}

test.run();
