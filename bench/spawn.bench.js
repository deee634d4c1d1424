'use strict';
// Spawn-and-wait benchmarks: rawsys.fork (an execve plan, clone(CLONE_VM|
// CLONE_VFORK) on its own stack) + waitpid against node:child_process and
// against the C floor (bench/spawn_floor.c: posix_spawn + waitpid, and a bare
// clone(CLONE_VM|CLONE_VFORK) + execve + waitpid). The child is /bin/true with
// an empty environment, the same for every case.
//
// The same cases (bench/spawn.worker.js) run at three memory sizes, because
// fork() cost grows with the page tables it copies:
//  - small heap: in this process, timed with Benchmark.js as fd.bench.js does;
//  - 1 GiB V8 heap: a `node --max-old-space-size=4096` child holding 1 GiB of
//    JS arrays;
//  - 1 GiB of ArrayBuffers: a child holding 1 GiB of typed-array backing
//    stores (malloc'd, outside the V8 heap).
// The children are timed with process.hrtime over batches sized from a
// warm-up (Benchmark.js would need seconds per case once a spawn takes tens
// of ms), and report each batch's mean as a sample: the same statistic as a
// Benchmark.js sample, so the heap sizes compare like for like.
const Benchmark = require('benchmark');
const { median, rme } = require('./stats.js');
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const { startChildren, mib } = require('./child.js');

const { cases } = require('./spawn.worker.js');

// As in fd.bench.js: this VM runs in fast and slow phases of about a second,
// so every suite runs ROUNDS times in turn (each round: the C floor, the
// in-process suite, then each child's round) and a case's value is its best
// round. About 6 s a round: 5 rounds plus the children's 1 GiB allocations
// keep the whole bench near 40 s.
const ROUNDS = Number(process.env.BENCH_ROUNDS) || 5;
const OPTIONS = { maxTime: Number(process.env.BENCH_MAX_TIME) || 0.5, minSamples: 5 };
const FLOOR_ROUND_MS = 100;
const FLOOR_ROUNDS = 3;

const HEAPS = [
  { key: 'small', label: 'small heap' },
  { key: 'v8-heap', label: '1 GiB V8 heap' },
  { key: 'arraybuffer', label: '1 GiB ArrayBuffers' },
];

/** One Benchmark.Suite run of `cases` in this process; resolves to { name: [samples in s] }. */
function runSuiteOnce(title) {
  return new Promise((resolve, reject) => {
    const suite = new Benchmark.Suite(title);
    const fail = (e) => {
      suite.abort();
      reject(e);
    };
    for (const c of cases) {
      // A rejection is a real failure (the child did not run), not noise.
      const fn = c.defer ? (d) => c.fn().then(() => d.resolve(), fail) : c.fn;
      suite.add(c.name, fn, { ...OPTIONS, defer: !!c.defer });
    }
    const out = {};
    suite.on('cycle', (ev) => {
      const b = ev.target;
      if (b.error) fail(b.error);
      else out[b.name] = b.stats.sample.slice();
    });
    suite.on('complete', () => resolve(out));
    suite.on('error', (ev) => fail(ev.target.error));
    suite.run({ async: true });
  });
}

/** One run of bench/spawn_floor.c: { posix_spawn_wait, clone_vfork_wait } in ns/op, or null. */
function floorRunner(bin) {
  let broken = !bin;
  return () => {
    if (broken) return null;
    try {
      return JSON.parse(execFileSync(bin, [String(FLOOR_ROUND_MS), String(FLOOR_ROUNDS), 'posix_spawn_wait,clone_vfork_wait'], { encoding: 'utf8' }));
    } catch (e) {
      broken = true; // report once; the C columns stay empty
      process.stderr.write(`C floor failed: ${e.message}\n`);
      return null;
    }
  };
}

module.exports = async function run({ floorBins = {} } = {}) {
  const floor = floorRunner(floorBins.spawn_floor);
  const small = process.memoryUsage(); // the runner's own heap, the "small heap" case
  // Both children (spawn.worker.js, 1 GiB of ballast each) allocate at once, a second or two each.
  const children = await startChildren(path.join(__dirname, 'spawn.worker.js'), HEAPS.filter((h) => h.key !== 'small').map((h) => h.key));
  try {
    // samples[heap][case]: every sample (s/op) over all rounds; perRound: ns/op of each round.
    const samples = {};
    const perRound = {};
    for (const h of HEAPS) {
      samples[h.key] = Object.fromEntries(cases.map((c) => [c.name, []]));
      perRound[h.key] = Object.fromEntries(cases.map((c) => [c.name, []]));
    }
    const floors = { posix_spawn_wait: [], clone_vfork_wait: [] };
    const add = (heap, got) => {
      for (const c of cases) {
        samples[heap][c.name].push(...got[c.name]);
        perRound[heap][c.name].push(median(got[c.name]) * 1e9);
      }
    };
    for (let round = 1; round <= ROUNDS; round++) {
      const fl = floor();
      if (fl) for (const k of Object.keys(floors)) floors[k].push(fl[k]);
      add('small', await runSuiteOnce('spawn'));
      for (const [k, c] of Object.entries(children)) add(k, (await c.request('round')).round);
      const us = (heap) => cases.map((c) => `${c.name} ${(perRound[heap][c.name][round - 1] / 1e3).toFixed(0)}`).join(', ');
      process.stderr.write(`  spawn: round ${round}/${ROUNDS}`
        + (fl ? `, C posix_spawn ${(fl.posix_spawn_wait / 1e3).toFixed(0)} µs, clone ${(fl.clone_vfork_wait / 1e3).toFixed(0)} µs` : '')
        + `\n${HEAPS.map((h) => `    ${h.key}: ${us(h.key)} µs/op\n`).join('')}`);
    }

    const best = (xs) => (xs.length ? Math.min(...xs) : null);
    const cns = { posix_spawn_wait: best(floors.posix_spawn_wait), clone_vfork_wait: best(floors.clone_vfork_wait) };
    const res = {}; // res[heap][case] = { ns, rme, samples, rounds }
    for (const h of HEAPS) {
      res[h.key] = {};
      for (const c of cases) {
        const xs = samples[h.key][c.name];
        const rounds = perRound[h.key][c.name];
        res[h.key][c.name] = { ns: Math.min(...rounds), rme: rme(xs), samples: xs.length, rounds };
      }
    }

    const row = (name, heap, r, b) => {
      const x = res[heap][r];
      const y = res[heap][b];
      return {
        case: name,
        heap,
        rawsys_ns: x.ns,
        rawsys_rme: x.rme,
        baseline_ns: y.ns,
        baseline_rme: y.rme,
        ratio: x.ns / y.ns,
        c_ns: cns.posix_spawn_wait,
        ratio_c: cns.posix_spawn_wait ? x.ns / cns.posix_spawn_wait : null,
        clone_ns: cns.clone_vfork_wait,
        ratio_clone: cns.clone_vfork_wait ? x.ns / cns.clone_vfork_wait : null,
      };
    };
    const rows = [];
    for (const h of HEAPS) {
      rows.push(row(`${h.label}: fork+waitpid vs spawnSync`, h.key, 'rawsys.sync', 'cp.spawnSync'));
      rows.push(row(`${h.label}: fork+promises.waitpid vs spawn+'exit'`, h.key, 'rawsys.promise', 'cp.spawn'));
    }

    // rme: the margins of error of the two sides added, a rough bound on how
    // far noise alone moves the ratio (none is counted for the C floor).
    const vsCp = (heap) => {
      const x = res[heap]['rawsys.sync'];
      const y = res[heap]['cp.spawnSync'];
      return { value: x.ns / y.ns, unit: 'rawsys / spawnSync', rme: x.rme + y.rme };
    };
    const vsC = (heap) => {
      const x = res[heap]['rawsys.sync'];
      return { value: cns.posix_spawn_wait ? x.ns / cns.posix_spawn_wait : null, unit: 'rawsys / C posix_spawn', rme: x.rme };
    };
    const target = (name, limit, m) => ({ target: name, limit, ...m, pass: m.value !== null && m.value <= limit });
    const targets = [
      target('small heap: fork+waitpid within 1.25x of C posix_spawn+waitpid', 1.25, vsC('small')),
      target('1 GiB V8 heap: fork+waitpid within 1.25x of C posix_spawn+waitpid', 1.25, vsC('v8-heap')),
      target('small heap: fork+waitpid at least 2x faster than spawnSync', 0.5, vsCp('small')),
      target('1 GiB V8 heap: fork+waitpid at least 40x faster than spawnSync', 0.025, vsCp('v8-heap')),
      // Not in the brief's list: the same two where fork() does pay for the gigabyte.
      target('1 GiB ArrayBuffers (extra): fork+waitpid within 1.25x of C posix_spawn+waitpid', 1.25, vsC('arraybuffer')),
      target('1 GiB ArrayBuffers (extra): fork+waitpid at least 40x faster than spawnSync', 0.025, vsCp('arraybuffer')),
    ];

    const memory = {
      small: { rss: small.rss, heapUsed: small.heapUsed, arrayBuffers: small.arrayBuffers },
      ...Object.fromEntries(Object.entries(children).map(([k, c]) => [k, { ...c.ready.memory, allocMs: c.ready.allocMs }])),
    };
    const memLine = (k) => `rss ${mib(memory[k].rss)} MiB, V8 heapUsed ${mib(memory[k].heapUsed)} MiB, `
      + `arrayBuffers ${mib(memory[k].arrayBuffers)} MiB`;
    const notes = [
      `Spawn /bin/true with an empty environment and wait for it, ${ROUNDS} rounds in turn; each round runs`,
      `bench/spawn_floor.c (median of ${FLOOR_ROUNDS} x ${FLOOR_ROUND_MS} ms per loop), then the JS cases at each memory size.`,
      'Small heap: in the bench runner itself (after fd.bench.js when run with it), Benchmark.js as in fd.md. 1 GiB: in a',
      '`node --max-old-space-size=4096` child'
        + ' that first allocates 1 GiB (V8 heap: 128 arrays of 1 Mi doubles; ArrayBuffers: 16 Float64Arrays of 64 MiB, filled)',
      'and is then timed with process.hrtime: 7 batches a round, each ~25 ms of back-to-back spawns, a batch\'s mean being',
      'one sample (the statistic of a Benchmark.js sample). Memory at the start of the runs:',
      ...HEAPS.map((h) => `- ${h.label}: ${memLine(h.key)}` + (memory[h.key].allocMs !== undefined ? ` (allocated in ${memory[h.key].allocMs} ms)` : '')),
      '',
      'µs/op: the best round (lowest over rounds of the round\'s median sample); ± is the relative margin of error of the',
      'mean of all samples over all rounds. C floor: C posix_spawn + waitpid, best round; "C clone": clone(CLONE_VM|',
      'CLONE_VFORK) + execve + waitpid with no signal-mask handling, a lower bound. ratio = rawsys / Node built-in:',
      'below 1 means rawsys is faster. The promise rows are set against the same (sync) C loops.',
      'V8 maps its heap MADV_DONTFORK (VM_DONTCOPY, "dc" in /proc/<pid>/smaps), so the fork() behind child_process skips',
      'the 1 GiB V8 heap; it pays only for memory outside it, such as the 1 GiB of ArrayBuffers of the third pair of rows.',
      'Per-round values are in the .json file.',
    ];

    return {
      name: 'spawn',
      unit: 'µs',
      notes,
      extraColumns: [
        { title: 'C clone µs/op', key: 'clone_ns' },
        { title: 'ratio to C clone', key: 'ratio_clone', ratio: true },
      ],
      rows,
      targets,
      floor: cns,
      rounds: ROUNDS,
      benchmarkOptions: OPTIONS,
      memory,
      cases: res,
    };
  } finally {
    await Promise.all(Object.values(children).map((c) => c.close()));
  }
};
