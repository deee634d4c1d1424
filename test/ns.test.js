'use strict';
// Namespaces, mounts, root and working directory, hostname, on the real
// kernel. Everything that changes the process runs in a child node process;
// the test runner checks from outside that its own namespaces, mounts and
// hostname did not move.
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const rawsys = require('..');
const { throwsLike, syscallError, timeout } = require('./helpers');
const { inChild, pausedChild } = require('./inchild');

const C = rawsys.constants;
const P = rawsys.promises;
// Removed by an after hook rather than helpers.tmpdir()'s exit listener: uvu
// loads every test file up front, and one more exit listener trips Node's
// MaxListeners warning.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rawsys-ns-'));
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

const myMounts = () => fs.readFileSync('/proc/self/mountinfo', 'utf8');
const errFields = (e) => e && [e.code, e.errno, e.syscall];

// A prelude for children that mount: a private mount namespace for the JS
// thread, entered before the libuv threadpool starts so that its threads
// (created afterwards by the JS thread) are in it too; `probe` proves it
// before any promise-form mount runs (a mount on a threadpool thread still in
// the old namespace would land in the test runner's namespace).
const privateNs = (probeDir) => `
  rawsys.unshare(C.CLONE_NEWNS);
  rawsys.mount(null, '/', null, C.MS_REC | C.MS_PRIVATE);
  const probeDir = ${JSON.stringify(probeDir)};
  rawsys.mount('tmpfs', probeDir, 'tmpfs', 0, 'size=64k');
  fs.writeFileSync(path.join(probeDir, 'here'), '');
  const threadpoolFollowed = (await fs.promises.readdir(probeDir)).includes('here');
`;

test('unshare(CLONE_NEWUTS) + sethostname: the child\'s hostname changes, the runner\'s does not', async () => {
  const mine = os.hostname();
  assert.is(rawsys.gethostname(), mine);
  const c = await pausedChild(`
    await fs.promises.readFile('/proc/self/stat'); // the threadpool exists before the unshare
    const utsBefore = fs.readlinkSync('/proc/self/ns/uts');
    rawsys.unshare(C.CLONE_NEWUTS);
    rawsys.sethostname('rawsys-uts');
    await pause({
      raw: rawsys.gethostname(), os: os.hostname(), changed: fs.readlinkSync('/proc/self/ns/uts') !== utsBefore,
      // Read on a threadpool thread, which stayed in the old UTS namespace.
      threadpool: (await fs.promises.readFile('/proc/sys/kernel/hostname', 'utf8')).trim(),
      tooLong: errOf(() => rawsys.sethostname('x'.repeat(65))),
    });
    return null;
  `);
  try {
    const p = c.paused;
    assert.is(p.raw, 'rawsys-uts');
    assert.is(p.os, 'rawsys-uts');
    assert.is(p.changed, true);
    assert.is(p.threadpool, mine, 'the threadpool thread kept the old namespace');
    assert.equal(errFields(p.tooLong), ['EINVAL', -C.EINVAL, 'sethostname']);
    assert.is.not(fs.readlinkSync(`/proc/${c.pid}/ns/uts`), fs.readlinkSync('/proc/self/ns/uts'));
    assert.is(os.hostname(), mine, 'the runner is untouched');
    assert.is(rawsys.gethostname(), mine);
    await c.resume();
  } finally {
    await c.kill();
  }
  await throwsLike(() => rawsys.sethostname('a\0b'), { code: 'ERR_INVALID_ARG_VALUE' });
  await throwsLike(() => rawsys.sethostname(5), { code: 'ERR_INVALID_ARG_TYPE' });
});

test('unshare(CLONE_NEWNS) + mount tmpfs: in the child\'s mountinfo, not the runner\'s; the JS thread alone moved', async () => {
  const target = path.join(dir, 'mnt-newns');
  fs.mkdirSync(target);
  const c = await pausedChild(`
    await fs.promises.readFile('/proc/self/stat'); // the threadpool exists before the unshare
    rawsys.unshare(C.CLONE_NEWNS);
    rawsys.mount(null, '/', null, C.MS_REC | C.MS_PRIVATE);
    rawsys.mount('tmpfs', ${JSON.stringify(target)}, 'tmpfs', C.MS_NOSUID | C.MS_NODEV, 'size=1m,mode=0750');
    fs.writeFileSync(${JSON.stringify(path.join(target, 'f'))}, 'x');
    const perThread = fs.readdirSync('/proc/self/task').map((t) => [Number(t) === process.pid,
      fs.readFileSync('/proc/self/task/' + t + '/mountinfo', 'utf8').includes(${JSON.stringify(target)})]);
    await pause({
      sync: fs.readdirSync(${JSON.stringify(target)}),
      threadpool: await fs.promises.readdir(${JSON.stringify(target)}),
      perThread,
    });
    rawsys.umount2(${JSON.stringify(target)});
    return {
      gone: !fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(${JSON.stringify(target)}),
      again: errOf(() => rawsys.umount2(${JSON.stringify(target)})),
    };
  `);
  try {
    const p = c.paused;
    assert.equal(p.sync, ['f']);
    assert.equal(p.threadpool, [], 'threadpool threads stayed in the old mount namespace');
    assert.ok(p.perThread.length >= 5);
    for (const [main, sees] of p.perThread) assert.is(sees, main, `main thread ${main}`);
    const line = fs.readFileSync(`/proc/${c.pid}/mountinfo`, 'utf8').split('\n').find((l) => l.includes(` ${target} `));
    assert.ok(line, 'in the child\'s mountinfo');
    assert.match(line, /nosuid,nodev/);
    assert.match(line, / - tmpfs tmpfs rw,.*size=1024k,mode=750/);
    assert.not.ok(myMounts().includes(target), 'not in the runner\'s');
    assert.equal(fs.readdirSync(target), [], 'the runner sees the empty directory');
    const r = await c.resume();
    assert.is(r.gone, true);
    assert.equal(errFields(r.again), ['EINVAL', -C.EINVAL, 'umount2']);
    assert.is(r.again.path, target);
  } finally {
    await c.kill();
  }
});

test('mount/umount2: sync and promise forms side by side; errors carry code, errno, syscall and path', async () => {
  const a = path.join(dir, 'mnt-a');
  const b = path.join(dir, 'mnt-b');
  fs.mkdirSync(a);
  fs.mkdirSync(b);
  const probe = path.join(dir, 'mnt-probe');
  fs.mkdirSync(probe);
  const r = await inChild(`
    ${privateNs(probe)}
    if (!threadpoolFollowed) return { skipped: true };
    const out = {};
    for (const [form, api] of [['sync', rawsys], ['promises', P]]) {
      const t = form === 'sync' ? ${JSON.stringify(a)} : ${JSON.stringify(b)};
      await api.mount('tmpfs', t, 'tmpfs', 0, 'size=1m');
      fs.writeFileSync(path.join(t, 'f'), form);
      await api.mount(null, t, null, C.MS_REMOUNT | C.MS_RDONLY, null); // remount read-only
      const rofs = errOf(() => fs.writeFileSync(path.join(t, 'g'), ''));
      await api.mount(t, path.join(probeDir), null, C.MS_BIND); // bind over the probe
      const bound = fs.readFileSync(path.join(probeDir, 'f'), 'utf8');
      await api.umount2(probeDir, C.MNT_DETACH);
      await api.umount2(t);
      out[form] = {
        rofs: rofs && rofs.code, bound, gone: !fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(t),
        enoent: await aerrOf(() => api.mount('tmpfs', '/nonexistent/dir', 'tmpfs')),
        enodev: await aerrOf(() => api.mount('none', t, 'rawsys-nofs')),
        einval: await aerrOf(() => api.umount2(t)),
        noPropagation: await aerrOf(() => api.mount(null, t, null, C.MS_PRIVATE)),
        badData: await aerrOf(() => api.mount('tmpfs', t, 'tmpfs', 0, 'a\\0b')),
        badFlags: await aerrOf(() => api.umount2(t, -1)),
      };
    }
    return out;
  `);
  if (r.skipped) {
    console.warn('mount promise forms: the threadpool started before the unshare; skipped');
    return;
  }
  for (const form of ['sync', 'promises']) {
    const o = r[form];
    assert.is(o.rofs, 'EROFS', `${form}: remounted read-only`);
    assert.is(o.bound, form, `${form}: bind mount`);
    assert.is(o.gone, true);
    assert.equal(errFields(o.enoent), ['ENOENT', -C.ENOENT, 'mount'], form);
    assert.is(o.enoent.path, '/nonexistent/dir');
    assert.is(o.enoent.message, "ENOENT: no such file or directory, mount '/nonexistent/dir'");
    assert.equal(errFields(o.enodev), ['ENODEV', -C.ENODEV, 'mount'], form);
    assert.equal(errFields(o.einval), ['EINVAL', -C.EINVAL, 'umount2'], form);
    assert.ok(o.einval.path.startsWith(dir));
    assert.equal(errFields(o.noPropagation), ['EINVAL', -C.EINVAL, 'mount'], `${form}: propagation change of a non-mount`);
    assert.is(o.badData.code, 'ERR_INVALID_ARG_VALUE');
    assert.is(o.badFlags.code, 'ERR_OUT_OF_RANGE');
  }
  assert.not.ok(myMounts().includes(a) || myMounts().includes(b), 'nothing leaked into the runner\'s namespace');
});

test('mount/umount2: arguments are checked before the call', async () => {
  for (const api of [rawsys, P]) {
    await throwsLike(() => api.mount('tmpfs', 5, 'tmpfs'), { code: 'ERR_INVALID_ARG_TYPE' });
    await throwsLike(() => api.mount('tmpfs', '/x\0y', 'tmpfs'), { code: 'ERR_INVALID_ARG_VALUE' });
    await throwsLike(() => api.mount('tmpfs', '/x', 5), { code: 'ERR_INVALID_ARG_TYPE' });
    await throwsLike(() => api.mount('tmpfs', '/x', 'tmpfs', -1), { code: 'ERR_OUT_OF_RANGE' });
    await throwsLike(() => api.mount('tmpfs', '/x', 'tmpfs', 0, 5), { code: 'ERR_INVALID_ARG_TYPE' });
    await throwsLike(() => api.umount2(null), { code: 'ERR_INVALID_ARG_TYPE' });
  }
});

test('pivotRoot: in a private mount namespace the child\'s root becomes a tmpfs; bad arguments are EINVAL/EBUSY with path and dest', async () => {
  const newRoot = path.join(dir, 'newroot');
  const notMount = path.join(dir, 'plain');
  fs.mkdirSync(newRoot);
  fs.mkdirSync(notMount);
  const r = await inChild(`
    rawsys.unshare(C.CLONE_NEWNS);
    rawsys.mount(null, '/', null, C.MS_REC | C.MS_PRIVATE);
    // On the root's own mount: EBUSY. Not a mount point (a directory of a tmpfs): EINVAL.
    const ebusy = errOf(() => rawsys.pivotRoot(${JSON.stringify(notMount)}, ${JSON.stringify(notMount)}));
    const enoent = errOf(() => rawsys.pivotRoot('/nonexistent', '/nonexistent/old'));
    rawsys.mount('tmpfs', ${JSON.stringify(newRoot)}, 'tmpfs', 0, 'size=1m');
    fs.mkdirSync(${JSON.stringify(path.join(newRoot, 'sub'))});
    const einval = errOf(() => rawsys.pivotRoot(${JSON.stringify(path.join(newRoot, 'sub'))}, ${JSON.stringify(path.join(newRoot, 'sub'))}));
    fs.rmdirSync(${JSON.stringify(path.join(newRoot, 'sub'))});
    fs.mkdirSync(${JSON.stringify(path.join(newRoot, 'old'))});
    fs.writeFileSync(${JSON.stringify(path.join(newRoot, 'marker'))}, 'new root');
    rawsys.pivotRoot(${JSON.stringify(newRoot)}, ${JSON.stringify(path.join(newRoot, 'old'))});
    rawsys.chdir('/');
    const after = { marker: fs.readFileSync('/marker', 'utf8'), oldProc: fs.existsSync('/old/proc/self'), cwd: fs.readdirSync('.').sort() };
    rawsys.umount2('/old', C.MNT_DETACH);
    after.detached = fs.readdirSync('/old');
    return { ebusy, einval, enoent, after };
  `);
  const sub = path.join(newRoot, 'sub');
  assert.equal(errFields(r.einval), ['EINVAL', -C.EINVAL, 'pivot_root']);
  assert.equal([r.einval.path, r.einval.dest], [sub, sub]);
  assert.is(r.einval.message, `EINVAL: invalid argument, pivot_root '${sub}' -> '${sub}'`);
  assert.equal(errFields(r.ebusy), ['EBUSY', -C.EBUSY, 'pivot_root']);
  assert.equal([r.ebusy.path, r.ebusy.dest], [notMount, notMount]);
  assert.equal(errFields(r.enoent), ['ENOENT', -C.ENOENT, 'pivot_root']);
  assert.equal([r.enoent.path, r.enoent.dest], ['/nonexistent', '/nonexistent/old']);
  assert.equal(r.after, { marker: 'new root', oldProc: true, cwd: ['marker', 'old'], detached: [] });
  assert.not.ok(myMounts().includes(newRoot));
  await throwsLike(() => rawsys.pivotRoot('/', 5), { code: 'ERR_INVALID_ARG_TYPE' });
});

test('chroot: in a child, for every thread (CLONE_FS is shared); ENOENT with path', async () => {
  const root = path.join(dir, 'chroot');
  fs.mkdirSync(root);
  fs.writeFileSync(path.join(root, 'marker'), 'inside');
  const r = await inChild(`
    await fs.promises.readFile('/proc/self/stat'); // threadpool threads exist before the chroot
    const enoent = errOf(() => rawsys.chroot('/nonexistent'));
    rawsys.chroot(${JSON.stringify(root)});
    rawsys.chdir('/');
    return {
      enoent,
      sync: fs.readFileSync('/marker', 'utf8'),
      threadpool: await fs.promises.readFile('/marker', 'utf8'),
    };
  `);
  assert.equal(errFields(r.enoent), ['ENOENT', -C.ENOENT, 'chroot']);
  assert.is(r.enoent.path, '/nonexistent');
  assert.is(r.sync, 'inside');
  assert.is(r.threadpool, 'inside', 'the threadpool thread shares the root');
  await syscallError(() => rawsys.chroot(path.join(root, 'marker')), 'ENOTDIR', 'chroot', { path: path.join(root, 'marker') });
});

test('chdir/fchdir: every thread follows, until the thread unshares CLONE_FS; errors with path', async () => {
  const a = path.join(dir, 'cwd-a');
  const b = path.join(dir, 'cwd-b');
  fs.mkdirSync(a);
  fs.mkdirSync(b);
  fs.writeFileSync(path.join(a, 'which'), 'a');
  fs.writeFileSync(path.join(b, 'which'), 'b');
  const r = await inChild(`
    await fs.promises.readFile('/proc/self/stat'); // threadpool threads exist before
    rawsys.chdir(${JSON.stringify(a)});
    const shared = [fs.readFileSync('which', 'utf8'), await fs.promises.readFile('which', 'utf8')];
    const fd = rawsys.open(${JSON.stringify(b)}, C.O_RDONLY | C.O_DIRECTORY);
    rawsys.fchdir(fd);
    rawsys.close(fd);
    const viaFd = [fs.readFileSync('which', 'utf8'), await fs.promises.readFile('which', 'utf8')];
    rawsys.unshare(C.CLONE_FS);
    rawsys.chdir(${JSON.stringify(a)});
    const split = [fs.readFileSync('which', 'utf8'), await fs.promises.readFile('which', 'utf8')];
    const file = rawsys.open(${JSON.stringify(path.join(a, 'which'))});
    const enotdir = errOf(() => rawsys.fchdir(file));
    return { shared, viaFd, split, enotdir, enoent: errOf(() => rawsys.chdir('/nonexistent')), ebadf: errOf(() => rawsys.fchdir(999)) };
  `);
  assert.equal(r.shared, ['a', 'a']);
  assert.equal(r.viaFd, ['b', 'b']);
  assert.equal(r.split, ['a', 'b'], 'after unshare(CLONE_FS) the threadpool keeps its own cwd');
  assert.equal(errFields(r.enotdir), ['ENOTDIR', -C.ENOTDIR, 'fchdir']);
  assert.equal(errFields(r.enoent), ['ENOENT', -C.ENOENT, 'chdir']);
  assert.is(r.enoent.path, '/nonexistent');
  assert.equal(errFields(r.ebadf), ['EBADF', -C.EBADF, 'fchdir']);
  await throwsLike(() => rawsys.chdir(undefined), { code: 'ERR_INVALID_ARG_TYPE' });
  await throwsLike(() => rawsys.fchdir(-1), { code: 'ERR_OUT_OF_RANGE' });
});

test('unshare(CLONE_NEWUSER): EINVAL, explained: Node is multi-threaded, use a child plan', async () => {
  const r = await inChild(`
    return {
      user: errOf(() => rawsys.unshare(C.CLONE_NEWUSER)),
      userNs: errOf(() => rawsys.unshare(C.CLONE_NEWUSER | C.CLONE_NEWNS)),
      vm: errOf(() => rawsys.unshare(C.CLONE_VM)),
      threads: fs.readdirSync('/proc/self/task').length,
      userNsUnchanged: fs.readlinkSync('/proc/self/ns/user'),
    };
  `);
  for (const e of [r.user, r.userNs]) {
    assert.equal(errFields(e), ['EINVAL', -C.EINVAL, 'unshare']);
    assert.is(e.name, 'SyscallError');
    assert.ok(e.message.startsWith('EINVAL: invalid argument, unshare ('), e.message);
    assert.match(e.message, /multi-threaded process cannot change its user namespace/);
    assert.match(e.message, /clone\(constants\.CLONE_NEWUSER/);
  }
  assert.equal(errFields(r.vm), ['EINVAL', -C.EINVAL, 'unshare']);
  assert.match(r.vm.message, /multi-threaded/);
  assert.ok(r.threads > 1);
  assert.is(r.userNsUnchanged, fs.readlinkSync('/proc/self/ns/user'));
  await throwsLike(() => rawsys.unshare('CLONE_NEWNS'), { code: 'ERR_INVALID_ARG_TYPE' });
  await throwsLike(() => rawsys.unshare(-1), { code: 'ERR_OUT_OF_RANGE' });
});

test('unshare(CLONE_NEWPID): applies to the children of the calling thread; the first is pid 1', async () => {
  const r = await inChild(`
    const cp = require('node:child_process');
    rawsys.unshare(C.CLONE_NEWPID);
    const first = cp.spawnSync('sh', ['-c', 'echo $$']);
    const second = cp.spawnSync('sh', ['-c', 'echo $$']);
    return {
      self: fs.readlinkSync('/proc/self/ns/pid') === fs.readlinkSync('/proc/self/ns/pid_for_children'),
      first: first.stdout.toString().trim(),
      second: second.error ? second.error.code : second.stdout.toString().trim(),
    };
  `);
  assert.is(r.self, false, 'the caller stays in its pid namespace');
  assert.is(r.first, '1');
  assert.is(r.second, 'ENOMEM', 'once pid 1 exited the namespace takes no new process');
});

test('setns: back into the original UTS namespace; a mount namespace needs unshare(CLONE_FS) first', async () => {
  const r = await inChild(`
    const uts = rawsys.open('/proc/self/ns/uts');
    const mnt = rawsys.open('/proc/self/ns/mnt');
    const original = rawsys.gethostname();
    rawsys.unshare(C.CLONE_NEWUTS);
    rawsys.sethostname('rawsys-setns');
    const inside = rawsys.gethostname();
    const wrongType = errOf(() => rawsys.setns(uts, C.CLONE_NEWNET));
    rawsys.setns(uts, C.CLONE_NEWUTS);
    const back = rawsys.gethostname();
    const mntShared = errOf(() => rawsys.setns(mnt)); // nstype 0: the type is read from the fd
    const mntShared2 = errOf(() => rawsys.setns(mnt, C.CLONE_NEWNS));
    rawsys.unshare(C.CLONE_FS);
    rawsys.setns(mnt, C.CLONE_NEWNS);
    const [r, w] = rawsys.pipe2();
    const notNs = errOf(() => rawsys.setns(r));
    return { original, inside, back, wrongType, mntShared, mntShared2, notNs, ebadf: errOf(() => rawsys.setns(999)) };
  `);
  assert.is(r.inside, 'rawsys-setns');
  assert.is(r.back, r.original);
  assert.equal(errFields(r.wrongType), ['EINVAL', -C.EINVAL, 'setns']);
  assert.not.match(r.wrongType.message, /\(/, 'no explanation for a plain wrong type');
  for (const e of [r.mntShared, r.mntShared2]) {
    assert.equal(errFields(e), ['EINVAL', -C.EINVAL, 'setns']);
    assert.match(e.message, /unshare\(constants\.CLONE_FS\)/);
  }
  assert.equal(errFields(r.notNs), ['EINVAL', -C.EINVAL, 'setns']);
  assert.equal(errFields(r.ebadf), ['EBADF', -C.EBADF, 'setns']);
  await throwsLike(() => rawsys.setns(-1), { code: 'ERR_OUT_OF_RANGE' });
  await throwsLike(() => rawsys.setns(0, 'uts'), { code: 'ERR_INVALID_ARG_TYPE' });
});

test('setns: into another user namespace is EINVAL, explained', async () => {
  // A process in a user namespace of its own, made with a child plan.
  const child = rawsys.clone(C.CLONE_NEWUSER, [{ op: 'execve', path: '/bin/sleep', argv: ['sleep', '30'] }]);
  try {
    const r = await inChild(`
      const fd = rawsys.open('/proc/${child.pid}/ns/user');
      return { any: errOf(() => rawsys.setns(fd)), user: errOf(() => rawsys.setns(fd, C.CLONE_NEWUSER)) };
    `);
    for (const e of [r.any, r.user]) {
      assert.equal(errFields(e), ['EINVAL', -C.EINVAL, 'setns']);
      assert.match(e.message, /multi-threaded process cannot change its user namespace/);
    }
  } finally {
    rawsys.kill(child.pid, 'SIGKILL');
    rawsys.waitpid(child.pid);
    if (child.pidfd !== undefined) rawsys.close(child.pidfd);
  }
});

test('gethostname: uname\'s nodename, as os.hostname()', () => {
  assert.is(rawsys.gethostname(), os.hostname());
  assert.is(rawsys.gethostname(), fs.readFileSync('/proc/sys/kernel/hostname', 'utf8').trim());
});

// The fuzz of test/errors.test.js skips the calls that could change the test
// runner (or, for kill(-1), signal every process on the machine) when a wrong
// value happens to be valid. Here they all run in a node that is pid 1 of new
// pid, mount, UTS, IPC and network namespaces: whatever succeeds stays there.
test('fuzz: every process, namespace and signal call refuses wrong values, in a child alone in new namespaces', async () => {
  const names = [
    'getpid', 'getppid', 'gettid', 'getuid', 'geteuid', 'getgid', 'getegid', 'getgroups', 'getresuid', 'getresgid', 'setresuid',
    'setresgid', 'setgroups', 'setsid', 'setpgid', 'getpgid', 'getsid', 'getrlimit', 'setrlimit', 'prlimit', 'getNoNewPrivs',
    'setNoNewPrivs', 'getPdeathsig', 'setPdeathsig', 'getKeepCaps', 'setKeepCaps', 'getChildSubreaper', 'setChildSubreaper', 'getName',
    'setName', 'capbsetRead', 'capbsetDrop', 'capAmbientIsSet', 'capAmbientRaise', 'capAmbientLower', 'capAmbientClearAll', 'capget',
    'capset', 'signalNumber', 'signalName', 'kill', 'pidfdOpen', 'pidfdSendSignal', 'pidfdGetfd', 'unshare', 'setns', 'mount',
    'umount2', 'pivotRoot', 'chroot', 'chdir', 'fchdir', 'sethostname', 'gethostname',
  ];
  for (const n of names) assert.type(rawsys[n], 'function', n);
  const scratch = path.join(dir, 'fuzz');
  fs.mkdirSync(scratch);
  const out = path.join(dir, 'fuzz.json');
  const script = `
    const rawsys = require('.');
    const C = rawsys.constants;
    const fs = require('node:fs');
    rawsys.mount(null, '/', null, C.MS_REC | C.MS_PRIVATE);
    const WRONG = [undefined, null, -1, 2 ** 53, NaN, Infinity, '', 'x\\0y', {}, [], Symbol('fuzz'), 1n << 70n,
      new DataView(new ArrayBuffer(0)), () => {}];
    function* tuples(n) {
      if (n === 0) { yield []; return; }
      for (const head of tuples(n - 1)) for (const v of WRONG) yield [...head, v];
    }
    const show = (args) => args.map((a) => (typeof a === 'symbol' ? a.toString() : require('node:util').inspect(a))).join(', ');
    const fds = () => fs.readdirSync('/proc/self/fd').length;
    process.chdir(${JSON.stringify(scratch)});
    const before = fds();
    const bad = [], ok = new Set();
    let calls = 0;
    for (const name of ${JSON.stringify(names)}) {
      for (let n = 0; n <= 3; n++) {
        for (const args of tuples(n)) {
          calls++;
          try {
            rawsys[name](...args);
            ok.add(name);
          } catch (e) {
            const fine = e instanceof rawsys.SyscallError ||
              ((e instanceof TypeError || e instanceof RangeError) && typeof e.code === 'string' && e.code.startsWith('ERR_'));
            if (!fine && bad.length < 50) bad.push(name + '(' + show(args) + ') threw ' + (e && e.name) + ' ' + (e && e.message));
          }
        }
      }
    }
    fs.writeFileSync(${JSON.stringify(out)}, JSON.stringify({ pid: process.pid, calls, bad, ok: [...ok], leaked: fds() - before,
      scratch: fs.readdirSync('.') }));
  `;
  const child = rawsys.clone(C.CLONE_NEWPID | C.CLONE_NEWNS | C.CLONE_NEWUTS | C.CLONE_NEWIPC | C.CLONE_NEWNET, [
    { op: 'chdir', path: path.join(__dirname, '..') },
    { op: 'execve', path: process.execPath, argv: ['node', '-e', script] },
  ]);
  let st;
  const t = timeout(120000, 'fuzz child');
  try {
    st = await Promise.race([P.waitpid(child.pid), t]);
  } finally {
    t.cancel();
    if (st === undefined) {
      rawsys.kill(child.pid, 'SIGKILL');
      rawsys.waitpid(child.pid);
    }
    if (child.pidfd !== undefined) rawsys.close(child.pidfd);
  }
  assert.is(st.exitCode, 0, 'the fuzz child exited normally');
  const r = JSON.parse(fs.readFileSync(out, 'utf8'));
  assert.is(r.pid, 1, 'pid 1 of its own pid namespace');
  assert.ok(r.calls > 100000, `${r.calls} calls`);
  assert.equal(r.bad, [], `errors of the wrong kind:\n  ${r.bad.join('\n  ')}`);
  assert.is(r.leaked, 0, 'no descriptor leaked');
  assert.equal(r.scratch, [], 'nothing created');
  // What may succeed with some wrong value: getters, and calls whose defaults or -1 ("unchanged") are valid.
  const allowed = new Set([
    'getpid', 'getppid', 'gettid', 'getuid', 'geteuid', 'getgid', 'getegid', 'getgroups', 'getresuid', 'getresgid', 'getpgid', 'getsid',
    'getNoNewPrivs', 'getPdeathsig', 'getKeepCaps', 'getChildSubreaper', 'getName', 'capget', 'gethostname', 'signalName',
    'setsid', 'setgroups', 'setresuid', 'setresgid', 'setNoNewPrivs', 'setChildSubreaper', 'capAmbientClearAll', 'setName', 'sethostname',
  ]);
  for (const n of r.ok) assert.ok(allowed.has(n), `unexpected success: ${n}`);
  assert.ok(r.ok.includes('setsid') && r.ok.includes('sethostname'), 'the dangerous ones did run');
  assert.is(os.hostname(), rawsys.gethostname(), 'the runner\'s hostname is untouched');
});

test('no promise forms for the calls that act on the calling thread', () => {
  for (const name of ['unshare', 'setns', 'chdir', 'fchdir', 'chroot', 'pivotRoot', 'sethostname']) {
    assert.type(rawsys[name], 'function');
    assert.is(P[name], undefined, name);
  }
  assert.type(P.mount, 'function');
  assert.type(P.umount2, 'function');
});

test.run();
