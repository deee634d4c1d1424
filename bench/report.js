'use strict';
// `node bench/report.js` (the last step of `npm run bench`): gathers every
// bench/results/<area>.json into bench/results/REPORT.md, with one SVG chart
// per area (bench/results/<area>.svg) drawn here, with no dependency.
// `--check` writes nothing and exits 1 when the files on disk differ from
// what the results make (test/bench-report.test.js runs it).
//
// Generic over areas: a new bench/<area>.bench.js whose result run.js saves
// appears in the report and gets its chart with no change here. A chart has
// one group of bars per row (case) and one bar per measured column: rawsys,
// the baseline, the C floor, and every extraColumns entry that is not a
// ratio (execa, crun, runc, bwrap …). A result may set:
//   title        the area's heading (default: its name)
//   labels       { rawsys, baseline, c }: bar names (default: 'rawsys',
//                'Node built-in', 'C floor')
//   chart        { log: boolean } to force the scale (default: logarithmic
//                when the values span more than 20x)
// The report is deterministic (no date of its own), so it only changes when a
// result does.
const fs = require('node:fs');
const path = require('node:path');
const { markdown } = require('./run.js');

const RESULTS = path.join(__dirname, 'results');

/** Headings of the areas that existed before `title` did. */
const TITLES = {
  fd: 'File descriptors: per-op cost against Node\'s fs and the C floor',
  spawn: 'Spawn and wait for /bin/true against child_process and C posix_spawn, small and 1 GiB heaps',
};
/** Bar names of the areas that existed before `labels` did. */
const LABELS = {
  fd: { baseline: 'Node fs' },
  spawn: { baseline: 'child_process', c: 'C posix_spawn' },
};
/** Areas in this order first, then the others by name. */
const ORDER = ['fd', 'spawn', 'exec', 'container'];

const COLORS = ['#2f6db5', '#e08a1e', '#3a9a4a', '#8e5fb8', '#b5533c', '#6b6b6b', '#c2489b', '#2aa3a3'];

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A duration in ns as text: 488 ns, 3.6 µs, 30 ms. */
function fmtTime(ns) {
  const [v, u] = ns >= 1e6 ? [ns / 1e6, 'ms'] : ns >= 1e3 ? [ns / 1e3, 'µs'] : [ns, 'ns'];
  const digits = v >= 100 ? 0 : v >= 10 ? 1 : 2;
  return `${Number(v.toFixed(digits))} ${u}`;
}

/** The measured columns of a result: [{ key, label, rme? }], in table order. */
function series(result) {
  const labels = { rawsys: 'rawsys', baseline: 'Node built-in', c: 'C floor', ...LABELS[result.name], ...(result.labels || {}) };
  const out = [
    { key: 'rawsys_ns', label: labels.rawsys, rme: 'rawsys_rme' },
    { key: 'baseline_ns', label: labels.baseline, rme: 'baseline_rme' },
    { key: 'c_ns', label: labels.c },
  ];
  for (const c of result.extraColumns || []) {
    if (!c.ratio) out.push({ key: c.key, label: c.title.replace(/\s*(ns|µs|ms)\/op$/, ''), rme: c.rme });
  }
  const has = (s) => result.rows.some((r) => typeof r[s.key] === 'number' && r[s.key] > 0);
  return out.filter(has);
}

/** Ticks for [lo, hi]: 1-2-5 steps on a log scale, round steps on a linear one. */
function ticks(lo, hi, log) {
  const out = [];
  if (log) {
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
      for (const m of [1, 2, 5]) {
        const v = m * 10 ** e;
        if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v);
      }
    }
    return out;
  }
  const raw = hi / 6;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw);
  for (let v = 0; v <= hi * 1.001; v += step) out.push(v);
  return out;
}

/** The SVG chart of one result: horizontal bars grouped by case, time axis at the bottom. */
function chart(result) {
  const cols = series(result);
  const rows = result.rows;
  const values = rows.flatMap((r) => cols.map((c) => r[c.key])).filter((v) => typeof v === 'number' && v > 0);
  if (!values.length) return null;
  const min = Math.min(...values);
  const max = Math.max(...values);
  const log = result.chart && typeof result.chart.log === 'boolean' ? result.chart.log : max / min > 20;
  let lo;
  let hi;
  if (log) {
    lo = 10 ** Math.floor(Math.log10(min));
    hi = 10 ** Math.ceil(Math.log10(max * 1.15));
  } else {
    lo = 0;
    const t = ticks(0, max * 1.1, false);
    hi = t[t.length - 1] < max * 1.1 ? t[t.length - 1] + (t[1] - t[0]) : t[t.length - 1];
  }
  const W = 960;
  const left = 28;
  const right = 90;
  const plotW = W - left - right;
  const bar = 13;
  const gap = 3;
  const labelH = 18;
  const groupGap = 12;
  const legendH = 28;
  const top = 40 + legendH;
  const groupH = labelH + cols.length * (bar + gap) + groupGap;
  const plotH = rows.length * groupH;
  const axisH = 42;
  const H = top + plotH + axisH;
  const x = (v) => left + (log
    ? ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotW
    : ((v - lo) / (hi - lo)) * plotW);
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" `
    + 'font-family="Helvetica, Arial, sans-serif" font-size="12">');
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  const m = result.machine || {};
  out.push(`<text x="${left}" y="20" font-size="15" font-weight="bold">${esc(result.title || TITLES[result.name] || result.name)}</text>`);
  out.push(`<text x="${left}" y="36" fill="#555555">${esc(`time per operation, ${log ? 'log scale' : 'linear scale'}, shorter is faster`
    + ` · node ${m.node || '?'} · kernel ${m.kernel || '?'} ${m.arch || ''} · ${m.cpu || '?'} ×${m.cpus || '?'}`)}</text>`);
  let lx = left;
  cols.forEach((c, i) => {
    out.push(`<rect x="${lx}" y="${44}" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/>`);
    out.push(`<text x="${lx + 16}" y="${54}">${esc(c.label)}</text>`);
    lx += 16 + c.label.length * 7 + 18;
  });
  for (const t of ticks(lo, hi, log)) {
    const tx = x(t).toFixed(1);
    out.push(`<line x1="${tx}" y1="${top - 4}" x2="${tx}" y2="${top + plotH}" stroke="#e3e3e3"/>`);
    out.push(`<text x="${tx}" y="${top + plotH + 16}" text-anchor="middle" fill="#555555">${esc(fmtTime(t))}</text>`);
  }
  out.push(`<line x1="${left}" y1="${top + plotH}" x2="${left + plotW}" y2="${top + plotH}" stroke="#999999"/>`);
  out.push(`<text x="${left + plotW / 2}" y="${top + plotH + 34}" text-anchor="middle" fill="#555555">time per operation (best round; whiskers: ± margin of error)</text>`);
  rows.forEach((r, ri) => {
    const gy = top + ri * groupH;
    out.push(`<text x="${left}" y="${gy + 13}" font-weight="bold">${esc(r.note ? `${r.case} (${r.note})` : r.case)}</text>`);
    cols.forEach((c, ci) => {
      const y = gy + labelH + ci * (bar + gap);
      const v = r[c.key];
      if (typeof v !== 'number' || !(v > 0)) {
        out.push(`<text x="${left + 4}" y="${y + bar - 3}" fill="#999999">${esc(c.label)}: none</text>`);
        return;
      }
      const w = Math.max(1, x(v) - left);
      out.push(`<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${bar}" fill="${COLORS[ci % COLORS.length]}">`
        + `<title>${esc(`${c.label}: ${fmtTime(v)}`)}</title></rect>`);
      const e = c.rme && typeof r[c.rme] === 'number' ? r[c.rme] / 100 : 0;
      if (e > 0) {
        const a = x(Math.max(v * (1 - e), lo)).toFixed(1);
        const b = x(Math.min(v * (1 + e), hi)).toFixed(1);
        const my = (y + bar / 2).toFixed(1);
        out.push(`<path d="M${a} ${my}H${b}M${a} ${y + 3}V${y + bar - 3}M${b} ${y + 3}V${y + bar - 3}" stroke="#222222" fill="none"/>`);
      }
      out.push(`<text x="${(left + w + 6 + (e > 0 ? Math.max(0, x(Math.min(v * (1 + e), hi)) - left - w) : 0)).toFixed(1)}" `
        + `y="${y + bar - 2}" fill="#222222">${esc(fmtTime(v))}</text>`);
    });
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** Every bench/results/*.json, in report order. */
function loadResults(dir = RESULTS) {
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
  const results = files.map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')))
    .filter((r) => r && typeof r.name === 'string' && Array.isArray(r.rows));
  const rank = (n) => (ORDER.includes(n) ? ORDER.indexOf(n) : ORDER.length);
  return results.sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name));
}

/** { 'REPORT.md': text, '<area>.svg': text, … } for the results. */
function render(results) {
  const files = {};
  const md = [
    '# rawsys benchmark report',
    '',
    'Generated by `node bench/report.js` (the last step of `npm run bench`) from every `bench/results/*.json`;',
    'each area\'s chart and table come from the same file. Bars are the time per operation (shorter is',
    'faster); the tables hold the same numbers with their ratios. Targets are information, not pass/fail',
    'of the package: this VM runs in fast and slow phases. Areas:',
    '',
    ...results.map((r) => `- [${r.title || TITLES[r.name] || r.name}](#${r.name}) (\`${r.name}.json\`, ${r.machine?.date || 'undated'})`),
    '',
  ];
  for (const r of results) {
    const svg = chart(r);
    if (svg) files[`${r.name}.svg`] = svg;
    // run.js's own page for the area, under a heading of this report.
    const page = markdown(r, r.machine).split('\n');
    md.push(`<a id="${r.name}"></a>`, '', `## ${r.title || TITLES[r.name] || r.name}`, '');
    if (svg) md.push(`![${r.name} chart](${r.name}.svg)`, '');
    md.push(...page.slice(2).map((l) => (l.startsWith('## ') ? `#${l}` : l)));
  }
  files['REPORT.md'] = `${md.join('\n').replace(/\n{3,}/g, '\n\n').trim()}\n`;
  return files;
}

function main() {
  const check = process.argv.includes('--check');
  const files = render(loadResults());
  const stale = [];
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(RESULTS, name);
    const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
    if (old === text) continue;
    if (check) stale.push(name);
    else fs.writeFileSync(file, text);
  }
  if (check && stale.length) {
    process.stderr.write(`bench/results is stale (${stale.join(', ')}): run node bench/report.js\n`);
    process.exitCode = 1;
  } else if (!check) {
    process.stdout.write(`wrote bench/results/REPORT.md and ${Object.keys(files).filter((f) => f.endsWith('.svg')).join(', ')}\n`);
  }
}

module.exports = { chart, render, loadResults, series, fmtTime, ticks };
if (require.main === module) main();
