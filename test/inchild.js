'use strict';
// Runs code that changes the process (credentials, limits, namespaces,
// mounts, capabilities) in a child node process, never in the test runner.
// The body is the inside of an async function with `rawsys`, `C` (constants),
// `P` (promises), `fs`, `os`, `path`, `errOf`/`aerrOf` (an error as a plain
// object, or null) and `pause(obj)` (prints obj, then waits for the parent's
// `resume()`) in scope; what it returns comes back as JSON (bigints as
// '<n>n' strings). Children are always reaped.
const assert = require('uvu/assert');
const { spawnNode, kill, timeout } = require('./helpers');

const PRELUDE = `
const rawsys = require('.');
const C = rawsys.constants;
const P = rawsys.promises;
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const plain = (e) => ({ name: e.name, code: e.code, errno: e.errno, syscall: e.syscall, path: e.path, dest: e.dest, message: e.message });
const errOf = (f) => { try { f(); return null; } catch (e) { return plain(e); } };
const aerrOf = async (f) => { try { await f(); return null; } catch (e) { return plain(e); } };
const json = (v) => JSON.stringify(v, (k, x) => (typeof x === 'bigint' ? x + 'n' : x));
const pause = (v) => new Promise((resolve) => {
  process.stdin.once('data', () => resolve());
  console.log('PAUSE ' + json(v === undefined ? null : v));
  console.log('ready');
});
`;

function wrap(body) {
  return `${PRELUDE}
(async () => {
${body}
})().then((r) => { console.log('RESULT ' + json(r === undefined ? null : r)); process.exit(0); },
  (e) => { console.error((e && e.stack) || e); process.exit(1); });
`;
}

function parse(lines, prefix) {
  const line = lines.find((l) => l.startsWith(prefix));
  assert.ok(line, `child printed ${prefix.trim()}: ${lines.join('\n')}`);
  return JSON.parse(line.slice(prefix.length));
}

/** Runs body in a child node; resolves with what it returned. */
async function inChild(body, ms = 20000) {
  const h = await spawnNode(wrap(body), { ready: false });
  const t = timeout(ms, 'child');
  try {
    const r = await Promise.race([h.exited, t]);
    assert.is(r.code, 0, `child failed: ${r.stderr}`);
    return parse(r.lines, 'RESULT ');
  } finally {
    t.cancel();
    await kill(h);
  }
}

/**
 * Starts body in a child node and waits for its first pause(obj). Resolves
 * with { pid, paused: obj, resume() -> result, kill() }.
 */
async function pausedChild(body, ms = 20000) {
  const t0 = timeout(ms, 'child pause');
  let h;
  try {
    h = await Promise.race([spawnNode(wrap(body)), t0]);
  } finally {
    t0.cancel();
  }
  const paused = parse(h.lines, 'PAUSE ');
  return {
    pid: h.child.pid,
    paused,
    async resume() {
      h.child.stdin.write('go\n');
      const t = timeout(ms, 'child after resume');
      try {
        const r = await Promise.race([h.exited, t]);
        assert.is(r.code, 0, `child failed: ${r.stderr}`);
        return parse(r.lines, 'RESULT ');
      } finally {
        t.cancel();
      }
    },
    kill: () => kill(h),
  };
}

/** Parses the hex Cap* lines of a /proc status file into bigints. */
function capLines(status) {
  const out = {};
  for (const k of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) {
    const m = new RegExp(`^${k}:\\s*([0-9a-f]+)$`, 'm').exec(status);
    out[k] = m ? BigInt(`0x${m[1]}`) : undefined;
  }
  return out;
}

module.exports = { inChild, pausedChild, capLines };
