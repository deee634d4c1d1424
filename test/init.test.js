'use strict';
// The plan step `init` and rawsys-init (native/init/init.c) on the real
// kernel: PID 1 of a new pid namespace, or a child subreaper without one.
// Every child is reaped; a payload that leaves an orphan behind does so only
// in a pid namespace (the orphan dies with it), or kills it itself.
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('node:fs');
const { promisify } = require('node:util');
const { Worker } = require('node:worker_threads');
const rawsys = require('..');
const { native } = require('../dist/cjs/binding');
const { compilePlan } = require('../dist/cjs/plan');
const { syscallError, throwsLike, openFds, assertNoNewFds, timeout } = require('./helpers');

const C = rawsys.constants;
const readAsync = promisify(fs.read);

// The memfd is made once per process, on first use: make it before any
// descriptor count.
const IMAGE = rawsys.initImageFd();

/** The children of this process's main thread, from /proc. */
function children() {
  return fs.readFileSync(`/proc/self/task/${process.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}

/** Pids of processes whose command line is exactly argv. */
function processesRunning(argv) {
  const want = `${argv.join('\0')}\0`;
  return fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
    try {
      return fs.readFileSync(`/proc/${d}/cmdline`, 'latin1') === want;
    } catch {
      return false;
    }
  }).map(Number);
}

// The payload runs before init has started (the init step execs init once
// the payload has exec'd): shell code that waits until init has named itself,
// its last step before the loop. $1: init's pid.
const AWAIT_INIT = `i=0; until [ "$(cat /proc/$1/comm)" = rawsys-init ] || [ $i -gt 1000 ]; do i=$((i + 1)); sleep 0.01; done`;

// A private mount namespace with a /proc of the new pid namespace.
const OWN_PROC = [
  { op: 'mount', target: '/', flags: C.MS_REC | C.MS_PRIVATE },
  { op: 'mount', source: 'proc', target: '/proc', fstype: 'proc', flags: C.MS_NOSUID | C.MS_NODEV | C.MS_NOEXEC },
];

/**
 * Runs `sh -c cmd` behind init, stdout and stderr into a pipe read to EOF;
 * returns [init's wait status, output, the child].
 */
function run(flags, cmd, { pre = [], post = [], init = { op: 'init' }, args = [] } = {}) {
  const [rd, wr] = rawsys.pipe2();
  let child;
  try {
    child = rawsys.clone(flags, [
      { op: 'dup2', oldfd: wr, newfd: 1 },
      { op: 'dup2', oldfd: wr, newfd: 2 },
      ...pre,
      init,
      ...post,
      { op: 'execve', path: '/bin/sh', argv: ['sh', '-c', cmd, 'sh', ...args] },
    ]);
  } finally {
    rawsys.close(wr);
  }
  let out = '';
  try {
    const b = Buffer.alloc(65536);
    let n;
    while ((n = rawsys.read(rd, b)) > 0) out += b.toString('utf8', 0, n);
  } finally {
    rawsys.close(rd);
  }
  const st = rawsys.waitpid(child.pid);
  if (child.pidfd !== undefined) rawsys.close(child.pidfd);
  return [st, out.trim(), child];
}

/**
 * Starts `sh -c cmd` behind init in a new pid namespace and reads its output
 * line by line without blocking the test: { pid, next(): line, finish() }.
 * On a timeout init is SIGKILLed, which ends the whole namespace.
 */
function start(cmd, init = { op: 'init' }) {
  const [rd, wr] = rawsys.pipe2();
  let child;
  try {
    child = rawsys.clone(C.CLONE_NEWPID, [
      { op: 'dup2', oldfd: wr, newfd: 1 },
      { op: 'dup2', oldfd: wr, newfd: 2 },
      init,
      { op: 'execve', path: '/bin/sh', argv: ['sh', '-c', cmd] },
    ]);
  } catch (e) {
    rawsys.close(rd);
    throw e;
  } finally {
    rawsys.close(wr);
  }
  let buf = '';
  let eof = false;
  const b = Buffer.alloc(4096);
  const next = async () => {
    const t = timeout(10000, `a line from the payload (so far: ${JSON.stringify(buf)})`);
    try {
      for (;;) {
        const i = buf.indexOf('\n');
        if (i >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          return line;
        }
        if (eof) return null;
        const { bytesRead: n } = await Promise.race([readAsync(rd, b, 0, b.length, null), t]);
        if (n === 0) eof = true;
        else buf += b.toString('utf8', 0, n);
      }
    } catch (e) {
      try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
      throw e;
    } finally {
      t.cancel();
    }
  };
  let status = null;
  let open = true;
  const closeRd = () => {
    if (open) rawsys.close(rd);
    open = false;
  };
  const finish = async () => {
    if (status) return status;
    const t = timeout(10000, 'the payload to end');
    const reaped = rawsys.promises.waitpid(child.pid);
    try {
      status = await Promise.race([reaped, t]);
    } catch (e) {
      process.kill(child.pid, 'SIGKILL');
      status = await reaped;
      throw e;
    } finally {
      t.cancel();
      if (status) rawsys.close(child.pidfd);
    }
    try {
      while (!eof) await next();  // the namespace is gone: EOF
    } finally {
      closeRd();
    }
    return status;
  };
  // Cleanup for finally blocks: SIGKILL to init ends the whole namespace.
  const kill = async () => {
    if (!status) {
      try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
      await finish();
    }
    closeRd();
  };
  return { pid: child.pid, next, finish, kill };
}

test('init: in a new pid namespace init is PID 1 and the payload pid 2, its child', () => {
  const before = openFds();
  const [st, out] = run(C.CLONE_NEWPID | C.CLONE_NEWNS, `${AWAIT_INIT.replace(/\$1/g, '1')}; echo $$ $PPID; cat /proc/1/comm; ls /proc | grep -E "^[0-9]+$" | sort -n | tr "\\n" " "`, { pre: OWN_PROC });
  assert.is(st.exitCode, 0, out);
  const [ids, comm, procs] = out.split('\n');
  assert.is(ids, '2 1');
  assert.is(comm, 'rawsys-init');
  // init, the payload and at most the four processes of its pipeline: nothing of the host's.
  const pids = procs.trim().split(' ').map(Number);
  assert.equal(pids.slice(0, 2), [1, 2], procs);
  assert.ok(pids.length <= 6, procs);
  assertNoNewFds(before, 'init in a pid namespace');
});

test('init: the payload\'s exit code becomes init\'s, and a signal n becomes 128+n', () => {
  const cases = [['exit 0', 0], ['exit 3', 3], ['exit 255', 255], ['kill -TERM $$', 128 + C.SIGTERM], ['kill -KILL $$', 128 + C.SIGKILL], ['kill -USR1 $$', 128 + C.SIGUSR1]];
  for (const [cmd, code] of cases) {
    for (const flags of [C.CLONE_NEWPID, 0]) {
      const [st, out] = run(flags, cmd);
      assert.equal([st.exitCode, st.signal], [code, null], `${cmd} (flags ${flags}): ${out}`);
    }
  }
  // Every signal number fits the mask init is given, SIGRTMAX (bit 63) too.
  const [st, out] = run(0, 'exit 6', { init: { op: 'init', signals: ['SIGRTMAX', 'SIGHUP'] } });
  assert.is(st.exitCode, 6, out);
  // A payload that ends with the plan's exit step.
  const c = rawsys.fork([{ op: 'init' }, { op: 'exit', code: 42 }]);
  assert.is(rawsys.waitpid(c.pid).exitCode, 42);
  rawsys.close(c.pidfd);
});

test('init: SIGUSR1, SIGWINCH and SIGTERM sent to PID 1 from outside reach the payload', async () => {
  const before = openFds();
  const box = start(`
    trap 'echo USR1' USR1
    trap 'echo WINCH' WINCH
    trap 'echo TERM; exit 7' TERM
    echo ready
    while :; do sleep 0.02; done`);
  try {
    assert.is(await box.next(), 'ready');
    for (const sig of ['SIGUSR1', 'SIGWINCH', 'SIGUSR1']) {
      rawsys.kill(box.pid, sig);
      assert.is(await box.next(), sig.slice(3));
    }
    rawsys.kill(box.pid, 'SIGTERM');
    assert.is(await box.next(), 'TERM');
    const st = await box.finish();
    assert.equal([st.exitCode, st.signal], [7, null]);
  } finally {
    await box.kill();
  }
  assertNoNewFds(before, 'signal forwarding');
});

test('init: only the listed signals are forwarded; the others leave init and the payload alone', async () => {
  const box = start(`
    trap 'echo USR1' USR1
    trap 'echo USR2; exit 0' USR2
    trap 'echo HUP' HUP
    echo ready
    while :; do sleep 0.02; done`, { op: 'init', signals: ['USR2', C.SIGTERM] });
  try {
    assert.is(await box.next(), 'ready');
    // Init takes pending signals lowest number first and forwards in that
    // order, so USR1 and HUP would be printed before USR2 if forwarded.
    rawsys.kill(box.pid, 'SIGHUP');
    rawsys.kill(box.pid, 'SIGUSR1');
    rawsys.kill(box.pid, 'SIGUSR2');
    assert.is(await box.next(), 'USR2');
    assert.is(await box.next(), null, 'nothing else');
    const st = await box.finish();
    assert.equal([st.exitCode, st.signal], [0, null]);
  } finally {
    await box.kill();
  }
});

test('init: SIGTERM to a payload without a trap kills it, and init reports 143', async () => {
  const box = start('echo ready; while :; do sleep 0.02; done');
  try {
    assert.is(await box.next(), 'ready');
    rawsys.kill(box.pid, 'SIGTERM');
    const st = await box.finish();
    assert.equal([st.exitCode, st.signal], [128 + C.SIGTERM, null]);
  } finally {
    await box.kill();
  }
});

// The payload orphans a sleep (its parent, a shell, exits), checks that init
// adopted it, kills it and waits until it is gone: kill -0 succeeds on a
// zombie, so "gone" means reaped, and only its parent (init) can reap it.
const ORPHAN = `
  o=$(sh -c 'sleep 60 >/dev/null 2>&1 & echo $!')
  pp=$(sed -n 's/^PPid:[[:space:]]*//p' /proc/$o/status)
  [ "$pp" = "$PPID" ] && echo adopted || echo "parent of orphan: $pp, init: $PPID"
  kill $o
  i=0
  while kill -0 $o 2>/dev/null; do
    i=$((i + 1)); [ $i -gt 1000 ] && break
    sleep 0.01
  done
  kill -0 $o 2>/dev/null && echo "not reaped: $(sed -n 's/^State:[[:space:]]*//p' /proc/$o/status)" || echo reaped`;

test('init: orphans are adopted and reaped by PID 1 of a pid namespace', () => {
  const [st, out] = run(C.CLONE_NEWPID | C.CLONE_NEWNS, ORPHAN, { pre: OWN_PROC });
  assert.is(out, 'adopted\nreaped');
  assert.is(st.exitCode, 0);
});

test('init: without a pid namespace init is a child subreaper: orphans still come to it and are reaped', () => {
  const [st, out, child] = run(0, `${AWAIT_INIT.replace(/\$1/g, '$PPID')}; echo $PPID; cat /proc/$PPID/comm; ls /proc/$PPID/fd | wc -l; ${ORPHAN}`);
  assert.is(st.exitCode, 0, out);
  const [ppid, comm, fds, ...rest] = out.split('\n');
  assert.is(Number(ppid), child.pid, 'the payload is init\'s child, init ours');
  assert.is(comm, 'rawsys-init');
  assert.is(fds.trim(), '0', 'init closed every descriptor it inherited');
  assert.equal(rest, ['adopted', 'reaped']);
});

test('init: a payload orphan left running dies with the pid namespace, and nothing is left', () => {
  const before = children();
  const secs = `60.${process.pid}`;  // a command line of its own
  const [st, out] = run(C.CLONE_NEWPID, `sleep ${secs} >/dev/null 2>&1 & echo $!; exit 5`);
  assert.is(st.exitCode, 5, out);
  assert.equal(children(), before);
  assert.equal(processesRunning(['sleep', secs]), [], 'the orphan is gone');
});

test('init: a failing payload step is reported as without init, and leaves no process', async () => {
  for (const flags of [C.CLONE_NEWPID, 0]) {
    const before = children();
    const fds = openFds();
    await syscallError(() => rawsys.clone(flags, [{ op: 'init' }, { op: 'execve', path: '/nonexistent/payload' }]), 'ENOENT', 'execve', { path: '/nonexistent/payload' });
    await syscallError(() => rawsys.clone(flags, [{ op: 'init' }, { op: 'chdir', path: '/nonexistent' }, { op: 'execve', path: '/bin/true' }]), 'ENOENT', 'chdir', { path: '/nonexistent' });
    // A step before init fails in the process that would have become init.
    await syscallError(() => rawsys.clone(flags, [{ op: 'chdir', path: '/nonexistent' }, { op: 'init' }, { op: 'execve', path: '/bin/true' }]), 'ENOENT', 'chdir');
    assert.equal(children(), before, `flags ${flags}: every process was reaped`);
    assertNoNewFds(fds, 'failed plans with init');
  }
});

test('init: when execveat of init fails the error is thrown and the payload, already running, is killed', () => {
  // No public way to make execveat fail: hand the plan a pipe instead of the
  // image (execveat EACCES: not a regular file).
  const [rd, wr] = rawsys.pipe2();
  const before = children();
  try {
    for (const flags of [0, C.CLONE_NEWPID]) {
      const argv = ['sleep', `${flags ? 61 : 62}.${process.pid}`];
      const plan = compilePlan([{ op: 'init' }, { op: 'execve', path: '/bin/sleep', argv }]);
      assert.is(plan.records[1], BigInt(IMAGE), 'the record carries the image fd');
      plan.records[1] = BigInt(rd);
      const opts = new BigInt64Array([0n, -1n, plan.sigmask]);
      const [pid, pidfd, step, errno] = native.spawn(flags, plan.records, plan.strings, opts, ['', '', '']);
      assert.equal([pid, pidfd, step, errno], [-1, -1, 0, C.EACCES]);
      assert.is(plan.info[step].syscall, 'execveat');
      assert.equal(children(), before);
      assert.equal(processesRunning(argv), [], 'the payload is gone');
    }
  } finally {
    rawsys.close(rd);
    rawsys.close(wr);
  }
});

test('init: when the fork of the payload fails, the error is thrown as clone\'s', async () => {
  // One process for uid 65534 (the child itself) and RLIMIT_NPROC 1: the
  // kernel refuses a second (root, or any capability, would be exempt).
  const before = children();
  await syscallError(() => rawsys.fork([
    { op: 'setrlimit', resource: 'RLIMIT_NPROC', soft: 1 },
    { op: 'setresgid', rgid: 65534 },
    { op: 'setresuid', ruid: 65534 },
    { op: 'init' },
    { op: 'exit' },
  ]), 'EAGAIN', 'clone');
  assert.equal(children(), before);
});

test('init: plan validation', async () => {
  const fds = openFds();
  const payload = { op: 'execve', path: '/bin/true' };
  const bad = (plan, props) => throwsLike(() => rawsys.fork(plan), props);
  await bad([{ op: 'init', signals: ['SIGKILL'] }, payload], { code: 'ERR_INVALID_ARG_VALUE' });
  await bad([{ op: 'init', signals: [C.SIGCHLD] }, payload], { code: 'ERR_INVALID_ARG_VALUE' });
  await bad([{ op: 'init', signals: ['SIGSTOP'] }, payload], { code: 'ERR_INVALID_ARG_VALUE' });
  await bad([{ op: 'init', signals: [0] }, payload], { code: 'ERR_INVALID_ARG_VALUE' });
  await bad([{ op: 'init', signals: ['SIGNOPE'] }, payload], { code: 'ERR_INVALID_ARG_VALUE' });
  await bad([{ op: 'init', signals: [65] }, payload], { code: 'ERR_OUT_OF_RANGE' });
  await bad([{ op: 'init', signals: 'SIGTERM' }, payload], { code: 'ERR_INVALID_ARG_TYPE' });
  await bad([{ op: 'init' }, { op: 'init' }, payload], { code: 'ERR_INVALID_ARG_VALUE' });
  await bad([{ op: 'exit' }, { op: 'init' }], { code: 'ERR_INVALID_ARG_VALUE' });
  // The image's descriptor must survive until the init step.
  await bad([{ op: 'close', fd: IMAGE }, { op: 'init' }, payload], { code: 'ERR_INVALID_ARG_VALUE' });
  await bad([{ op: 'dup2', oldfd: 0, newfd: IMAGE }, { op: 'init' }, payload], { code: 'ERR_INVALID_ARG_VALUE' });
  assertNoNewFds(fds, 'refused plans');
  // After init (in the payload) it is an ordinary descriptor of the plan's.
  const c = rawsys.fork([{ op: 'init' }, { op: 'close', fd: IMAGE }, { op: 'exit', code: 4 }]);
  assert.is(rawsys.waitpid(c.pid).exitCode, 4);
  rawsys.close(c.pidfd);
});

test('init: closeRange and closeExcept before init spare the image', () => {
  const [st, out] = run(0, 'echo ok', { pre: [{ op: 'closeExcept', keep: [0, 1, 2] }, { op: 'closeRange', first: 3 }] });
  assert.equal([st.exitCode, out], [0, 'ok']);
});

test('initImageFd: one sealed, close-on-exec memfd holding an ELF image, the same for every call and worker', async () => {
  assert.is(rawsys.initImageFd(), IMAGE);
  assert.ok(rawsys.fcntl(IMAGE, C.F_GETFD) & C.FD_CLOEXEC, 'close-on-exec');
  assert.match(fs.readlinkSync(`/proc/self/fd/${IMAGE}`), /^\/memfd:rawsys-init/);
  const seals = Number(rawsys.syscall(C.SYS_fcntl, IMAGE, C.F_GET_SEALS));
  const want = C.F_SEAL_SEAL | C.F_SEAL_SHRINK | C.F_SEAL_GROW | C.F_SEAL_WRITE;
  assert.is(seals & want, want, `seals ${seals.toString(16)}`);
  const size = rawsys.fstat(IMAGE).size;
  assert.is(size, native.initImageSize);
  assert.ok(size > 512 && size < 16384, `${size} bytes`);
  const head = Buffer.alloc(4);
  assert.is(rawsys.pread(IMAGE, head, 0), 4);
  assert.is(head.toString('latin1'), '\x7fELF');
  await syscallError(() => rawsys.pwrite(IMAGE, 'x', 0), 'EPERM', 'pwrite');
  await syscallError(() => rawsys.ftruncate(IMAGE, 0), 'EPERM', 'ftruncate');
  const inWorker = await new Promise((resolve, reject) => {
    const w = new Worker(`require('worker_threads').parentPort.postMessage(require(${JSON.stringify(require.resolve('..'))}).initImageFd())`, { eval: true });
    w.once('message', resolve);
    w.once('error', reject);
  });
  assert.is(inWorker, IMAGE);
});

test('initImageFd: closed behind rawsys\'s back, it is made again and init still works', async () => {
  const { inChild } = require('./inchild');
  const r = await inChild(`
    const first = rawsys.initImageFd();
    rawsys.close(first);
    const taken = rawsys.open('/dev/null');  // most likely the same number, now something else
    const second = rawsys.initImageFd();
    const c = rawsys.fork([{ op: 'init' }, { op: 'exit', code: 9 }]);
    const code = rawsys.waitpid(c.pid).exitCode;
    rawsys.close(c.pidfd);
    return { reused: taken === first, distinct: second !== taken, same: rawsys.initImageFd() === second, code,
      null: fs.readlinkSync('/proc/self/fd/' + taken), image: fs.readlinkSync('/proc/self/fd/' + second) };
  `);
  assert.ok(r.distinct && r.same, JSON.stringify(r));
  assert.is(r.code, 9);
  assert.is(r.null, '/dev/null');
  assert.match(r.image, /^\/memfd:rawsys-init/);
});

test.run();
