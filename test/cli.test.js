'use strict';
// `rawsys run`: flags parsed as Docker spells them, exit codes as Docker's, and
// real containers from the command line.
const { test } = require('uvu');
const assert = require('uvu/assert');
const cp = require('node:child_process');
const path = require('node:path');
const { parseRunArgs } = require('../dist/cjs/cli.js');

const bin = path.join(__dirname, '..', 'bin', 'rawsys.js');
const cli = (args, opts = {}) => cp.spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 30000, ...opts });

test('parse: Docker spellings become a container spec', () => {
  const r = parseRunArgs([
    '--rootfs', '/r', '-m', '64M', '--memory-swap=128M', '--cpus', '0.5', '--pids-limit', '100', '-h', 'box', '-u', '1000:1001',
    '--read-only', '-v', '/a:/b:ro', '--volume', '/c:/d', '--tmpfs', '/run:size=8m,mode=1777', '--tmpfs', '/t:16m', '-e', 'A=1',
    '-w', '/work', '--net', 'host', '--cap-add', 'NET_ADMIN', '--cap-drop', 'CAP_CHOWN', '--seccomp', 'unconfined',
    '--landlock-ro', '/usr', '--landlock-rw', '/tmp', '--no-init', '--stats', '--', 'sh', '-c', 'echo hi',
  ], {});
  const s = r.spec;
  assert.equal(s.command, ['sh', '-c', 'echo hi']);
  assert.is(s.rootfs, '/r');
  assert.equal(s.resources, { memory: '64M', memorySwap: '128M', cpus: 0.5, pids: 100 });
  assert.equal([s.hostname, s.user, s.readonly, s.cwd, s.network, s.init, s.seccomp], ['box', { uid: 1000, gid: 1001 }, true, '/work', 'host', false, 'unconfined']);
  assert.equal(s.mounts, [
    { type: 'bind', source: '/a', destination: '/b', readonly: true },
    { type: 'bind', source: '/c', destination: '/d', readonly: false },
    { type: 'tmpfs', destination: '/run', size: '8m', mode: 0o1777 },
    { type: 'tmpfs', destination: '/t', size: '16m' },
  ]);
  assert.equal(s.env, ['A=1']);
  assert.ok(s.capabilities.includes('CAP_NET_ADMIN'));
  assert.not.ok(s.capabilities.includes('CAP_CHOWN'));
  assert.ok(s.capabilities.includes('CAP_KILL'), 'the rest of Docker\'s default set');
  assert.equal(s.landlock, { execute: ['/usr'], read: ['/usr'], write: ['/tmp'] });
  assert.ok(r.stats);
  assert.equal(parseRunArgs(['--cap-drop', 'ALL', 'true']).spec.capabilities, []);
  assert.equal(parseRunArgs(['true', '--not-a-flag']).spec.command, ['true', '--not-a-flag'], 'flags end at the command');
  assert.is(parseRunArgs(['--help']), 'help');
});

test('parse: bad flags are usage errors', () => {
  for (const args of [
    ['--bogus', 'x'], ['--memory'], ['--cpus', 'half', 'x'], ['-u', 'root', 'x'], ['-v', '/only', 'x'], ['--net', 'bridge', 'x'],
    ['--cap-add', 'CAP_NOPE', 'x'], ['--seccomp', '/nonexistent.json', 'x'], ['--tmpfs', '/t:uid=5', 'x'], [], ['--rootfs', '/r'],
  ]) {
    assert.throws(() => parseRunArgs(args), (e) => e instanceof Error && e.message.length > 0, JSON.stringify(args));
  }
});

test('cli: the README demo on the host root; exit status and Docker\'s error codes', () => {
  const r = cli(['run', '--', 'sh', '-c', 'echo hello from $(hostname); touch /x 2>/dev/null || echo read-only']);
  assert.is(r.status, 0, r.stderr);
  const [hello, ro] = r.stdout.trim().split('\n');
  assert.match(hello, /^hello from [0-9a-f]{12}$/);
  assert.is(ro, 'read-only');
  assert.is(cli(['run', '--', 'sh', '-c', 'exit 7']).status, 7);
  assert.is(cli(['run', '--', 'sh', '-c', 'kill -TERM $$']).status, 143, '128 + SIGTERM');
  const bad = cli(['run', '--bogus', 'true']);
  assert.is(bad.status, 125);
  assert.match(bad.stderr, /unknown flag: --bogus/);
  assert.is(cli(['run', '--', 'rawsys-no-such-program']).status, 127);
  assert.is(cli(['run', '--rootfs', '/nonexistent', '--', 'true']).status, 125);
  assert.is(cli(['run', '--memory', '-5', '--', 'true']).status, 125);
  const help = cli(['run', '--help']);
  assert.is(help.status, 0);
  for (const flag of ['--rootfs', '--memory', '--cpus', '--pids-limit', '--hostname', '--user', '--read-only', '--volume', '--tmpfs', '--env',
    '--workdir', '--net', '--cap-add', '--cap-drop', '--seccomp', '--landlock-ro', '--landlock-rw', '--no-init', '--stats']) {
    assert.ok(help.stdout.includes(flag), `--help documents ${flag}`);
  }
});

test('cli: limits, hostname, user and --stats reach the container', () => {
  const r = cli(['run', '-h', 'clibox', '-u', '1234:2345', '--pids-limit', '20', '-m', '64m', '--stats', '--',
    'sh', '-c', 'hostname; id -u; id -g; cat /sys/fs/cgroup/pids.max 2>/dev/null || echo n/a']);
  assert.is(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.slice(0, 3), ['clibox', '1234', '2345']);
  const stats = JSON.parse(r.stderr.trim().split('\n').pop());
  assert.is(stats.exitCode, 0);
  assert.is(stats.pids.limit, 20);
  assert.is(stats.memory.limit, 64 * 1024 * 1024);
});

test.run();
