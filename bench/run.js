'use strict';
// `npm run bench`: builds the C floor, runs every bench/*.bench.js in this
// process (each exports an async function returning { name, rows, targets }),
// then prints a table and writes bench/results/<name>.json and .md.
// Targets are information: a noisy machine must not fail the run, so the exit
// code is non-zero only when a benchmark itself throws.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const HERE = __dirname;
const RESULTS = path.join(HERE, 'results');

function buildFloor() {
  const bin = path.join(HERE, '.bin', 'floor');
  fs.mkdirSync(path.dirname(bin), { recursive: true });
  try {
    execFileSync('cc', ['-O2', '-Wall', '-o', bin, path.join(HERE, 'floor.c')], { stdio: 'inherit' });
    return bin;
  } catch (e) {
    // Without a C compiler the JS cases still run; the floor columns stay empty.
    process.stderr.write(`cc failed, no C floor: ${e.message}\n`);
    return null;
  }
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
const fmtRatio = (v) => (v === null || v === undefined ? '—' : `${v.toFixed(2)}x`);

const HEAD = ['case', 'rawsys ns/op', 'baseline (Node built-in) ns/op', 'ratio', 'C floor ns/op', 'ratio to C'];

function cells(r) {
  return [
    r.note ? `${r.case} (${r.note})` : r.case,
    fmtNs(r.rawsys_ns) + fmtRme(r.rawsys_rme),
    fmtNs(r.baseline_ns) + fmtRme(r.baseline_rme),
    fmtRatio(r.ratio),
    fmtNs(r.c_ns),
    fmtRatio(r.ratio_c),
  ];
}

function targetLine(t) {
  const v = t.value === null ? 'n/a' : `${t.value.toFixed(3)}x`; // 3 places: 0.852 must not read as 0.85
  return `${t.pass ? 'PASS' : 'FAIL'}  ${t.target}: ${v} (${t.unit}, limit ${t.limit}x, noise ±${t.rme.toFixed(1)}%)`;
}

function textTable(rows) {
  const all = [HEAD, ...rows.map(cells)];
  const w = HEAD.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join(' | ');
  return [line(HEAD), w.map((n) => '-'.repeat(n)).join('-|-'), ...rows.map((r) => line(cells(r)))].join('\n');
}

function markdown(result, m) {
  const esc = (s) => s.replace(/\|/g, '\\|');
  const out = [
    `# rawsys bench: ${result.name}`,
    '',
    `node ${m.node} (V8 ${m.v8}) · kernel ${m.kernel} ${m.arch} · CPU ${m.cpu} ×${m.cpus} · ${m.date}`
      + ` · load average (1 min) ${m.loadavg1.toFixed(2)} at start, ${result.loadavgEnd.toFixed(2)} at end`,
    '',
    `Each suite ran ${result.rounds} rounds in turn, each round starting with its bench/floor.c loop (median of 3 x 150 ms).`,
    'ns/op: the best round, i.e. the lowest over the rounds of the median of that round\'s Benchmark.js samples',
    '(the VM here runs in fast and slow phases of about a second); ± is the relative margin of error of the mean',
    'of all samples over all rounds, a measure of that noise. C floor: best round likewise. ratio = rawsys / baseline,',
    'ratio to C = rawsys / C floor: below 1 means rawsys is faster. Rows marked (profile) split the TS wrapper from',
    'the native call. Promise rows are set against the same C loop (the bare syscall cost), so their ratio to C is',
    'mostly the threadpool round trip. Per-round values are in the .json file.',
    '',
    `| ${HEAD.join(' | ')} |`,
    `|${HEAD.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
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
  const files = fs.readdirSync(HERE).filter((f) => f.endsWith('.bench.js')).sort();
  const floorBin = buildFloor();
  const m = machine();
  fs.mkdirSync(RESULTS, { recursive: true });
  const started = Date.now();
  for (const f of files) {
    process.stderr.write(`\n== ${f}\n`);
    const result = await require(path.join(HERE, f))({ floorBin });
    result.loadavgEnd = os.loadavg()[0];
    const md = markdown(result, m);
    fs.writeFileSync(path.join(RESULTS, `${result.name}.json`), JSON.stringify({ machine: m, ...result }, null, 2) + '\n');
    fs.writeFileSync(path.join(RESULTS, `${result.name}.md`), md);
    console.log(`\n${result.name}: node ${m.node}, kernel ${m.kernel}, CPU ${m.cpu} x${m.cpus}, ${m.date}, `
      + `load ${m.loadavg1.toFixed(2)} -> ${result.loadavgEnd.toFixed(2)}\n`);
    console.log(textTable(result.rows));
    console.log('');
    for (const t of result.targets) console.log(targetLine(t));
    console.log(`\nwrote ${path.relative(process.cwd(), path.join(RESULTS, result.name))}.{json,md}`);
  }
  process.stderr.write(`\nbench done in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
