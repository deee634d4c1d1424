'use strict';
// Signal names and numbers, kill(2) and the pidfd calls, against real
// children that are always killed and reaped.
const { test } = require('uvu');
const assert = require('uvu/assert');
const cp = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const rawsys = require('..');
const { throwsLike, syscallError, timeout } = require('./helpers');
const { pausedChild } = require('./inchild');

const C = rawsys.constants;
const NO_PID = 2 ** 31 - 1;

/** A `sleep 30` child; exited resolves to { code, signal } once child_process reaped it. */
function sleeper() {
  const child = cp.spawn('sleep', ['30'], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    pid: child.pid,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      return exited;
    },
  };
}

async function within(p, what, ms = 10000) {
  const t = timeout(ms, what);
  try {
    return await Promise.race([p, t]);
  } finally {
    t.cancel();
  }
}

test('signalNumber: names with or without SIG, any case, real-time names, numbers 0..64', () => {
  assert.is(rawsys.signalNumber('SIGTERM'), C.SIGTERM);
  assert.is(rawsys.signalNumber('TERM'), C.SIGTERM);
  assert.is(rawsys.signalNumber('sigkill'), C.SIGKILL);
  assert.is(rawsys.signalNumber('SIGIOT'), C.SIGABRT);
  assert.is(rawsys.signalNumber(0), 0);
  assert.is(rawsys.signalNumber(64), 64);
  assert.is(rawsys.signalNumber('SIGRTMIN'), C.SIGRTMIN);
  assert.is(rawsys.signalNumber('SIGRTMIN+3'), C.SIGRTMIN + 3);
  assert.is(rawsys.signalNumber('RTMAX-1'), C.SIGRTMAX - 1);
  assert.is(rawsys.signalNumber('SIGRTMAX'), C.SIGRTMAX);
  for (const [name, n] of Object.entries(os.constants.signals)) assert.is(rawsys.signalNumber(name), n, name);
});

test('signalNumber: unknown names, out-of-range numbers and other types are refused', async () => {
  await throwsLike(() => rawsys.signalNumber('SIGNOPE'), { code: 'ERR_INVALID_ARG_VALUE' });
  await throwsLike(() => rawsys.signalNumber('SIGRTMIN+99'), { code: 'ERR_INVALID_ARG_VALUE' });
  await throwsLike(() => rawsys.signalNumber('SIGRTMAX+1'), { code: 'ERR_INVALID_ARG_VALUE' });
  await throwsLike(() => rawsys.signalNumber('SIGRTMIN-1'), { code: 'ERR_INVALID_ARG_VALUE' });
  await throwsLike(() => rawsys.signalNumber('SIGRTMIN_FOO'), { code: 'ERR_INVALID_ARG_VALUE' });
  await throwsLike(() => rawsys.signalNumber(''), { code: 'ERR_INVALID_ARG_VALUE' });
  await throwsLike(() => rawsys.signalNumber(65), { code: 'ERR_OUT_OF_RANGE' });
  await throwsLike(() => rawsys.signalNumber(-1), { code: 'ERR_OUT_OF_RANGE' });
  await throwsLike(() => rawsys.signalNumber(1.5), { code: 'ERR_OUT_OF_RANGE' });
  await throwsLike(() => rawsys.signalNumber(null), { code: 'ERR_INVALID_ARG_TYPE' });
  await throwsLike(() => rawsys.signalNumber(15n), { code: 'ERR_INVALID_ARG_TYPE' });
});

test('signalName: Node\'s names, its choice among aliases, real-time names, undefined for none', () => {
  const node = new Map();
  for (const [name, n] of Object.entries(os.constants.signals)) if (!node.has(n)) node.set(n, name);
  for (const [n, name] of node) assert.is(rawsys.signalName(n), name, `signal ${n}`);
  assert.is(rawsys.signalName(C.SIGABRT), 'SIGABRT');
  assert.is(rawsys.signalName(C.SIGIO), 'SIGIO');
  assert.is(rawsys.signalName(C.SIGRTMIN), 'SIGRTMIN');
  assert.is(rawsys.signalName(C.SIGRTMIN + 2), 'SIGRTMIN+2');
  assert.is(rawsys.signalNumber(rawsys.signalName(C.SIGRTMAX)), C.SIGRTMAX);
  assert.is(rawsys.signalName(0), undefined);
  assert.is(rawsys.signalName(65), undefined);
  assert.is(rawsys.signalName(1.5), undefined);
  assert.is(rawsys.signalName('15'), undefined);
});

test('kill: SIGTERM by name reaches a sleep child, as child_process reports it', async () => {
  const s = sleeper();
  try {
    rawsys.kill(s.pid, 'SIGTERM');
    assert.equal(await within(s.exited, 'SIGTERM'), { code: null, signal: 'SIGTERM' });
  } finally {
    await s.stop();
  }
});

test('kill: numbers, short names and the default SIGTERM', async () => {
  for (const [sig, want] of [[C.SIGKILL, 'SIGKILL'], ['USR1', 'SIGUSR1'], [undefined, 'SIGTERM']]) {
    const s = sleeper();
    try {
      if (sig === undefined) rawsys.kill(s.pid);
      else rawsys.kill(s.pid, sig);
      assert.is((await within(s.exited, want)).signal, want);
    } finally {
      await s.stop();
    }
  }
});

test('kill: signal 0 checks existence; ESRCH once the child is reaped', async () => {
  const s = sleeper();
  try {
    rawsys.kill(s.pid, 0);
    assert.is(fs.existsSync(`/proc/${s.pid}`), true, 'nothing was sent');
  } finally {
    await s.stop();
  }
  const err = await syscallError(() => rawsys.kill(s.pid, 0), 'ESRCH', 'kill');
  assert.is(err.message, 'ESRCH: no such process, kill');
  await syscallError(() => rawsys.kill(NO_PID, 'SIGTERM'), 'ESRCH', 'kill');
  await throwsLike(() => rawsys.kill(s.pid, 'SIGNOPE'), { code: 'ERR_INVALID_ARG_VALUE' });
  await throwsLike(() => rawsys.kill('1', 0), { code: 'ERR_INVALID_ARG_TYPE' });
});

test('pidfdOpen/pidfdSendSignal: a close-on-exec pidfd signals its process; ESRCH after it is reaped', async () => {
  const s = sleeper();
  let fd;
  try {
    fd = rawsys.pidfdOpen(s.pid);
    assert.ok(fd > 2);
    assert.ok(rawsys.fcntl(fd, C.F_GETFD) & C.FD_CLOEXEC, 'close-on-exec');
    assert.match(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'), new RegExp(`^Pid:\\s+${s.pid}$`, 'm'));
    rawsys.pidfdSendSignal(fd, 0);
    rawsys.pidfdSendSignal(fd, 'SIGKILL');
    assert.is((await within(s.exited, 'SIGKILL')).signal, 'SIGKILL');
    await syscallError(() => rawsys.pidfdSendSignal(fd, 0), 'ESRCH', 'pidfd_send_signal');
  } finally {
    await s.stop();
    if (fd !== undefined) rawsys.close(fd);
  }
});

test('pidfdOpen: PIDFD_NONBLOCK; ESRCH for no process, EINVAL for bad flags', async () => {
  const s = sleeper();
  try {
    const fd = rawsys.pidfdOpen(s.pid, C.PIDFD_NONBLOCK);
    assert.ok(rawsys.fcntl(fd, C.F_GETFL) & C.O_NONBLOCK);
    assert.ok(rawsys.fcntl(fd, C.F_GETFD) & C.FD_CLOEXEC);
    rawsys.close(fd);
    await syscallError(() => rawsys.pidfdOpen(s.pid, 0x1234), 'EINVAL', 'pidfd_open');
  } finally {
    await s.stop();
  }
  await syscallError(() => rawsys.pidfdOpen(NO_PID), 'ESRCH', 'pidfd_open');
  await syscallError(() => rawsys.pidfdOpen(0), 'EINVAL', 'pidfd_open');
  await throwsLike(() => rawsys.pidfdOpen(1, -1), { code: 'ERR_OUT_OF_RANGE' });
});

test('pidfdSendSignal: EBADF for a descriptor that is not a pidfd, names refused before the call', async () => {
  const [r, w] = rawsys.pipe2();
  try {
    await syscallError(() => rawsys.pidfdSendSignal(r, 0), 'EBADF', 'pidfd_send_signal');
  } finally {
    rawsys.close(r);
    rawsys.close(w);
  }
  await throwsLike(() => rawsys.pidfdSendSignal(-1, 0), { code: 'ERR_OUT_OF_RANGE' });
  await throwsLike(() => rawsys.pidfdSendSignal(0, 'SIGNOPE'), { code: 'ERR_INVALID_ARG_VALUE' });
});

test('pidfdGetfd: takes a pipe end out of a node child, close-on-exec, sharing the open file', async () => {
  const c = await pausedChild(`
    const [r, w] = rawsys.pipe2();
    await pause({ r, w });
    return null;
  `);
  let pidfd, r, w;
  try {
    pidfd = rawsys.pidfdOpen(c.pid);
    r = rawsys.pidfdGetfd(pidfd, c.paused.r);
    w = rawsys.pidfdGetfd(pidfd, c.paused.w);
    for (const fd of [r, w]) assert.ok(rawsys.fcntl(fd, C.F_GETFD) & C.FD_CLOEXEC, 'close-on-exec');
    assert.is(rawsys.fstat(r).ino, fs.statSync(`/proc/${c.pid}/fd/${c.paused.r}`).ino, 'the same pipe');
    rawsys.write(w, 'through the child');
    const buf = Buffer.alloc(64);
    assert.is(buf.toString('utf8', 0, rawsys.read(r, buf)), 'through the child');
    await syscallError(() => rawsys.pidfdGetfd(pidfd, 999), 'EBADF', 'pidfd_getfd');
    await c.resume();
  } finally {
    for (const fd of [r, w, pidfd]) if (fd !== undefined) rawsys.close(fd);
    await c.kill();
  }
  await throwsLike(() => rawsys.pidfdGetfd(0, -1), { code: 'ERR_OUT_OF_RANGE' });
});

test('pidfdGetfd: ESRCH once the process has exited', async () => {
  const s = sleeper();
  const pidfd = rawsys.pidfdOpen(s.pid);
  try {
    await s.stop();
    await syscallError(() => rawsys.pidfdGetfd(pidfd, 0), 'ESRCH', 'pidfd_getfd');
  } finally {
    rawsys.close(pidfd);
  }
});

test.run();
