'use strict';
// Ids, sessions, resource limits, prctl helpers and capabilities, on the real
// kernel. Everything that changes the process runs in a child node process
// (test/inchild.js); the test runner only reads.
const { test } = require('uvu');
const assert = require('uvu/assert');
const cp = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const rawsys = require('..');
const { throwsLike, syscallError, timeout } = require('./helpers');
const { inChild, pausedChild, capLines } = require('./inchild');

const C = rawsys.constants;
const NO_PID = 2 ** 31 - 1; // above pid_max: never a process

/** The limits in a /proc/<pid>/limits file, by its row title. */
function procLimits(pid) {
  const out = {};
  for (const line of fs.readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').slice(1)) {
    const m = /^(.+?)\s{2,}(\S+)\s+(\S+)/.exec(line);
    if (m) out[m[1]] = { soft: m[2], hard: m[3] };
  }
  return out;
}

const LIMIT_ROWS = {
  CPU: 'Max cpu time', FSIZE: 'Max file size', DATA: 'Max data size', STACK: 'Max stack size', CORE: 'Max core file size',
  RSS: 'Max resident set', NPROC: 'Max processes', NOFILE: 'Max open files', MEMLOCK: 'Max locked memory',
  AS: 'Max address space', LOCKS: 'Max file locks', SIGPENDING: 'Max pending signals', MSGQUEUE: 'Max msgqueue size',
  NICE: 'Max nice priority', RTPRIO: 'Max realtime priority', RTTIME: 'Max realtime timeout',
};

const asProc = (v) => (v === Infinity ? 'unlimited' : String(v));

/** Capability names of a mask, as capget reports them. */
function capNames(mask) {
  const byNum = new Map(Object.entries(C).filter(([k]) => k.startsWith('CAP_') && k !== 'CAP_LAST_CAP').map(([k, v]) => [v, k]));
  const out = [];
  for (let n = 0; mask; n++, mask >>= 1n) if (mask & 1n) out.push(byNum.get(n) ?? `CAP_${n}`);
  return out;
}

/** A `sleep 30` child, killed and reaped by stop(). */
function sleeper() {
  const child = cp.spawn('sleep', ['30'], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, pid: child.pid, exited, stop: () => { child.kill('SIGKILL'); return exited; } };
}

// ---------------------------------------------------------------------------
// ids

test('getpid/getppid/getuid/geteuid/getgid/getegid: agree with process.*', () => {
  assert.is(rawsys.getpid(), process.pid);
  assert.is(rawsys.getppid(), process.ppid);
  assert.is(rawsys.getuid(), process.getuid());
  assert.is(rawsys.geteuid(), process.geteuid());
  assert.is(rawsys.getgid(), process.getgid());
  assert.is(rawsys.getegid(), process.getegid());
});

test('gettid: the pid on the main thread, a thread of its own in a worker', async () => {
  assert.is(rawsys.gettid(), process.pid);
  const w = new Worker(`const r = require(${JSON.stringify(path.join(__dirname, '..'))});
    require('node:worker_threads').parentPort.postMessage([r.gettid(), r.getpid()]);`, { eval: true });
  const t = timeout(10000, 'worker');
  const [tid, pid] = await Promise.race([new Promise((resolve) => w.once('message', resolve)), t]);
  t.cancel();
  await w.terminate();
  assert.is(pid, process.pid);
  assert.is.not(tid, process.pid);
  assert.ok(fs.existsSync(`/proc/self/task/${tid}`) || tid > 0, 'a thread id');
});

test('getgroups: the supplementary groups, as process.getgroups() and /proc report them', () => {
  const mine = rawsys.getgroups();
  assert.ok(Array.isArray(mine));
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const proc = /^Groups:[ \t]*(.*)$/m.exec(status)[1].trim().split(/\s+/).filter(Boolean).map(Number);
  assert.equal([...mine].sort((a, b) => a - b), proc.sort((a, b) => a - b));
  // process.getgroups() adds the egid when it is not a supplementary group.
  for (const g of mine) assert.ok(process.getgroups().includes(g));
});

test('getresuid/getresgid: real, effective, saved, matching /proc/self/status', () => {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const [ru, eu, su] = /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)/m.exec(status).slice(1).map(Number);
  const [rg, eg, sg] = /^Gid:\s+(\d+)\s+(\d+)\s+(\d+)/m.exec(status).slice(1).map(Number);
  assert.equal(rawsys.getresuid(), { real: ru, effective: eu, saved: su });
  assert.equal(rawsys.getresgid(), { real: rg, effective: eg, saved: sg });
});

test('setresuid/setresgid/setgroups: in a child, through glibc, every thread changes; then EPERM', async () => {
  const r = await inChild(`
    await fs.promises.readFile('/proc/self/stat'); // start the threadpool: more threads to check
    rawsys.setgroups([3, 1, 2]);
    rawsys.setresgid(1000, 1001, 1002);
    rawsys.setresuid(1000, 1001, 1002);
    const tasks = fs.readdirSync('/proc/self/task').map((t) => {
      const s = fs.readFileSync('/proc/self/task/' + t + '/status', 'utf8');
      return [/^Uid:\\s+(.*)$/m.exec(s)[1].split(/\\s+/).slice(0, 3).join(' '),
        /^Gid:\\s+(.*)$/m.exec(s)[1].split(/\\s+/).slice(0, 3).join(' '),
        /^Groups:(.*)$/m.exec(s)[1].trim()];
    });
    return {
      uid: rawsys.getresuid(), gid: rawsys.getresgid(), groups: rawsys.getgroups(), tasks,
      euid: rawsys.geteuid(), egid: rawsys.getegid(), ruid: rawsys.getuid(), rgid: rawsys.getgid(),
      setuidBack: errOf(() => rawsys.setresuid(0, 0, 0)),
      setgid: errOf(() => rawsys.setresgid(0, -1, -1)),
      setgroups: errOf(() => rawsys.setgroups([])),
    };
  `);
  assert.equal(r.uid, { real: 1000, effective: 1001, saved: 1002 });
  assert.equal(r.gid, { real: 1000, effective: 1001, saved: 1002 });
  assert.equal(r.groups, [1, 2, 3]);
  assert.equal([r.ruid, r.euid, r.rgid, r.egid], [1000, 1001, 1000, 1001]);
  assert.ok(r.tasks.length >= 5, 'several threads');
  for (const t of r.tasks) assert.equal(t, ['1000 1001 1002', '1000 1001 1002', '1 2 3'], 'every thread changed');
  assert.equal([r.setuidBack.code, r.setuidBack.errno, r.setuidBack.syscall], ['EPERM', -C.EPERM, 'setresuid']);
  assert.equal([r.setgid.code, r.setgid.errno, r.setgid.syscall], ['EPERM', -C.EPERM, 'setresgid']);
  assert.equal([r.setgroups.code, r.setgroups.errno, r.setgroups.syscall], ['EPERM', -C.EPERM, 'setgroups']);
});

test('setresuid: -1 leaves an id unchanged; the raw syscall would change one thread only', async () => {
  const r = await inChild(`
    await fs.promises.readFile('/proc/self/stat');
    rawsys.setresuid(-1, 1000, -1);
    const a = rawsys.getresuid();
    rawsys.setresuid(-1, 0, -1); // allowed: real and saved are still 0
    const b = rawsys.getresuid();
    // What glibc's broadcast saves us from: SYS_setresuid changes the calling thread alone.
    rawsys.syscall(C.SYS_setresuid, -1, 1000, -1);
    const uids = fs.readdirSync('/proc/self/task').map((t) => [Number(t) === process.pid,
      /^Uid:\\s+\\d+\\s+(\\d+)/m.exec(fs.readFileSync('/proc/self/task/' + t + '/status', 'utf8'))[1]]);
    return { a, b, uids };
  `);
  assert.equal(r.a, { real: 0, effective: 1000, saved: 0 });
  assert.equal(r.b, { real: 0, effective: 0, saved: 0 });
  for (const [main, euid] of r.uids) assert.is(euid, main ? '1000' : '0', `main thread ${main}`);
});

test('setresuid/setresgid/setgroups: arguments are checked before any call', async () => {
  await throwsLike(() => rawsys.setresuid('0', 0, 0), { code: 'ERR_INVALID_ARG_TYPE' });
  await throwsLike(() => rawsys.setresuid(-2, 0, 0), { code: 'ERR_OUT_OF_RANGE' });
  await throwsLike(() => rawsys.setresgid(0, 2 ** 32, 0), { code: 'ERR_OUT_OF_RANGE' });
  await throwsLike(() => rawsys.setgroups('1,2'), { code: 'ERR_INVALID_ARG_TYPE' });
  await throwsLike(() => rawsys.setgroups([1, -1]), { code: 'ERR_OUT_OF_RANGE' });
  await throwsLike(() => rawsys.setgroups([1.5]), { code: 'ERR_OUT_OF_RANGE' });
});

// ---------------------------------------------------------------------------
// sessions and process groups

test('setsid/getsid/getpgid: a child becomes a session leader; a second setsid is EPERM', async () => {
  const r = await inChild(`
    const before = { sid: rawsys.getsid(), pgid: rawsys.getpgid() };
    const sid = rawsys.setsid();
    return { pid: process.pid, before, sid, after: { sid: rawsys.getsid(0), pgid: rawsys.getpgid(0) }, again: errOf(() => rawsys.setsid()) };
  `);
  assert.is(r.before.sid, rawsys.getsid());
  assert.is(r.before.pgid, rawsys.getpgid());
  assert.is(r.sid, r.pid);
  assert.equal(r.after, { sid: r.pid, pgid: r.pid });
  assert.equal([r.again.code, r.again.errno, r.again.syscall], ['EPERM', -C.EPERM, 'setsid']);
});

test('setpgid: a child leads a new group, seen from the parent; ESRCH for a process that is not ours', async () => {
  const c = await pausedChild(`
    rawsys.setpgid(0, 0);
    await pause({ pgid: rawsys.getpgid() });
    return null;
  `);
  try {
    assert.is(c.paused.pgid, c.pid);
    assert.is(rawsys.getpgid(c.pid), c.pid, 'getpgid of another process');
    assert.is(rawsys.getsid(c.pid), rawsys.getsid(), 'same session');
    await c.resume();
  } finally {
    await c.kill();
  }
  await syscallError(() => rawsys.setpgid(NO_PID, 0), 'ESRCH', 'setpgid');
  await throwsLike(() => rawsys.setpgid(0, -1), { code: 'ERR_OUT_OF_RANGE' });
});

test('getpgid/getsid: ESRCH for no such process', async () => {
  assert.is(rawsys.getpgid(), rawsys.getpgid(process.pid));
  await syscallError(() => rawsys.getpgid(NO_PID), 'ESRCH', 'getpgid');
  await syscallError(() => rawsys.getsid(NO_PID), 'ESRCH', 'getsid');
  await throwsLike(() => rawsys.getsid(-1), { code: 'ERR_OUT_OF_RANGE' });
});

// ---------------------------------------------------------------------------
// resource limits

test('getrlimit: every resource as /proc/self/limits shows it; Infinity for unlimited; names or numbers', () => {
  const proc = procLimits('self');
  for (const [name, row] of Object.entries(LIMIT_ROWS)) {
    const l = rawsys.getrlimit(name);
    assert.equal(rawsys.getrlimit(`RLIMIT_${name}`), l);
    assert.equal(rawsys.getrlimit(C[`RLIMIT_${name}`]), l);
    assert.equal({ soft: asProc(l.soft), hard: asProc(l.hard) }, proc[row], name);
    for (const v of [l.soft, l.hard]) assert.ok(v === Infinity || Number.isSafeInteger(v) || typeof v === 'bigint');
  }
  assert.equal(rawsys.getrlimit('nofile'), rawsys.getrlimit('NOFILE'));
});

test('getrlimit/setrlimit/prlimit: EINVAL for an unknown resource; bad arguments refused', async () => {
  await syscallError(() => rawsys.getrlimit(1000), 'EINVAL', 'getrlimit');
  await syscallError(() => rawsys.prlimit(0, 1000), 'EINVAL', 'prlimit');
  await throwsLike(() => rawsys.getrlimit('RLIMIT_BOGUS'), { code: 'ERR_INVALID_ARG_VALUE' });
  await throwsLike(() => rawsys.getrlimit('RLIMIT_NLIMITS'), { code: 'ERR_INVALID_ARG_VALUE' });
  await throwsLike(() => rawsys.getrlimit({}), { code: 'ERR_INVALID_ARG_TYPE' });
  await throwsLike(() => rawsys.setrlimit('NOFILE', { soft: -1, hard: 10 }), { code: 'ERR_OUT_OF_RANGE' });
  await throwsLike(() => rawsys.setrlimit('NOFILE', { soft: 1.5, hard: 10 }), { code: 'ERR_OUT_OF_RANGE' });
  await throwsLike(() => rawsys.setrlimit('NOFILE', { soft: '1', hard: 10 }), { code: 'ERR_INVALID_ARG_TYPE' });
  await throwsLike(() => rawsys.setrlimit('NOFILE', { soft: 1 }), { code: 'ERR_INVALID_ARG_TYPE' });
  await throwsLike(() => rawsys.setrlimit('NOFILE', { soft: 2n ** 64n, hard: 1n }), { code: 'ERR_OUT_OF_RANGE' });
  await throwsLike(() => rawsys.setrlimit('NOFILE'), { code: 'ERR_INVALID_ARG_TYPE' });
});

test('setrlimit: in a child, limits (number, bigint, Infinity) show in its /proc/<pid>/limits; EINVAL, EPERM', async () => {
  const big = 2n ** 60n;
  const c = await pausedChild(`
    rawsys.setrlimit('NOFILE', { soft: 100, hard: 200 });
    rawsys.setrlimit(C.RLIMIT_FSIZE, { soft: ${big}n, hard: Infinity });
    rawsys.setrlimit('RLIMIT_CORE', { soft: 0, hard: 2n ** 64n - 1n }); // 2^64-1 is RLIM_INFINITY
    const got = { nofile: rawsys.getrlimit('NOFILE'), fsize: rawsys.getrlimit('FSIZE'), core: rawsys.getrlimit('CORE') };
    // soft above hard: EINVAL. Raising hard needs CAP_SYS_RESOURCE in the calling thread's
    // effective set: drop it there first, so the test holds whether or not root has it.
    const einval = errOf(() => rawsys.setrlimit('NOFILE', { soft: 300, hard: 200 }));
    const caps = rawsys.capget();
    rawsys.capset({ ...caps, effective: caps.effective.filter((c) => c !== 'CAP_SYS_RESOURCE') });
    const eperm = errOf(() => rawsys.setrlimit('NOFILE', { soft: 100, hard: 300 }));
    await pause({ got, einval, eperm });
    return null;
  `);
  try {
    const { got, einval, eperm } = c.paused;
    assert.equal(got.nofile, { soft: 100, hard: 200 });
    assert.equal(got.fsize, { soft: `${big}n`, hard: null }, 'bigint above 2^53; Infinity (JSON null)');
    assert.equal(got.core, { soft: 0, hard: null });
    const proc = procLimits(c.pid);
    assert.equal(proc['Max open files'], { soft: '100', hard: '200' });
    assert.equal(proc['Max file size'], { soft: String(big), hard: 'unlimited' });
    assert.equal(proc['Max core file size'], { soft: '0', hard: 'unlimited' });
    assert.equal([einval.code, einval.errno, einval.syscall], ['EINVAL', -C.EINVAL, 'setrlimit']);
    assert.equal([eperm.code, eperm.errno, eperm.syscall], ['EPERM', -C.EPERM, 'setrlimit']);
    await c.resume();
  } finally {
    await c.kill();
  }
  assert.equal(rawsys.getrlimit('FSIZE').soft === big, false, 'the runner is untouched');
});

test('prlimit: reads and sets the limits of a sleep child from the parent, atomically returning the old ones', async () => {
  const s = sleeper();
  try {
    const mine = rawsys.getrlimit('NOFILE');
    assert.equal(rawsys.prlimit(s.pid, 'NOFILE'), mine, 'inherited');
    const old = rawsys.prlimit(s.pid, 'RLIMIT_NOFILE', { soft: 64, hard: 128 });
    assert.equal(old, mine);
    assert.equal(rawsys.prlimit(s.pid, C.RLIMIT_NOFILE), { soft: 64, hard: 128 });
    assert.equal(procLimits(s.pid)['Max open files'], { soft: '64', hard: '128' });
    assert.equal(rawsys.getrlimit('NOFILE'), mine, 'ours unchanged');
    assert.equal(rawsys.prlimit(0, 'NOFILE'), mine, 'pid 0 is this process');
  } finally {
    await s.stop();
  }
  await syscallError(() => rawsys.prlimit(NO_PID, 'NOFILE'), 'ESRCH', 'prlimit');
  await throwsLike(() => rawsys.prlimit(-1, 'NOFILE'), { code: 'ERR_OUT_OF_RANGE' });
});

// ---------------------------------------------------------------------------
// prctl

test('getNoNewPrivs/setNoNewPrivs: set in a child, per thread (the others keep 0)', async () => {
  assert.is(rawsys.getNoNewPrivs(), false);
  const r = await inChild(`
    await fs.promises.readFile('/proc/self/stat');
    const before = rawsys.getNoNewPrivs();
    rawsys.setNoNewPrivs();
    const threads = fs.readdirSync('/proc/self/task').map((t) => [Number(t) === process.pid,
      /^NoNewPrivs:\\s+(\\d)/m.exec(fs.readFileSync('/proc/self/task/' + t + '/status', 'utf8'))[1]]);
    return { before, after: rawsys.getNoNewPrivs(), threads };
  `);
  assert.is(r.before, false);
  assert.is(r.after, true);
  for (const [main, v] of r.threads) assert.is(v, main ? '1' : '0');
});

test('getPdeathsig/setPdeathsig: names or numbers, 0 clears; bad signals refused', async () => {
  assert.is(rawsys.getPdeathsig(), 0);
  const r = await inChild(`
    rawsys.setPdeathsig('SIGUSR1');
    const a = rawsys.getPdeathsig();
    rawsys.setPdeathsig(C.SIGKILL);
    const b = rawsys.getPdeathsig();
    rawsys.setPdeathsig(0);
    return { a, b, c: rawsys.getPdeathsig() };
  `);
  assert.equal(r, { a: C.SIGUSR1, b: C.SIGKILL, c: 0 });
  await throwsLike(() => rawsys.setPdeathsig(65), { code: 'ERR_OUT_OF_RANGE' });
  await throwsLike(() => rawsys.setPdeathsig('SIGNOPE'), { code: 'ERR_INVALID_ARG_VALUE' });
});

test('getKeepCaps/setKeepCaps: with keep-caps the thread keeps permitted capabilities across setresuid', async () => {
  assert.is(rawsys.getKeepCaps(), false);
  const r = await inChild(`
    rawsys.setKeepCaps(true);
    const on = rawsys.getKeepCaps();
    rawsys.setresuid(1000, 1000, 1000);
    const caps = rawsys.capget();
    return { on, permitted: caps.permitted.includes('CAP_SYS_ADMIN'), effective: caps.effective.length, off: (rawsys.setKeepCaps(false), rawsys.getKeepCaps()) };
  `);
  assert.equal(r, { on: true, permitted: true, effective: 0, off: false });
  await throwsLike(() => rawsys.setKeepCaps(1), { code: 'ERR_INVALID_ARG_TYPE' });
});

test('getChildSubreaper/setChildSubreaper: an orphaned grandchild is reparented to the subreaper', async () => {
  assert.is(rawsys.getChildSubreaper(), false);
  const r = await inChild(`
    rawsys.setChildSubreaper();
    const on = rawsys.getChildSubreaper();
    // sh starts sleep in the background and exits: sleep is orphaned.
    const grandchild = Number(require('node:child_process').execFileSync('sh', ['-c', 'sleep 30 >/dev/null 2>&1 & echo $!']).toString());
    const stat = fs.readFileSync('/proc/' + grandchild + '/stat', 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    process.kill(grandchild, 'SIGKILL');
    rawsys.setChildSubreaper(false);
    return { on, ppid, me: process.pid, off: rawsys.getChildSubreaper() };
  `);
  assert.is(r.on, true);
  assert.is(r.ppid, r.me, 'reparented to the subreaper');
  assert.is(r.off, false);
  await throwsLike(() => rawsys.setChildSubreaper('yes'), { code: 'ERR_INVALID_ARG_TYPE' });
});

test('getName/setName: the calling thread\'s name, as /proc/<pid>/comm shows; over 15 bytes refused', async () => {
  assert.is(rawsys.getName(), fs.readFileSync(`/proc/self/task/${rawsys.gettid()}/comm`, 'utf8').trim());
  const c = await pausedChild(`
    rawsys.setName('rawsys-täst');
    await pause({ name: rawsys.getName() });
    return null;
  `);
  try {
    assert.is(c.paused.name, 'rawsys-täst');
    assert.is(fs.readFileSync(`/proc/${c.pid}/comm`, 'utf8'), 'rawsys-täst\n');
    await c.resume();
  } finally {
    await c.kill();
  }
  await throwsLike(() => rawsys.setName('0123456789abcdef'), { code: 'ERR_INVALID_ARG_VALUE' });
  await throwsLike(() => rawsys.setName('ääääääää'), { code: 'ERR_INVALID_ARG_VALUE' }, '16 bytes in UTF-8');
  await throwsLike(() => rawsys.setName('a\0b'), { code: 'ERR_INVALID_ARG_VALUE' });
  await throwsLike(() => rawsys.setName(5), { code: 'ERR_INVALID_ARG_TYPE' });
});

test('capbsetRead: the bounding set as /proc/self/status CapBnd; EINVAL beyond the last capability', async () => {
  const bnd = capLines(fs.readFileSync('/proc/self/status', 'utf8')).CapBnd;
  for (const [k, v] of Object.entries(C)) {
    if (!k.startsWith('CAP_') || k === 'CAP_LAST_CAP') continue;
    assert.is(rawsys.capbsetRead(k), ((bnd >> BigInt(v)) & 1n) === 1n, k);
    assert.is(rawsys.capbsetRead(v), rawsys.capbsetRead(k.slice(4).toLowerCase()));
  }
  await syscallError(() => rawsys.capbsetRead(63), 'EINVAL', 'prctl');
  await throwsLike(() => rawsys.capbsetRead('CAP_NOPE'), { code: 'ERR_INVALID_ARG_VALUE' });
  await throwsLike(() => rawsys.capbsetRead(64), { code: 'ERR_OUT_OF_RANGE' });
});

test('capbsetDrop: in a child, gone from its CapBnd; EPERM without CAP_SETPCAP', async () => {
  const c = await pausedChild(`
    rawsys.capbsetDrop('CAP_SYS_ADMIN');
    rawsys.capbsetDrop(C.CAP_NET_RAW);
    const read = [rawsys.capbsetRead('SYS_ADMIN'), rawsys.capbsetRead('NET_RAW'), rawsys.capbsetRead('CHOWN')];
    const caps = rawsys.capget();
    rawsys.capset({ ...caps, effective: caps.effective.filter((c) => c !== 'CAP_SETPCAP') });
    const eperm = errOf(() => rawsys.capbsetDrop('CAP_CHOWN'));
    await pause({ read, eperm });
    return null;
  `);
  try {
    assert.equal(c.paused.read, [false, false, true]);
    const bnd = capLines(fs.readFileSync(`/proc/${c.pid}/status`, 'utf8')).CapBnd;
    assert.is((bnd >> BigInt(C.CAP_SYS_ADMIN)) & 1n, 0n);
    assert.is((bnd >> BigInt(C.CAP_NET_RAW)) & 1n, 0n);
    assert.is((bnd >> BigInt(C.CAP_CHOWN)) & 1n, 1n);
    const e = c.paused.eperm;
    assert.equal([e.code, e.errno, e.syscall], ['EPERM', -C.EPERM, 'prctl']);
    await c.resume();
  } finally {
    await c.kill();
  }
  assert.ok(rawsys.capbsetRead('CAP_SYS_ADMIN'), 'the runner keeps it');
});

test('capAmbientIsSet/Raise/Lower/ClearAll: in a child, seen in CapAmb; EPERM for a capability not inheritable', async () => {
  assert.is(rawsys.capAmbientIsSet('CAP_NET_BIND_SERVICE'), false);
  const c = await pausedChild(`
    const caps = rawsys.capget();
    rawsys.capset({ ...caps, inheritable: ['CAP_NET_BIND_SERVICE', C.CAP_CHOWN] });
    rawsys.capAmbientRaise('NET_BIND_SERVICE');
    rawsys.capAmbientRaise(C.CAP_CHOWN);
    const raised = [rawsys.capAmbientIsSet('CAP_NET_BIND_SERVICE'), rawsys.capAmbientIsSet('CAP_CHOWN')];
    const eperm = errOf(() => rawsys.capAmbientRaise('CAP_SYS_ADMIN'));
    await pause({ raised, eperm });
    rawsys.capAmbientLower('CAP_CHOWN');
    const lowered = [rawsys.capAmbientIsSet('CAP_NET_BIND_SERVICE'), rawsys.capAmbientIsSet('CAP_CHOWN')];
    rawsys.capAmbientClearAll();
    return {
      lowered, cleared: rawsys.capAmbientIsSet('CAP_NET_BIND_SERVICE'),
      einval: errOf(() => rawsys.capAmbientIsSet(63)), lowerEinval: errOf(() => rawsys.capAmbientLower(63)),
    };
  `);
  try {
    assert.equal(c.paused.raised, [true, true]);
    const amb = capLines(fs.readFileSync(`/proc/${c.pid}/status`, 'utf8')).CapAmb;
    assert.is(amb, (1n << BigInt(C.CAP_NET_BIND_SERVICE)) | (1n << BigInt(C.CAP_CHOWN)));
    const e = c.paused.eperm;
    assert.equal([e.code, e.errno, e.syscall], ['EPERM', -C.EPERM, 'prctl']);
    const r = await c.resume();
    assert.equal(r.lowered, [true, false]);
    assert.is(r.cleared, false);
    assert.equal([r.einval.code, r.einval.errno, r.einval.syscall], ['EINVAL', -C.EINVAL, 'prctl']);
    assert.equal([r.lowerEinval.code, r.lowerEinval.errno, r.lowerEinval.syscall], ['EINVAL', -C.EINVAL, 'prctl']);
  } finally {
    await c.kill();
  }
});

// ---------------------------------------------------------------------------
// capabilities

test('capget: the calling thread\'s sets as names, matching /proc/self/status', () => {
  const caps = rawsys.capget();
  const st = capLines(fs.readFileSync(`/proc/self/task/${rawsys.gettid()}/status`, 'utf8'));
  assert.equal(caps.effective, capNames(st.CapEff));
  assert.equal(caps.permitted, capNames(st.CapPrm));
  assert.equal(caps.inheritable, capNames(st.CapInh));
  assert.equal(rawsys.capget(0), caps);
});

test('capget: of another process; ESRCH for none', async () => {
  const s = sleeper();
  try {
    const st = capLines(fs.readFileSync(`/proc/${s.pid}/status`, 'utf8'));
    assert.equal(rawsys.capget(s.pid), { effective: capNames(st.CapEff), permitted: capNames(st.CapPrm), inheritable: capNames(st.CapInh) });
  } finally {
    await s.stop();
  }
  await syscallError(() => rawsys.capget(NO_PID), 'ESRCH', 'capget');
});

test('capset: in a child, the JS thread drops capabilities (CapEff in /proc), other threads keep theirs; EPERM to regain', async () => {
  const c = await pausedChild(`
    await fs.promises.readFile('/proc/self/stat'); // the threadpool exists before the capset
    const keep = ['CAP_NET_BIND_SERVICE', C.CAP_SETPCAP, 'kill'];
    rawsys.capset({ effective: keep, permitted: keep, inheritable: [] });
    const mine = rawsys.capget();
    const others = fs.readdirSync('/proc/self/task').filter((t) => Number(t) !== process.pid).map((t) => rawsys.capget(Number(t)).effective.length);
    const eperm = errOf(() => rawsys.capset({ effective: [...keep, 'CAP_SYS_ADMIN'], permitted: [...keep, 'CAP_SYS_ADMIN'], inheritable: [] }));
    const notSubset = errOf(() => rawsys.capset({ effective: ['CAP_CHOWN'], permitted: keep, inheritable: [] }));
    await pause({ mine, others, eperm, notSubset });
    return null;
  `);
  try {
    const { mine, others, eperm, notSubset } = c.paused;
    const want = ['CAP_KILL', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE'];
    assert.equal(mine, { effective: want, permitted: want, inheritable: [] });
    const st = capLines(fs.readFileSync(`/proc/${c.pid}/status`, 'utf8'));
    assert.equal(capNames(st.CapEff), want);
    assert.equal(capNames(st.CapPrm), want);
    assert.ok(others.length >= 4 && others.every((n) => n > want.length), 'other threads keep their capabilities');
    assert.equal([eperm.code, eperm.errno, eperm.syscall], ['EPERM', -C.EPERM, 'capset']);
    assert.equal([notSubset.code, notSubset.syscall], ['EPERM', 'capset']);
    await c.resume();
  } finally {
    await c.kill();
  }
});

test('capset: sets are required and checked before the call', async () => {
  await throwsLike(() => rawsys.capset(), { code: 'ERR_INVALID_ARG_TYPE' });
  await throwsLike(() => rawsys.capset({ effective: [], permitted: [] }), { code: 'ERR_INVALID_ARG_TYPE' });
  await throwsLike(() => rawsys.capset({ effective: ['CAP_NOPE'], permitted: [], inheritable: [] }), { code: 'ERR_INVALID_ARG_VALUE' });
  await throwsLike(() => rawsys.capset({ effective: [64], permitted: [], inheritable: [] }), { code: 'ERR_OUT_OF_RANGE' });
  await throwsLike(() => rawsys.capget('1'), { code: 'ERR_INVALID_ARG_TYPE' });
});

test.run();
