'use strict';
// What the spawn and exec benches share to time spawns from processes of a
// given size: a bench worker is a `node --max-old-space-size=4096 <worker>
// <ballast>` child that fills itself with `ballast`, then answers requests,
// one JSON line each way:
//   stdout, once:      {"ready":true,"memory":{process.memoryUsage()},"allocMs":...}
//   stdin "<cmd>\n":   stdout {...the handler's reply...}
//   stdin end:         exits 0
//   any failure:       stdout {"error":"..."}, exit 1
// The parent side is startChild(); the worker side is serve(), with timeBatches()
// as the usual way to time one case.
const { spawn } = require('node:child_process');
const readline = require('node:readline');

/** Ballast, held for the life of the worker so every spawn sees it mapped. */
const ballast = {
  // Nothing beyond what Node itself holds: the small-heap case.
  small: () => null,
  // 1 GiB in the V8 heap: 128 arrays of 1 Mi unboxed doubles (8 MiB each, in
  // large-object space). V8 maps its heap MADV_DONTFORK, so fork() skips it.
  'v8-heap': () => Array.from({ length: 128 }, (_, i) => new Array(1 << 20).fill(i + 0.5)),
  // 1 GiB outside the V8 heap: ArrayBuffer backing stores come from calloc,
  // i.e. ordinary anonymous memory that fork() must copy page tables for.
  // fill() touches every page so it is resident.
  arraybuffer: () => Array.from({ length: 16 }, () => new Float64Array(8 << 20).fill(1.5)),
};

// Per case and request: BATCHES batches of `batch` ops, each batch's mean a
// sample (as a Benchmark.js sample is the mean of one timed cycle). `batch`
// is set once per case, from a warm-up, so a batch lasts about BATCH_MS: at
// ~0.7 ms a spawn that is ~40 ops, at ~30 ms (fork copying a big heap's page
// tables) 1.
const BATCHES = 7;
const BATCH_MS = 25;
const batchSize = {};

/** Times `c` ({ name, fn, defer }) in BATCHES batches; resolves to each batch's s/op. */
async function timeBatches(c) {
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

/**
 * The worker side: allocates ballast `kind`, reports ready, then runs
 * `handlers[cmd]()` for each command line, one at a time, and writes what it
 * resolves to. `init()` (optional) runs before the ballast.
 */
async function serve(kind, handlers, init) {
  const make = ballast[kind];
  if (!make) throw new Error(`unknown ballast ${kind}`);
  if (init) await init();
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
      if (!cmd) continue;
      busy = busy.then(async () => {
        const h = handlers[cmd];
        if (!h) throw new Error(`unknown command ${cmd}`);
        send(await h());
      }).catch(fatal);
    }
  });
  process.stdin.on('end', () => busy.then(() => process.exit(0)));
}

function fatal(e) {
  process.stdout.write(`${JSON.stringify({ error: String((e && e.stack) || e) })}\n`);
  process.exit(1);
}

/**
 * Starts `node --max-old-space-size=4096 <script> <ballast>`; resolves, once
 * it is allocated, to { ready, request(cmd), close() }: request() resolves to
 * the worker's reply to `cmd`.
 */
function startChild(script, kind) {
  const proc = spawn(process.execPath, ['--max-old-space-size=4096', script, kind], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = readline.createInterface({ input: proc.stdout });
  const waiting = []; // resolvers of the replies still to come, in order
  let failure = null;
  const failAll = (e) => {
    failure = failure || e;
    while (waiting.length) waiting.shift().reject(failure);
  };
  lines.on('line', (line) => {
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      return failAll(new Error(`${kind} child: not JSON: ${line}`));
    }
    if (msg.error) return failAll(new Error(`${kind} child: ${msg.error}`));
    const w = waiting.shift();
    if (w) w.resolve(msg);
  });
  proc.on('error', failAll);
  proc.on('exit', (code, sig) => failAll(new Error(`${kind} child exited (${code ?? sig})`)));
  const next = () => new Promise((resolve, reject) => (failure ? reject(failure) : waiting.push({ resolve, reject })));
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  return next().then((ready) => ({
    ready,
    request: (cmd) => {
      const reply = next();
      proc.stdin.write(`${cmd}\n`);
      return reply;
    },
    // Ending stdin lets it finish and exit; a child that fails to is killed.
    close: async () => {
      proc.stdin.end();
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  }));
}

const mib = (n) => Math.round(n / 2 ** 20);

/**
 * Starts one child per kind at once (their ballasts allocate in parallel) and
 * logs each one's memory. If any fails to start, the others are closed and
 * its error is thrown. Resolves with { kind: child }.
 */
async function startChildren(script, kinds) {
  const started = await Promise.allSettled(kinds.map((k) => startChild(script, k)));
  const children = {};
  started.forEach((s, i) => { if (s.status === 'fulfilled') children[kinds[i]] = s.value; });
  const bad = started.find((s) => s.status === 'rejected');
  if (bad) {
    await Promise.all(Object.values(children).map((c) => c.close()));
    throw bad.reason;
  }
  for (const [k, c] of Object.entries(children)) {
    const m = c.ready.memory;
    process.stderr.write(`  ${k} child: rss ${mib(m.rss)} MiB, heapUsed ${mib(m.heapUsed)} MiB, `
      + `arrayBuffers ${mib(m.arrayBuffers)} MiB (allocated in ${c.ready.allocMs} ms)\n`);
  }
  return children;
}

module.exports = { ballast, timeBatches, serve, fatal, startChild, startChildren, mib, BATCHES, BATCH_MS };
