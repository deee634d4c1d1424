'use strict';
// The spawn cases of bench/spawn.bench.js, in one place for both ways they run:
//  - required by spawn.bench.js, which times them with Benchmark.js in the
//    runner's own process (a small heap);
//  - run as a child process (`node --max-old-space-size=4096 spawn.worker.js
//    <ballast>`) that first fills ~1 GiB with `ballast`, then times them with
//    process.hrtime on request (bench/child.js has the protocol):
//      stdin "round\n":     stdout {"round":{"<case>":[s/op of each batch, ...], ...}}
const cp = require('node:child_process');
const { serve, timeBatches, fatal } = require('./child.js');
const rawsys = require('rawsys'); // self-reference: the package's public entry points

const PATH = '/bin/true';
// An empty environment makes the exec cheap and the same for every case.
const PLAN = [{ op: 'execve', path: PATH, argv: ['true'], env: [] }];

// Every case checks that /bin/true ran and exited 0: timing failures would
// flatter whichever side fails.
function checkWait(st) {
  if (!st || st.exitCode !== 0) throw new Error(`child did not exit 0: ${JSON.stringify(st)}`);
}

const cases = [
  {
    name: 'rawsys.sync',
    fn: () => {
      const c = rawsys.fork(PLAN);
      try { checkWait(rawsys.waitpid(c.pid)); } finally { rawsys.close(c.pidfd); }
    },
  },
  {
    name: 'cp.spawnSync',
    fn: () => {
      const r = cp.spawnSync(PATH, { env: {} });
      if (r.error) throw r.error;
      if (r.status !== 0) throw new Error(`spawnSync: status ${r.status}, signal ${r.signal}`);
    },
  },
  {
    name: 'rawsys.promise',
    defer: true,
    fn: async () => {
      const c = rawsys.fork(PLAN);
      try { checkWait(await rawsys.promises.waitpid(c.pid)); } finally { rawsys.close(c.pidfd); }
    },
  },
  {
    name: 'cp.spawn',
    defer: true,
    fn: () => new Promise((resolve, reject) => {
      const c = cp.spawn(PATH, { env: {}, stdio: 'ignore' });
      c.once('error', reject);
      c.once('exit', (code, sig) => (code === 0 ? resolve() : reject(new Error(`spawn: exit ${code}, signal ${sig}`))));
    }),
  },
];

// As a child: time every case per "round" request (bench/child.js).
if (require.main === module) {
  serve(process.argv[2], {
    round: async () => {
      const round = {};
      for (const c of cases) round[c.name] = await timeBatches(c);
      return { round };
    },
  }).catch(fatal);
}

module.exports = { cases, PATH };
