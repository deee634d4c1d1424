'use strict';
// Shared test helpers: temp dirs, the sync/promise form pairs, error
// assertions, and child processes that are always killed and reaped.
const assert = require('uvu/assert');
const cp = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const rawsys = require('..');

/** A fresh temporary directory, removed at process exit. */
function tmpdir(prefix = 'rawsys-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** [label, api] pairs: every behaviour is tested through both forms (await works on sync results too). */
const FORMS = [
  ['sync', rawsys],
  ['promises', rawsys.promises],
];

/** Asserts that fn (sync or async) throws/rejects with an error whose properties include `props`. */
async function throwsLike(fn, props, message) {
  let err;
  try {
    await fn();
  } catch (e) {
    err = e;
  }
  assert.ok(err, message || `expected an error like ${JSON.stringify(props)}`);
  for (const [k, v] of Object.entries(props)) {
    assert.equal(err[k], v, `${message || 'error'}: ${k} is ${String(err[k])}, expected ${String(v)} (${err.message})`);
  }
  return err;
}

/** Asserts a SyscallError with code, errno and syscall. */
async function syscallError(fn, code, syscall, extra = {}) {
  const err = await throwsLike(fn, { code, syscall, ...extra });
  assert.instance(err, rawsys.SyscallError);
  assert.equal(err.errno, -rawsys.constants[code], `errno of ${code}`);
  return err;
}

const children = new Set();
process.on('exit', () => {
  for (const c of children) {
    try { c.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

/**
 * Runs `node -e script` as a child, with the package root as cwd so it can
 * require('.'). Resolves once the child prints `ready` on a line, with
 * { child, lines, exited } where exited resolves to { code, signal }.
 */
function spawnNode(script, { ready = true, args = [] } = {}) {
  const child = cp.spawn(process.execPath, [...args, '-e', script], {
    cwd: path.join(__dirname, '..'),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.add(child);
  const lines = [];
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => {
    children.delete(child);
    resolve({ code, signal, stderr, lines });
  }));
  let buf = '';
  const readyP = new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        lines.push(line);
        if (line === 'ready') resolve();
      }
    });
    exited.then((r) => reject(new Error(`child exited before ready: ${JSON.stringify(r)}`)));
  });
  if (!ready) {
    readyP.catch(() => {});
    return Promise.resolve({ child, lines, exited });
  }
  return readyP.then(() => ({ child, lines, exited }));
}

/** Kills a child (SIGKILL) and waits until it is reaped. */
async function kill(handle) {
  if (handle.child.exitCode === null && handle.child.signalCode === null) handle.child.kill('SIGKILL');
  return handle.exited;
}

/** Rejects after ms with a message: for races that must not hang. */
function timeout(ms, what) {
  let t;
  const p = new Promise((_, reject) => { t = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms); });
  p.cancel = () => clearTimeout(t);
  return p;
}

/** The descriptors open in this process. */
function openFds() {
  return fs.readdirSync('/proc/self/fd').map(Number).sort((a, b) => a - b);
}

/**
 * Asserts that no descriptor was opened since `before` (a listing from
 * openFds()). Only new numbers count: in the shared uvu process, async work
 * left by earlier test files may close descriptors meanwhile.
 */
function assertNoNewFds(before, what) {
  const added = openFds().filter((fd) => !before.includes(fd));
  assert.equal(added, [], `${what}: new descriptors ${added.map((fd) => {
    try {
      return `${fd} -> ${fs.readlinkSync(`/proc/self/fd/${fd}`)}`;
    } catch {
      return String(fd);
    }
  })}`);
}

/**
 * Calls fn and returns what it threw (sync form) or rejected with (promise
 * form, which must return a Promise and not throw synchronously).
 */
async function caught(label, fn) {
  let err;
  let ret;
  try {
    ret = fn();
  } catch (e) {
    err = e;
  }
  if (label === 'sync') {
    assert.ok(err, 'the sync form should have thrown');
    return err;
  }
  assert.not.ok(err, `the promise form threw synchronously: ${err && err.message}`);
  assert.instance(ret, Promise);
  try {
    await ret;
  } catch (e) {
    return e;
  }
  assert.unreachable('the promise should have rejected');
}

/** Reads `fd` (a pipe's read end) to EOF with rawsys.read, closes it, and returns the text. */
function readToEnd(fd) {
  let out = '';
  const b = Buffer.alloc(65536);
  let n;
  while ((n = rawsys.read(fd, b)) > 0) out += b.toString('utf8', 0, n);
  rawsys.close(fd);
  return out;
}

module.exports = { tmpdir, FORMS, throwsLike, syscallError, spawnNode, kill, timeout, openFds, assertNoNewFds, caught, readToEnd };
