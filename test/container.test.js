'use strict';
// rawsys/container on the real kernel, in a rootfs built here from the host's
// static busybox (Debian's busybox-static, which .ci/run installs): the init
// as PID 1, isolation (pid, uts, net, mount, cgroup namespaces), a read-only
// root, cgroup limits (OOM kill, pids, CPU quota), the sandbox (seccomp,
// capabilities, no_new_privs, Landlock), signals and orphans, stdio, bad
// specs, and cleanup: no cgroup, mount, temp dir or process left after a
// success, a failure or a kill. Every container is destroyed in a finally.
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { PassThrough } = require('node:stream');
const rawsys = require('..');
const container = require('../dist/cjs/container');
const { cgroupLayout, cgroupDirs } = require('../dist/cjs/cgroup');
const { tmpdir, throwsLike, timeout } = require('./helpers');

const C = rawsys.constants;
const { create, run, DEFAULT_CAPABILITIES } = container;

// ---------------------------------------------------------------------------
// The rootfs

const BUSYBOX = '/bin/busybox';
const APPLETS = [
  'sh', 'ps', 'ls', 'cat', 'hostname', 'mount', 'unshare', 'sleep', 'id', 'touch', 'echo', 'kill', 'ip', 'dd', 'head',
  'tr', 'grep', 'true', 'false', 'mkdir', 'wc',
];

/** True when the ELF image has no PT_INTERP program header (a static executable). */
function isStaticElf(buf) {
  if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2) return false;
  const phoff = Number(buf.readBigUInt64LE(32));
  const phentsize = buf.readUInt16LE(54);
  const phnum = buf.readUInt16LE(56);
  for (let i = 0; i < phnum; i++) {
    if (buf.readUInt32LE(phoff + i * phentsize) === 3 /* PT_INTERP */) return false;
  }
  return true;
}

/**
 * A static executable of a few hundred bytes that makes one system call,
 * syscall(nr, ...args), and exits with its errno (0 on success): a real
 * ptrace(2), mount(2) or unshare(2) where busybox has no applet or reports
 * no errno. String arguments are stored in the image, NUL-terminated.
 * x86-64 and arm64, a single PT_LOAD segment at 0x400000.
 */
function syscallProbe(nr, args) {
  const base = 0x400000n;
  const headers = 64 + 56;
  const arch = process.arch;
  if (arch !== 'x64' && arch !== 'arm64') throw new Error(`syscallProbe: no machine code for ${arch} (x64 and arm64 only)`);
  const codeLen = arch === 'x64' ? 7 * 10 + 15 : 4 * (7 * 4 + 4);
  let at = headers + codeLen;
  const strings = [];
  const vals = args.map((a) => {
    if (typeof a !== 'string') return BigInt.asUintN(64, BigInt(a));
    const b = Buffer.from(`${a}\0`);
    strings.push(b);
    at += b.length;
    return base + BigInt(at - b.length);
  });
  while (vals.length < 6) vals.push(0n);
  const code = [];
  if (arch === 'x64') {
    const movabs = (rex, op, v) => {
      const b = Buffer.alloc(10);
      b[0] = rex;
      b[1] = op;
      b.writeBigUInt64LE(v, 2);
      code.push(b);
    };
    movabs(0x48, 0xb8, BigInt(nr)); // rax
    [[0x48, 0xbf], [0x48, 0xbe], [0x48, 0xba], [0x49, 0xba], [0x49, 0xb8], [0x49, 0xb9]] // rdi rsi rdx r10 r8 r9
      .forEach(([rex, op], i) => movabs(rex, op, vals[i]));
    // syscall; mov rdi, rax; neg rdi; mov eax, SYS_exit; syscall
    code.push(Buffer.from([0x0f, 0x05, 0x48, 0x89, 0xc7, 0x48, 0xf7, 0xdf, 0xb8, C.SYS_exit, 0, 0, 0, 0x0f, 0x05]));
  } else {
    const ins = (w) => {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(w >>> 0);
      code.push(b);
    };
    // movz/movk x<rd>, #v[16*hw..], lsl #16*hw
    const mov64 = (rd, v) => {
      for (let hw = 0; hw < 4; hw++) ins((hw === 0 ? 0xd2800000 : 0xf2800000) | (hw << 21) | (Number((v >> BigInt(16 * hw)) & 0xffffn) << 5) | rd);
    };
    mov64(8, BigInt(nr));
    for (let r = 0; r < 6; r++) mov64(r, vals[r]);
    ins(0xd4000001); // svc #0
    ins(0xcb0003e0); // neg x0, x0
    ins(0xd2800008 | (C.SYS_exit << 5)); // movz x8, #SYS_exit
    ins(0xd4000001); // svc #0
  }
  const body = Buffer.concat([...code, ...strings]);
  assert.is(Buffer.concat(code).length, codeLen, 'syscallProbe: code length');
  const size = BigInt(headers + body.length);
  const h = Buffer.alloc(headers);
  h.set([0x7f, 0x45, 0x4c, 0x46, 2 /* 64-bit */, 1 /* LE */, 1 /* version */], 0);
  h.writeUInt16LE(2, 16); // ET_EXEC
  h.writeUInt16LE(arch === 'x64' ? 62 : 183, 18); // EM_X86_64, EM_AARCH64
  h.writeUInt32LE(1, 20);
  h.writeBigUInt64LE(base + BigInt(headers), 24); // entry: the code after the headers
  h.writeBigUInt64LE(64n, 32); // phoff
  h.writeUInt16LE(64, 52); // ehsize
  h.writeUInt16LE(56, 54); // phentsize
  h.writeUInt16LE(1, 56); // phnum
  h.writeUInt32LE(1, 64); // PT_LOAD
  h.writeUInt32LE(5, 68); // PF_R | PF_X
  h.writeBigUInt64LE(base, 80); // vaddr
  h.writeBigUInt64LE(base, 88); // paddr
  h.writeBigUInt64LE(size, 96); // filesz
  h.writeBigUInt64LE(size, 104); // memsz
  h.writeBigUInt64LE(0x1000n, 112); // align
  return Buffer.concat([h, body]);
}

// PTRACE_TRACEME is request 0 on every architecture (uapi linux/ptrace.h); not in the constants list.
const PTRACE_TRACEME = 0;

let rootfsDir;
/** The rootfs: busybox and its applets in /bin, the probes, /etc/motd, an empty /data. Made once. */
function rootfs() {
  if (rootfsDir) return rootfsDir;
  if (!fs.existsSync(BUSYBOX)) {
    throw new Error(`container tests need the static ${BUSYBOX} (Debian package busybox-static, installed by .ci/run): apt-get install busybox-static`);
  }
  const image = fs.readFileSync(BUSYBOX);
  if (!isStaticElf(image)) {
    throw new Error(`${BUSYBOX} is dynamically linked (Debian's busybox, not busybox-static): the container tests need the static one: apt-get install busybox-static`);
  }
  const dir = tmpdir('rawsys-ctr-rootfs-');
  fs.chmodSync(dir, 0o755);
  for (const d of ['bin', 'etc', 'data']) fs.mkdirSync(path.join(dir, d));
  fs.writeFileSync(path.join(dir, 'bin/busybox'), image, { mode: 0o755 });
  for (const a of APPLETS) fs.symlinkSync('busybox', path.join(dir, 'bin', a));
  const probe = (name, nr, args) => fs.writeFileSync(path.join(dir, 'bin', name), syscallProbe(nr, args), { mode: 0o755 });
  probe('ptrace-traceme', C.SYS_ptrace, [PTRACE_TRACEME, 0, 0, 0]);
  probe('unshare-user', C.SYS_unshare, [C.CLONE_NEWUSER]);
  // A target that does not exist: without seccomp the kernel looks it up
  // before it checks CAP_SYS_ADMIN (ENOENT); seccomp answers first (EPERM).
  probe('mount-tmpfs', C.SYS_mount, ['none', '/no-such-dir', 'tmpfs', 0, 0]);
  fs.writeFileSync(path.join(dir, 'etc/motd'), 'hello from the rootfs\n');
  rootfsDir = dir;
  return dir;
}

// ---------------------------------------------------------------------------
// Helpers

/** A Writable collecting what is written into it; `.text()` is the text so far. */
function sink() {
  const s = new PassThrough();
  const chunks = [];
  s.on('data', (d) => chunks.push(d));
  s.text = () => Buffer.concat(chunks).toString();
  return s;
}

/** Runs `sh -c script` in the busybox rootfs; resolves with { exit, out } (stdout and stderr together). */
async function sh(script, spec = {}) {
  const out = sink();
  const exit = await run({ rootfs: rootfs(), command: ['sh', '-c', script], stdout: out, stderr: 'stdout', ...spec });
  return { exit, out: out.text() };
}

/** Polls fn until it returns truthy, at most ms. */
async function until(fn, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** This process's cgroup directory in every hierarchy. */
function ownCgroupDirs() {
  const d = cgroupDirs(cgroupLayout(), fs.readFileSync('/proc/self/cgroup', 'utf8'));
  return [...new Set([d.v2, ...Object.values(d.v1)].filter(Boolean))];
}

/**
 * What a container could leave behind: cgroups beneath ours (made by this
 * process: other processes' may come and go in a shared parent such as
 * the root), temp roots, our children, mounts of `dir`.
 */
function snapshot(dir) {
  const cgroups = ownCgroupDirs().flatMap((p) => fs.readdirSync(p, { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name.startsWith(`rawsys-${process.pid}-`)).map((e) => `${p}/${e.name}`));
  const tmp = fs.readdirSync(PRIVATE_TMP).filter((n) => n.startsWith('rawsys-root-'));
  const children = fs.readFileSync(`/proc/self/task/${process.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => dir && l.includes(dir));
  return { cgroups: cgroups.sort(), tmp: tmp.sort(), children: children.sort(), mounts };
}

/** Asserts that a destroyed container left nothing: its cgroup in every hierarchy, its processes, mounts of its root. */
function assertGone(c, hostPids, what) {
  const dirs = [c.cgroup.paths.v2, ...Object.values(c.cgroup.paths.v1)].filter(Boolean);
  assert.ok(dirs.length > 0, `${what}: the container had cgroup directories`);
  for (const d of dirs) assert.not.ok(fs.existsSync(d), `${what}: cgroup ${d} is left`);
  for (const pid of hostPids) assert.not.ok(fs.existsSync(`/proc/${pid}`), `${what}: process ${pid} of the container is left`);
  const mi = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  assert.not.ok(mi.includes(rootfs()), `${what}: a mount of the rootfs is in the host's mount table`);
  assert.equal(fs.readdirSync(PRIVATE_TMP).filter((n) => n.startsWith('rawsys-root-')), [], `${what}: a temp root is left`);
}

/** A capability set as /proc/<pid>/status shows it: 16 hex digits. */
const mask = (names) => names.reduce((m, n) => m | (1n << BigInt(C[n])), 0n).toString(16).padStart(16, '0');

// Shell code that waits (at most about 10 s) until PID 1 is rawsys-init.
const AWAIT_INIT = 'i=0; until [ "$(cat /proc/1/comm)" = rawsys-init ] || [ $i -gt 1000 ]; do i=$((i + 1)); sleep 0.01; done';

/** Lines of /proc/<pid>/stat as { pid, comm, state, ppid }, from `cat /proc/[0-9]*\/stat` output. */
function parseStats(text) {
  return text.split('\n').filter((l) => /^\d+ \(/.test(l)).map((l) => {
    const close = l.lastIndexOf(')');
    const [state, ppid] = l.slice(close + 2).split(' ');
    return { pid: Number(l.slice(0, l.indexOf(' '))), comm: l.slice(l.indexOf('(') + 1, close), state, ppid: Number(ppid) };
  });
}

// Containers without a rootfs make their mount point in os.tmpdir(): a
// directory of this file's own during each test, so that a temp root left
// behind is ours and not another process's.
const PRIVATE_TMP = tmpdir('rawsys-ctr-tmp-');
fs.chmodSync(PRIVATE_TMP, 0o755); // a user namespace's root must get through to the rootfs and bind sources
let savedTmp;
test.before.each(() => {
  savedTmp = process.env.TMPDIR;
  process.env.TMPDIR = PRIVATE_TMP;
});
test.after.each(() => {
  if (savedTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmp;
  // Mount points made in the rootfs for `mounts` (under /mnt).
  if (rootfsDir) fs.rmSync(path.join(rootfsDir, 'mnt'), { recursive: true, force: true });
});

// ---------------------------------------------------------------------------
// Isolation

test('container: the payload is the child of PID 1 (rawsys-init) and ps sees only the container', async () => {
  // The payload starts before PID 1 has exec'd rawsys-init (the init step
  // forks it first): wait for init's name. (echo end: else sh would exec ps
  // in its own place.)
  const { exit, out } = await sh(`${AWAIT_INIT}; echo "me=$$ parent=$PPID"; cat /proc/1/comm; ps -o pid,ppid,comm; echo end`);
  assert.is(exit.exitCode, 0, out);
  assert.is(exit.signal, null);
  const [me, init, ...ps] = out.trim().split('\n');
  assert.is(ps.pop(), 'end');
  const m = /^me=(\d+) parent=1$/.exec(me);
  assert.ok(m, `the payload's parent is pid 1: ${me}`);
  assert.is(init, 'rawsys-init');
  assert.match(ps[0], /PID\s+PPID\s+COMMAND/);
  const procs = ps.slice(1).map((l) => l.trim().split(/\s+/));
  assert.is(procs.length, 3, out);
  assert.equal(procs.map((p) => p.slice(0, 2).join(' ')).sort(), [`1 0`, `${m[1]} 1`, `${procs[2][0]} ${m[1]}`].sort(), out);
  assert.equal(procs.map((p) => p[2]), ['rawsys-init', 'sh', 'ps']);
});

test('container: init: false makes the payload PID 1', async () => {
  const { exit, out } = await sh('echo $$ $PPID', { init: false });
  assert.is(exit.exitCode, 0, out);
  assert.is(out.trim(), '1 0');
});

test('container: the hostname is the container\'s own', async () => {
  const { exit, out } = await sh('hostname; cat /proc/sys/kernel/hostname', { hostname: 'box-1' });
  assert.is(exit.exitCode, 0, out);
  assert.is(out, 'box-1\nbox-1\n');
  assert.is.not(os.hostname(), 'box-1');
  // The default: 12 hex digits, as Docker, and Container.hostname says which.
  const out2 = sink();
  const c = await create({ rootfs: rootfs(), command: ['hostname'], stdout: out2 });
  try {
    assert.is((await c.wait()).exitCode, 0);
  } finally {
    await c.destroy();
  }
  assert.match(c.hostname, /^[0-9a-f]{12}$/);
  assert.is(out2.text(), `${c.hostname}\n`);
});

test('container: readonly makes / read-only (EROFS) while /tmp stays writable', async () => {
  const { exit, out } = await sh('touch /x; echo "root=$?"; touch /tmp/x && echo tmp=ok', { readonly: true });
  assert.is(exit.exitCode, 0, out);
  assert.match(out, /touch: \/x: Read-only file system\nroot=1\ntmp=ok\n/);
  assert.not.ok(fs.existsSync(path.join(rootfs(), 'x')));
});

test('container: a cgroup namespace rooted at the container\'s cgroup in every hierarchy', async () => {
  const { exit, out } = await sh('cat /proc/self/cgroup');
  assert.is(exit.exitCode, 0, out);
  const lines = out.trim().split('\n');
  assert.ok(lines.length > 0);
  for (const l of lines) assert.match(l, /^\d+:[^:]*:\/$/, `every hierarchy shows /: ${out}`);
});

test('container: network none sees only lo, and it is up', async () => {
  const { exit, out } = await sh('ip -o link; ip -o addr');
  assert.is(exit.exitCode, 0, out);
  const links = out.split('\n').filter((l) => /^\d+: \S+:/.test(l) && l.includes('link/'));
  assert.is(links.length, 1, out);
  assert.match(links[0], /^1: lo: <LOOPBACK,UP,LOWER_UP>/);
  assert.match(out, /inet 127\.0\.0\.1\/8/);
});

test('container: network host sees the host\'s interfaces', async () => {
  const { exit, out } = await sh('ls /sys/class/net', { network: 'host' });
  assert.is(exit.exitCode, 0, out);
  assert.equal(out.trim().split(/\s+/).sort(), fs.readdirSync('/sys/class/net').sort());
});

test('container: without a rootfs the host\'s / is used, read-only', async () => {
  const out = sink();
  const c = await create({ command: ['sh', '-c', 'echo hello from $(hostname); touch /rawsys-ctr-test || echo ro'], stdout: out, stderr: 'stdout' });
  try {
    const exit = await c.wait();
    assert.is(exit.exitCode, 0, out.text());
  } finally {
    await c.destroy();
  }
  assert.match(out.text(), new RegExp(`^hello from ${c.hostname}\n.*Read-only file system\nro\n$`));
  assert.not.ok(fs.existsSync('/rawsys-ctr-test'));
  assertGone(c, [], 'host root');
});

// ---------------------------------------------------------------------------
// Resources

test('container: a memory hog beyond resources.memory is OOM-killed and reported', async () => {
  // 200 MB of 'a' into a shell variable, against 32 MB.
  const { exit, out } = await sh('x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived ${#x}', { resources: { memory: '32M' } });
  assert.not.match(out, /survived/);
  assert.is(exit.oomKilled, true, JSON.stringify(exit));
  assert.ok(exit.stats.oomKills >= 1);
  assert.is(exit.exitCode, 137);
  assert.is(exit.signal, 'SIGKILL');
  assert.is(exit.stats.memory.limit, 32 * 1024 * 1024);
  // And one that fits is not.
  const small = await sh('x=$(head -c 1000000 /dev/zero | tr "\\0" a); echo ${#x}', { resources: { memory: '32M' } });
  assert.is(small.out, '1000000\n');
  assert.is(small.exit.oomKilled, false);
});

test('container: a fork bomb stops at the pids limit', async () => {
  // Bounded: 100 forks at most, whatever the limit does; the sleeps die with the container.
  const limit = 16;
  const { exit, out } = await sh('i=0; while [ $i -lt 100 ]; do sleep 30 & i=$((i + 1)); echo $i; done; echo all', { resources: { pids: limit } });
  assert.not.match(out, /all/);
  assert.match(out, /can't fork: Resource temporarily unavailable/);
  const started = Math.max(...out.split('\n').filter((l) => /^\d+$/.test(l)).map(Number));
  // init and sh count too.
  assert.ok(started <= limit - 2 && started >= limit - 4, `${started} forks under pids ${limit}`);
  assert.is.not(exit.exitCode, 0);
  assert.is(exit.stats.pids.limit, limit);
});

test('container: cpus 0.5 holds a busy loop to half a CPU (within 20%)', async () => {
  // Two busy loops (wanting 2 CPUs) for about a second; cgroup CPU time against wall time.
  const c = await create({ rootfs: rootfs(), command: ['sh', '-c', 'while :; do :; done & while :; do :; done'], resources: { cpus: 0.5 } });
  try {
    const u0 = c.stats().cpu.usageUsec;
    const t0 = process.hrtime.bigint();
    await new Promise((r) => setTimeout(r, 1000));
    const u1 = c.stats().cpu.usageUsec;
    const t1 = process.hrtime.bigint();
    const ratio = (u1 - u0) / (Number(t1 - t0) / 1000);
    assert.ok(ratio > 0.4 && ratio < 0.6, `CPU used / wall time is ${ratio.toFixed(3)}, want 0.5 ± 20%`);
    assert.ok(c.stats().cpu.nrThrottled > 0, 'throttled');
  } finally {
    await c.destroy();
  }
});

// ---------------------------------------------------------------------------
// Sandbox

test('container: mount, unshare -U and ptrace fail with EPERM under the default seccomp profile', async () => {
  const script = 'for p in ptrace-traceme unshare-user mount-tmpfs; do $p; echo "$p=$?"; done; unshare -U true; mount -t tmpfs none /tmp';
  const { exit, out } = await sh(script);
  assert.match(out, /ptrace-traceme=1\nunshare-user=1\nmount-tmpfs=1\n/, `each probe exits with EPERM (${C.EPERM}): ${out}`);
  assert.match(out, /unshare: unshare\(0x10000000\): Operation not permitted/);
  assert.match(out, /mount: permission denied/);
  assert.is(exit.exitCode, 1);
  // Without the filter the same calls get through to the kernel: ptrace and
  // the user namespace work, mount gets as far as looking up its target.
  const open = await sh(script.replace('; mount -t tmpfs none /tmp', ''), { seccomp: 'unconfined' });
  assert.match(open.out, new RegExp(`ptrace-traceme=0\nunshare-user=0\nmount-tmpfs=${C.ENOENT}\n`), open.out);
  assert.is(open.exit.exitCode, 0, open.out);
});

test('container: CapEff is the kept set, in every set; NoNewPrivs and Seccomp are on', async () => {
  const status = async (spec) => {
    const { exit, out } = await sh('grep -E "^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):" /proc/self/status', spec);
    assert.is(exit.exitCode, 0, out);
    return Object.fromEntries(out.trim().split('\n').map((l) => l.split(/:\s+/)));
  };
  const dflt = await status({});
  assert.is(dflt.CapEff, mask(DEFAULT_CAPABILITIES));
  assert.is(dflt.CapPrm, dflt.CapEff);
  assert.is(dflt.CapBnd, dflt.CapEff);
  assert.is(dflt.CapAmb, '0000000000000000');
  assert.is(dflt.NoNewPrivs, '1');
  assert.is(dflt.Seccomp, '2');
  const one = await status({ capabilities: ['CAP_NET_BIND_SERVICE'] });
  assert.is(one.CapEff, mask(['CAP_NET_BIND_SERVICE']));
  assert.is(one.CapBnd, one.CapEff);
  assert.is(one.CapPrm, one.CapEff);
  const none = await status({ capabilities: [] });
  assert.is(none.CapEff, '0000000000000000');
  assert.is(none.CapBnd, '0000000000000000');
});

test('container: user: the payload\'s ids, and a non-root user has no effective capabilities', async () => {
  const { exit, out } = await sh('id; grep -E "^Cap(Eff|Prm|Bnd):" /proc/self/status; touch /tmp/f && ls -n /tmp',
    { user: { uid: 1000, gid: 1001, groups: [5] } });
  assert.is(exit.exitCode, 0, out);
  const lines = out.trim().split('\n');
  assert.is(lines[0], 'uid=1000 gid=1001 groups=5');
  assert.match(out, `CapPrm:\t${mask([])}\nCapEff:\t${mask([])}\nCapBnd:\t${mask(DEFAULT_CAPABILITIES)}\n`);
  assert.match(out, /1000\s+1001\s+0 .* f\n$/);
});

test('container: userns maps the container\'s root to an unprivileged host uid', async () => {
  const src = tmpdir('rawsys-ctr-userns-');
  fs.chownSync(src, 100000, 100000);
  const map = [{ containerId: 0, hostId: 100000, size: 65536 }];
  const { exit, out } = await sh('id; cat /proc/self/uid_map; touch /mnt/f && echo made; touch /data/f || echo data=denied', {
    userns: { uidMappings: map, gidMappings: map }, mounts: [{ type: 'bind', source: src, destination: '/mnt' }],
  });
  assert.is(exit.exitCode, 0, out);
  assert.match(out, /^uid=0 gid=0\n\s+0\s+100000\s+65536\nmade\n/);
  // The rootfs belongs to the host's root, whom the namespace does not map.
  assert.match(out, /touch: \/data\/f: Permission denied\ndata=denied\n$/);
  const st = fs.statSync(path.join(src, 'f'));
  assert.is(st.uid, 100000);
  assert.is(st.gid, 100000);
});

test('container: mounts: bind read-write and read-only, tmpfs with a size', async () => {
  const rw = tmpdir('rawsys-ctr-rw-');
  const ro = tmpdir('rawsys-ctr-ro-');
  fs.writeFileSync(path.join(ro, 'in'), 'host file\n');
  const { exit, out } = await sh('echo w > /mnt/rw/out; cat /mnt/ro/in; touch /mnt/ro/x; dd if=/dev/zero of=/mnt/small/f bs=1M count=2 2>&1 | grep -o "No space left on device"', {
    mounts: [
      { type: 'bind', source: rw, destination: '/mnt/rw' },
      { type: 'bind', source: ro, destination: '/mnt/ro', readonly: true },
      { type: 'tmpfs', destination: '/mnt/small', size: '1m' },
    ],
  });
  assert.is(exit.exitCode, 0, out);
  assert.is(out, 'host file\ntouch: /mnt/ro/x: Read-only file system\nNo space left on device\n');
  assert.is(fs.readFileSync(path.join(rw, 'out'), 'utf8'), 'w\n');
  assert.not.ok(fs.existsSync(path.join(ro, 'x')));
});

test('container: under Landlock a write outside the allowed paths fails with EACCES; allowed reads and writes work', async () => {
  const data = path.join(rootfs(), 'data');
  try {
    const { exit, out } = await sh([
      'cat /etc/motd',
      'echo x > /data/out && echo data=ok',
      'echo x > /dev/null && echo null=ok',
      'touch /x || echo root=denied',
      'echo y >> /etc/motd || echo etc=denied',
      'ls /tmp || echo tmp=denied',
    ].join('; '), { landlock: { execute: ['/bin'], read: ['/etc'], write: ['/data', '/dev/null'] } });
    assert.is(exit.exitCode, 0, out);
    assert.is(out, [
      'hello from the rootfs',
      'data=ok',
      'null=ok',
      'touch: /x: Permission denied',
      'root=denied',
      "/bin/sh: can't create /etc/motd: Permission denied",
      'etc=denied',
      "ls: can't open '/tmp': Permission denied",
      'tmp=denied',
      '',
    ].join('\n'));
    assert.is(fs.readFileSync(path.join(data, 'out'), 'utf8'), 'x\n');
    assert.is(fs.readFileSync(path.join(rootfs(), 'etc/motd'), 'utf8'), 'hello from the rootfs\n');
  } finally {
    fs.rmSync(path.join(data, 'out'), { force: true });
  }
  // A path on the container's own tmpfs cannot carry a rule: refused, nothing made.
  const before = snapshot(rootfs());
  await throwsLike(() => create({ rootfs: rootfs(), command: ['true'], landlock: { write: ['/tmp'] } }), { code: 'ERR_CONTAINER_LANDLOCK' });
  await throwsLike(() => create({ command: ['true'], landlock: { write: ['/dev/shm/x'] } }), { code: 'ERR_CONTAINER_LANDLOCK' });
  await throwsLike(() => create({ rootfs: rootfs(), command: ['true'], landlock: { read: ['etc'] } }), { code: 'ERR_INVALID_ARG_VALUE' });
  assert.equal(snapshot(rootfs()), before);
});

test('container: Landlock rules in a bind mount and on the host root', async () => {
  const src = tmpdir('rawsys-ctr-bind-');
  const { exit, out } = await sh('echo hi > /mnt/w/f && cat /mnt/w/f; touch /data/z || echo data=denied', {
    mounts: [{ type: 'bind', source: src, destination: '/mnt/w' }],
    landlock: { execute: ['/bin'], write: ['/mnt/w'] },
  });
  assert.is(exit.exitCode, 0, out);
  assert.is(out, 'hi\ntouch: /data/z: Permission denied\ndata=denied\n');
  assert.is(fs.readFileSync(path.join(src, 'f'), 'utf8'), 'hi\n');
  // Host root: the paths are the host's.
  const host = sink();
  const exit2 = await run({
    // /bin, /lib64 … are symlinks into /usr on Debian 12; a rule on / would cover /proc too.
    command: ['/bin/sh', '-c', 'cat /etc/hostname >/dev/null && echo read=ok; cat /proc/self/status >/dev/null 2>&1 || echo proc=denied'],
    stdout: host, landlock: { execute: ['/usr', '/bin', '/lib'].filter((p) => fs.existsSync(p)), read: ['/etc'], write: ['/dev/null'] },
  });
  assert.is(exit2.exitCode, 0, host.text());
  assert.is(host.text(), 'read=ok\nproc=denied\n');
});

// ---------------------------------------------------------------------------
// Signals and orphans

test('container: SIGTERM to the container reaches the payload through the init', async () => {
  const out = sink();
  const c = await create({
    rootfs: rootfs(), stdout: out,
    command: ['sh', '-c', 'trap "echo got TERM; exit 7" TERM; echo ready; while :; do sleep 0.01; done'],
  });
  try {
    await until(() => out.text().includes('ready'), 5000, 'the trap');
    assert.is(c.kill('SIGTERM'), true);
    const t = timeout(5000, 'the payload to exit on SIGTERM');
    const exit = await Promise.race([c.wait(), t]);
    t.cancel();
    assert.is(out.text(), 'ready\ngot TERM\n');
    assert.is(exit.exitCode, 7);
    assert.is(exit.signal, null);
  } finally {
    await c.destroy();
  }
  assert.is(c.kill('SIGTERM'), false, 'kill after the end');
});

test('container: orphaned grandchildren are reaped, and none outlives the payload', async () => {
  const out = sink();
  const stdin = new PassThrough();
  const c = await create({
    rootfs: rootfs(), stdin, stdout: out, stderr: 'stdout',
    // The inner sh exits at once: its two sleeps become orphans, children of
    // PID 1. The short one exits; then every process's state is listed.
    command: ['sh', '-c', 'sh -c "sleep 0.05 & sleep 30 &"; sleep 0.3; cat /proc/[0-9]*/stat; echo listed; read line; echo bye'],
  });
  let hostPids = [];
  try {
    await until(() => out.text().includes('listed'), 5000, 'the process list');
    hostPids = c.cgroup.procs();
    assert.is(hostPids.length, 3, `init, sh and the long sleep: ${hostPids}`);
    const procs = parseStats(out.text());
    assert.equal(procs.filter((p) => p.state === 'Z'), [], `no zombies: ${out.text()}`);
    const sleeps = procs.filter((p) => p.comm === 'sleep');
    assert.is(sleeps.length, 1, 'the short sleep was reaped');
    assert.is(sleeps[0].ppid, 1, 'the orphan is the init\'s');
    stdin.end(); // the payload exits, the long sleep still running
    const exit = await c.wait();
    assert.is(exit.exitCode, 0, out.text());
    assert.match(out.text(), /listed\nbye\n$/);
    for (const pid of hostPids) assert.not.ok(fs.existsSync(`/proc/${pid}`), `process ${pid} of the container is left`);
    assert.equal(c.cgroup.procs(), []);
  } finally {
    await c.destroy();
  }
  assertGone(c, hostPids, 'orphans');
});

// ---------------------------------------------------------------------------
// stdio

test('container: stdout to a Writable, stdin from a string, stderr to a pipe fd', async () => {
  const out = sink();
  const [rd, wr] = rawsys.pipe2();
  let err = '';
  try {
    const exit = await run({ rootfs: rootfs(), command: ['sh', '-c', 'cat; echo oops >&2'], stdin: 'from stdin\n', stdout: out, stderr: wr });
    rawsys.close(wr);
    assert.is(exit.exitCode, 0);
    const b = Buffer.alloc(4096);
    let n;
    while ((n = rawsys.read(rd, b)) > 0) err += b.toString('utf8', 0, n);
  } finally {
    rawsys.close(rd);
    try {
      rawsys.close(wr);
    } catch { /* closed above */ }
  }
  assert.is(out.text(), 'from stdin\n');
  assert.is(err, 'oops\n');
});

// ---------------------------------------------------------------------------
// Cleanup and bad specs

test('container: nothing is left after a success, a failure and a kill', async () => {
  const before = snapshot(rootfs());
  // Success.
  let c = await create({ rootfs: rootfs(), command: ['sh', '-c', 'sleep 30 & echo started'], stdout: 'ignore' });
  let pids = c.cgroup.procs();
  try {
    assert.is((await c.wait()).exitCode, 0);
  } finally {
    await c.destroy();
  }
  assertGone(c, pids, 'success');
  assert.equal(snapshot(rootfs()), before, 'after a success');
  // Failure before exec: a program that is not there, a hostname the kernel refuses.
  await throwsLike(() => create({ rootfs: rootfs(), command: ['/bin/nope'] }), { code: 'ENOENT', syscall: 'execve' });
  await throwsLike(() => create({ rootfs: rootfs(), command: ['no-such-program'] }), { code: 'ENOENT', syscall: 'execve' });
  await throwsLike(() => create({ rootfs: rootfs(), command: ['true'], hostname: 'h'.repeat(100) }), { code: 'EINVAL', syscall: 'sethostname' });
  await throwsLike(() => create({ command: ['/no/such/program'] }), { code: 'ENOENT', syscall: 'execve' });
  assert.equal(snapshot(rootfs()), before, 'after the failures');
  // Kill: SIGKILL to the container, then destroy; and destroy of a running one.
  c = await create({ rootfs: rootfs(), command: ['sh', '-c', 'sleep 30 & sleep 30'], resources: { memory: '64M', pids: 20, cpus: 1 } });
  await until(() => c.cgroup.procs().length === 3, 5000, 'the sleeps');
  pids = c.cgroup.procs();
  try {
    assert.is(c.kill('SIGKILL'), true);
    const exit = await c.wait();
    assert.is(exit.signal, 'SIGKILL');
    assert.is(exit.exitCode, 137);
  } finally {
    await c.destroy();
  }
  assertGone(c, pids, 'kill');
  c = await create({ rootfs: rootfs(), command: ['sh', '-c', 'sleep 30 & sleep 30'] });
  await until(() => c.cgroup.procs().length === 3, 5000, 'the sleeps');
  pids = c.cgroup.procs();
  await c.destroy();
  await c.destroy(); // idempotent
  assertGone(c, pids, 'destroy');
  assert.equal(snapshot(rootfs()), before, 'after the kills');
});

test('container: timeout and AbortSignal stop the whole container', async () => {
  const before = snapshot(rootfs());
  const t0 = Date.now();
  const { exit } = await sh('sleep 30 & sleep 30', { timeout: 100 });
  assert.is(exit.signal, 'SIGKILL');
  // An abort rejects the wait with an AbortError, as Node's APIs do.
  const ac = new AbortController();
  const p = sh('sleep 30 & sleep 30', { signal: ac.signal });
  setTimeout(() => ac.abort(), 50);
  await throwsLike(() => p, { name: 'AbortError', code: 'ABORT_ERR' });
  ac.abort();
  await throwsLike(() => sh('true', { signal: ac.signal }), { name: 'AbortError', code: 'ABORT_ERR' });
  assert.ok(Date.now() - t0 < 10000);
  assert.equal(snapshot(rootfs()), before);
});

test('container: pause freezes every process and resume thaws them', async () => {
  const c = await create({ rootfs: rootfs(), command: ['sh', '-c', 'sleep 30 & sleep 30'] });
  try {
    await c.pause();
    assert.is(c.cgroup.frozen(), true);
    await c.resume();
    assert.is(c.cgroup.frozen(), false);
  } finally {
    await c.destroy();
  }
});

test('container: bad specs are rejected before anything is created', async () => {
  const before = snapshot(rootfs());
  const newDir = path.join(rootfs(), 'new-mount-point');
  const mounts = [{ type: 'tmpfs', destination: '/new-mount-point' }];
  await throwsLike(() => create({ rootfs: path.join(rootfs(), 'no-such-dir'), command: ['true'] }), { code: 'ERR_CONTAINER_ROOTFS' });
  await throwsLike(() => create({ rootfs: path.join(rootfs(), 'etc/motd'), command: ['true'] }), { code: 'ERR_CONTAINER_ROOTFS' });
  const e = await throwsLike(() => create({ rootfs: rootfs(), command: ['true'], mounts, resources: { memory: '-5' } }), { code: 'ERR_OUT_OF_RANGE' });
  assert.instance(e, RangeError);
  assert.match(e.message, /spec\.resources\.memory/);
  await throwsLike(() => create({ command: ['true'], resources: { memory: '-5' } }), { code: 'ERR_OUT_OF_RANGE' });
  await throwsLike(() => create({ rootfs: rootfs(), command: ['true'], mounts, resources: { pids: 0 } }), { code: 'ERR_OUT_OF_RANGE' });
  await throwsLike(() => create({ rootfs: rootfs(), command: ['true'], mounts, resources: { bogus: 1 } }), { code: 'ERR_INVALID_ARG_VALUE' });
  await throwsLike(() => create({ rootfs: rootfs(), command: ['true'], mounts, capabilities: ['CAP_NOPE'] }), { code: 'ERR_INVALID_ARG_VALUE' });
  await throwsLike(() => create({ rootfs: rootfs(), command: [] }), { code: 'ERR_INVALID_ARG_TYPE' });
  await throwsLike(() => create({ rootfs: rootfs(), command: ['true'], network: 'bridge' }), { code: 'ERR_INVALID_ARG_VALUE' });
  await throwsLike(() => create({ rootfs: rootfs(), command: ['true'], cwd: 'relative' }), { code: 'ERR_INVALID_ARG_VALUE' });
  await throwsLike(() => create({ rootfs: rootfs(), command: ['true'], mounts: [{ type: 'bind', source: '/no/such', destination: '/x' }] }), { code: 'ERR_CONTAINER_MOUNT' });
  await throwsLike(() => create({ rootfs: rootfs(), command: ['true'], env: ['NOEQUALS'] }), { code: 'ERR_INVALID_ARG_VALUE' });
  await throwsLike(() => create(null), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.not.ok(fs.existsSync(newDir), 'no mount point made in the rootfs');
  assert.equal(snapshot(rootfs()), before);
});

test.run();
