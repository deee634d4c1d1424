'use strict';
// The spawn cases of bench/spawn.bench.js, in one place for both ways they run:
//  - required by spawn.bench.js, which times them with Benchmark.js in the
//    runner's own process (a small heap);
//  - run as a child process (`node --max-old-space-size=4096 spawn.worker.js
//    <ballast>`) that first fills ~1 GiB with `ballast`, then times them with
//    process.hrtime on request, talking JSON lines over stdin/stdout:
//      stdout, once:        {"ready":true,"memory":{process.memoryUsage()},"allocMs":...}
//      stdin "round\n":     stdout {"round":{"<case>":[s/op of each batch, ...], ...}}
//      stdin end:           exits 0
//      any failure:         stdout {"error":"..."}, exit 1
const cp = require('node:child_process');
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

// Ballast, held for the life of the process so every spawn sees it mapped.
const ballast = {
  // 1 GiB in the V8 heap: 128 arrays of 1 Mi unboxed doubles (8 MiB each, in
  // large-object space). V8 maps its heap MADV_DONTFORK, so fork() skips it.
  'v8-heap': () => Array.from({ length: 128 }, (_, i) => new Array(1 << 20).fill(i + 0.5)),
  // 1 GiB outside the V8 heap: ArrayBuffer backing stores come from calloc,
  // i.e. ordinary anonymous memory that fork() must copy page tables for.
  // fill() touches every page so it is resident.
  arraybuffer: () => Array.from({ length: 16 }, () => new Float64Array(8 << 20).fill(1.5)),
};

// Per case and round: BATCHES batches of `batch` ops, each batch's mean a
// sample (as a Benchmark.js sample is the mean of one timed cycle). `batch`
// is set once, from a warm-up, so a batch lasts about BATCH_MS: at ~0.7 ms a
// spawn that is ~40 ops, at ~30 ms (fork copying a big heap's page tables) 1.
const BATCHES = 7;
const BATCH_MS = 25;
const batchSize = {};

async function timeCase(c) {
  const once = c.defer ? c.fn : async () => c.fn();
  if (!batchSize[c.name]) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 3; i++) await once();
    const est = Number(process.hrtime.bigint() - t0) / 3 / 1e6; // ms/op
    batchSize[c.name] = Math.max(1, Math.round(BATCH_MS / est));
  }
  const n = batchSize[c.name];
  const samples = [];
  for (let b = 0; b < BATCHES; b++) {
    const t0 = process.hrtime.bigint();
    // The sync cases are awaited too (once() is async): a resolved-promise
    // await costs well under a microsecond against a ~700 µs spawn.
    for (let i = 0; i < n; i++) await once();
    samples.push(Number(process.hrtime.bigint() - t0) / n / 1e9);
  }
  return samples;
}

async function child(kind) {
  const make = ballast[kind];
  if (!make) throw new Error(`unknown ballast ${kind}`);
  const t0 = Date.now();
  global.ballast = make();
  const send = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
  send({ ready: true, memory: process.memoryUsage(), allocMs: Date.now() - t0, batchMs: BATCH_MS, batches: BATCHES });

  let buf = '';
  let busy = Promise.resolve();
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const cmd = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      if (cmd !== 'round') continue;
      busy = busy.then(async () => {
        const round = {};
        for (const c of cases) round[c.name] = await timeCase(c);
        send({ round, batchSize });
      }).catch(fatal);
    }
  });
  process.stdin.on('end', () => busy.then(() => process.exit(0)));
}

function fatal(e) {
  process.stdout.write(`${JSON.stringify({ error: String((e && e.stack) || e) })}\n`);
  process.exit(1);
}

if (require.main === module) child(process.argv[2]).catch(fatal);

module.exports = { cases, PATH };
