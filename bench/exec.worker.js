'use strict';
// The cases of bench/exec.bench.js, run in a child process (`node
// --max-old-space-size=4096 exec.worker.js <ballast>`, bench/child.js) so
// every memory size is timed the same way, in a fresh process:
//   stdin "latency\n":     stdout {"latency":{"<case>":[s/op of each batch, ...], ...}}
//                          one spawn in flight at a time (bench/child.js batches)
//   stdin "throughput\n":  stdout {"throughput":{"<case>":[s per spawn of each window, ...], ...}}
//                          INFLIGHT spawns kept in flight
// Every case spawns /bin/true with the environment it inherits (no env
// option: what a caller gets by default), and fails the bench unless
// /bin/true ran and exited 0.
const cp = require('node:child_process');
const fs = require('node:fs');
const { serve, timeBatches, fatal } = require('./child.js');
const { command } = require('rawsys/exec'); // self-reference: the package's public entry point
// Internals, for the (profile) cases only: the pieces run() is made of.
const { buildSpawn } = require('../dist/cjs/exec.js');
const { prepareSpawn, spawnResult } = require('../dist/cjs/process.js');
const { native } = require('../dist/cjs/binding.js');
const { constants: C } = require('../dist/cjs/constants.js');

const PATH = '/bin/true';
const INFLIGHT = 100;
// Throughput: after WARM completions at full concurrency, WINDOWS windows of
// WINDOW completions each are timed (steady state, every window with
// INFLIGHT in flight throughout); the last INFLIGHT then drain untimed.
const WARM = 100;
const WINDOW = 100;
const WINDOWS = 3;

let execa; // ESM-only: imported in init()

/** child_process.spawn, resolved on 'close' (exit, and every stdio stream closed). */
function cpSpawn(options) {
  return new Promise((resolve, reject) => {
    const c = cp.spawn(PATH, options);
    c.once('error', reject);
    c.once('close', (code, sig) => (code === 0 ? resolve() : reject(new Error(`spawn: exit ${code}, signal ${sig}`))));
  });
}

// run(): the wrapper with every default (stdio 'ignore', env inherited). It
// rejects with an ExitError unless the exit status is 0.
const rawsysRun = () => command(PATH).run();

/** The plan run() builds for /bin/true (stdio on /dev/null, env inherited), compiled once. */
function precompiled() {
  const devNull = fs.openSync('/dev/null', 'r+'); // O_CLOEXEC, as Node opens everything
  const built = buildSpawn(PATH, [PATH], {}, [devNull, devNull, devNull], false);
  return prepareSpawn(built.flags, built.plan, built.clone);
}
let prep;
const rec = new Float64Array(13);
const checkRec = (r) => {
  // rec[1]: the exit status (decode() in src/process.ts); r < 0: -errno.
  if (r < 0 || rec[1] !== 0) throw new Error(`waitid: ${r}, exit status ${rec[1]}`);
};

const latency = [
  { name: 'rawsys.run', defer: true, fn: rawsysRun },
  { name: 'cp.spawn', defer: true, fn: () => cpSpawn({ stdio: 'ignore' }) },
  { name: 'cp.spawn.default', defer: true, fn: () => cpSpawn({}) },
  { name: 'execa', defer: true, fn: () => execa(PATH) },
];

// (profile): small heap only, to split run()'s time.
const profile = [
  // The same with env: [] (no process.env to enumerate, copy and exec).
  { name: 'rawsys.run.noenv', defer: true, fn: () => command(PATH, [], { env: [] }).run() },
  // The native spawn on the threadpool and the pidfd wait, plan compiled once: run() minus its TypeScript.
  {
    name: 'native.async',
    defer: true,
    fn: async () => {
      const c = spawnResult(prep, await native.spawnAsync(...prep.args), null);
      try { checkRec(await native.waitAsync(1, C.P_PIDFD, c.pidfd, C.WEXITED, rec)); } finally { fs.closeSync(c.pidfd); }
    },
  },
  // The same spawn on the JS thread and a blocking waitid: no threadpool, no event loop.
  {
    name: 'native.sync',
    fn: () => {
      const c = spawnResult(prep, native.spawn(...prep.args), null);
      try { checkRec(native.wait(1, C.P_PIDFD, c.pidfd, C.WEXITED, rec)); } finally { fs.closeSync(c.pidfd); }
    },
  },
];

const concurrent = [
  { name: 'rawsys.run', fn: rawsysRun },
  { name: 'cp.spawn', fn: () => cpSpawn({ stdio: 'ignore' }) },
  { name: 'cp.spawn.default', fn: () => cpSpawn({}) },
  { name: 'execa', fn: () => execa(PATH) },
];

/** Keeps INFLIGHT calls of `fn` running; resolves to the s/spawn of each timed window. */
function throughput(fn) {
  const target = WARM + WINDOW * WINDOWS;
  return new Promise((resolve, reject) => {
    const marks = [];
    let started = 0;
    let done = 0;
    let failed = false;
    const launch = () => {
      started++;
      fn().then(() => {
        done++;
        if (done >= WARM && (done - WARM) % WINDOW === 0 && marks.length <= WINDOWS) marks.push(process.hrtime.bigint());
        if (done < target) launch();
        else if (done === started) {
          const s = [];
          for (let i = 1; i < marks.length; i++) s.push(Number(marks[i] - marks[i - 1]) / WINDOW / 1e9);
          resolve(s);
        }
      }, (e) => {
        if (!failed) reject(e);
        failed = true;
      });
    };
    for (let i = 0; i < INFLIGHT; i++) launch();
  });
}

if (require.main === module) {
  const kind = process.argv[2];
  const init = async () => {
    ({ execa } = await import('execa'));
    prep = precompiled();
  };
  serve(kind, {
    latency: async () => {
      const out = {};
      for (const c of kind === 'small' ? [...latency, ...profile] : latency) out[c.name] = await timeBatches(c);
      return { latency: out };
    },
    throughput: async () => {
      const out = {};
      for (const c of concurrent) out[c.name] = await throughput(c.fn);
      return { throughput: out };
    },
  }, init).catch(fatal);
}

module.exports = { PATH, INFLIGHT, WARM, WINDOW, WINDOWS };
