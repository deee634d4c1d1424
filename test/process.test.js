'use strict';
// fork/clone with child plans, execve, and waits, on the real kernel. Every
// child is reaped; namespaces and credentials change only in the children.
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const rawsys = require('..');
const { tmpdir, throwsLike, syscallError, spawnNode, kill, timeout, readToEnd } = require('./helpers');

const C = rawsys.constants;
const P = rawsys.promises;
const dir = tmpdir();

// `npm run verify:arm64` runs this file under qemu-user (scripts/verify.js),
// which emulates only fork- and thread-like clones: clone(2) with any
// CLONE_NEW* flag fails there with EINVAL, clone3(2) with ENOSYS, and
// CLONE_PIDFD with EINVAL, after which rawsys returns no pidfd, as on Linux
// < 5.2. Tests of namespaces and cgroups skip there; those that need a pidfd
// take one from pidfd_open(2), which qemu does emulate.
const QEMU = process.env.RAWSYS_VERIFY === 'qemu-user';
const nsTest = QEMU ? test.skip : test;

/** Children of this process in state Z (zombies). */
function zombies() {
  const out = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z' && Number(fields[1]) === process.pid) out.push(Number(d));
    } catch { /* gone */ }
  }
  return out;
}

/** Runs `sh -c cmd` under flags and plan prefix, returns [status, output]. */
function sh(flags, cmd, { pre = [], options } = {}) {
  const [rd, wr] = rawsys.pipe2();
  let child;
  try {
    child = rawsys.clone(flags, [
      { op: 'dup2', oldfd: wr, newfd: 1 },
      { op: 'dup2', oldfd: wr, newfd: 2 },
      ...pre,
      { op: 'execve', path: '/bin/sh', argv: ['sh', '-c', cmd] },
    ], options);
  } finally {
    rawsys.close(wr);
  }
  const out = readToEnd(rd);
  if (child.pidfd !== undefined) rawsys.close(child.pidfd);
  return [rawsys.waitpid(child.pid), out.trim()];
}

/** A `sleep` child for tests that look at it from outside; reap with finish(). */
function sleeper(pre = [], flags = 0, options) {
  const c = rawsys.clone(flags, [...pre, { op: 'execve', path: '/bin/sleep', argv: ['sleep', '30'] }], options);
  if (QEMU && c.pidfd === undefined) c.pidfd = rawsys.pidfdOpen(c.pid);
  c.finish = () => {
    try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
    const st = rawsys.waitpid(c.pid);
    if (c.pidfd !== undefined) rawsys.close(c.pidfd);
    return st;
  };
  return c;
}

test('fork: a plan that writes to a pipe and exits 7 is seen as exitCode 7', () => {
  const [rd, wr] = rawsys.pipe2();
  const c = rawsys.fork([{ op: 'write', fd: wr, data: 'from the plan' }, { op: 'exit', code: 7 }]);
  rawsys.close(wr);
  assert.ok(c.pid > 0);
  if (QEMU) c.pidfd = rawsys.pidfdOpen(c.pid);
  assert.ok(c.pidfd > 2, 'a pidfd');
  assert.ok(rawsys.fcntl(c.pidfd, C.F_GETFD) & C.FD_CLOEXEC, 'pidfd is close-on-exec');
  const b = Buffer.alloc(64);
  assert.is(b.toString('utf8', 0, rawsys.read(rd, b)), 'from the plan');
  const st = rawsys.waitpid(c.pid);
  assert.equal(st, { pid: c.pid, exitCode: 7, signal: null, signalNumber: null, coreDumped: false, stopped: false, stopSignal: null, continued: false });
  rawsys.close(rd);
  rawsys.close(c.pidfd);
});

test('fork: execve of a missing file throws ENOENT with syscall execve and path, and leaves no zombie', async () => {
  const before = zombies();
  const err = await syscallError(() => rawsys.fork([{ op: 'execve', path: '/nonexistent/prog' }]), 'ENOENT', 'execve', { path: '/nonexistent/prog' });
  assert.is(err.message, "ENOENT: no such file or directory, execve '/nonexistent/prog'");
  assert.ok(err.stack.split('\n')[1].includes(__filename), 'stack starts at the caller');
  assert.equal(zombies(), before);
});

test('fork: a failing step names its call and path; later steps never run', async () => {
  const marker = path.join(dir, 'never');
  await syscallError(() => rawsys.fork([
    { op: 'chdir', path: '/nonexistent/dir' },
    { op: 'execve', path: '/bin/touch', argv: ['touch', marker] },
  ]), 'ENOENT', 'chdir', { path: '/nonexistent/dir' });
  assert.not.ok(fs.existsSync(marker));
  await syscallError(() => rawsys.fork([{ op: 'dup2', oldfd: 9999, newfd: 5 }, { op: 'exit' }]), 'EBADF', 'dup2');
  if (QEMU) return; // the rest needs CLONE_NEWNS
  const e = await syscallError(() => rawsys.clone(C.CLONE_NEWNS, [{ op: 'pivotRoot', newRoot: dir, putOld: '/nonexistent' }, { op: 'exit' }]),
    'ENOENT', 'pivot_root');
  assert.is(e.path, dir);
  assert.is(e.dest, '/nonexistent');
  // put_old not underneath new_root (a fresh tmpfs in the child's own mount namespace): EINVAL.
  const newRoot = path.join(dir, 'newroot');
  const other = path.join(dir, 'other');
  fs.mkdirSync(newRoot);
  fs.mkdirSync(other);
  await syscallError(() => rawsys.clone(C.CLONE_NEWNS, [
    { op: 'mount', source: 'none', target: '/', flags: C.MS_REC | C.MS_PRIVATE },
    { op: 'mount', source: 'tmpfs', target: newRoot, fstype: 'tmpfs' },
    { op: 'mount', source: 'tmpfs', target: other, fstype: 'tmpfs' },
    { op: 'pivotRoot', newRoot, putOld: other },
    { op: 'exit' },
  ]), 'EINVAL', 'pivot_root', { path: newRoot, dest: other });
  assert.not.ok(fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(newRoot), 'the mount stayed in the child');
  assert.equal(zombies(), []);
});

test('fork: invalid plans are refused before any process is made', async () => {
  await throwsLike(() => rawsys.fork([]), { code: 'ERR_INVALID_ARG_VALUE' });
  await throwsLike(() => rawsys.fork([{ op: 'setsid' }]), { code: 'ERR_INVALID_ARG_VALUE' }, 'must end in execve or exit');
  await throwsLike(() => rawsys.fork([{ op: 'teleport' }, { op: 'exit' }]), { code: 'ERR_INVALID_ARG_VALUE' });
  await throwsLike(() => rawsys.fork([{ op: 'dup2', oldfd: -1, newfd: 1 }, { op: 'exit' }]), { code: 'ERR_OUT_OF_RANGE' });
  await throwsLike(() => rawsys.fork([{ op: 'execve', path: 'a\0b' }]), { code: 'ERR_INVALID_ARG_VALUE' });
  await throwsLike(() => rawsys.fork('ls'), { code: 'ERR_INVALID_ARG_TYPE' });
  await throwsLike(() => rawsys.clone(0, [{ op: 'exit' }], { uidMappings: [{ containerId: 0, hostId: 1000, size: 1 }] }), { code: 'ERR_INVALID_ARG_VALUE' });
  assert.equal(zombies(), []);
});

/** Descriptors of this process without FD_CLOEXEC (a test harness may hand some down). */
function inheritable() {
  return fs.readdirSync('/proc/self/fd').map(Number).filter((fd) => {
    try { return (rawsys.fcntl(fd, C.F_GETFD) & C.FD_CLOEXEC) === 0; } catch { return false; }
  });
}

test('fork/clone: wrong values in any step field throw Node-style errors, never crash, leave no child', () => {
  const wrong = [undefined, null, -1, 2 ** 53, NaN, Infinity, '', 'x\0y', {}, [], 1n << 70n, () => {}, Symbol('s')];
  const steps = [
    { op: 'dup2', oldfd: 0, newfd: 1 }, { op: 'close', fd: 0 }, { op: 'closeRange', first: 3 }, { op: 'closeExcept', keep: [0] },
    { op: 'chdir', path: '/' }, { op: 'fchdir', fd: 0 }, { op: 'setpgid', pid: 0, pgid: 0 }, { op: 'sethostname', name: 'x' },
    { op: 'unshare', flags: 0 }, { op: 'setns', fd: 0, nstype: 0 }, { op: 'mount', source: 'x', target: '/', fstype: 'x', flags: 0, data: '' },
    { op: 'umount2', target: '/', flags: 0 }, { op: 'pivotRoot', newRoot: '/', putOld: '/' }, { op: 'chroot', path: '/' },
    { op: 'setgroups', groups: [0] }, { op: 'setresgid', rgid: 0 }, { op: 'setresuid', ruid: 0 }, { op: 'pdeathsig', signal: 9 },
    { op: 'setName', name: 'n' }, { op: 'prctl', option: 0, args: [0] }, { op: 'capBsetDrop', cap: 0 }, { op: 'capAmbientRaise', cap: 0 },
    { op: 'capset', effective: [], permitted: [], inheritable: [] }, { op: 'capabilities', keep: [], ambient: [] },
    { op: 'setrlimit', resource: 7, soft: 1 }, { op: 'sigmask', signals: [] }, { op: 'write', fd: 1, data: '' }, { op: 'kill', pid: 0, signal: 0 },
    { op: 'landlock', fd: 0 },
  ];
  const before = zombies();
  let calls = 0;
  for (const step of steps) {
    for (const key of Object.keys(step).filter((k) => k !== 'op')) {
      for (const bad of wrong) {
        calls++;
        try {
          // The plan exits right after the step (never reached when compiling fails).
          const c = rawsys.fork([{ ...step, [key]: bad }, { op: 'exit', code: 0 }]);
          rawsys.waitpid(c.pid);
          rawsys.close(c.pidfd);
        } catch (e) {
          const ok = e instanceof rawsys.SyscallError || ((e instanceof TypeError || e instanceof RangeError) && /^ERR_/.test(e.code));
          assert.ok(ok, `${step.op}.${key} = ${String(bad)}: ${e && e.stack}`);
        }
      }
    }
  }
  for (const flags of wrong) {
    try { rawsys.clone(flags, [{ op: 'exit' }]); } catch (e) { assert.ok(/^ERR_/.test(e.code), String(e)); }
  }
  assert.ok(calls > 500);
  assert.equal(zombies(), before);
});

test('fork: argv, env and cwd reach the program; inheritance only through dup2', () => {
  const allowed = new Set([0, 1, 2, 3, ...inheritable()]);
  const [st, out] = sh(0, 'echo "$0 $FOO $(pwd)"; ls /proc/self/fd', {
    pre: [{ op: 'chdir', path: dir }],
  });
  assert.is(st.exitCode, 0);
  const [first, ...fds] = out.split('\n');
  assert.is(first, `sh  ${dir}`, 'FOO unset: default env is process.env');
  // 0 may be closed (Node's stdin may be close-on-exec); 1 and 2 were mapped; the
  // listing's own fd 3; nothing else of ours.
  assert.ok(fds.map(Number).every((fd) => allowed.has(fd)), `unexpected fds: ${fds}`);
  const [st2, out2] = (() => {
    const [rd, wr] = rawsys.pipe2();
    const c = rawsys.fork([
      { op: 'dup2', oldfd: wr, newfd: 1 },
      { op: 'execve', path: '/bin/sh', argv: ['sh', '-c', 'echo "$FOO|$HOME"'], env: { FOO: 'bar baz', HOME: '/h' } },
    ]);
    rawsys.close(wr);
    const b = Buffer.alloc(100);
    const n = rawsys.read(rd, b);
    rawsys.close(rd);
    if (c.pidfd !== undefined) rawsys.close(c.pidfd);
    return [rawsys.waitpid(c.pid), b.toString('utf8', 0, n).trim()];
  })();
  assert.is(st2.exitCode, 0);
  assert.is(out2, 'bar baz|/h');
});

test('fork: closeExcept closes everything but the listed descriptors', () => {
  const extra = rawsys.open('/dev/null');
  rawsys.fcntl(extra, C.F_SETFD, 0); // inheritable: only the plan may close it
  try {
    const [st, out] = sh(0, 'ls /proc/self/fd', { pre: [{ op: 'closeExcept', keep: [1, 2] }] });
    assert.is(st.exitCode, 0);
    assert.equal(out.split('\n').map(Number).sort((a, b) => a - b), [0, 1, 2], 'ls gets fd 0 for its own listing');
    const [, kept] = sh(0, 'ls /proc/self/fd', { pre: [{ op: 'closeExcept', keep: [1, 2, extra] }] });
    assert.ok(kept.split('\n').map(Number).includes(extra));
  } finally {
    rawsys.close(extra);
  }
});

nsTest('clone: CLONE_NEWPID|CLONE_NEWUTS child is pid 1 and its hostname change is its own', () => {
  const [st, out] = sh(C.CLONE_NEWPID | C.CLONE_NEWUTS, 'echo $$; hostname', { pre: [{ op: 'sethostname', name: 'in-a-box' }] });
  assert.is(st.exitCode, 0);
  assert.is(out, '1\nin-a-box');
  assert.is.not(os.hostname(), 'in-a-box');
});

nsTest('clone: every CLONE_NEW* flag at once puts the child in eight new namespaces', () => {
  const all = C.CLONE_NEWNS | C.CLONE_NEWUTS | C.CLONE_NEWIPC | C.CLONE_NEWPID | C.CLONE_NEWNET | C.CLONE_NEWCGROUP | C.CLONE_NEWTIME | C.CLONE_NEWUSER;
  const c = sleeper([], all, { uidMappings: [{ containerId: 0, hostId: 0, size: 1 }], gidMappings: [{ containerId: 0, hostId: 0, size: 1 }] });
  try {
    for (const ns of ['mnt', 'uts', 'ipc', 'pid', 'net', 'cgroup', 'time', 'user']) {
      assert.is.not(fs.readlinkSync(`/proc/${c.pid}/ns/${ns}`), fs.readlinkSync(`/proc/self/ns/${ns}`), ns);
    }
  } finally {
    assert.is(c.finish().signal, 'SIGKILL');
  }
  // The low byte of clone(2)'s flags is its exit signal: refused, except CLONE_NEWTIME.
  assert.throws(() => rawsys.clone(C.SIGCHLD, [{ op: 'exit' }]), (e) => e.code === 'ERR_INVALID_ARG_VALUE');
});

nsTest('clone: CLONE_NEWUSER with uid/gid maps: root inside is an unprivileged uid outside', () => {
  const c = sleeper([{ op: 'setresgid', rgid: 0 }, { op: 'setresuid', ruid: 0 }], C.CLONE_NEWUSER, {
    uidMappings: [{ containerId: 0, hostId: 100000, size: 65536 }],
    gidMappings: [{ containerId: 0, hostId: 100000, size: 65536 }],
    setgroups: 'deny',
  });
  try {
    const status = fs.readFileSync(`/proc/${c.pid}/status`, 'utf8');
    assert.match(status, /^Uid:\t100000\t100000\t100000\t100000$/m);
    assert.match(status, /^Gid:\t100000\t100000\t100000\t100000$/m);
    assert.is(fs.readFileSync(`/proc/${c.pid}/uid_map`, 'utf8').trim().split(/\s+/).join(' '), '0 100000 65536');
    assert.is(fs.readFileSync(`/proc/${c.pid}/setgroups`, 'utf8').trim(), 'deny');
  } finally {
    c.finish();
  }
  const [st, out] = sh(C.CLONE_NEWUSER, 'id -u; id -g', {
    pre: [{ op: 'setresgid', rgid: 0 }, { op: 'setresuid', ruid: 0 }],
    options: { uidMappings: [{ containerId: 0, hostId: 1000, size: 1 }], gidMappings: [{ containerId: 0, hostId: 1000, size: 1 }], setgroups: 'deny' },
  });
  assert.is(st.exitCode, 0);
  assert.is(out, '0\n0');
});

nsTest('clone: a uid map the kernel refuses is reported, and the child reaped', async () => {
  // Two lines mapping the same inside range: EINVAL from the kernel when written.
  await syscallError(() => rawsys.clone(C.CLONE_NEWUSER, [{ op: 'exit' }], {
    uidMappings: [{ containerId: 0, hostId: 1000, size: 10 }, { containerId: 5, hostId: 2000, size: 10 }],
  }), 'EINVAL', 'write');
  assert.equal(zombies(), []);
});

/** The cgroup2 mount point and this process's cgroup in it, or undefined. */
function cgroup2() {
  const mount = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((l) => l.split(' - '))
    .find((parts) => parts[1] && parts[1].startsWith('cgroup2 '));
  const own = fs.readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((l) => l.startsWith('0::'));
  if (!mount || !own) return undefined;
  return { root: mount[0].split(' ')[4], own: own.slice(3) };
}

nsTest('clone: options.cgroup starts the child inside a cgroup v2 (CLONE_INTO_CGROUP)', () => {
  const cg = cgroup2();
  if (!cg) {
    console.log('  (skipped: no cgroup2 hierarchy mounted)');
    return;
  }
  // Beneath our own cgroup only, removed afterwards.
  const rel = path.posix.join(cg.own, `rawsys-test-${process.pid}`);
  const abs = path.join(cg.root, rel);
  fs.mkdirSync(abs);
  const fd = rawsys.open(abs, C.O_RDONLY | C.O_DIRECTORY);
  let c;
  try {
    c = sleeper([], 0, { cgroup: fd });
    assert.ok(fs.readFileSync(`/proc/${c.pid}/cgroup`, 'utf8').split('\n').includes(`0::${rel}`));
    assert.ok(fs.readFileSync(path.join(abs, 'cgroup.procs'), 'utf8').split('\n').includes(String(c.pid)));
  } finally {
    if (c) c.finish();
    rawsys.close(fd);
    fs.rmdirSync(abs);
  }
});

test('fork: rlimits set by the plan are visible in /proc/<pid>/limits', () => {
  const c = sleeper([
    { op: 'setrlimit', resource: 'RLIMIT_NOFILE', soft: 123, hard: 456 },
    { op: 'setrlimit', resource: C.RLIMIT_CORE ?? 'CORE', soft: 0, hard: Infinity },
  ]);
  try {
    const limits = fs.readFileSync(`/proc/${c.pid}/limits`, 'utf8');
    assert.match(limits, /^Max open files\s+123\s+456\s+files/m);
    assert.match(limits, /^Max core file size\s+0\s+unlimited\s+bytes/m);
  } finally {
    c.finish();
  }
});

test('fork: capabilities dropped, no_new_privs and pdeathsig are visible in /proc/<pid>/status', () => {
  const c = sleeper([
    { op: 'capabilities', keep: ['CAP_NET_BIND_SERVICE', 'CAP_KILL'] },
    { op: 'noNewPrivs' },
    { op: 'pdeathsig', signal: 'SIGKILL' },
    { op: 'setName', name: 'plan-named' },
  ]);
  try {
    const status = fs.readFileSync(`/proc/${c.pid}/status`, 'utf8');
    const mask = (k) => BigInt(`0x${status.match(new RegExp(`^${k}:\\s+([0-9a-f]+)$`, 'm'))[1]}`);
    const want = (1n << BigInt(C.CAP_NET_BIND_SERVICE)) | (1n << BigInt(C.CAP_KILL));
    assert.is(mask('CapBnd'), want, 'bounding set');
    assert.is(mask('CapPrm'), want, 'permitted');
    assert.is(mask('CapEff'), want, 'effective');
    assert.match(status, /^NoNewPrivs:\s+1$/m);
  } finally {
    c.finish();
  }
});

test('fork: the sigmask step is what the program starts with; dispositions are reset', () => {
  const c = sleeper([{ op: 'sigmask', signals: ['SIGUSR1', 'SIGTERM'] }]);
  try {
    const status = fs.readFileSync(`/proc/${c.pid}/status`, 'utf8');
    const blk = BigInt(`0x${status.match(/SigBlk:\s+([0-9a-f]+)/)[1]}`);
    assert.is(blk, (1n << BigInt(C.SIGUSR1 - 1)) | (1n << BigInt(C.SIGTERM - 1)));
    const ign = BigInt(`0x${status.match(/SigIgn:\s+([0-9a-f]+)/)[1]}`);
    assert.is(ign & (1n << BigInt(C.SIGPIPE - 1)), 0n, "Node's SIG_IGN for SIGPIPE is not inherited");
  } finally {
    c.finish();
  }
  const plain = sleeper();
  try {
    const status = fs.readFileSync(`/proc/${plain.pid}/status`, 'utf8');
    assert.match(status, /^SigBlk:\s+0+$/m, 'no plan mask: nothing blocked');
  } finally {
    plain.finish();
  }
});

test('waitpid: SIGTERM is decoded as signal SIGTERM; WNOHANG gives null while it runs', () => {
  const c = sleeper();
  assert.is(rawsys.waitpid(c.pid, C.WNOHANG), null);
  process.kill(c.pid, 'SIGTERM');
  const st = rawsys.waitpid(c.pid);
  assert.is(st.signal, 'SIGTERM');
  assert.is(st.signalNumber, C.SIGTERM);
  assert.is(st.exitCode, null);
  rawsys.close(c.pidfd);
});

test('waitpid/wait4/waitid: WUNTRACED and WCONTINUED states; rusage; errors', async () => {
  const c = sleeper();
  process.kill(c.pid, 'SIGSTOP');
  const stopped = rawsys.waitpid(c.pid, C.WUNTRACED);
  assert.ok(stopped.stopped);
  assert.is(stopped.stopSignal, 'SIGSTOP');
  process.kill(c.pid, 'SIGCONT');
  assert.ok(rawsys.waitpid(c.pid, C.WCONTINUED).continued);
  process.kill(c.pid, 'SIGKILL');
  const st = rawsys.waitid(C.P_PIDFD, c.pidfd, C.WEXITED);
  assert.is(st.signal, 'SIGKILL');
  assert.type(st.rusage.userCPUTime, 'number');
  rawsys.close(c.pidfd);
  await syscallError(() => rawsys.waitpid(c.pid), 'ECHILD', 'waitpid');
  await syscallError(() => rawsys.wait4(1), 'ECHILD', 'wait4');
  await syscallError(() => rawsys.waitid(C.P_PID, 1), 'ECHILD', 'waitid');
  for (const pid of [-1, 0, -process.pid]) await throwsLike(() => rawsys.waitpid(pid), { code: 'ERR_INVALID_ARG_VALUE' });
  await throwsLike(() => rawsys.waitid(C.P_ALL, 0), { code: 'ERR_INVALID_ARG_VALUE' });
  const c2 = rawsys.fork([{ op: 'execve', path: '/bin/sh', argv: ['sh', '-c', 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done'] }]);
  const st4 = rawsys.wait4(c2.pid);
  assert.is(st4.exitCode, 0);
  assert.ok(st4.rusage.userCPUTime + st4.rusage.systemCPUTime > 0, 'it used some CPU');
  if (c2.pidfd !== undefined) rawsys.close(c2.pidfd);
});

test('waitpid (promises): waits on a pidfd; same decoding; errors', async () => {
  const c = sleeper();
  const w = P.waitpid(c.pid);
  setTimeout(() => process.kill(c.pid, 'SIGTERM'), 20);
  const st = await Promise.race([w, timeout(5000, 'promise waitpid')]);
  assert.is(st.signal, 'SIGTERM');
  assert.is(st.pid, c.pid);
  rawsys.close(c.pidfd);
  await syscallError(() => P.waitpid(c.pid), 'ECHILD', 'waitpid');
  const c2 = rawsys.fork([{ op: 'exit', code: 3 }]);
  assert.is((await P.wait4(c2.pid)).exitCode, 3);
  const c3 = sleeper();
  assert.is(await P.waitpid(c3.pid, C.WNOHANG), null);
  setTimeout(() => process.kill(c3.pid, 'SIGKILL'), 20);
  const s3 = await P.waitid(C.P_PIDFD, c3.pidfd);
  assert.is(s3.signal, 'SIGKILL');
  rawsys.close(c3.pidfd);
  if (c2.pidfd !== undefined) rawsys.close(c2.pidfd);
});

test('waitpid (promises): 2,000 pending waits use no threadpool thread and leave fs.promises fast', async () => {
  const N = 2000;
  const kids = [];
  try {
    for (let i = 0; i < N; i++) kids.push(rawsys.fork([{ op: 'execve', path: '/bin/sleep', argv: ['sleep', '60'] }]));
    const waits = kids.map((k) => P.waitpid(k.pid));
    const t0 = process.hrtime.bigint();
    const reads = [];
    for (let i = 0; i < 64; i++) reads.push(fs.promises.readFile(__filename));
    await Promise.race([Promise.all(reads), timeout(5000, 'fs.promises starved by pending waits')]);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    assert.ok(ms < 5000, `${ms} ms`);
    for (const k of kids) process.kill(k.pid, 'SIGKILL');
    const results = await Promise.race([Promise.all(waits), timeout(30000, '2,000 waits')]);
    assert.ok(results.every((s) => s.signal === 'SIGKILL'));
  } finally {
    for (const k of kids) {
      try { process.kill(k.pid, 'SIGKILL'); } catch { /* reaped */ }
      try { rawsys.waitpid(k.pid); } catch { /* reaped */ }
      if (k.pidfd !== undefined) rawsys.close(k.pidfd);
    }
  }
});

test('waitpid (promises): a Worker terminated with waits pending tears down cleanly', async () => {
  const c = sleeper();
  try {
    const w = new Worker(`
      const r = require(${JSON.stringify(path.join(__dirname, '..'))});
      r.promises.waitpid(${c.pid});
      require('node:worker_threads').parentPort.postMessage('waiting');`, { eval: true });
    await new Promise((res) => w.once('message', res));
    await Promise.race([w.terminate(), timeout(5000, 'terminate')]);
    // The Worker did not reap it: we still can.
    assert.is(rawsys.waitpid(c.pid, C.WNOHANG), null);
  } finally {
    c.finish();
  }
});

test('execve: replaces the calling process (in a child node)', async () => {
  const h = await spawnNode(`
    const r = require('.');
    r.fcntl(1, r.constants.F_SETFD, 0); // keep stdout across exec
    try { r.execve('/nonexistent', ['x']); } catch (e) { console.log(e.code + ' ' + e.syscall + ' ' + e.path); }
    r.execve('/bin/sh', ['sh', '-c', 'echo "replaced $X"'], { X: 'ok' });`, { ready: false });
  const r = await Promise.race([h.exited, timeout(10000, 'execve child')]).finally(() => kill(h));
  assert.is(r.code, 0, r.stderr);
  assert.equal(h.lines, ['ENOENT execve /nonexistent', 'replaced ok']);
});

test('clone: flags that would share memory, descriptors or signal handlers with Node are refused', async () => {
  for (const name of ['CLONE_VM', 'CLONE_FILES', 'CLONE_FS', 'CLONE_SIGHAND', 'CLONE_THREAD', 'CLONE_SYSVSEM']) {
    await throwsLike(() => rawsys.clone(C[name], [{ op: 'exit' }]), { code: 'ERR_INVALID_ARG_VALUE' }, name);
  }
  // The native backstop refuses them too, whatever TypeScript let through.
  const { native } = require('../dist/cjs/binding.js');
  const rec = new BigInt64Array(8);
  rec[0] = 27n; // exit
  assert.throws(() => native.spawn(C.CLONE_FILES, rec, [], new BigInt64Array([0n, -1n, 0n]), ['', '', '']), RangeError);
  // Bad execve vectors and missing maps: errors, not a corrupted heap.
  const bad = new BigInt64Array(16);
  bad.set([26n, 0n, 0n, 1000n, 0n, 0n], 0);
  bad.set([26n, 0n, 0n, -990n, 0n, 0n], 8);
  assert.throws(() => native.spawn(0, bad, ['/bin/true'], new BigInt64Array([0n, -1n, 0n]), ['', '', '']), RangeError);
  assert.throws(() => native.spawn(0, rec, [], new BigInt64Array([0n, -1n, 0n]), []), TypeError);
  assert.equal(zombies(), []);
});

test('fork: a dup2 or close step onto the error pipe cannot hide an execve failure', async () => {
  for (let fd = 3; fd < 40; fd++) {
    await syscallError(() => rawsys.fork([{ op: 'dup2', oldfd: 2, newfd: fd }, { op: 'execve', path: '/nonexistent/x' }]), 'ENOENT', 'execve');
    // close of a number that is not open fails at that step; never does the fork "succeed".
    const err = await throwsLike(() => rawsys.fork([{ op: 'close', fd }, { op: 'execve', path: '/nonexistent/x' }]), {});
    assert.ok((err.syscall === 'execve' && err.code === 'ENOENT') || (err.syscall === 'close' && err.code === 'EBADF'), `${fd}: ${err.message}`);
  }
  assert.equal(zombies(), []);
});

test('waitid (promises): waiting on a caller pidfd leaves it blocking, and two waits on it both resolve', async () => {
  const c = sleeper();
  try {
    const a = P.waitid(C.P_PIDFD, c.pidfd, C.WEXITED | C.WNOWAIT);
    const b = P.waitid(C.P_PIDFD, c.pidfd, C.WEXITED | C.WNOWAIT);
    assert.is(rawsys.fcntl(c.pidfd, C.F_GETFL) & C.O_NONBLOCK, 0, 'O_NONBLOCK not left on the pidfd');
    process.kill(c.pid, 'SIGKILL');
    const [x, y] = await Promise.race([Promise.all([a, b]), timeout(5000, 'two waits on one pidfd')]);
    assert.is(x.signal, 'SIGKILL');
    assert.is(y.signal, 'SIGKILL');
    // A blocking wait on the same pidfd still works (WNOWAIT left the zombie).
    assert.is(rawsys.waitid(C.P_PIDFD, c.pidfd, C.WEXITED).signal, 'SIGKILL');
  } finally {
    rawsys.close(c.pidfd);
  }
});

test('promises.fork: spawns on the threadpool; errors name the step; 50 at once all complete', async () => {
  const [rd, wr] = rawsys.pipe2();
  const c = await P.fork([{ op: 'write', fd: wr, data: 'async plan' }, { op: 'exit', code: 5 }]);
  if (QEMU && c.pidfd === undefined) c.pidfd = rawsys.pidfdOpen(c.pid); // qemu-user refuses CLONE_PIDFD
  rawsys.close(wr);
  const b = Buffer.alloc(64);
  assert.is(b.toString('utf8', 0, rawsys.read(rd, b)), 'async plan');
  rawsys.close(rd);
  assert.is((await P.waitid(C.P_PIDFD, c.pidfd)).exitCode, 5);
  rawsys.close(c.pidfd);
  const before = zombies();
  await syscallError(() => P.fork([{ op: 'execve', path: '/nonexistent/prog' }]), 'ENOENT', 'execve', { path: '/nonexistent/prog' });
  const err = await P.fork([{ op: 'execve', path: '/nonexistent/prog' }]).catch((e) => e);
  assert.ok(err.stack.split('\n')[1].includes(__filename), 'stack starts at the caller');
  assert.equal(zombies(), before);
  await throwsLike(() => P.fork('nope'), { code: 'ERR_INVALID_ARG_TYPE' });
  const kids = await Promise.all(Array.from({ length: 50 }, (_, k) => P.fork([{ op: 'exit', code: k % 7 }])));
  // Under qemu-user (no CLONE_PIDFD) the children have no pidfd: wait by pid.
  const sts = await Promise.all(kids.map((k) => (k.pidfd === undefined ? P.waitid(C.P_PID, k.pid) : P.waitid(C.P_PIDFD, k.pidfd))));
  kids.forEach((k, i) => { if (k.pidfd !== undefined) rawsys.close(k.pidfd); assert.is(sts[i].exitCode, i % 7); });
});

nsTest('promises.clone: namespaces and uid maps work from the threadpool', async () => {
  const [rd, wr] = rawsys.pipe2();
  const c = await P.clone(C.CLONE_NEWUSER | C.CLONE_NEWPID, [
    { op: 'dup2', oldfd: wr, newfd: 1 },
    { op: 'setresgid', rgid: 0 },
    { op: 'setresuid', ruid: 0 },
    { op: 'execve', path: '/bin/sh', argv: ['sh', '-c', 'echo $$ $(id -u) $(id -g)'], env: [] },
  ], { uidMappings: [{ containerId: 0, hostId: 12345, size: 1 }], gidMappings: [{ containerId: 0, hostId: 12345, size: 1 }], setgroups: 'deny' });
  rawsys.close(wr);
  const st = await P.waitid(C.P_PIDFD, c.pidfd);
  rawsys.close(c.pidfd);
  const b = Buffer.alloc(64);
  assert.is(b.toString('utf8', 0, rawsys.read(rd, b)).trim(), '1 0 0');
  rawsys.close(rd);
  assert.is(st.exitCode, 0);
  await throwsLike(() => P.clone(C.CLONE_VM, [{ op: 'exit' }]), { code: 'ERR_INVALID_ARG_VALUE' });
});

nsTest('plan: mkdir, touch, symlink, mknod, recursive read-only mountSetattr, linkUp in new namespaces', async () => {
  const base = fs.mkdtempSync(path.join(dir, 'ops-'));
  const [rd, wr] = rawsys.pipe2();
  const c = rawsys.clone(C.CLONE_NEWNS | C.CLONE_NEWNET, [
    { op: 'mount', target: '/', flags: C.MS_REC | C.MS_PRIVATE },
    { op: 'mount', source: 'tmpfs', target: base, fstype: 'tmpfs' },
    { op: 'mkdir', path: `${base}/d`, mode: 0o700 },
    { op: 'mkdir', path: `${base}/d`, existOk: true },
    { op: 'touch', path: `${base}/d/file` },
    { op: 'symlink', target: 'd/file', path: `${base}/link` },
    { op: 'mknod', path: `${base}/null`, mode: C.S_IFCHR | 0o666, major: 1, minor: 3 }, // less the umask (022)
    { op: 'mkdir', path: `${base}/sub` },
    { op: 'mount', source: 'tmpfs', target: `${base}/sub`, fstype: 'tmpfs' },
    { op: 'mountSetattr', path: base, recursive: true, set: C.MOUNT_ATTR_RDONLY },
    { op: 'linkUp', name: 'lo' },
    { op: 'dup2', oldfd: wr, newfd: 1 },
    { op: 'dup2', oldfd: wr, newfd: 2 },
    { op: 'execve', path: '/bin/sh', argv: ['sh', '-c', `stat -c '%A %F' ${base}/d ${base}/d/file ${base}/null; readlink ${base}/link; stat -c '%t,%T' ${base}/null; touch ${base}/x 2>&1 | grep -o 'Read-only'; touch ${base}/sub/x 2>&1 | grep -o 'Read-only'; cat /sys/class/net/lo/operstate /sys/class/net/lo/flags 2>/dev/null || ip -o link show lo`], env: [] },
  ]);
  rawsys.close(wr);
  const st = await P.waitid(C.P_PIDFD, c.pidfd);
  rawsys.close(c.pidfd);
  const out = readToEnd(rd);
  assert.is(st.exitCode, 0, out);
  const lines = out.trim().split('\n');
  assert.equal(lines.slice(0, 6), ['drwx------ directory', '-rw-r--r-- regular empty file', 'crw-r--r-- character special file', 'd/file', '1,3', 'Read-only']);
  assert.is(lines[6], 'Read-only', 'the submount is read-only too (recursive)');
  assert.ok(/0x9|UP|unknown/.test(lines.slice(7).join(' ')), `lo is up: ${lines.slice(7)}`);
  assert.equal(fs.readdirSync(base), [], 'nothing reached the host');
  await syscallError(() => rawsys.fork([{ op: 'mkdir', path: base }, { op: 'exit' }]), 'EEXIST', 'mkdir', { path: base });
  await throwsLike(() => rawsys.fork([{ op: 'linkUp', name: 'x'.repeat(16) }, { op: 'exit' }]), { code: 'ERR_INVALID_ARG_VALUE' });
});

test.run();
