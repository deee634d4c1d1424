'use strict';
// Statistics shared by the benches: the median, and the relative margin of
// error of a mean as Benchmark.js computes it.

function median(xs) {
  const a = xs.slice().sort((x, y) => x - y);
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
}

// Student's t, two-sided 95%, by degrees of freedom (1..30; above, 1.96).
const T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145,
  2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

/** Relative margin of error (%) of the mean, as Benchmark.js computes it, over samples pooled from all rounds. */
function rme(xs) {
  const n = xs.length;
  if (n < 2) return 0;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1);
  const t = T95[n - 2] || 1.96;
  return ((t * Math.sqrt(variance / n)) / mean) * 100;
}

module.exports = { median, rme };
