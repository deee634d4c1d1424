'use strict';
// bench/report.js: the committed report and charts are what the committed
// results make, and a new area (a result file nobody told the report about)
// gets its section and its chart. No benchmark runs here.
const { test } = require('uvu');
const assert = require('uvu/assert');
const cp = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const report = require('../bench/report.js');

const root = path.join(__dirname, '..');
const results = path.join(root, 'bench', 'results');

test('bench report: REPORT.md and the SVG charts match bench/results/*.json (node bench/report.js --check)', () => {
  const r = cp.spawnSync(process.execPath, [path.join(root, 'bench', 'report.js'), '--check'], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const md = fs.readFileSync(path.join(results, 'REPORT.md'), 'utf8');
  for (const f of fs.readdirSync(results).filter((n) => n.endsWith('.json'))) {
    const name = f.slice(0, -5);
    assert.ok(md.includes(`![${name} chart](${name}.svg)`), `${name} has its chart in REPORT.md`);
    assert.ok(fs.existsSync(path.join(results, `${name}.svg`)), `${name}.svg`);
  }
});

test('bench report: README embeds every chart', () => {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  for (const f of fs.readdirSync(results).filter((n) => n.endsWith('.svg'))) {
    assert.ok(readme.includes(`](bench/results/${f})`), `README shows bench/results/${f}`);
  }
});

/** A result shaped as bench/run.js saves it, for an area the report has never seen. */
function fakeResult() {
  const row = (c, rawsys, crun, bwrap) => ({ case: c, rawsys_ns: rawsys, rawsys_rme: 3, baseline_ns: null, c_ns: 700e3, ratio: null,
    ratio_c: rawsys / 700e3, crun_ns: crun, ratio_crun: rawsys / crun, bwrap_ns: bwrap });
  return {
    machine: { node: 'v22.0.0', v8: 'x', kernel: '6.1.0', arch: 'arm64', cpu: 'Neoverse-N1', cpus: 4, date: '2027-01-01T00:00:00.000Z', loadavg1: 0.5 },
    name: 'zz-container',
    title: 'Container start & <stop>',
    unit: 'ms',
    labels: { c: 'C clone+exec' },
    notes: ['Fake numbers.'],
    extraColumns: [
      { title: 'crun ms/op', key: 'crun_ns' }, { title: 'ratio to crun', key: 'ratio_crun', ratio: true },
      { title: 'bwrap ms/op', key: 'bwrap_ns' },
    ],
    rows: [row('run() from Node', 2.1e6, 7e6, 3e6), row('rawsys run CLI', 40e6, 7.2e6, undefined)],
    targets: [{ target: 'run() faster than bwrap', limit: 1, value: 0.7, unit: 'rawsys / bwrap', rme: 3, pass: true }],
    loadavgEnd: 0.6,
  };
}

test('bench report: a new area gets a section and a chart with a bar per measured column', () => {
  const fd = JSON.parse(fs.readFileSync(path.join(results, 'fd.json'), 'utf8'));
  const files = report.render([fd, fakeResult()]);
  assert.equal(Object.keys(files).sort(), ['REPORT.md', 'fd.svg', 'zz-container.svg']);
  const md = files['REPORT.md'];
  assert.ok(md.indexOf('<a id="fd"></a>') < md.indexOf('<a id="zz-container"></a>'), 'known areas first');
  assert.match(md, '## Container start & <stop>');
  assert.match(md, '![zz-container chart](zz-container.svg)');
  assert.match(md, '| run() from Node | 2.1 ±3.0% | — | — | 0.7 | 3.00x | 7.0 | 0.30x | 3.0 |');
  assert.match(md, '- PASS  run() faster than bwrap: 0.700x');

  const svg = files['zz-container.svg'];
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  assert.not.match(svg, /NaN|undefined|Infinity/);
  assert.match(svg, 'Container start &amp; &lt;stop&gt;', 'text is escaped');
  // Series: rawsys, C clone+exec, crun, bwrap (no baseline measured, ratios are not bars).
  const titles = [...svg.matchAll(/<title>([^<]*)<\/title>/g)].map((m) => m[1]);
  assert.equal(titles, [
    'rawsys: 2.1 ms', 'C clone+exec: 700 µs', 'crun: 7 ms', 'bwrap: 3 ms',
    'rawsys: 40 ms', 'C clone+exec: 700 µs', 'crun: 7.2 ms',
  ]);
  assert.match(svg, 'bwrap: none');
  for (const label of ['rawsys', 'C clone+exec', 'crun', 'bwrap']) assert.match(svg, `>${label}</text>`);
  // Bars grow with the value: rawsys CLI (40 ms) is longer than crun (7.2 ms).
  const widths = [...svg.matchAll(/<rect x="\d+" y="\d+" width="([\d.]+)" height="13"/g)].map((m) => Number(m[1]));
  assert.is(widths.length, 7);
  assert.ok(widths[4] > widths[6] && widths[6] > widths[5], widths.join(' '));
});

test('bench report: time axis labels and ticks', () => {
  assert.is(report.fmtTime(488), '488 ns');
  assert.is(report.fmtTime(3637), '3.64 µs');
  assert.is(report.fmtTime(30058000), '30.1 ms');
  assert.equal(report.ticks(100, 1000, true), [100, 200, 500, 1000]);
  assert.equal(report.ticks(0, 12, false), [0, 2, 4, 6, 8, 10, 12]);
});

test.run();
