// Timing shared by the C floors (bench/*.c): rounds of batched calls timed
// with CLOCK_MONOTONIC, the median round reported, as the JS side does.
#pragma once

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ROUNDS 32

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

// ns/op of one round: ops run in batches so the clock (a vDSO call, ~20 ns)
// is read about once a millisecond, not once an op (for ops shorter than that).
static double round_ns(void (*op)(void), double round_ns_budget, long batch) {
  long iters = 0;
  double start = now_ns(), t;
  do {
    for (long k = 0; k < batch; k++) op();
    iters += batch;
    t = now_ns();
  } while (t - start < round_ns_budget);
  return (t - start) / iters;
}

static double measure(void (*op)(void), double round_ms, int rounds) {
  // Warm-up doubles as calibration of the batch size.
  double est = round_ns(op, round_ms * 1e6 / 2, 1);
  long batch = (long)(1e6 / est);
  if (batch < 1) batch = 1;
  double r[MAX_ROUNDS];
  for (int i = 0; i < rounds; i++) r[i] = round_ns(op, round_ms * 1e6, batch);
  qsort(r, rounds, sizeof r[0], cmp_double);
  return rounds % 2 ? r[rounds / 2] : (r[rounds / 2 - 1] + r[rounds / 2]) / 2;
}

// Whether `name` is in the comma-separated `list` (NULL: every case).
static int wanted(const char *list, const char *name) {
  if (!list) return 1;
  size_t n = strlen(name);
  for (const char *p = list; *p;) {
    const char *e = strchr(p, ',');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (len == n && strncmp(p, name, n) == 0) return 1;
    if (!e) break;
    p = e + 1;
  }
  return 0;
}
