'use strict';
// `npm run bench`: builds the C floors (every bench/*.c), runs every
// bench/*.bench.js in this process (each exports an async function taking
// { floorBin, floorBins } and returning { name, rows, targets }), then prints
// a table and writes bench/results/<name>.json and .md. A result may also set
// `unit` ('ns', 'µs' or 'ms': display only, row values stay in ns), `notes`
// (the Markdown lines explaining its method; default: the fd wording) and
// `extraColumns` ([{ title, key, ratio }]: more row fields, after the usual).
// Targets are information: a noisy machine must not fail the run, so the exit
// code is non-zero only when a benchmark itself throws.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const HERE = __dirname;
const RESULTS = path.join(HERE, 'results');

/** Compiles each bench/<name>.c to bench/.bin/<name>; resolves to { name: path } of those that built. */
function buildFloors() {
  const bins = {};
  fs.mkdirSync(path.join(HERE, '.bin'), { recursive: true });
  for (const f of fs.readdirSync(HERE).filter((n) => n.endsWith('.c')).sort()) {
    const name = path.basename(f, '.c');
    const bin = path.join(HERE, '.bin', name);
    try {
      execFileSync('cc', ['-O2', '-Wall', '-o', bin, path.join(HERE, f)], { stdio: 'inherit' });
      bins[name] = bin;
    } catch (e) {
      // Without a C compiler the JS cases still run; the floor columns stay empty.
      process.stderr.write(`cc failed for ${f}, no C floor: ${e.message}\n`);
    }
  }
  return bins;
}

function machine() {
  const cpus = os.cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    kernel: os.release(),
    arch: process.arch,
    cpu: cpus.length ? cpus[0].model.trim() : 'unknown',
    cpus: cpus.length,
    date: new Date().toISOString(),
    // Other work on the machine skews every number; record how busy it was.
    loadavg1: os.loadavg()[0],
  };
}

const fmtNs = (v) => (v === null || v === undefined ? '—' : v >= 100 ? v.toFixed(0) : v.toFixed(1));
const fmtRme = (v) => (v === null || v === undefined ? '' : ` ±${v.toFixed(1)}%`);
// Below 0.1, 3 places: 0.020x and 0.024x are 50x and 42x faster.
const fmtRatio = (v) => (v === null || v === undefined ? '—' : `${v.toFixed(v < 0.1 ? 3 : 2)}x`);

const SCALE = { ns: 1, 'µs': 1e3, ms: 1e6 };

/** Column titles and cell formatting of one result: its unit and extra columns. */
function layout(result) {
  const unit = result.unit && SCALE[result.unit] ? result.unit : 'ns';
  const scale = SCALE[unit];
  const extra = result.extraColumns || [];
  const t = (v) => (v === null || v === undefined ? v : v / scale);
  return {
    head: ['case', `rawsys ${unit}/op`, `baseline (Node built-in) ${unit}/op`, 'ratio', `C floor ${unit}/op`, 'ratio to C',
      ...extra.map((c) => c.title)],
    cells: (r) => [
      r.note ? `${r.case} (${r.note})` : r.case,
      fmtNs(t(r.rawsys_ns)) + fmtRme(r.rawsys_rme),
      fmtNs(t(r.baseline_ns)) + fmtRme(r.baseline_rme),
      fmtRatio(r.ratio),
      fmtNs(t(r.c_ns)),
      fmtRatio(r.ratio_c),
      ...extra.map((c) => (c.ratio ? fmtRatio(r[c.key]) : fmtNs(t(r[c.key])))),
    ],
  };
}

function targetLine(t) {
  const v = t.value === null ? 'n/a' : `${t.value.toFixed(3)}x`; // 3 places: 0.852 must not read as 0.85
  return `${t.pass ? 'PASS' : 'FAIL'}  ${t.target}: ${v} (${t.unit}, limit ${t.limit}x, noise ±${t.rme.toFixed(1)}%)`;
}

function textTable(rows, { head, cells }) {
  const all = [head, ...rows.map(cells)];
  const w = head.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join(' | ');
  return [line(head), w.map((n) => '-'.repeat(n)).join('-|-'), ...rows.map((r) => line(cells(r)))].join('\n');
}

function markdown(result, m) {
  const esc = (s) => s.replace(/\|/g, '\\|');
  const { head, cells } = layout(result);
  const out = [
    `# rawsys bench: ${result.name}`,
    '',
    `node ${m.node} (V8 ${m.v8}) · kernel ${m.kernel} ${m.arch} · CPU ${m.cpu} ×${m.cpus} · ${m.date}`
      + ` · load average (1 min) ${m.loadavg1.toFixed(2)} at start, ${result.loadavgEnd.toFixed(2)} at end`,
    '',
    ...(result.notes || [
      `Each suite ran ${result.rounds} rounds in turn, each round starting with its bench/floor.c loop (median of 3 x 150 ms).`,
      'ns/op: the best round, i.e. the lowest over the rounds of the median of that round\'s Benchmark.js samples',
      '(the VM here runs in fast and slow phases of about a second); ± is the relative margin of error of the mean',
      'of all samples over all rounds, a measure of that noise. C floor: best round likewise. ratio = rawsys / baseline,',
      'ratio to C = rawsys / C floor: below 1 means rawsys is faster. Rows marked (profile) split the TS wrapper from',
      'the native call. Promise rows are set against the same C loop (the bare syscall cost), so their ratio to C is',
      'mostly the threadpool round trip. Per-round values are in the .json file.',
    ]),
    '',
    `| ${head.join(' | ')} |`,
    `|${head.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...result.rows.map((r) => `| ${cells(r).map(esc).join(' | ')} |`),
    '',
    '## Targets (one run; information only)',
    '',
    ...result.targets.map((t) => `- ${targetLine(t)}`),
    '',
  ];
  return out.join('\n');
}

async function main() {
  // `node bench/run.js spawn fd` runs only those; no argument, all of them.
  const only = process.argv.slice(2);
  const files = fs.readdirSync(HERE).filter((f) => f.endsWith('.bench.js'))
    .filter((f) => !only.length || only.includes(f.replace(/\.bench\.js$/, ''))).sort();
  if (only.length && files.length !== only.length) throw new Error(`no such bench among: ${only.join(', ')}`);
  const floorBins = buildFloors();
  const m = machine();
  fs.mkdirSync(RESULTS, { recursive: true });
  const started = Date.now();
  for (const f of files) {
    process.stderr.write(`\n== ${f}\n`);
    // floorBin: bench/floor.c's binary, as fd.bench.js expects it.
    const result = await require(path.join(HERE, f))({ floorBin: floorBins.floor || null, floorBins });
    result.loadavgEnd = os.loadavg()[0];
    const md = markdown(result, m);
    fs.writeFileSync(path.join(RESULTS, `${result.name}.json`), JSON.stringify({ machine: m, ...result }, null, 2) + '\n');
    fs.writeFileSync(path.join(RESULTS, `${result.name}.md`), md);
    console.log(`\n${result.name}: node ${m.node}, kernel ${m.kernel}, CPU ${m.cpu} x${m.cpus}, ${m.date}, `
      + `load ${m.loadavg1.toFixed(2)} -> ${result.loadavgEnd.toFixed(2)}\n`);
    console.log(textTable(result.rows, layout(result)));
    console.log('');
    for (const t of result.targets) console.log(targetLine(t));
    console.log(`\nwrote ${path.relative(process.cwd(), path.join(RESULTS, result.name))}.{json,md}`);
  }
  process.stderr.write(`\nbench done in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
}

// bench/report.js renders the saved results with the same tables.
module.exports = { markdown, layout, targetLine };

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
