'use strict';
// Seccomp: profiles compiled by the system's libseccomp in this process, and
// loaded by the `seccomp` step of child plans. Every filter is loaded in a
// child (sh, coreutils, or a node child calling rawsys); the test runner is
// never filtered. Children are killed on timeout and always reaped.
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const rawsys = require('..');
const internal = require('../dist/cjs/seccomp.js');
const { throwsLike, syscallError, openFds, assertNoNewFds } = require('./helpers');

const C = rawsys.constants;
const root = path.join(__dirname, '..');
// Removed by an after hook (helpers.tmpdir's exit listener would trip
// MaxListeners once uvu has loaded every file).
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rawsys-seccomp-'));
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The pids of this process's children (every thread's). */
function children() {
  const out = [];
  for (const t of fs.readdirSync('/proc/self/task')) {
    try {
      out.push(...fs.readFileSync(`/proc/self/task/${t}/children`, 'utf8').split(' ').filter(Boolean).map(Number));
    } catch { /* thread gone */ }
  }
  return out.sort((a, b) => a - b);
}

/** Children that were not in `before` (others may have exited meanwhile). */
const newChildren = (before) => children().filter((pid) => !before.includes(pid));

/**
 * Runs a plan (ending in execve) with stdout and stderr on a pipe; resolves
 * [status, output]. The child is killed after `ms` (and the test fails) and
 * always reaped.
 */
async function run(steps, ms = 20000) {
  const [rd, wr] = rawsys.pipe2();
  let child;
  try {
    child = rawsys.fork([{ op: 'dup2', oldfd: wr, newfd: 1 }, { op: 'dup2', oldfd: wr, newfd: 2 }, ...steps]);
  } catch (e) {
    rawsys.close(rd);
    throw e;
  } finally {
    rawsys.close(wr);
  }
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
  }, ms);
  let status;
  try {
    const output = await new Promise((resolve, reject) => {
      let s = '';
      const st = fs.createReadStream(null, { fd: rd, autoClose: true });
      st.on('data', (d) => { s += d; });
      st.on('end', () => resolve(s));
      st.on('error', reject);
    });
    status = await rawsys.promises.waitpid(child.pid);
    assert.not.ok(timedOut, `killed after ${ms} ms: ${JSON.stringify(steps.map((x) => x.argv || x.op)).slice(0, 200)}`);
    return [status, output];
  } finally {
    clearTimeout(timer);
    if (!status) {
      try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
      rawsys.waitpid(child.pid);
    }
    if (child.pidfd !== undefined) rawsys.close(child.pidfd);
  }
}

/** The steps that load `compiled` last before execve, as the docs ask. */
const load = (compiled) => [{ op: 'noNewPrivs' }, { op: 'seccomp', filter: compiled.filter, flags: compiled.flags }];

/** Runs `sh -c cmd` under a compiled filter. */
const sh = (compiled, cmd) => run([...load(compiled), { op: 'execve', path: '/bin/sh', argv: ['sh', '-c', cmd] }]);

/**
 * Runs `body` in a node child under a compiled filter (or none); `rawsys`, `C`
 * and `e(fn)` (fn's result, or its error as 'CODE syscall') are in scope.
 * Resolves with the JSON the body returns.
 */
async function node(compiled, body) {
  const script = `
    const rawsys = require(${JSON.stringify(root)});
    const C = rawsys.constants;
    // ptrace(2) request 2 on a process that is not our tracee: ESRCH from the
    // kernel, and harmless (PTRACE_TRACEME would make the test runner a tracer).
    const PTRACE_PEEKDATA = 2;
    const e = (f) => { try { const r = f(); return typeof r === 'bigint' ? Number(r) : r === undefined ? null : r; } catch (x) { return x.code + ' ' + x.syscall; } };
    const out = (() => { ${body} })();
    process.stdout.write('RESULT ' + JSON.stringify(out) + '\\n');`;
  const [st, output] = await run([...(compiled ? load(compiled) : []),
    { op: 'execve', path: process.execPath, argv: ['node', '-e', script] }]);
  assert.is(st.exitCode, 0, `node child failed: ${JSON.stringify(st)} ${output}`);
  const line = output.split('\n').find((l) => l.startsWith('RESULT '));
  assert.ok(line, output);
  return JSON.parse(line.slice(7));
}

const allowAll = (syscalls) => ({ defaultAction: 'SCMP_ACT_ALLOW', syscalls });

test('compileSeccomp: the default profile compiles in this process, creating no process and leaving no fd', () => {
  assert.ok(rawsys.seccompAvailable(), 'libseccomp.so.2 is installed here (Debian: libseccomp2)');
  const v = rawsys.seccompVersion();
  assert.ok(v.major === 2 && v.minor >= 0, JSON.stringify(v));
  const kids = children();
  const fds = openFds();
  const a = rawsys.compileSeccomp(rawsys.defaultSeccompProfile());
  const b = rawsys.compileSeccomp(rawsys.defaultSeccompProfile());
  assert.equal(newChildren(kids), [], 'no process was created');
  assertNoNewFds(fds, 'compileSeccomp');
  assert.instance(a.filter, Uint8Array);
  assert.ok(a.filter.length > 0 && a.filter.length % 8 === 0, `${a.filter.length} bytes: whole struct sock_filter`);
  assert.ok(a.filter.length / 8 <= C.BPF_MAXINSNS);
  assert.equal(Buffer.from(a.filter), Buffer.from(b.filter), 'deterministic');
  assert.is(a.flags, 0);
  assert.ok(Array.isArray(a.skipped) && a.skipped.every((n) => typeof n === 'string'));
  // Keeping CAP_SYS_ADMIN lifts its denials (Docker's includes/excludes): another, smaller filter.
  const admin = rawsys.compileSeccomp(rawsys.defaultSeccompProfile(), { capabilities: ['CAP_SYS_ADMIN'] });
  assert.not.equal(Buffer.from(admin.filter), Buffer.from(a.filter));
  // A fresh object each call: changing one leaves the next alone.
  const p = rawsys.defaultSeccompProfile();
  p.syscalls[0].names.push('changed');
  assert.not.ok(rawsys.defaultSeccompProfile().syscalls[0].names.includes('changed'));
  JSON.parse(JSON.stringify(rawsys.defaultSeccompProfile())); // plain JSON, for runc or Docker
});

test('seccomp: under the default profile mount, unshare -U and ptrace fail with EPERM; sh, ls and node run', async () => {
  const filter = rawsys.compileSeccomp(rawsys.defaultSeccompProfile());
  const [st, out] = await sh(filter, 'echo ok; ls / >/dev/null && echo ls ok; grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status');
  assert.is(st.exitCode, 0, out);
  assert.match(out, /^ok\nls ok\n/);
  assert.match(out, /NoNewPrivs:\s+1/);
  assert.match(out, /Seccomp:\s+2/, 'filter mode');

  const [u, uout] = await run([...load(filter), { op: 'execve', path: '/usr/bin/unshare', argv: ['unshare', '-U', 'true'] }]);
  assert.is.not(u.exitCode, 0);
  assert.match(uout, /Operation not permitted/);
  const [m, mout] = await run([...load(filter), { op: 'execve', path: '/bin/mount', argv: ['mount', '-t', 'tmpfs', 'none', dir] }]);
  assert.is.not(m.exitCode, 0);
  assert.match(mout, /permission denied|not permitted/i);
  assert.not.ok(fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(dir));

  // The same calls from rawsys in a node child: exact errnos. Node itself
  // starts its threads through clone3 -> ENOSYS -> clone.
  const body = `
    const [rd, wr] = rawsys.pipe2();
    return {
      mount: e(() => rawsys.mount('none', ${JSON.stringify(dir)}, 'tmpfs')),
      ptrace: e(() => rawsys.syscall(C.SYS_ptrace, PTRACE_PEEKDATA, process.pid, 0, 0)),
      unshareUserns: e(() => rawsys.waitpid(rawsys.fork([{ op: 'unshare', flags: C.CLONE_NEWUSER }, { op: 'exit', code: 0 }]).pid).exitCode),
      cloneUserns: e(() => rawsys.waitpid(rawsys.clone(C.CLONE_NEWUSER, [{ op: 'exit', code: 0 }]).pid).exitCode),
      setnsMine: e(() => rawsys.setns(rawsys.open('/proc/self/ns/uts'), C.CLONE_NEWUTS)),
      keyctl: e(() => rawsys.syscall(C.SYS_keyctl, 0)),
      forkPlain: e(() => rawsys.waitpid(rawsys.fork([{ op: 'exit', code: 3 }]).pid).exitCode),
      personality: e(() => rawsys.syscall(C.SYS_personality, 0xffffffff)),
      noRandomize: e(() => rawsys.syscall(C.SYS_personality, C.ADDR_NO_RANDOMIZE)),
      childProcess: require('node:child_process').execFileSync('/bin/echo', ['hi']).toString(),
    };`;
  const r = await node(filter, body);
  assert.equal(r, {
    mount: 'EPERM mount',
    ptrace: 'EPERM ptrace',
    unshareUserns: 'EPERM unshare',
    cloneUserns: 'EPERM clone',
    setnsMine: 'EPERM setns',
    keyctl: 'EPERM keyctl',
    forkPlain: 3,
    personality: 0,
    noRandomize: 'ENOSYS personality',
    childProcess: 'hi\n',
  });
  // Without the filter the same child may: the denials above are the filter's.
  const free = await node(null, `return {
    ptrace: e(() => rawsys.syscall(C.SYS_ptrace, PTRACE_PEEKDATA, process.pid, 0, 0)),
    unshareUserns: e(() => rawsys.waitpid(rawsys.fork([{ op: 'unshare', flags: C.CLONE_NEWUSER }, { op: 'exit', code: 0 }]).pid).exitCode),
  };`);
  assert.equal(free, { ptrace: 'ESRCH ptrace', unshareUserns: 0 });
});

test('seccomp: SCMP_ACT_ERRNO returns the profile\'s errno, given by name or number', async () => {
  const filter = rawsys.compileSeccomp(allowAll([
    { names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 'EXDEV' },
    { names: ['fchmod'], action: 'SCMP_ACT_ERRNO', errno: C.ELOOP },
    { names: ['getpid'], action: 'SCMP_ACT_ERRNO', errnoRet: 0 }, // "succeeds" with 0, never reaching the kernel
  ]));
  const target = path.join(dir, 'errno');
  const r = await node(filter, `return {
    mkdir: e(() => rawsys.mkdir(${JSON.stringify(target)})),
    fchmod: e(() => rawsys.fchmod(0, 0o600)),
    getpid: e(() => rawsys.syscall(C.SYS_getpid)),
  };`);
  assert.equal(r, { mkdir: 'EXDEV mkdir', fchmod: 'ELOOP fchmod', getpid: 0 });
  assert.not.ok(fs.existsSync(target));
  const [st, out] = await sh(filter, `mkdir ${target}`);
  assert.is(st.exitCode, 1);
  assert.match(out, /Invalid cross-device link/);
});

test('seccomp: argument comparisons: personality(0xffffffff) denied, personality(0) allowed; GE, MASKED_EQ, alternatives', async () => {
  const filter = rawsys.compileSeccomp(allowAll([
    { names: ['personality'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 0xffffffff, op: 'SCMP_CMP_EQ' }] },
    { names: ['dup3'], action: 'SCMP_ACT_ERRNO', errnoRet: 'EMFILE', args: [{ index: 1, value: 100, op: 'SCMP_CMP_GE' }] },
    // Same argument twice: either comparison denies (runc's reading).
    {
      names: ['fcntl'], action: 'SCMP_ACT_ERRNO', errnoRet: 'EACCES',
      args: [{ index: 1, value: C.F_DUPFD, op: 'SCMP_CMP_EQ' }, { index: 1, value: C.F_SETPIPE_SZ, op: 'SCMP_CMP_EQ' }],
    },
    // Two arguments: both must hold.
    {
      names: ['kill'], action: 'SCMP_ACT_ERRNO', errnoRet: 'ESRCH',
      args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }, { index: 1, value: 0, op: 'SCMP_CMP_EQ' }],
    },
    { names: ['unshare'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: C.CLONE_NEWUTS, valueTwo: C.CLONE_NEWUTS, op: 'SCMP_CMP_MASKED_EQ' }] },
    { names: ['lseek'], action: 'SCMP_ACT_ERRNO', errnoRet: 'ERANGE', args: [{ index: 1, value: 2n ** 64n - 1n, op: 'SCMP_CMP_EQ' }] },
  ]));
  const r = await node(filter, `
    const [rd, wr] = rawsys.pipe2();
    return {
      query: e(() => rawsys.syscall(C.SYS_personality, 0xffffffff)),
      linux: e(() => rawsys.syscall(C.SYS_personality, 0)),
      dupLow: e(() => rawsys.dup3(rd, 50)) === 50,
      dupHigh: e(() => rawsys.dup3(rd, 150)),
      dupfd: e(() => rawsys.syscall(C.SYS_fcntl, rd, C.F_DUPFD_CLOEXEC, 10)) >= 10,
      dupfdPlain: e(() => rawsys.syscall(C.SYS_fcntl, rd, C.F_DUPFD, 10)),
      pipeSize: e(() => rawsys.syscall(C.SYS_fcntl, rd, C.F_SETPIPE_SZ, 8192)),
      kill1: e(() => rawsys.kill(1, 0)),
      killSelf: e(() => rawsys.kill(process.pid, 0)),
      uts: e(() => rawsys.waitpid(rawsys.fork([{ op: 'unshare', flags: C.CLONE_NEWUTS }, { op: 'exit', code: 0 }]).pid).exitCode),
      ipc: e(() => rawsys.waitpid(rawsys.fork([{ op: 'unshare', flags: C.CLONE_NEWIPC }, { op: 'exit', code: 0 }]).pid).exitCode),
      seekMinus1: e(() => rawsys.syscall(C.SYS_lseek, rd, -1, 0)),
    };`);
  assert.equal(r, {
    query: 'EPERM personality', linux: 0, dupLow: true, dupHigh: 'EMFILE dup3', dupfd: true, dupfdPlain: 'EACCES fcntl',
    pipeSize: 'EACCES fcntl', kill1: 'ESRCH kill', killSelf: null, uts: 'EPERM unshare', ipc: 0, seekMinus1: 'ERANGE lseek',
  });
});

test('seccomp: SCMP_ACT_KILL_PROCESS, SCMP_ACT_KILL and SCMP_ACT_TRAP end the payload with SIGSYS', async () => {
  for (const action of ['SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP']) {
    const filter = rawsys.compileSeccomp(allowAll([{ names: ['mkdir', 'mkdirat'], action }]));
    const target = path.join(dir, `killed-${action}`);
    const [st] = await run([...load(filter), { op: 'execve', path: '/bin/mkdir', argv: ['mkdir', target] }]);
    assert.is(st.signal, 'SIGSYS', `${action}: ${JSON.stringify(st)}`);
    assert.not.ok(fs.existsSync(target), action);
  }
  // A default action of KILL_PROCESS with an allowlist: an unlisted call kills.
  const strict = rawsys.compileSeccomp({
    defaultAction: 'SCMP_ACT_KILL_PROCESS',
    syscalls: [{ names: rawsys.defaultSeccompProfile().syscalls[0].names.filter((n) => n !== 'uname'), action: 'SCMP_ACT_ALLOW' }],
  });
  const [ok] = await sh(strict, 'exit 4');
  assert.is(ok.exitCode, 4, 'sh runs under it');
  const [killed] = await sh(strict, 'exec /bin/uname');
  assert.is(killed.signal, 'SIGSYS', JSON.stringify(killed));
});

test('compileSeccomp: unknown system call names are skipped and reported; the rest of the rule applies', async () => {
  const compiled = rawsys.compileSeccomp(allowAll([
    { names: ['no_such_call', 'mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 'EXDEV' },
    { names: ['another_unknown'], action: 'SCMP_ACT_KILL' },
  ]));
  const expected = ['no_such_call', 'another_unknown'];
  // mkdir exists on x86-64, not on aarch64 (mkdirat only): then it is skipped too.
  const extra = C.SYS_mkdir === undefined ? ['mkdir'] : [];
  assert.equal([...compiled.skipped].sort(), [...expected, ...extra].sort());
  const [st, out] = await sh(compiled, `mkdir ${path.join(dir, 'skipped')}`);
  assert.is(st.exitCode, 1);
  assert.match(out, /Invalid cross-device link/);
});

test('compileSeccomp: a Docker-format profile loads as is: archMap, includes/excludes, comments, legacy name', async () => {
  const goArch = { x64: 'amd64', arm64: 'arm64' }[process.arch];
  const docker = {
    defaultAction: 'SCMP_ACT_ALLOW',
    defaultErrnoRet: undefined,
    archMap: [
      { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
      { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
    ],
    syscalls: [
      { names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: C.EXDEV, comment: 'EXDEV unless CAP_SYS_ADMIN', excludes: { caps: ['CAP_SYS_ADMIN'] } },
      { names: ['rmdir'], action: 'SCMP_ACT_ERRNO', includes: { minKernel: '99.0' }, comment: 'never: no such kernel' },
      { names: ['rmdir'], action: 'SCMP_ACT_ERRNO', excludes: { arches: [goArch] }, comment: 'never on this architecture' },
      { name: 'symlink', action: 'SCMP_ACT_ERRNO', includes: { caps: ['CAP_CHOWN', 'CAP_NET_RAW'], arches: [goArch], minKernel: '3.0' } },
      { names: ['symlinkat'], action: 'SCMP_ACT_ERRNO', includes: { caps: ['CAP_CHOWN', 'CAP_NET_RAW'] } },
    ],
  };
  const strict = rawsys.compileSeccomp(docker);
  const admin = rawsys.compileSeccomp(docker, { capabilities: ['CAP_SYS_ADMIN', 'CHOWN', 'net_raw'] });
  const nativeOnly = rawsys.compileSeccomp({ ...docker, archMap: undefined });
  assert.ok(strict.filter.length > nativeOnly.filter.length, 'the sub-architectures add code');
  const d = path.join(dir, 'docker');
  fs.mkdirSync(path.join(d, 'b'), { recursive: true });
  const cmd = `cd ${d} && mkdir a; rmdir b && echo rmdir ok; ln -s x s && echo ln ok`;
  const [, out1] = await sh(strict, cmd);
  assert.match(out1, /cannot create directory .a.: Invalid cross-device link/);
  assert.match(out1, /rmdir ok/);
  assert.match(out1, /ln ok/, 'symlink rules need capabilities not kept');
  fs.rmSync(path.join(d, 's'));
  fs.mkdirSync(path.join(d, 'b'));
  const [, out2] = await sh(admin, cmd);
  assert.ok(fs.existsSync(path.join(d, 'a')), `CAP_SYS_ADMIN kept: mkdir allowed (${out2})`);
  assert.not.match(out2, /ln ok/, 'both capabilities kept: symlink denied');
  assert.match(out2, /Operation not permitted/);
});

test('seccomp step: SECCOMP_FILTER_FLAG_LOG from the profile reaches seccomp(2)', async () => {
  const compiled = rawsys.compileSeccomp({ ...allowAll([{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_LOG' }]), flags: ['SECCOMP_FILTER_FLAG_LOG'] });
  assert.is(compiled.flags, C.SECCOMP_FILTER_FLAG_LOG);
  const target = path.join(dir, 'logged');
  const [st] = await run([...load(compiled), { op: 'execve', path: '/bin/mkdir', argv: ['mkdir', target] }]);
  assert.is(st.exitCode, 0, 'SCMP_ACT_LOG allows');
  assert.ok(fs.existsSync(target));
});

test('seccomp step: without no_new_privs or CAP_SYS_ADMIN the kernel refuses it: EACCES, syscall seccomp', async () => {
  const compiled = rawsys.compileSeccomp(allowAll([]));
  const err = await syscallError(() => rawsys.fork([
    { op: 'capabilities', keep: [] },
    { op: 'seccomp', filter: compiled.filter },
    { op: 'execve', path: '/bin/true' },
  ]), 'EACCES', 'seccomp');
  assert.match(err.message, /^EACCES: permission denied, seccomp$/);
  // With no_new_privs first the same plan runs.
  const [st] = await run([{ op: 'capabilities', keep: [] }, ...load(compiled), { op: 'execve', path: '/bin/true' }]);
  assert.is(st.exitCode, 0);
});

test('compileSeccomp: bad profiles are refused with Node codes before anything runs', async () => {
  const rule = (r) => allowAll([{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', ...r }]);
  const arg = (a) => rule({ args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ', ...a }] });
  const cases = [
    [null, 'ERR_INVALID_ARG_TYPE'],
    ['{}', 'ERR_INVALID_ARG_TYPE'],
    [{}, 'ERR_INVALID_ARG_TYPE'],
    [{ defaultAction: 'SCMP_ACT_NOPE' }, 'ERR_INVALID_ARG_VALUE'],
    [{ defaultAction: 'SCMP_ACT_NOTIFY' }, 'ERR_INVALID_ARG_VALUE'],
    [{ defaultAction: 'SCMP_ACT_ALLOW', defaultErrnoRet: 1 }, 'ERR_INVALID_ARG_VALUE'],
    [{ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 4096 }, 'ERR_OUT_OF_RANGE'],
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: 'read' }, 'ERR_INVALID_ARG_TYPE'],
    [allowAll([null]), 'ERR_INVALID_ARG_TYPE'],
    [allowAll([{ names: 'read', action: 'SCMP_ACT_ERRNO' }]), 'ERR_INVALID_ARG_TYPE'],
    [allowAll([{ action: 'SCMP_ACT_ERRNO' }]), 'ERR_INVALID_ARG_TYPE'],
    [allowAll([{ names: [], action: 'SCMP_ACT_ERRNO' }]), 'ERR_INVALID_ARG_VALUE'],
    [allowAll([{ names: ['re ad'], action: 'SCMP_ACT_ERRNO' }]), 'ERR_INVALID_ARG_VALUE'],
    [allowAll([{ names: [7], action: 'SCMP_ACT_ERRNO' }]), 'ERR_INVALID_ARG_TYPE'],
    [allowAll([{ names: ['read'] }]), 'ERR_INVALID_ARG_TYPE'],
    [rule({ errnoRet: 'ENOPE' }), 'ERR_INVALID_ARG_VALUE'],
    [rule({ errnoRet: 'eperm' }), 'ERR_INVALID_ARG_VALUE'],
    [rule({ errnoRet: 4096 }), 'ERR_OUT_OF_RANGE'],
    [rule({ errnoRet: -1 }), 'ERR_OUT_OF_RANGE'],
    [rule({ errnoRet: 1.5 }), 'ERR_OUT_OF_RANGE'],
    [rule({ errnoRet: true }), 'ERR_INVALID_ARG_TYPE'],
    [rule({ errnoRet: 'EPERM', errno: 'EACCES' }), 'ERR_INVALID_ARG_VALUE'],
    [allowAll([{ names: ['mkdir'], action: 'SCMP_ACT_KILL', errnoRet: 1 }]), 'ERR_INVALID_ARG_VALUE'],
    [rule({ args: 'x' }), 'ERR_INVALID_ARG_TYPE'],
    [rule({ args: [null] }), 'ERR_INVALID_ARG_TYPE'],
    [arg({ index: 6 }), 'ERR_OUT_OF_RANGE'],
    [arg({ index: -1 }), 'ERR_OUT_OF_RANGE'],
    [arg({ index: '0' }), 'ERR_INVALID_ARG_TYPE'],
    [arg({ op: 'SCMP_CMP_XX' }), 'ERR_INVALID_ARG_VALUE'],
    [arg({ op: undefined }), 'ERR_INVALID_ARG_TYPE'],
    [arg({ value: 1.5 }), 'ERR_OUT_OF_RANGE'],
    [arg({ value: 2 ** 53 }), 'ERR_OUT_OF_RANGE'],
    [arg({ value: 2n ** 64n }), 'ERR_OUT_OF_RANGE'],
    [arg({ value: '1' }), 'ERR_INVALID_ARG_TYPE'],
    [arg({ value: undefined }), 'ERR_INVALID_ARG_TYPE'],
    [arg({ valueTwo: {} }), 'ERR_INVALID_ARG_TYPE'],
    [{ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['x86'] }, 'ERR_INVALID_ARG_VALUE'],
    [{ defaultAction: 'SCMP_ACT_ALLOW', architectures: 'SCMP_ARCH_X86' }, 'ERR_INVALID_ARG_TYPE'],
    [{ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_NOPE'] }, 'ERR_INVALID_ARG_VALUE'],
    [{ defaultAction: 'SCMP_ACT_ALLOW', archMap: [{}] }, 'ERR_INVALID_ARG_TYPE'],
    [{ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_NEW_LISTENER'] }, 'ERR_INVALID_ARG_VALUE'],
    [{ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/seccomp.sock' }, 'ERR_INVALID_ARG_VALUE'],
    [rule({ includes: 'caps' }), 'ERR_INVALID_ARG_TYPE'],
    [rule({ includes: { caps: 'CAP_SYS_ADMIN' } }), 'ERR_INVALID_ARG_TYPE'],
    [rule({ excludes: { minKernel: 'four' } }), 'ERR_INVALID_ARG_VALUE'],
    // libseccomp's own refusal: one condition, two actions.
    [allowAll([
      { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 0, op: 'SCMP_CMP_EQ' }] },
      { names: ['mkdir'], action: 'SCMP_ACT_KILL', args: [{ index: 1, value: 0, op: 'SCMP_CMP_EQ' }] },
    ]), 'ERR_INVALID_ARG_VALUE'],
  ];
  const marker = path.join(dir, 'never');
  const kids = children();
  for (const [profile, code] of cases) {
    const err = await throwsLike(() => rawsys.fork([
      { op: 'seccomp', ...rawsys.compileSeccomp(profile) },
      { op: 'execve', path: '/usr/bin/touch', argv: ['touch', marker] },
    ]), { code }, JSON.stringify(profile, (k, v) => (typeof v === 'bigint' ? `${v}n` : v)));
    assert.ok(err instanceof TypeError || err instanceof RangeError, err.stack);
  }
  const refused = await throwsLike(() => rawsys.compileSeccomp(cases[cases.length - 1][0]), { code: 'ERR_INVALID_ARG_VALUE' });
  assert.match(refused.message, /profile\.syscalls\[1\].*EEXIST/s);
  assert.instance(refused.cause, rawsys.SyscallError);
  assert.is(refused.cause.syscall, 'seccomp_rule_add');
  await throwsLike(() => rawsys.compileSeccomp(allowAll([]), { capabilities: ['CAP_NOPE'] }), { code: 'ERR_INVALID_ARG_VALUE' });
  await throwsLike(() => rawsys.compileSeccomp(allowAll([]), { capabilities: 'CAP_SYS_ADMIN' }), { code: 'ERR_INVALID_ARG_TYPE' });
  await throwsLike(() => rawsys.compileSeccomp(allowAll([]), 7), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.not.ok(fs.existsSync(marker), 'no plan ran');
  assert.equal(newChildren(kids), [], 'no process was created');
});

test('seccomp step: wrong filters and flags are refused before the clone; a filter is copied at fork', async () => {
  const good = rawsys.compileSeccomp(allowAll([])).filter;
  const cases = [
    [{ filter: undefined }, 'ERR_INVALID_ARG_TYPE'],
    [{ filter: 'bpf' }, 'ERR_INVALID_ARG_TYPE'],
    [{ filter: [1, 2, 3] }, 'ERR_INVALID_ARG_TYPE'],
    [{ filter: new Uint8Array(0) }, 'ERR_INVALID_ARG_VALUE'],
    [{ filter: new Uint8Array(7) }, 'ERR_INVALID_ARG_VALUE'],
    [{ filter: new Uint8Array(8 * (C.BPF_MAXINSNS + 1)) }, 'ERR_OUT_OF_RANGE'],
    [{ filter: good, flags: -1 }, 'ERR_OUT_OF_RANGE'],
    [{ filter: good, flags: '1' }, 'ERR_INVALID_ARG_TYPE'],
    [{ filter: good, flags: C.SECCOMP_FILTER_FLAG_SPEC_ALLOW << 1 }, 'ERR_INVALID_ARG_VALUE'],
    [{ filter: good, flags: 0.5 }, 'ERR_OUT_OF_RANGE'],
  ];
  const kids = children();
  for (const [step, code] of cases) {
    await throwsLike(() => rawsys.fork([{ op: 'noNewPrivs' }, { op: 'seccomp', ...step }, { op: 'exit' }]), { code }, String(step.filter));
  }
  assert.equal(newChildren(kids), []);
  // Garbage the kernel cannot verify: EINVAL from seccomp, named so.
  await syscallError(() => rawsys.fork([{ op: 'noNewPrivs' }, { op: 'seccomp', filter: new Uint8Array(8).fill(0xff) }, { op: 'exit' }]),
    'EINVAL', 'seccomp');
  // A DataView or a sub-range works as well as the Buffer compileSeccomp returns.
  const padded = new Uint8Array(good.length + 16);
  padded.set(good, 8);
  const [st] = await run([{ op: 'noNewPrivs' }, { op: 'seccomp', filter: new DataView(padded.buffer, 8, good.length) },
    { op: 'execve', path: '/bin/true' }]);
  assert.is(st.exitCode, 0);
});

test('compileSeccomp: a missing libseccomp is a clear error (install libseccomp2) and nothing runs', async () => {
  const marker = path.join(dir, 'nolib');
  const kids = children();
  const plan = () => rawsys.fork([
    { op: 'noNewPrivs' },
    { op: 'seccomp', ...rawsys.compileSeccomp(rawsys.defaultSeccompProfile()) },
    { op: 'execve', path: '/usr/bin/touch', argv: ['touch', marker] },
  ]);
  try {
    internal.setSeccompLibrary(path.join(dir, 'missing', 'libseccomp.so.2'));
    assert.is(rawsys.seccompAvailable(), false);
    const err = await throwsLike(plan, { code: 'ERR_RAWSYS_NO_LIBSECCOMP' });
    assert.match(err.message, /libseccomp\.so\.2/);
    assert.match(err.message, /apt-get install libseccomp2/);
    assert.match(err.message, /cannot open shared object file/);
    assert.ok(err.stack.split('\n')[1].includes(__filename) || err.stack.includes(__filename), 'stack from the caller');
    await throwsLike(() => rawsys.seccompVersion(), { code: 'ERR_RAWSYS_NO_LIBSECCOMP' });
    // A library that is no libseccomp: the missing function is named.
    internal.setSeccompLibrary('libc.so.6');
    assert.is(rawsys.seccompAvailable(), false);
    const libc = await throwsLike(plan, { code: 'ERR_RAWSYS_NO_LIBSECCOMP' });
    assert.match(libc.message, /undefined symbol seccomp_init/);
  } finally {
    internal.setSeccompLibrary();
  }
  assert.not.ok(fs.existsSync(marker), 'the plan never ran');
  assert.equal(newChildren(kids), [], 'no process was created');
  assert.is(rawsys.seccompAvailable(), true, 'back to libseccomp.so.2');
  await throwsLike(() => internal.setSeccompLibrary(''), { code: 'ERR_INVALID_ARG_VALUE' });
});

test('compileSeccomp: works in a Worker; its handle on libseccomp goes with it', async () => {
  const w = new Worker(`
    const r = require(${JSON.stringify(root)});
    const { parentPort } = require('node:worker_threads');
    parentPort.postMessage(r.compileSeccomp(r.defaultSeccompProfile()).filter.length);
  `, { eval: true });
  const len = await new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
  await w.terminate();
  assert.is(len, rawsys.compileSeccomp(rawsys.defaultSeccompProfile()).filter.length);
});

test.run();
