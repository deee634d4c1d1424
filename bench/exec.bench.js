'use strict';
// rawsys/exec benchmarks (issue 4): `command('/bin/true').run()` against
// child_process.spawn, execa and C posix_spawn + waitpid (bench/spawn_floor.c),
// all in one run:
//  - per-spawn time, one spawn in flight, at three memory sizes: a small heap,
//    a 1 GiB V8 heap and 1 GiB of ArrayBuffers (malloc'd, outside V8's heap);
//  - throughput with 100 spawns in flight (small heap).
// Every JS case runs in a bench/exec.worker.js child (bench/child.js), one per
// memory size, all timed the same way, and spawns /bin/true with the
// environment it inherits (the runner's), as the C floor does here.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { median, rme } = require('./stats.js');
const { startChildren, mib, BATCHES, BATCH_MS } = require('./child.js');
const { INFLIGHT, WARM, WINDOW, WINDOWS } = require('./exec.worker.js');

// This VM runs in fast and slow phases (and other work shares its two CPUs),
// so every part runs ROUNDS times in turn and a case's value is its best
// round. About 10 s a round.
const ROUNDS = Number(process.env.BENCH_ROUNDS) || 7;
const FLOOR_ROUND_MS = 100;
const FLOOR_ROUNDS = 3;
const BALLAST_MIB = 1024;

const HEAPS = [
  { key: 'small', label: 'small heap' },
  { key: 'v8-heap', label: '1 GiB V8 heap' },
  { key: 'arraybuffer', label: '1 GiB ArrayBuffers' },
];
const LATENCY = ['rawsys.run', 'cp.spawn', 'cp.spawn.default', 'execa'];
const PROFILE = ['rawsys.run.noenv', 'native.async', 'native.sync'];
const CONCURRENT = ['rawsys.run', 'cp.spawn', 'cp.spawn.default', 'execa'];

/** One run of bench/spawn_floor.c: { case: ns/op }, or null once it has failed. */
function floorRunner(bin) {
  let broken = !bin;
  return (cases, ballastMib = 0) => {
    if (broken) return null;
    try {
      const args = [String(FLOOR_ROUND_MS), String(FLOOR_ROUNDS), cases.join(','), String(ballastMib)];
      return JSON.parse(execFileSync(bin, args, { encoding: 'utf8' }));
    } catch (e) {
      broken = true; // report once; the C columns stay empty
      process.stderr.write(`C floor failed: ${e.message}\n`);
      return null;
    }
  };
}

// execa's version: its package.json is not among its exports.
const EXECA = (() => {
  try {
    return JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'node_modules', 'execa', 'package.json'), 'utf8')).version;
  } catch {
    return 'unknown';
  }
})();

const best = (xs) => (xs.length ? Math.min(...xs) : null);

module.exports = async function run({ floorBins = {} } = {}) {
  const floor = floorRunner(floorBins.spawn_floor);
  // The three workers allocate their ballast at once (a few seconds).
  const script = path.join(__dirname, 'exec.worker.js');
  const children = await startChildren(script, HEAPS.map((h) => h.key));
  try {
    // Samples (s/op) over all rounds, and each round's median in ns/op.
    const lat = {};
    const latRounds = {};
    for (const h of HEAPS) {
      const names = h.key === 'small' ? [...LATENCY, ...PROFILE] : LATENCY;
      lat[h.key] = Object.fromEntries(names.map((n) => [n, []]));
      latRounds[h.key] = Object.fromEntries(names.map((n) => [n, []]));
    }
    const thr = Object.fromEntries(CONCURRENT.map((n) => [n, []]));
    const thrRounds = Object.fromEntries(CONCURRENT.map((n) => [n, []]));
    const floors = { posix_spawn_wait: [], posix_spawn_environ: [], posix_spawn_100: [], posix_spawn_environ_1g: [] };

    for (let round = 1; round <= ROUNDS; round++) {
      const fl = floor(['posix_spawn_wait', 'posix_spawn_environ', 'posix_spawn_100']);
      const flBig = floor(['posix_spawn_environ'], BALLAST_MIB);
      if (fl) for (const k of ['posix_spawn_wait', 'posix_spawn_environ', 'posix_spawn_100']) floors[k].push(fl[k]);
      if (flBig) floors.posix_spawn_environ_1g.push(flBig.posix_spawn_environ);
      for (const h of HEAPS) {
        const got = (await children[h.key].request('latency')).latency;
        for (const [n, xs] of Object.entries(got)) {
          lat[h.key][n].push(...xs);
          latRounds[h.key][n].push(median(xs) * 1e9);
        }
      }
      const got = (await children.small.request('throughput')).throughput;
      for (const [n, xs] of Object.entries(got)) {
        thr[n].push(...xs);
        thrRounds[n].push(median(xs) * 1e9);
      }
      const us = (v) => (v / 1e3).toFixed(0);
      process.stderr.write(`  exec: round ${round}/${ROUNDS}`
        + (fl ? `, C posix_spawn ${us(fl.posix_spawn_environ)} µs (1 GiB: ${flBig ? us(flBig.posix_spawn_environ) : '?'}),`
          + ` 100 in flight ${(1e9 / fl.posix_spawn_100).toFixed(0)}/s` : '')
        + `\n${HEAPS.map((h) => `    ${h.key}: ${Object.keys(lat[h.key]).map((n) => `${n} ${us(latRounds[h.key][n][round - 1])}`).join(', ')} µs/op\n`).join('')}`
        + `    100 in flight: ${CONCURRENT.map((n) => `${n} ${(1e9 / thrRounds[n][round - 1]).toFixed(0)}`).join(', ')} /s\n`);
    }

    const summary = (xs, rounds) => ({ ns: Math.min(...rounds), rme: rme(xs), samples: xs.length, rounds });
    const cases = { latency: {}, throughput: {} };
    for (const h of HEAPS) {
      cases.latency[h.key] = {};
      for (const n of Object.keys(lat[h.key])) cases.latency[h.key][n] = summary(lat[h.key][n], latRounds[h.key][n]);
    }
    for (const n of CONCURRENT) {
      const s = summary(thr[n], thrRounds[n]);
      cases.throughput[n] = { ...s, perSecond: 1e9 / s.ns };
    }
    const cns = Object.fromEntries(Object.entries(floors).map(([k, v]) => [k, best(v)]));

    const ratio = (a, b) => (a && b ? a / b : null);
    // One row: rawsys `r` against child_process `b`, the C floor `c`, and
    // (when given) child_process with its default stdio and execa.
    const row = (name, set, r, c, note, withExtras = true) => {
      const x = set[r];
      const y = set['cp.spawn'];
      const d = withExtras ? set['cp.spawn.default'] : null;
      const e = withExtras ? set.execa : null;
      const out = {
        case: name,
        rawsys_ns: x.ns,
        rawsys_rme: x.rme,
        baseline_ns: y.ns,
        baseline_rme: y.rme,
        ratio: x.ns / y.ns,
        c_ns: c,
        ratio_c: ratio(x.ns, c),
        cp_default_ns: d ? d.ns : null,
        cp_default_rme: d ? d.rme : null,
        execa_ns: e ? e.ns : null,
        execa_rme: e ? e.rme : null,
        ratio_execa: e ? x.ns / e.ns : null,
      };
      if (note) out.note = note;
      return out;
    };
    const perSec = (n) => cases.throughput[n].perSecond.toFixed(0);
    const L = cases.latency;
    const rows = [
      row('small heap: run(), 1 in flight', L.small, 'rawsys.run', cns.posix_spawn_environ),
      row('1 GiB V8 heap: run(), 1 in flight', L['v8-heap'], 'rawsys.run', cns.posix_spawn_environ_1g),
      row('1 GiB ArrayBuffers: run(), 1 in flight', L.arraybuffer, 'rawsys.run', cns.posix_spawn_environ_1g),
      row('small heap: run() with env: []', L.small, 'rawsys.run.noenv', cns.posix_spawn_environ, 'profile', false),
      row('small heap: native spawnAsync + pidfd waitAsync, plan compiled once (no TS)', L.small, 'native.async',
        cns.posix_spawn_environ, 'profile', false),
      row('small heap: native spawn + blocking waitid on the JS thread (no threadpool, no TS)', L.small, 'native.sync',
        cns.posix_spawn_environ, 'profile', false),
      row('small heap: 100 in flight, time per spawn', cases.throughput, 'rawsys.run', cns.posix_spawn_100,
        `${perSec('rawsys.run')}/s vs ${perSec('cp.spawn')}/s, execa ${perSec('execa')}/s,`
        + ` C ${cns.posix_spawn_100 ? (1e9 / cns.posix_spawn_100).toFixed(0) : '?'}/s`),
    ];

    const vsC = (set, c) => ({ value: ratio(set['rawsys.run'].ns, c), unit: 'rawsys / C posix_spawn', rme: set['rawsys.run'].rme });
    const target = (name, limit, m) => ({ target: name, limit, ...m, pass: m.value !== null && m.value <= limit });
    const T = cases.throughput;
    const thrRatio = {
      value: T['cp.spawn'].ns / T['rawsys.run'].ns,
      unit: 'rawsys spawns/s / child_process spawns/s',
      rme: T['rawsys.run'].rme + T['cp.spawn'].rme,
    };
    const targets = [
      target('small heap: run() within 1.3x of C posix_spawn+waitpid', 1.3, vsC(L.small, cns.posix_spawn_environ)),
      target('1 GiB V8 heap: run() within 1.3x of C posix_spawn+waitpid (C with 1 GiB malloc\'d)', 1.3,
        vsC(L['v8-heap'], cns.posix_spawn_environ_1g)),
      target('1 GiB ArrayBuffers (extra): run() within 1.3x of C posix_spawn+waitpid (C with 1 GiB malloc\'d)', 1.3,
        vsC(L.arraybuffer, cns.posix_spawn_environ_1g)),
      // A floor on a throughput ratio: pass at or above the limit.
      { target: '100 in flight: run() throughput at least 2.5x child_process.spawn', limit: 2.5, ...thrRatio, pass: thrRatio.value >= 2.5 },
    ];

    const memory = Object.fromEntries(Object.entries(children).map(([k, c]) => [k, { ...c.ready.memory, allocMs: c.ready.allocMs }]));
    const memLine = (k) => `rss ${mib(memory[k].rss)} MiB, V8 heapUsed ${mib(memory[k].heapUsed)} MiB, `
      + `arrayBuffers ${mib(memory[k].arrayBuffers)} MiB`;
    const envBytes = Object.entries(process.env).reduce((n, [k, v]) => n + k.length + String(v).length + 2, 0);
    const env = { variables: Object.keys(process.env).length, bytes: envBytes };
    const threadpool = process.env.UV_THREADPOOL_SIZE || '4 (default)';
    const notes = [
      'Spawn `/bin/true` and wait for it to exit, with the environment inherited (no env option in any JS case; the C',
      `loops pass \`environ\`): here ${env.variables} variables, ${env.bytes} bytes. ${ROUNDS} rounds in turn, each running`,
      `bench/spawn_floor.c (median of ${FLOOR_ROUNDS} x ${FLOOR_ROUND_MS} ms per loop; the 1 GiB rows' C loop first mallocs and`,
      `touches 1 GiB), then every JS case in three \`node --max-old-space-size=4096\` workers (bench/exec.worker.js), one per`,
      'memory size, then the 100-in-flight runs in the small-heap worker. Cases: rawsys `command(\'/bin/true\').run()`',
      '(defaults: stdio on /dev/null, spawn on the libuv threadpool, exit watched through a pidfd);',
      '`child_process.spawn` with stdio `\'ignore\'` (the baseline column) and with Node\'s default stdio `\'pipe\'` (three',
      `pipes), each awaited to 'close'; execa ${EXECA} \`execa('/bin/true')\` (its defaults: pipes, output`,
      'buffered). Memory at the start:',
      ...HEAPS.map((h) => `- ${h.label}: ${memLine(h.key)}` + (h.key === 'small' ? '' : ` (allocated in ${memory[h.key].allocMs} ms)`)),
      '',
      `1 in flight: each worker times ${BATCHES} batches a round, each ~${BATCH_MS} ms of back-to-back spawns, a batch's mean`,
      'being one sample; µs/op is the best round (lowest over rounds of the round\'s median sample), ± the relative margin',
      'of error of the mean of all samples. The V8 heap is mapped MADV_DONTFORK, so child_process\'s fork() skips it;',
      'the 1 GiB ArrayBuffers are ordinary memory whose page tables fork() copies: that is the "1 GiB touched" case.',
      'Rows marked (profile) split run(): the same without an environment, and the native spawn + wait with the plan',
      'compiled once, on the threadpool (as run()) and on the JS thread.',
      `100 in flight: ${INFLIGHT} calls kept running; after ${WARM} completions, ${WINDOWS} windows of ${WINDOW} completions`,
      'are timed (one sample each); µs/op is 1 / throughput of the best round. Its C floor is one thread keeping 100',
      `posix_spawn children in flight, reaping any. UV_THREADPOOL_SIZE ${threadpool}.`,
      'ratio = rawsys / child_process.spawn (stdio \'ignore\'), ratio to C = rawsys / C posix_spawn + waitpid: below 1',
      'means rawsys is faster. Per-round values are in the .json file.',
    ];

    return {
      name: 'exec',
      title: 'Exec: command(\'/bin/true\').run() vs child_process, execa and C posix_spawn',
      labels: { rawsys: 'rawsys run()', baseline: 'child_process.spawn (stdio ignore)', c: 'C posix_spawn' },
      unit: 'µs',
      notes,
      extraColumns: [
        { title: 'child_process.spawn, default stdio µs/op', key: 'cp_default_ns', rme: 'cp_default_rme' },
        { title: 'execa µs/op', key: 'execa_ns', rme: 'execa_rme' },
        { title: 'ratio to execa', key: 'ratio_execa', ratio: true },
      ],
      rows,
      targets,
      floor: cns,
      rounds: ROUNDS,
      env,
      threadpool,
      execa: EXECA,
      memory,
      cases,
    };
  } finally {
    await Promise.all(Object.values(children).map((c) => c.close()));
  }
};
