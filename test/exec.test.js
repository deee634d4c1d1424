'use strict';
// rawsys/exec: Go's os/exec scenarios on the real kernel.
const { test } = require('uvu');
const assert = require('uvu/assert');
const cp = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { PassThrough, Readable } = require('node:stream');
const rawsys = require('..');
const exec = require('../dist/cjs/exec.js');
const { tmpdir, throwsLike, syscallError, openFds, assertNoNewFds, spawnNode, kill } = require('./helpers');

const { command, pipeline, lookPath, Command, ExitError, ProcessState } = exec;
const C = rawsys.constants;
const dir = tmpdir('rawsys-exec-');

/** Kills a whole process group that a test made with setsid, and ignores ESRCH. */
function killGroup(pgid) {
  try { rawsys.kill(-pgid, 'SIGKILL'); } catch { /* gone */ }
}

test('output: ls -l of a directory matches what child_process sees', async () => {
  const d = path.join(dir, 'ls');
  fs.mkdirSync(d);
  for (const f of ['a', 'b b', 'c']) fs.writeFileSync(path.join(d, f), f);
  const out = await command('ls', ['-l', d]).output();
  assert.instance(out, Buffer);
  assert.is(out.toString(), cp.execFileSync('ls', ['-l', d], { encoding: 'utf8' }));
  assert.ok((await command('ls', ['-l', '/tmp']).output('utf8')).startsWith('total '), 'ls -l /tmp');
  assert.is(await command('echo', ['héllo'], { encoding: 'utf8' }).output(), 'héllo\n');
});

test('ExitError: exit code, ProcessState and the tail of stderr', async () => {
  const err = await command('ls', [path.join(dir, 'nonexistent')]).output().catch((e) => e);
  assert.instance(err, ExitError);
  assert.is(err.exitCode, 2);
  assert.is(err.signal, null);
  assert.instance(err.processState, ProcessState);
  assert.is(err.processState.success, false);
  assert.ok(/No such file or directory/.test(err.stderr.toString()), err.stderr.toString());
  assert.ok(err.message.startsWith('Command failed with exit status 2: ls '), err.message);
  // Only the last 32 KiB of a long stderr.
  const big = await command('sh', ['-c', 'head -c 100000 /dev/zero | tr "\\0" x >&2; echo END >&2; exit 3']).output().catch((e) => e);
  assert.is(big.exitCode, 3);
  assert.is(big.stderr.length, 32 * 1024);
  assert.ok(big.stderr.toString().endsWith('xEND\n'));
  // A death by signal.
  const sig = await command('sh', ['-c', 'kill -USR1 $$']).run().catch((e) => e);
  assert.is(sig.signal, 'SIGUSR1');
  assert.is(sig.exitCode, null);
  assert.is(String(sig.processState), 'signal: SIGUSR1');
  // reject: false hands back the state instead.
  const st = await command('sh', ['-c', 'exit 4'], { reject: false }).run();
  assert.equal([st.exitCode, st.success, String(st)], [4, false, 'exit status 4']);
});

test('ProcessState: pid, times and maxRSS from wait4', async () => {
  const c = command('sh', ['-c', 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done']);
  const st = await c.run();
  assert.is(st.pid, c.pid);
  assert.ok(st.success);
  assert.ok(st.userTime + st.systemTime > 0, 'some CPU time');
  assert.ok(st.maxRSS > 0);
  assert.is(c.processState, st);
  assert.is(c.pidfd, undefined, 'the pidfd is closed once waited for');
});

test('combinedOutput: stdout and stderr interleaved in the order they were written', async () => {
  const script = 'i=0; while [ $i -lt 300 ]; do echo "out $i"; echo "err $i" >&2; i=$((i+1)); done';
  const out = await command('sh', ['-c', script]).combinedOutput('utf8');
  const want = [];
  for (let i = 0; i < 300; i++) want.push(`out ${i}`, `err ${i}`);
  assert.is(out, `${want.join('\n')}\n`);
  await throwsLike(() => command('true', [], { stderr: 'inherit' }).combinedOutput(), { code: 'ERR_RAWSYS_STDIO' });
});

test('pipeline: ps | grep | awk | sort -u, all through kernel pipes', async () => {
  const out = await pipeline(
    command('ps', ['-e', '-o', 'comm=']),
    command('grep', ['-v', '^kworker']),
    command('awk', ['{ print $1 }']),
    command('sort', ['-u']),
  ).output('utf8');
  const lines = out.trim().split('\n');
  assert.ok(lines.includes('node'), 'ps saw this node process');
  assert.ok(lines.includes('ps'), 'and itself');
  assert.not.ok(lines.some((l) => l.startsWith('kworker')), 'grep filtered');
  assert.equal(lines, [...new Set(lines)].sort((a, b) => (Buffer.from(a) < Buffer.from(b) ? -1 : 1)), 'sorted and unique');
  // Deterministic data through four programs.
  const counted = await pipeline(command('printf', ['b\\na\\nb\\nc\\nb\\n']), command('sort'), command('uniq', ['-c']), command('sort', ['-rn'])).output('utf8');
  assert.equal(counted.trim().split('\n').map((l) => l.trim()), ['3 b', '1 c', '1 a']);
});

test('pipeline: pipefail reports the leftmost failure; SIGPIPE upstream is not one', async () => {
  const err = await pipeline(command('sh', ['-c', 'echo x; exit 7']), command('cat'), command('sh', ['-c', 'cat >/dev/null; exit 5'])).run().catch((e) => e);
  assert.instance(err, ExitError);
  assert.is(err.index, 0);
  assert.is(err.exitCode, 7);
  const states = await pipeline(command('yes'), command('head', ['-n', '1'])).run();
  assert.is(states[0].signal, 'SIGPIPE');
  assert.ok(states[1].success);
  // A start failure kills and reaps what started, and closes every pipe.
  const before = openFds();
  const bad = await pipeline(command('sleep', ['100']), command('/nonexistent/prog')).run().catch((e) => e);
  assert.is(bad.code, 'ENOENT');
  assert.is(bad.syscall, 'execve');
  assertNoNewFds(before, 'pipeline start failure');
});

test('missing program: ENOENT with syscall execve, before and after PATH lookup', async () => {
  const err = await syscallError(() => command('rawsys-no-such-program').run(), 'ENOENT', 'execve', { path: 'rawsys-no-such-program' });
  assert.is(err.message, "ENOENT: no such file or directory, execve 'rawsys-no-such-program'");
  await syscallError(() => command('/nonexistent/prog').output(), 'ENOENT', 'execve', { path: '/nonexistent/prog' });
  assert.throws(() => command('x').outputSync(), (e) => e.code === 'ENOENT' || e.code === 'ERR_RAWSYS_RELATIVE_PATH');
});

test('lookPath: Go rules, relative PATH entries refused unless asked for', () => {
  assert.is(lookPath('sh'), cp.execFileSync('sh', ['-c', 'command -v sh'], { encoding: 'utf8' }).trim());
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'tool'), '#!/bin/sh\necho tool\n', { mode: 0o755 });
  fs.writeFileSync(path.join(bin, 'data'), 'not executable', { mode: 0o644 });
  assert.is(lookPath('tool', { path: `/nonexistent:${bin}` }), path.join(bin, 'tool'));
  const rel = path.relative(process.cwd(), bin);
  assert.throws(() => lookPath('tool', { path: rel }), (e) => e.code === 'ERR_RAWSYS_RELATIVE_PATH');
  assert.is(lookPath('tool', { path: rel, allowRelativePath: true }), path.join(rel, 'tool'));
  assert.throws(() => lookPath('data', { path: bin }), (e) => e.code === 'EACCES' && e.syscall === 'execve');
  assert.throws(() => lookPath('nothing', { path: bin }), (e) => e.code === 'ENOENT');
  assert.throws(() => lookPath(''), (e) => e.code === 'ERR_INVALID_ARG_VALUE');
  assert.throws(() => lookPath(3), (e) => e.code === 'ERR_INVALID_ARG_TYPE');
});

test('env and PATH: the command\'s env is searched and passed; cwd applies', async () => {
  const bin = path.join(dir, 'bin');
  const out = await command('tool', [], { env: { PATH: bin } }).output('utf8');
  assert.is(out, 'tool\n');
  assert.is(await command('/usr/bin/env', [], { env: ['A=1', 'B=two'] }).output('utf8'), 'A=1\nB=two\n');
  assert.is(await command('pwd', [], { cwd: bin }).output('utf8'), `${bin}\n`);
  await syscallError(() => command('pwd', [], { cwd: path.join(dir, 'nope') }).run(), 'ENOENT', 'chdir', { path: path.join(dir, 'nope') });
  assert.is(await command('sh', ['-c', 'echo $0'], { argv0: 'custom-name' }).output('utf8'), 'custom-name\n');
});

test('env: absent means the environment as process.env has it now, in the main thread and in a Worker', async () => {
  process.env.RAWSYS_EXEC_PROBE = 'set at run time';
  try {
    assert.is(await command('sh', ['-c', 'echo "$RAWSYS_EXEC_PROBE"']).output('utf8'), 'set at run time\n');
    delete process.env.RAWSYS_EXEC_PROBE;
    assert.is(await command('sh', ['-c', 'echo "[$RAWSYS_EXEC_PROBE]"']).output('utf8'), '[]\n');
    const { Worker } = require('node:worker_threads');
    const w = new Worker(`
      const { parentPort } = require('node:worker_threads');
      process.env.RAWSYS_WORKER_ONLY = 'worker copy';
      require(${JSON.stringify(path.join(__dirname, '..', 'dist', 'cjs', 'exec.js'))})
        .command('sh', ['-c', 'echo "$RAWSYS_WORKER_ONLY"']).output('utf8').then((o) => parentPort.postMessage(o));
    `, { eval: true });
    const out = await new Promise((res, rej) => { w.once('message', res); w.once('error', rej); });
    await w.terminate();
    assert.is(out, 'worker copy\n', "a Worker's own process.env");
  } finally {
    delete process.env.RAWSYS_EXEC_PROBE;
  }
});

test('stdio: strings, buffers, streams, fds, O_APPEND files, 2>&1, pipes', async () => {
  assert.is(await command('cat', [], { stdin: 'text in' }).output('utf8'), 'text in');
  const big = Buffer.alloc(1 << 20, 'z');
  assert.equal(await command('cat', [], { stdin: big }).output(), big, '1 MiB through stdin');
  assert.is(await command('cat', [], { stdin: Readable.from(['a', 'b', 'c']) }).output('utf8'), 'abc');
  const log = path.join(dir, 'append.log');
  fs.writeFileSync(log, 'first\n');
  const fd = rawsys.open(log, C.O_WRONLY | C.O_APPEND);
  await command('sh', ['-c', 'echo out; echo err >&2'], { stdout: fd, stderr: 'stdout' }).run();
  rawsys.close(fd);
  assert.is(fs.readFileSync(log, 'utf8'), 'first\nout\nerr\n', '>> and 2>&1');
  const sink = new PassThrough();
  let got = '';
  sink.on('data', (d) => { got += d; });
  await command('echo', ['to a stream'], { stdout: sink }).run();
  assert.is(got, 'to a stream\n');
  // Pipes as Node streams, Go's StdinPipe/StdoutPipe.
  const c = command('tr', ['a-z', 'A-Z']);
  const w = c.stdinPipe();
  const r = c.stdoutPipe();
  let upper = '';
  r.on('data', (d) => { upper += d; });
  const ended = new Promise((res) => r.on('end', res));
  await c.start();
  w.end('shout');
  await c.wait();
  await ended;
  assert.is(upper, 'SHOUT');
  // stdout: 'pipe' gives cmd.stdout after start.
  const p = command('echo', ['piped'], { stdout: 'pipe' });
  await p.start();
  let pd = '';
  p.stdout.on('data', (d) => { pd += d; });
  await new Promise((res) => p.stdout.on('end', res));
  await p.wait();
  assert.is(pd, 'piped\n');
  // Another Command's output as stdin.
  const producer = command('printf', ['one\\ntwo\\n']);
  const consumer = command('wc', ['-l'], { stdin: producer });
  await producer.start();
  const count = consumer.output('utf8');
  await producer.wait();
  assert.is((await count).trim(), '2');
});

test('extraFiles: mapped to 3, 4, … in order, even when the numbers collide', async () => {
  const [r1, w1] = rawsys.pipe2();
  const [r2, w2] = rawsys.pipe2();
  rawsys.write(w1, 'one');
  rawsys.write(w2, 'two');
  rawsys.close(w1);
  rawsys.close(w2);
  // r2 first, then r1: child fd 3 reads "two", fd 4 reads "one".
  const out = await command('sh', ['-c', 'cat <&3; echo; cat <&4'], { extraFiles: [r2, r1] }).output('utf8');
  assert.is(out, 'two\none');
  rawsys.close(r1);
  rawsys.close(r2);
});

test('no descriptor of the parent leaks into the child, close-on-exec or not', async () => {
  const leaky = rawsys.open('/dev/null', C.O_RDONLY);
  rawsys.fcntl(leaky, C.F_SETFD, 0); // deliberately inheritable
  const high = rawsys.dup2(leaky, 200);
  rawsys.fcntl(high, C.F_SETFD, 0);
  const before = openFds();
  const fds = (await command('ls', ['/proc/self/fd']).output('utf8')).trim().split('\n').map(Number);
  assert.equal(fds, [0, 1, 2, 3], 'only stdio and ls\'s own directory fd');
  assertNoNewFds(before, 'after a run');
  rawsys.close(leaky);
  rawsys.close(high);
  // Nor do the parent's pipes of other, concurrent commands.
  const cmds = Array.from({ length: 20 }, () => command('ls', ['/proc/self/fd']).output('utf8'));
  for (const o of await Promise.all(cmds)) assert.equal(o.trim().split('\n').map(Number), [0, 1, 2, 3]);
});

test('sys: new pid, uts and mount namespaces: pid 1 with its own hostname', async () => {
  const out = await command('sh', ['-c', 'echo $$; hostname; cat /proc/self/uid_map | wc -l'], {
    sys: { cloneFlags: C.CLONE_NEWPID | C.CLONE_NEWUTS | C.CLONE_NEWNS, hostname: 'rawsys-box' },
  }).output('utf8');
  assert.equal(out.trim().split('\n'), ['1', 'rawsys-box', '1']);
  assert.is.not(rawsys.gethostname(), 'rawsys-box');
  await throwsLike(() => command('true', [], { sys: { hostname: 'x' } }), { code: 'ERR_INVALID_ARG_VALUE' });
});

test('sys: uid 0 in a user namespace is an unprivileged uid outside', async () => {
  const c = command('sh', ['-c', 'id -u; id -g; cat /proc/self/uid_map; read x'], {
    stdin: 'pipe',
    stdout: 'pipe',
    sys: {
      cloneFlags: C.CLONE_NEWUSER,
      uidMappings: [{ containerId: 0, hostId: 100000, size: 1 }],
      gidMappings: [{ containerId: 0, hostId: 100000, size: 1 }],
      credential: { uid: 0, gid: 0 },
    },
  });
  await c.start();
  try {
    let out = '';
    c.stdout.on('data', (d) => { out += d; });
    while (out.split('\n').length < 4) await new Promise((r) => setTimeout(r, 5));
    const lines = out.split('\n');
    assert.equal(lines.slice(0, 2), ['0', '0'], 'root inside');
    assert.equal(lines[2].trim().split(/\s+/), ['0', '100000', '1']);
    const status = fs.readFileSync(`/proc/${c.pid}/status`, 'utf8');
    assert.ok(/^Uid:\t100000\t100000\t100000\t100000$/m.test(status), 'uid 100000 from outside');
    assert.ok(/^Gid:\t100000\t/m.test(status));
  } finally {
    c.stdin.end('\n');
    await c.wait();
  }
});

test('sys: capabilities and no_new_privs show in /proc/self/status of the child', async () => {
  const status = (text, name) => BigInt(`0x${new RegExp(`^${name}:\\s+([0-9a-f]+)$`, 'm').exec(text)[1]}`);
  const keep = ['CAP_CHOWN', 'CAP_NET_BIND_SERVICE'];
  const mask = (1n << BigInt(C.CAP_CHOWN)) | (1n << BigInt(C.CAP_NET_BIND_SERVICE));
  const root = await command('cat', ['/proc/self/status'], { sys: { capabilities: { keep }, noNewPrivs: true } }).output('utf8');
  assert.is(status(root, 'CapEff'), mask);
  assert.is(status(root, 'CapPrm'), mask);
  assert.is(status(root, 'CapBnd'), mask);
  assert.ok(/^NoNewPrivs:\t1$/m.test(root));
  // A non-root user keeps an ambient capability across exec.
  const user = await command('cat', ['/proc/self/status'], {
    sys: { credential: { uid: 1000, gid: 1000 }, capabilities: { keep: ['CAP_NET_BIND_SERVICE'], ambient: ['CAP_NET_BIND_SERVICE'] } },
  }).output('utf8');
  const nbs = 1n << BigInt(C.CAP_NET_BIND_SERVICE);
  assert.ok(/^Uid:\t1000\t/m.test(user));
  assert.is(status(user, 'CapAmb'), nbs);
  assert.is(status(user, 'CapEff'), nbs);
  assert.is(status(user, 'CapBnd'), nbs);
  assert.ok(/^NoNewPrivs:\t0$/m.test(user));
  await throwsLike(() => command('true', [], { sys: { capabilities: { keep: [], ambient: ['CAP_CHOWN'] } } }), { code: 'ERR_INVALID_ARG_VALUE' });
  await throwsLike(() => command('true', [], { sys: { capabilities: { keep: ['CAP_NOPE'] } } }), { code: 'ERR_INVALID_ARG_VALUE' });
});

test('sys: credential with groups, rlimits, setsid', async () => {
  const out = await command('sh', ['-c', 'id -u; id -g; id -G; ulimit -n; ps -o sid= -p $$'], {
    sys: { credential: { uid: 1234, gid: 2345, groups: [3456, 4567] }, rlimits: { NOFILE: 123 }, setsid: true },
  }).output('utf8');
  const [uid, gid, groups, nofile, sid] = out.trim().split('\n').map((s) => s.trim());
  assert.equal([uid, gid, nofile], ['1234', '2345', '123']);
  assert.equal(groups.split(' ').sort(), ['2345', '3456', '4567']);
  assert.is.not(Number(sid), process.pid);
  await syscallError(() => command('true', [], { sys: { rlimits: { NOFILE: { soft: 10, hard: 2 ** 40 } } } }).run(), 'EPERM', 'setrlimit');
});

test('sys: chroot into a directory holding a shell and its libraries', async () => {
  const root = path.join(dir, 'root');
  const sh = fs.realpathSync('/bin/sh');
  const libs = cp.execFileSync('ldd', [sh], { encoding: 'utf8' }).match(/\/[^\s]+/g) ?? [];
  for (const f of [sh, ...libs]) {
    const to = path.join(root, f);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(f, to);
    fs.chmodSync(to, 0o755);
  }
  fs.mkdirSync(path.join(root, 'inside'));
  const out = await command(sh, ['-c', 'echo *; cd inside && pwd'], { sys: { chroot: root } }).output('utf8');
  assert.ok(out.split('\n')[0].split(' ').includes('inside'), out);
  assert.is(out.split('\n')[1], '/inside');
});

test('sys: cgroup v1 and v2 directories beneath our own are joined before exec', async () => {
  const own = Object.fromEntries(fs.readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n').map((l) => {
    const [, ctrl, p] = /^\d+:([^:]*):(.*)$/.exec(l);
    return [ctrl, p];
  }));
  const made = [];
  try {
    const list = [];
    if (own.pids !== undefined && fs.existsSync('/sys/fs/cgroup/pids')) {
      const d = path.join('/sys/fs/cgroup/pids', own.pids, `rawsys-exec-${process.pid}`);
      fs.mkdirSync(d);
      made.push(d);
      list.push(d);
    }
    const v2root = fs.existsSync('/sys/fs/cgroup/unified') ? '/sys/fs/cgroup/unified' : '/sys/fs/cgroup';
    if (own[''] !== undefined && fs.existsSync(path.join(v2root, 'cgroup.procs'))) {
      const d = path.join(v2root, own[''], `rawsys-exec-${process.pid}`);
      fs.mkdirSync(d);
      made.push(d);
      list.push(d);
    }
    assert.ok(list.length > 0, 'some cgroup hierarchy to test with');
    const out = await command('cat', ['/proc/self/cgroup'], { sys: { cgroup: list } }).output('utf8');
    for (const d of list) {
      const rel = d.includes('/pids/') ? d.slice('/sys/fs/cgroup/pids'.length) : d.slice(v2root.length);
      assert.ok(out.split('\n').some((l) => l.endsWith(`:${rel}`)), `${rel} in\n${out}`);
    }
  } finally {
    for (const d of made.reverse()) fs.rmdirSync(d);
  }
});

test('sys: seccomp (default profile) and Landlock confine the child', async () => {
  const { defaultSeccompProfile, compileSeccomp } = rawsys;
  const profile = defaultSeccompProfile();
  assert.is(await command('sh', ['-c', 'echo ok'], { sys: { seccomp: profile } }).output('utf8'), 'ok\n');
  const denied = await command('unshare', ['-U', 'true'], { sys: { seccomp: profile } }).output().catch((e) => e);
  assert.instance(denied, ExitError);
  assert.match(String(denied.stderr), /Operation not permitted/);
  const status = await command('cat', ['/proc/self/status'], { sys: { seccomp: compileSeccomp(profile) } }).output('utf8');
  assert.match(status, /^Seccomp:\t2$/m);
  assert.match(status, /^NoNewPrivs:\t1$/m, 'implied');
  const d = path.join(dir, 'landlocked');
  fs.mkdirSync(d);
  const ll = { execute: ['/usr', '/bin', '/lib', '/lib64'].filter((p) => fs.existsSync(p)), read: ['/etc'], write: [d, '/dev/null'] };
  const out = await command('sh', ['-c', `echo in > ${d}/f && cat ${d}/f; echo out > ${dir}/escaped; echo $?`], { sys: { landlock: ll } }).combinedOutput('utf8');
  assert.match(out, /^in\n/);
  assert.match(out, /Permission denied/);
  assert.not.ok(fs.existsSync(path.join(dir, 'escaped')));
  await throwsLike(() => command('true', [], { sys: { seccomp: { defaultAction: 'SCMP_ACT_NOPE', syscalls: [] } } }), { code: 'ERR_INVALID_ARG_VALUE' });
  await throwsLike(() => command('true', [], { sys: { landlock: 5 } }), { code: 'ERR_INVALID_ARG_TYPE' });
});

test('sys: a Cgroup of rawsys\'s, in every hierarchy, before exec; its limits apply', async () => {
  const cg = rawsys.Cgroup.create({ resources: { pids: 5 } });
  try {
    const out = await command('sh', ['-c', 'cat /proc/self/cgroup; for i in 1 2 3 4 5 6 7 8; do sleep 0.2 & done 2>&1; wait'], { sys: { cgroup: cg }, reject: false }).combinedOutput('utf8');
    for (const p of [...Object.values(cg.paths.v1), cg.paths.v2].filter(Boolean)) {
      const rel = p.replace(/^\/sys\/fs\/cgroup\/(unified|[^/]+)/, '');
      assert.ok(out.includes(`:${rel}\n`), `${rel} in ${out}`);
    }
    assert.match(out, /can't fork|Resource temporarily unavailable|Cannot fork/i, 'the pids limit held');
  } finally {
    await cg.destroy();
  }
});

test('cancellation: AbortSignal and timeout kill sleep 100', async () => {
  const ac = new AbortController();
  const c = command('sleep', ['100'], { signal: ac.signal });
  await c.start();
  setTimeout(() => ac.abort(new Error('enough')), 50);
  const err = await c.wait().catch((e) => e);
  assert.is(err.name, 'AbortError');
  assert.is(err.cause.message, 'enough');
  assert.is(c.processState.signal, 'SIGTERM');
  const t = await command('sleep', ['100'], { timeout: 50, killSignal: 'SIGINT' }).run().catch((e) => e);
  assert.instance(t, ExitError);
  assert.ok(t.timedOut);
  assert.is(t.signal, 'SIGINT');
  // Already aborted: nothing starts.
  await throwsLike(() => command('sleep', ['100'], { signal: AbortSignal.abort() }).run(), { name: 'AbortError' });
});

test('waitDelay: a grandchild holding the pipe open does not hang output()', async () => {
  const c = command('sh', ['-c', 'sleep 100 & echo started; sleep 100'], { timeout: 100, waitDelay: 100, sys: { setsid: true } });
  try {
    const err = await c.output().catch((e) => e);
    assert.instance(err, ExitError);
    assert.ok(err.timedOut);
    assert.is(err.stdout.toString(), 'started\n');
  } finally {
    killGroup(c.pid);
  }
  // A command that exits at once while its grandchild keeps stdout: ERR_RAWSYS_WAIT_DELAY.
  const d = command('sh', ['-c', 'sleep 100 & echo bye'], { waitDelay: 50, sys: { setsid: true } });
  try {
    const e2 = await d.output().catch((e) => e);
    assert.is(e2.code, 'ERR_RAWSYS_WAIT_DELAY');
    assert.ok(d.processState.success);
  } finally {
    killGroup(d.pid);
  }
});

test('kill: through the pidfd; false once the command has exited', async () => {
  const c = command('sleep', ['100']);
  await c.start();
  assert.ok(c.pidfd > 2);
  assert.ok(c.kill('SIGTERM'));
  const st = await c.run.call({ start() {}, wait: () => c.wait() }).catch((e) => e);
  assert.is(st.signal, 'SIGTERM');
  assert.is(c.kill(), false);
  assert.throws(() => command('true').kill(), (e) => e.code === 'ERR_RAWSYS_NOT_STARTED');
  await throwsLike(() => c.start(), { code: 'ERR_RAWSYS_ALREADY_STARTED' });
  await throwsLike(() => command('true').wait(), { code: 'ERR_RAWSYS_NOT_STARTED' });
});

test('pdeathsig: the child dies when the spawning process goes', async () => {
  const h = await spawnNode(`
    const { command } = require('./dist/cjs/exec.js');
    const c = command('sleep', ['100'], { sys: { pdeathsig: 'SIGKILL' } });
    c.start().then(() => { console.log(c.pid); console.log('ready'); });
  `);
  const pid = Number(h.lines[0]);
  await kill(h);
  let alive = true;
  for (let i = 0; i < 200 && alive; i++) {
    try {
      const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      alive = !/^\d+ \([^)]*\) [ZX]/.test(st) && st.includes('(sleep)');
    } catch {
      alive = false;
    }
    if (alive) await new Promise((r) => setTimeout(r, 10));
  }
  if (alive) rawsys.kill(pid, 'SIGKILL');
  assert.not.ok(alive, 'sleep died with its parent');
});

test('outputSync and runSync: the synchronous forms', () => {
  assert.is(command('echo', ['sync']).outputSync('utf8'), 'sync\n');
  assert.is(command('cat', [], { stdin: 'memfd stdin' }).outputSync().toString(), 'memfd stdin');
  const big = command('sh', ['-c', 'head -c 300000 /dev/zero; head -c 300000 /dev/zero >&2']).outputSync();
  assert.is(big.length, 300000, 'no deadlock on full pipes: memory files');
  const err = (() => { try { command('sh', ['-c', 'echo bad >&2; exit 9']).outputSync(); } catch (e) { return e; } })();
  assert.instance(err, ExitError);
  assert.is(err.exitCode, 9);
  assert.is(err.stderr.toString(), 'bad\n');
  const t = (() => { try { command('sleep', ['100'], { timeout: 50 }).outputSync(); } catch (e) { return e; } })();
  assert.ok(t.timedOut);
  assert.is(t.signal, 'SIGTERM');
  const st = command('sh', ['-c', 'exit 3'], { reject: false }).runSync();
  assert.is(st.exitCode, 3);
  assert.throws(() => command('cat', [], { stdin: Readable.from(['x']) }).outputSync(), (e) => e.code === 'ERR_INVALID_ARG_VALUE');
});

test('maxBuffer: a flood stops at the limit and the child is killed', async () => {
  const err = await command('yes', [], { maxBuffer: 100000 }).output().catch((e) => e);
  assert.is(err.code, 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER');
  assert.ok(err.processState.signal, 'killed');
});

test('bad options are refused at construction, before anything runs', async () => {
  const bad = [
    [{ cwd: 5 }, 'ERR_INVALID_ARG_TYPE'],
    [{ env: 5 }, 'ERR_INVALID_ARG_TYPE'],
    [{ stdin: {} }, 'ERR_INVALID_ARG_VALUE'],
    [{ stdout: 'file' }, 'ERR_INVALID_ARG_VALUE'],
    [{ stderr: -1 }, 'ERR_OUT_OF_RANGE'],
    [{ extraFiles: ['x'] }, 'ERR_INVALID_ARG_TYPE'],
    [{ timeout: 'x' }, 'ERR_INVALID_ARG_TYPE'],
    [{ killSignal: 'SIGNOPE' }, 'ERR_INVALID_ARG_VALUE'],
    [{ signal: {} }, 'ERR_INVALID_ARG_TYPE'],
    [{ encoding: 'klingon' }, 'ERR_INVALID_ARG_VALUE'],
    [{ sys: { cloneFlags: C.CLONE_VM } }, 'ERR_INVALID_ARG_VALUE'],
    [{ sys: { credential: { uid: -5, gid: 0 } } }, 'ERR_OUT_OF_RANGE'],
    [{ sys: { rlimits: { NOPE: 1 } } }, 'ERR_INVALID_ARG_VALUE'],
    [{ sys: { pdeathsig: 'SIGWHAT' } }, 'ERR_INVALID_ARG_VALUE'],
    [{ sys: { uidMappings: [{ containerId: 0, hostId: 1, size: 1 }] } }, 'ERR_INVALID_ARG_VALUE'],
  ];
  for (const [opts, code] of bad) {
    await throwsLike(() => command('true', [], opts), { code }, JSON.stringify(opts));
  }
  await throwsLike(() => command(5), { code: 'ERR_INVALID_ARG_TYPE' });
  await throwsLike(() => command('true', 'x'), { code: 'ERR_INVALID_ARG_TYPE' });
  await throwsLike(() => pipeline(command('true'), 'x'), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.instance(new Command('true'), Command);
});

test('500 concurrent run() complete while the event loop stays responsive', async () => {
  let ticks = 0;
  let worst = 0;
  let last = Date.now();
  const iv = setInterval(() => {
    const now = Date.now();
    worst = Math.max(worst, now - last);
    last = now;
    ticks++;
  }, 5);
  const before = openFds();
  try {
    const states = await Promise.all(Array.from({ length: 500 }, () => command('true').run()));
    assert.is(states.length, 500);
    assert.ok(states.every((s) => s.success));
    assert.is(new Set(states.map((s) => s.pid)).size, 500);
  } finally {
    clearInterval(iv);
  }
  assert.ok(ticks > 0, 'timers ran during the spawns');
  assert.ok(worst < 1000, `the event loop was blocked for ${worst} ms`);
  assertNoNewFds(before, '500 runs');
});

test.run();
