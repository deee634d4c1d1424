'use strict';
// Landlock rulesets (landlockRuleset) and their enforcement by the `landlock`
// plan step, on the real kernel. Restrictions are applied only in children
// (rawsys.fork plans ending in execve), never in the test runner; every child
// is reaped. Tests that need a Landlock ABI the kernel lacks are skipped.
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const rawsys = require('..');
const { tmpdir, throwsLike, syscallError, openFds, assertNoNewFds, readToEnd } = require('./helpers');

const C = rawsys.constants;
const ABI = rawsys.landlockAbi();
const ltest = ABI >= 1 ? test : test.skip;
const nettest = ABI >= 4 ? test : test.skip;
const scopetest = ABI >= 6 ? test : test.skip;

const dir = tmpdir('rawsys-landlock-');
const RO = path.join(dir, 'ro');
const RW = path.join(dir, 'rw');
const OTHER = path.join(dir, 'other');
for (const d of [RO, RW, OTHER]) fs.mkdirSync(d);
fs.writeFileSync(path.join(RO, 'data'), 'readable\n');
fs.writeFileSync(path.join(OTHER, 'secret'), 'secret\n');
fs.copyFileSync('/bin/true', path.join(RO, 'true'));
fs.chmodSync(path.join(RO, 'true'), 0o755);

/** Where /bin/sh, its libraries and coreutils live on this system. */
const SYSTEM = ['/usr', '/bin', '/lib', '/lib64', '/lib32', '/libx32', '/sbin'].filter((p) => fs.existsSync(p));

/**
 * Runs argv in a child restricted by the ruleset fd (noNewPrivs, landlock,
 * execve), stdin from /dev/null, stdout and stderr into a pipe. Returns
 * [wait status, output]. The fd is left open for the caller to close.
 */
function runIn(fd, argv, { pre = [{ op: 'noNewPrivs' }], env = { PATH: '/usr/bin:/bin' } } = {}) {
  const [rd, wr] = rawsys.pipe2();
  const nul = rawsys.open('/dev/null', 'r');
  let child;
  try {
    child = rawsys.fork([
      { op: 'dup2', oldfd: nul, newfd: 0 },
      { op: 'dup2', oldfd: wr, newfd: 1 },
      { op: 'dup2', oldfd: wr, newfd: 2 },
      ...pre,
      { op: 'landlock', fd },
      { op: 'execve', path: argv[0], argv, env },
    ]);
  } finally {
    rawsys.close(wr);
    rawsys.close(nul);
  }
  const out = readToEnd(rd);
  if (child.pidfd !== undefined) rawsys.close(child.pidfd);
  return [rawsys.waitpid(child.pid), out];
}

/** runIn with a ruleset built from spec, closed afterwards. */
function sandboxed(spec, argv, options) {
  const rs = rawsys.landlockRuleset(spec);
  try {
    return runIn(rs.fd, argv, options);
  } finally {
    rawsys.close(rs.fd);
  }
}

const sh = (script) => ['/bin/sh', '-c', script];

test('landlockAbi: agrees with the raw landlock_create_ruleset(VERSION) call', () => {
  assert.ok(Number.isInteger(ABI) && ABI >= 0, String(ABI));
  let raw;
  try {
    raw = Number(rawsys.syscall(C.SYS_landlock_create_ruleset, 0, 0, C.LANDLOCK_CREATE_RULESET_VERSION));
  } catch (e) {
    assert.ok(['ENOSYS', 'EOPNOTSUPP'].includes(e.code), e.message);
    raw = 0;
  }
  assert.is(ABI, raw);
});

ltest('landlockRuleset: a close-on-exec ruleset fd handling every right of the kernel ABI', () => {
  const before = openFds();
  const rs = rawsys.landlockRuleset({ read: [RO], write: [RW], execute: SYSTEM });
  try {
    assert.type(rs.fd, 'number');
    assert.is(fs.readlinkSync(`/proc/self/fd/${rs.fd}`), 'anon_inode:[landlock-ruleset]');
    assert.ok(rawsys.fcntl(rs.fd, C.F_GETFD) & C.FD_CLOEXEC, 'close-on-exec');
    assert.is(rs.kernelAbi, ABI);
    assert.is(rs.abi, Math.min(ABI, 7));
    assert.equal(rs.dropped, []);
    // Every right of the ABI is handled: nothing is left unrestricted by accident.
    const fsAt = { 1: 13, 2: 14, 3: 15, 4: 15, 5: 16 };
    assert.is(rs.handled.fs.length, fsAt[Math.min(rs.abi, 5)]);
    assert.ok(rs.handled.fs.includes('execute') && rs.handled.fs.includes('makeSym'));
    assert.is(rs.handledAccessFs & C.LANDLOCK_ACCESS_FS_WRITE_FILE, C.LANDLOCK_ACCESS_FS_WRITE_FILE);
    if (rs.abi >= 4) {
      assert.equal(rs.handled.net, ['bindTcp', 'connectTcp']);
      assert.is(rs.handledAccessNet, C.LANDLOCK_ACCESS_NET_BIND_TCP | C.LANDLOCK_ACCESS_NET_CONNECT_TCP);
    }
    if (rs.abi >= 5) assert.equal(rs.unrestricted, []);
    assert.equal(rs.handled.scope, []);
    assert.is(rs.scoped, 0);
  } finally {
    rawsys.close(rs.fd);
  }
  assertNoNewFds(before, 'landlockRuleset');
});

ltest('landlock step: reads of allowed paths work, writes and reads elsewhere fail with EACCES', () => {
  const target = path.join(RW, 'written');
  const [st, out] = sandboxed({ read: [RO], write: [RW], execute: SYSTEM }, sh([
    `cat ${RO}/data`,
    `echo in-rw > ${target} && cat ${target}`,
    `mkdir ${RW}/sub && rmdir ${RW}/sub && echo rw-mkdir-ok`,
    `ls ${RO} | sort | tr '\\n' ' '; echo`,
    `echo no > ${OTHER}/new`,
    `echo no > ${RO}/new`,
    `cat ${OTHER}/secret`,
    `rm ${RO}/data`,
    'echo end',
  ].join('; ')));
  assert.is(st.exitCode, 0, out);
  assert.match(out, /^readable$/m);
  assert.match(out, /^in-rw$/m);
  assert.match(out, /^rw-mkdir-ok$/m);
  assert.match(out, /^data true $/m);
  assert.is(fs.readFileSync(target, 'utf8'), 'in-rw\n', 'the write reached the allowed directory');
  // Each denial is Landlock's EACCES ("Permission denied"), not EPERM or ENOENT.
  const esc = (p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  assert.match(out, new RegExp(`cannot create ${esc(OTHER)}/new: Permission denied`), out);
  assert.match(out, new RegExp(`cannot create ${esc(RO)}/new: Permission denied`), out);
  assert.match(out, new RegExp(`cat: ${esc(OTHER)}/secret: Permission denied`), out);
  assert.match(out, /rm: cannot remove .*data.*: Permission denied/, out);
  assert.match(out, /^end$/m);
  assert.not.ok(fs.existsSync(path.join(OTHER, 'new')));
  assert.not.ok(fs.existsSync(path.join(RO, 'new')));
  assert.ok(fs.existsSync(path.join(RO, 'data')));
});

ltest('landlock step: execute paths run programs and their libraries; other binaries fail with EACCES', async () => {
  const [st, out] = sandboxed({ read: [RO], execute: SYSTEM }, sh(`/bin/true && echo true-ran; ${RO}/true; echo "ro-exec=$?"`));
  assert.is(st.exitCode, 0, out);
  assert.match(out, /^true-ran$/m);
  assert.match(out, /Permission denied/);
  assert.match(out, /^ro-exec=126$/m, 'the copy in a read-only path may not be executed');

  // Nothing granted: even the execve after the landlock step is refused.
  const rs = rawsys.landlockRuleset({});
  try {
    await syscallError(() => rawsys.fork([{ op: 'noNewPrivs' }, { op: 'landlock', fd: rs.fd }, { op: 'execve', path: '/bin/true' }]),
      'EACCES', 'execve', { path: '/bin/true' });
  } finally {
    rawsys.close(rs.fd);
  }
});

ltest('landlock step: a rule on a single file grants only that file, with file rights only', () => {
  const one = path.join(OTHER, 'one');
  fs.writeFileSync(one, '');
  const [st, out] = sandboxed({ write: [one], read: [path.join(RO, 'data')], execute: SYSTEM },
    sh(`echo one > ${one} && cat ${one}; cat ${RO}/data; echo two > ${OTHER}/two || echo sibling-denied; ls ${RO} || echo list-denied`));
  assert.is(st.exitCode, 0, out);
  assert.match(out, /^one$/m);
  assert.match(out, /^readable$/m);
  assert.match(out, /^sibling-denied$/m);
  assert.match(out, /^list-denied$/m);
  assert.is(fs.readFileSync(one, 'utf8'), 'one\n');
});

/** A TCP port that was free a moment ago. */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// The child program for the network tests: binds two ports, connects to two,
// writes a file, and prints what happened to each as JSON.
const NET_CHILD = `
const net = require('net');
const [bindOk, bindNo, connOk, connNo, file] = process.argv.slice(1);
const bind = (port) => new Promise((res) => {
  const s = net.createServer();
  s.on('error', (e) => res(e.code));
  s.listen(Number(port), '127.0.0.1', () => s.close(() => res('ok')));
});
const conn = (port) => new Promise((res) => {
  const s = net.connect(Number(port), '127.0.0.1');
  s.on('error', (e) => res(e.code));
  s.on('connect', () => { s.destroy(); res('ok'); });
});
(async () => {
  const r = { bindOk: await bind(bindOk), bindNo: await bind(bindNo), connOk: await conn(connOk), connNo: await conn(connNo) };
  try { require('fs').writeFileSync(file, 'x'); r.write = 'ok'; } catch (e) { r.write = e.code; }
  console.log(JSON.stringify(r));
})();
`;

/** Runs NET_CHILD under spec with a listener in this process; returns its JSON result. */
async function netChild(spec, bindOk, bindNo) {
  const server = net.createServer((s) => s.destroy());
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const listening = server.address().port;
    const s = typeof spec === 'function' ? spec(listening) : spec;
    // The listener accepts while this thread reads the child's output: the
    // kernel completes the handshake from its backlog.
    const [st, out] = sandboxed(s, [process.execPath, '-e', NET_CHILD, String(bindOk), String(bindNo), String(listening),
      String(bindNo), path.join(OTHER, 'net-write')], { env: {} });
    assert.is(st.exitCode, 0, out);
    return JSON.parse(out.trim().split('\n').pop());
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

nettest('landlock step: TCP bind and connect only to the listed ports (EACCES elsewhere)', async () => {
  const ok = await freePort();
  const other = ok === 65535 ? ok - 1 : ok + 1;
  const r = await netChild((listening) => ({ execute: ['/'], bindTcp: [ok], connectTcp: [listening] }), ok, other);
  assert.equal(r, { bindOk: 'ok', bindNo: 'EACCES', connOk: 'ok', connNo: 'EACCES', write: 'EACCES' });

  // 'any' leaves connect unrestricted; an empty list denies every bind.
  const r2 = await netChild({ execute: ['/'], bindTcp: [], connectTcp: 'any' }, ok, other);
  assert.is(r2.bindOk, 'EACCES');
  assert.is(r2.connOk, 'ok');
  assert.is.not(r2.connNo, 'EACCES');
});

nettest('landlockRuleset: bestEffort below ABI 4 really drops the port rules (simulated with spec.abi)', async () => {
  const before = openFds();
  await throwsLike(() => rawsys.landlockRuleset({ execute: ['/'], bindTcp: [80], abi: 3 }),
    { code: 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM', name: 'TypeError' });
  await throwsLike(() => rawsys.landlockRuleset({ connectTcp: [], abi: 3 }), { code: 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM' },
    'an explicit empty list asks for enforcement too');
  assertNoNewFds(before, 'refused ruleset');

  const rs = rawsys.landlockRuleset({ execute: ['/'], bindTcp: [80], abi: 3, bestEffort: true });
  rawsys.close(rs.fd);
  assert.is(rs.abi, 3);
  assert.is(rs.kernelAbi, ABI);
  assert.equal(rs.dropped, ['bindTcp']);
  assert.is(rs.handledAccessNet, 0);
  assert.equal(rs.unrestricted, ['ioctlDev', 'bindTcp', 'connectTcp']);
  assert.not.ok(rs.handled.fs.includes('ioctlDev'));

  // Enforced: a port the spec did not list can be bound, since TCP is not handled;
  // the filesystem rules still hold.
  const ok = await freePort();
  const r = await netChild({ execute: ['/'], bindTcp: [80], abi: 3, bestEffort: true }, ok, ok);
  assert.is(r.bindOk, 'ok');
  assert.is(r.write, 'EACCES');
});

ltest('landlockRuleset: spec.abi lowers the handled set, which the kernel then enforces (refer at ABI 1)', () => {
  const a = path.join(RW, 'refer-a');
  const b = path.join(RW, 'refer-b');
  fs.mkdirSync(a);
  fs.mkdirSync(b);
  fs.writeFileSync(path.join(a, 'f'), 'x');
  const script = sh(`ln ${a}/f ${b}/g1 && echo linked`);
  const rs1 = rawsys.landlockRuleset({ write: [RW], execute: SYSTEM, abi: 1 });
  rawsys.close(rs1.fd);
  assert.is(rs1.abi, 1);
  assert.not.ok(rs1.handled.fs.includes('refer'));
  assert.ok(rs1.unrestricted.includes('refer') && rs1.unrestricted.includes('truncate'));
  // At ABI 1 reparenting is always denied (EXDEV), whatever the rules say.
  const [, out1] = sandboxed({ write: [RW], execute: SYSTEM, abi: 1 }, script);
  assert.match(out1, /Invalid cross-device link/, out1);
  assert.not.ok(fs.existsSync(path.join(b, 'g1')));
  if (ABI >= 2) {
    const [, out2] = sandboxed({ write: [RW], execute: SYSTEM }, script);
    assert.match(out2, /^linked$/m, out2);
  }
});

test('landlockRuleset: without Landlock (spec.abi 0) strict throws, bestEffort returns no fd and drops everything', async () => {
  const before = openFds();
  const err = await throwsLike(() => rawsys.landlockRuleset({ read: ['/'], abi: 0 }), { code: 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM' });
  assert.match(err.message, /bestEffort/);
  await throwsLike(() => rawsys.landlockRuleset({ abi: 0 }), { code: 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM' });
  const rs = rawsys.landlockRuleset({ read: ['/'], connectTcp: [1], scope: ['signal'], abi: 0, bestEffort: true });
  assert.is(rs.fd, null);
  assert.is(rs.abi, 0);
  assert.equal(rs.dropped, ['read', 'connectTcp', 'scope']);
  assert.equal(rs.handled, { fs: [], net: [], scope: [] });
  assert.is(rs.unrestricted.length, 18);
  assertNoNewFds(before, 'abi 0');
});

scopetest('landlock step: scope signal stops signals to processes outside the sandbox, not inside it', () => {
  const sleeper = rawsys.fork([{ op: 'execve', path: '/bin/sleep', argv: ['sleep', '30'] }]);
  try {
    const script = sh(`kill -0 ${sleeper.pid}; echo "outside=$?"; sleep 5 & kill $!; echo "inside=$?"`);
    const [, scoped] = sandboxed({ execute: SYSTEM, scope: ['signal'] }, script);
    assert.match(scoped, /^outside=1$/m, scoped);
    assert.match(scoped, /Operation not permitted/, scoped);
    assert.match(scoped, /^inside=0$/m, scoped);
    const [, open] = sandboxed({ execute: SYSTEM }, script);
    assert.match(open, /^outside=0$/m, open);
    assert.throws(() => rawsys.landlockRuleset({ scope: ['signal'], abi: 5 }), (e) => e.code === 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM');
    const rs = rawsys.landlockRuleset({ scope: ['signal', 'abstractUnixSocket'], abi: 5, bestEffort: true });
    rawsys.close(rs.fd);
    assert.equal(rs.dropped, ['scope']);
    assert.is(rs.scoped, 0);
  } finally {
    process.kill(sleeper.pid, 'SIGKILL');
    rawsys.waitpid(sleeper.pid);
    rawsys.close(sleeper.pidfd);
  }
});

ltest('landlock step: errors name landlock_restrict_self (EPERM without no_new_privs or CAP_SYS_ADMIN, EBADFD, EBADF)', async () => {
  const rs = rawsys.landlockRuleset({ execute: SYSTEM });
  const [rd, wr] = rawsys.pipe2();
  try {
    // An unprivileged child without no_new_privs may not restrict itself.
    await syscallError(() => rawsys.fork([{ op: 'setresuid', ruid: 65534 }, { op: 'landlock', fd: rs.fd }, { op: 'exit' }]),
      'EPERM', 'landlock_restrict_self');
    // With no_new_privs it may.
    const c = rawsys.fork([{ op: 'setresuid', ruid: 65534 }, { op: 'noNewPrivs' }, { op: 'landlock', fd: rs.fd }, { op: 'exit', code: 3 }]);
    assert.is(rawsys.waitpid(c.pid).exitCode, 3);
    rawsys.close(c.pidfd);
    // CAP_SYS_ADMIN (the test runs as root) is enough without it.
    const [st] = runIn(rs.fd, ['/bin/true'], { pre: [] });
    assert.is(st.exitCode, 0);
    await syscallError(() => rawsys.fork([{ op: 'landlock', fd: rd }, { op: 'exit' }]), 'EBADFD', 'landlock_restrict_self');
    await syscallError(() => rawsys.fork([{ op: 'close', fd: wr }, { op: 'landlock', fd: wr }, { op: 'exit' }]), 'EBADF', 'landlock_restrict_self');
  } finally {
    rawsys.close(rs.fd);
    rawsys.close(rd);
    rawsys.close(wr);
  }
});

test('landlockRuleset: bad specs are refused with Node-style errors before any syscall', async () => {
  const before = openFds();
  const bad = [
    [undefined, 'ERR_INVALID_ARG_TYPE'], [null, 'ERR_INVALID_ARG_TYPE'], ['read', 'ERR_INVALID_ARG_TYPE'], [[], 'ERR_INVALID_ARG_TYPE'],
    [{ reed: ['/'] }, 'ERR_INVALID_ARG_VALUE'], [{ read: '/' }, 'ERR_INVALID_ARG_TYPE'], [{ read: [5] }, 'ERR_INVALID_ARG_TYPE'],
    [{ write: ['a\0b'] }, 'ERR_INVALID_ARG_VALUE'], [{ execute: [null] }, 'ERR_INVALID_ARG_TYPE'],
    [{ bindTcp: 80 }, 'ERR_INVALID_ARG_TYPE'], [{ bindTcp: [65536] }, 'ERR_OUT_OF_RANGE'], [{ bindTcp: [-1] }, 'ERR_OUT_OF_RANGE'],
    [{ connectTcp: [1.5] }, 'ERR_OUT_OF_RANGE'], [{ connectTcp: ['80'] }, 'ERR_INVALID_ARG_TYPE'], [{ connectTcp: 'all' }, 'ERR_INVALID_ARG_TYPE'],
    [{ scope: ['signals'] }, 'ERR_INVALID_ARG_VALUE'], [{ scope: 'signal' }, 'ERR_INVALID_ARG_TYPE'],
    [{ bestEffort: 'yes' }, 'ERR_INVALID_ARG_TYPE'], [{ abi: -1 }, 'ERR_OUT_OF_RANGE'], [{ abi: 1.5 }, 'ERR_OUT_OF_RANGE'], [{ abi: '3' }, 'ERR_INVALID_ARG_TYPE'],
    // Checked before any path is opened: the missing path would be ENOENT.
    [{ read: ['/nonexistent/landlock'], bindTcp: [70000] }, 'ERR_OUT_OF_RANGE'],
    [{ read: ['/nonexistent/landlock'], abi: 1, bestEffort: 1 }, 'ERR_INVALID_ARG_TYPE'],
  ];
  for (const [spec, code] of bad) {
    const err = await throwsLike(() => rawsys.landlockRuleset(spec), { code }, `spec ${JSON.stringify(spec)}`);
    assert.ok(err instanceof TypeError || err instanceof RangeError, err.stack);
  }
  await throwsLike(() => rawsys.fork([{ op: 'landlock', fd: -1 }, { op: 'exit' }]), { code: 'ERR_OUT_OF_RANGE' });
  await throwsLike(() => rawsys.fork([{ op: 'landlock' }, { op: 'exit' }]), { code: 'ERR_INVALID_ARG_TYPE' });
  assertNoNewFds(before, 'bad specs');
});

ltest('landlockRuleset: a path that does not exist is ENOENT with its path; nothing is left open', async () => {
  const before = openFds();
  const missing = path.join(dir, 'missing');
  await syscallError(() => rawsys.landlockRuleset({ read: [RO, missing], write: [RW] }), 'ENOENT', 'open', { path: missing });
  const file = path.join(dir, 'plain-file');
  fs.writeFileSync(file, '');
  await syscallError(() => rawsys.landlockRuleset({ execute: [Buffer.from(path.join(file, 'x'))] }), 'ENOTDIR', 'open', { path: path.join(file, 'x') });
  // Many paths and ports, made and closed again.
  for (let i = 0; i < 20; i++) {
    const rs = rawsys.landlockRuleset({ read: [RO, RO, new URL(`file://${RO}`)], write: [RW], execute: SYSTEM, bindTcp: ABI >= 4 ? [0, 1, 65535] : undefined });
    rawsys.close(rs.fd);
  }
  assertNoNewFds(before, 'rulesets');
});

test.run();
