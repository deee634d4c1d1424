'use strict';
// flock(2), POSIX record locks and OFD locks: contention with another process,
// and the promise waits that run on rawsys's own threads.
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('node:fs');
const path = require('node:path');
const rawsys = require('..');
const { tmpdir, FORMS, syscallError, throwsLike, spawnNode, kill, timeout } = require('./helpers');

const C = rawsys.constants;
const P = rawsys.promises;
const dir = tmpdir();
let seq = 0;
const fresh = () => {
  const p = path.join(dir, `lock${seq++}`);
  fs.writeFileSync(p, 'x'.repeat(100));
  return p;
};

/**
 * A child process holding a lock on `file` until it reads a line on stdin.
 * kind: 'flock' | 'posix' | 'ofd'.
 */
function holder(file, kind) {
  const script = `
    const r = require('.');
    const fd = r.open(${JSON.stringify(file)}, 'r+');
    const kind = ${JSON.stringify(kind)};
    if (kind === 'flock') r.flock(fd, r.constants.LOCK_EX);
    else r.setlk(fd, { type: 'write', start: 0, len: 50, ofd: kind === 'ofd' });
    console.log('ready');
    process.stdin.once('data', () => {
      if (kind === 'flock') r.flock(fd, r.constants.LOCK_UN);
      else r.setlk(fd, { type: 'unlock', start: 0, len: 50, ofd: kind === 'ofd' });
      console.log('released');
    });`;
  return spawnNode(script);
}

const release = (h) => h.child.stdin.write('go\n');

for (const [form, api] of FORMS) {
  const t = (name, fn) => test(`${name} (${form})`, fn);

  t('flock: LOCK_NB against another process is EAGAIN (EWOULDBLOCK); granted once released', async () => {
    const file = fresh();
    const h = await holder(file, 'flock');
    const fd = rawsys.open(file);
    try {
      await syscallError(() => api.flock(fd, C.LOCK_EX | C.LOCK_NB), 'EAGAIN', 'flock');
      await syscallError(() => api.flock(fd, C.LOCK_SH | C.LOCK_NB), 'EAGAIN', 'flock');
      release(h);
      // Blocking form: waits until the holder has released.
      await Promise.race([api.flock(fd, C.LOCK_EX), timeout(5000, 'flock after release')]);
      await api.flock(fd, C.LOCK_UN);
    } finally {
      rawsys.close(fd);
      await kill(h);
    }
  });

  t('flock: bad operation and bad fd', async () => {
    await throwsLike(() => api.flock(0, 0), { code: 'ERR_INVALID_ARG_VALUE' });
    const fd = rawsys.open(fresh());
    rawsys.close(fd);
    await syscallError(() => api.flock(fd, C.LOCK_EX | C.LOCK_NB), 'EBADF', 'flock');
  });

  for (const kind of ['posix', 'ofd']) {
    const ofd = kind === 'ofd';
    t(`getlk/setlk: ${kind} lock held by another process is reported and conflicts`, async () => {
      const file = fresh();
      const h = await holder(file, kind);
      const fd = rawsys.open(file, 'r+');
      try {
        const seen = await api.getlk(fd, { type: 'write', start: 10, len: 5, ofd });
        assert.is(seen.type, 'write');
        assert.is(seen.start, 0);
        assert.is(seen.len, 50);
        assert.is(seen.pid, ofd ? -1 : h.child.pid);
        assert.is(seen.ofd, ofd);
        const free = await api.getlk(fd, { type: 'write', start: 60, len: 10, ofd });
        assert.is(free.type, 'unlock');
        const err = await throwsLike(() => api.setlk(fd, { type: 'read', start: 49, len: 2, ofd }), { syscall: 'fcntl' });
        assert.ok(err.code === 'EAGAIN' || err.code === 'EACCES', err.code);
        await api.setlk(fd, { type: 'write', start: 50, len: 10, ofd }); // adjacent: no conflict
        release(h);
        await Promise.race([api.setlkw(fd, { type: 'write', start: 0, len: 50, ofd }), timeout(5000, 'setlkw after release')]);
        assert.is((await api.getlk(rawsys.open(file, 'r+'), { type: 'write', ofd: true })).type, ofd ? 'write' : 'write');
      } finally {
        rawsys.close(fd);
        await kill(h);
      }
    });
  }

  t('setlk: EBADF for a write lock on a read-only descriptor; bad lock type', async () => {
    const fd = rawsys.open(fresh());
    await syscallError(() => api.setlk(fd, { type: 'write' }), 'EBADF', 'fcntl');
    await throwsLike(() => api.setlk(fd, { type: 'exclusive' }), { code: 'ERR_INVALID_ARG_VALUE' });
    await throwsLike(() => api.getlk(fd, null), { code: 'ERR_INVALID_ARG_TYPE' });
    rawsys.close(fd);
  });
}

test('flock (promises): an AbortSignal ends the wait without taking the lock', async () => {
  const file = fresh();
  const h = await holder(file, 'flock');
  const fds = [];
  try {
    const ac = new AbortController();
    const waits = [];
    for (let i = 0; i < 8; i++) {
      const fd = rawsys.open(file);
      fds.push(fd);
      waits.push(P.flock(fd, C.LOCK_EX, { signal: ac.signal }).then(() => 'locked', (e) => e));
    }
    await new Promise((r) => setTimeout(r, 50));
    ac.abort(new Error('enough'));
    const results = await Promise.race([Promise.all(waits), timeout(5000, 'aborted waits')]);
    for (const e of results) {
      assert.instance(e, rawsys.AbortError);
      assert.is(e.name, 'AbortError');
      assert.is(e.code, 'ABORT_ERR');
      assert.is(e.cause.message, 'enough');
    }
    // Nobody else got it: once the holder dies, a fresh open file can take it at once.
    await kill(h);
    const probe = rawsys.open(file);
    rawsys.flock(probe, C.LOCK_EX | C.LOCK_NB);
    rawsys.close(probe);
    // An already-aborted signal rejects before any wait starts.
    await throwsLike(() => P.flock(fds[0], C.LOCK_EX, { signal: AbortSignal.abort() }), { name: 'AbortError' });
    await throwsLike(() => P.flock(fds[0], C.LOCK_EX, { signal: 'no' }), { code: 'ERR_INVALID_ARG_TYPE' });
  } finally {
    for (const fd of fds) rawsys.close(fd);
    await kill(h);
  }
});

test('setlkw (promises): an AbortSignal ends an OFD and a POSIX wait', async () => {
  const file = fresh();
  const h = await holder(file, 'ofd');
  const fd = rawsys.open(file, 'r+');
  try {
    for (const ofd of [true, false]) {
      const ac = new AbortController();
      const w = P.setlkw(fd, { type: 'write', start: 0, len: 10, ofd }, { signal: ac.signal });
      setTimeout(() => ac.abort(), 30);
      await throwsLike(() => Promise.race([w, timeout(5000, 'setlkw abort')]), { name: 'AbortError' });
    }
    // The holder still has it and we have nothing: getlk still sees the holder's lock.
    assert.is(rawsys.getlk(fd, { type: 'write', start: 0, len: 10, ofd: true }).type, 'write');
  } finally {
    rawsys.close(fd);
    await kill(h);
  }
});

test('flock/setlkw (promises): 64 pending waits do not starve fs.promises', async () => {
  const file = fresh();
  const h = await holder(file, 'flock');
  const h2 = await holder(fresh(), 'posix');
  const ac = new AbortController();
  const fds = [];
  const waits = [];
  try {
    for (let i = 0; i < 64; i++) {
      const fd = rawsys.open(file);
      fds.push(fd);
      waits.push(P.flock(fd, C.LOCK_EX, { signal: ac.signal }).catch((e) => e));
    }
    // The libuv threadpool has 4 threads by default: were the waits on it, none of these could run.
    const reads = [];
    for (let i = 0; i < 32; i++) reads.push(fs.promises.readFile(__filename));
    reads.push(P.pread(fds[0], Buffer.alloc(10), 0));
    await Promise.race([Promise.all(reads), timeout(5000, 'fs.promises.readFile starved by lock waits')]);
  } finally {
    ac.abort();
    const results = await Promise.race([Promise.all(waits), timeout(5000, 'abort of 64 waits')]);
    assert.ok(results.every((e) => e instanceof rawsys.AbortError));
    for (const fd of fds) rawsys.close(fd);
    await kill(h);
    await kill(h2);
  }
});

test('flock (promises): process.exit() with pending waits returns promptly', async () => {
  const file = fresh();
  const script = `
    const r = require('.');
    const fs = require('fs');
    const file = ${JSON.stringify(file)};
    const holder = r.open(file);
    r.flock(holder, r.constants.LOCK_EX);
    for (let i = 0; i < 8; i++) r.promises.flock(r.open(file), r.constants.LOCK_EX);
    for (let i = 0; i < 4; i++) r.promises.setlkw(r.open(file, 'r+'), { type: 'write', ofd: true }).catch(() => {});
    fs.promises.readFile(file).then(() => { console.log('fs ok'); process.exit(3); });`;
  const h = await spawnNode(script, { ready: false });
  const r = await Promise.race([h.exited, timeout(10000, 'process.exit hung with pending waits')]).finally(() => kill(h));
  assert.is(r.code, 3, r.stderr);
  assert.equal(h.lines, ['fs ok']);
});

test('flock (promises): a pending wait keeps the process alive until granted', async () => {
  const file = fresh();
  const script = `
    const r = require('.');
    const file = ${JSON.stringify(file)};
    const holder = r.open(file);
    r.flock(holder, r.constants.LOCK_EX);
    r.promises.flock(r.open(file), r.constants.LOCK_EX).then(() => console.log('granted'));
    setTimeout(() => r.close(holder), 300).unref();`;
  const h = await spawnNode(script, { ready: false });
  const r = await Promise.race([h.exited, timeout(10000, 'wait never granted')]).finally(() => kill(h));
  assert.is(r.code, 0, r.stderr);
  assert.equal(h.lines, ['granted']);
});

test.run();
