'use strict';
// The promise machinery: buffers pinned across garbage collection, and the
// addon in worker_threads (loaded, used, terminated with work in flight).
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('node:fs');
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const rawsys = require('..');
const { tmpdir, timeout } = require('./helpers');

const P = rawsys.promises;
const dir = tmpdir();

test('pread (promises): buffers survive global.gc() during 10,000 in-flight reads', async () => {
  assert.type(global.gc, 'function', 'run with --expose-gc');
  const file = path.join(dir, 'gc');
  const content = Buffer.alloc(4096);
  for (let i = 0; i < content.length; i++) content[i] = i % 251;
  fs.writeFileSync(file, content);
  const fd = rawsys.open(file);
  const N = 10000;
  const settled = new Uint8Array(N);
  let early = 0;
  // A buffer finalized before its read settled was not pinned: the read wrote into freed memory.
  const registry = new FinalizationRegistry((i) => { if (!settled[i]) early++; });
  const pending = [];
  const kept = [];
  for (let i = 0; i < N; i++) {
    const b = Buffer.allocUnsafeSlow(512);
    registry.register(b, i);
    if (i % 100 === 0) kept.push([i, b]);
    const off = (i * 7) % 3584;
    pending.push(P.pread(fd, b, off).then((n) => { settled[i] = 1; return n; }));
    if (i % 1000 === 0) global.gc();
  }
  for (let k = 0; k < 5; k++) {
    global.gc();
    await new Promise((r) => setImmediate(r));
  }
  const counts = await Promise.all(pending);
  assert.ok(counts.every((n) => n === 512));
  for (const [i, b] of kept) assert.ok(b.equals(content.subarray((i * 7) % 3584, (i * 7) % 3584 + 512)), `data of read ${i}`);
  global.gc();
  await new Promise((r) => setTimeout(r, 20));
  assert.is(early, 0, 'buffers collected while their read was in flight');
  rawsys.close(fd);
});

test('writev/syscall (promises): an array of buffers and raw buffers are pinned too', async () => {
  const file = path.join(dir, 'gcv');
  const fd = rawsys.open(file, 'w+');
  const jobs = [];
  for (let i = 0; i < 2000; i++) {
    jobs.push(P.writev(fd, [Buffer.from(`a${i % 10}`), Buffer.from('b')], i * 3));
    if (i % 500 === 0) global.gc();
  }
  global.gc();
  assert.ok((await Promise.all(jobs)).every((n) => n === 3));
  const text = fs.readFileSync(file, 'latin1');
  for (let i = 0; i < 2000; i += 97) assert.is(text.slice(i * 3, i * 3 + 3), `a${i % 10}b`);
  rawsys.close(fd);
});

function runWorker(code) {
  return new Worker(`const r = require(${JSON.stringify(path.join(__dirname, '..'))}); ${code}`, { eval: true });
}

test('worker_threads: the addon loads and works in a Worker, waits and aborts included', async () => {
  const file = path.join(dir, 'worker');
  fs.writeFileSync(file, 'worker data');
  const w = runWorker(`
    const { parentPort } = require('node:worker_threads');
    const C = r.constants;
    (async () => {
      const fd = await r.promises.open(${JSON.stringify(file)});
      const b = Buffer.alloc(11);
      await r.promises.pread(fd, b, 0);
      const holder = r.open(${JSON.stringify(file)});
      r.flock(holder, C.LOCK_EX);
      const ac = new AbortController();
      const waits = [];
      for (let i = 0; i < 8; i++) waits.push(r.promises.flock(r.open(${JSON.stringify(file)}), C.LOCK_EX, { signal: ac.signal }).catch((e) => e.name));
      const fsOk = await require('fs').promises.readFile(${JSON.stringify(file)}, 'utf8');
      ac.abort();
      const aborted = await Promise.all(waits);
      let err;
      try { r.open('/nonexistent') } catch (e) { err = e.code; }
      parentPort.postMessage({ text: b.toString(), fsOk, aborted, err });
    })().catch((e) => parentPort.postMessage({ error: e.stack }));`);
  try {
    const msg = await Promise.race([new Promise((res, rej) => { w.once('message', res); w.once('error', rej); }), timeout(10000, 'worker')]);
    assert.is(msg.error, undefined, msg.error);
    assert.is(msg.text, 'worker data');
    assert.is(msg.fsOk, 'worker data');
    assert.equal(msg.aborted, Array(8).fill('AbortError'));
    assert.is(msg.err, 'ENOENT');
  } finally {
    await w.terminate();
  }
});

test('worker_threads: terminating a Worker with reads and lock waits in flight is safe', async () => {
  for (let round = 0; round < 3; round++) {
    const file = path.join(dir, `terminate${round}`);
    fs.writeFileSync(file, Buffer.alloc(65536, 1));
    const w = runWorker(`
      const { parentPort } = require('node:worker_threads');
      const C = r.constants;
      const fd = r.open(${JSON.stringify(file)});
      const holder = r.open(${JSON.stringify(file)});
      r.flock(holder, C.LOCK_EX);
      const waiters = [];
      for (let i = 0; i < 6; i++) {
        waiters.push(r.open(${JSON.stringify(file)}));
        r.promises.flock(waiters[i], C.LOCK_EX);
      }
      for (let i = 0; i < 2000; i++) r.promises.pread(fd, Buffer.alloc(4096), (i * 4096) % 61440);
      parentPort.postMessage({ fd, holder, waiters });`);
    const fds = await Promise.race([new Promise((res) => w.once('message', res)), timeout(10000, 'worker start')]);
    await Promise.race([w.terminate(), timeout(10000, 'terminate hung')]);
    // A Worker shares the process's descriptor table: its fds outlive it. Release the
    // holder's lock. Had a waiter thread outlived its environment still waiting, it
    // would take the lock now, and the probe below would fail with EAGAIN.
    rawsys.close(fds.holder);
    await new Promise((r) => setTimeout(r, 50));
    const probe = rawsys.open(file);
    rawsys.flock(probe, rawsys.constants.LOCK_EX | rawsys.constants.LOCK_NB);
    for (const fd of [probe, fds.fd, ...fds.waiters]) rawsys.close(fd);
  }
  // The main thread is unaffected and the addon still works here.
  const fd = rawsys.open(path.join(dir, 'terminate0'));
  assert.is(await P.pread(fd, Buffer.alloc(8), 0), 8);
  rawsys.close(fd);
});

test.run();
