// Signals: names and numbers, kill(2), and the pidfd calls (pidfd_open,
// pidfd_send_signal, pidfd_getfd). A pidfd names one process for good: unlike
// a pid it cannot be recycled, so signalling through it never hits a stranger.
import { native } from './binding';
import { constants } from './constants';
import { fail, invalidArgType, invalidArgValue } from './errors';
import { validateFd, validateFlags, validateInt32 } from './validate';

const C = constants as unknown as Record<string, number | undefined>;

/** Highest signal number on Linux (_NSIG - 1). */
const SIGMAX = 64;

// Of two names for one number, the one Node's os.constants.signals lists first.
const PREFERRED = ['SIGABRT', 'SIGIO', 'SIGCHLD'];

let byNumber: Map<number, string> | undefined;
let byName: Map<string, number> | undefined;

function tables(): [Map<number, string>, Map<string, number>] {
  if (byNumber === undefined || byName === undefined) {
    byNumber = new Map();
    byName = new Map();
    for (const [k, v] of Object.entries(C)) {
      if (v === undefined || !/^SIG[A-Z0-9]+$/.test(k) || k === 'SIGRTMIN' || k === 'SIGRTMAX') continue;
      byName.set(k, v);
      const prev = byNumber.get(v);
      if (prev === undefined || (PREFERRED.includes(k) && !PREFERRED.includes(prev))) byNumber.set(v, k);
    }
  }
  return [byNumber, byName];
}

/**
 * The number of a signal given by number or name. Names are those of
 * `constants.SIG*`, with or without the `SIG` prefix and in any case
 * (`'SIGTERM'`, `'TERM'`, `'sigterm'`), and the real-time signals as
 * `'SIGRTMIN'`, `'SIGRTMIN+n'`, `'SIGRTMAX'`, `'SIGRTMAX-n'` (glibc's SIGRTMIN,
 * usually 34: the kernel's 32 and 33 are reserved by the C library). A
 * number is returned as it is if it is 0 (no signal: an existence check) to 64.
 * signal(7).
 * @throws {TypeError} `ERR_INVALID_ARG_TYPE` for anything but a number or string;
 *   `ERR_INVALID_ARG_VALUE` for an unknown name
 * @throws {RangeError} `ERR_OUT_OF_RANGE` for a number outside 0..64
 * @see https://man7.org/linux/man-pages/man7/signal.7.html
 */
export function signalNumber(sig: number | string): number {
  return toSignal(sig, 'signal');
}

/** {@link signalNumber}, naming the argument in its errors. @internal */
export function toSignal(sig: unknown, name: string): number {
  if (typeof sig === 'number') return validateInt32(sig, name, 0, SIGMAX);
  if (typeof sig !== 'string') throw invalidArgType(name, 'of type number or string', sig);
  const upper = sig.toUpperCase();
  const full = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  const rt = /^SIGRT(MIN|MAX)(?:([+-])(\d{1,2}))?$/.exec(full);
  if (rt) {
    const min = C.SIGRTMIN!, max = C.SIGRTMAX!;
    const k = rt[3] === undefined ? 0 : Number(rt[3]);
    const n = rt[1] === 'MIN' ? (rt[2] === '-' ? -1 : min + k) : (rt[2] === '+' ? -1 : max - k);
    if (n >= min && n <= max) return n;
  } else {
    const n = tables()[1].get(full);
    if (n !== undefined) return n;
  }
  throw invalidArgValue(name, sig, 'must be a signal number or a name such as SIGTERM');
}

/**
 * The name of signal `n`: `'SIGTERM'` for 15, Node's choice among aliases
 * (`'SIGABRT'`, not `'SIGIOT'`; `'SIGIO'`, not `'SIGPOLL'`), `'SIGRTMIN'` /
 * `'SIGRTMIN+n'` for real-time signals. signal(7). Never fails.
 * @returns the name, or undefined for 0 and numbers that name no signal
 * @see https://man7.org/linux/man-pages/man7/signal.7.html
 */
export function signalName(n: number): string | undefined {
  if (typeof n !== 'number' || !Number.isInteger(n)) return undefined;
  const known = tables()[0].get(n);
  if (known !== undefined) return known;
  const min = C.SIGRTMIN!, max = C.SIGRTMAX!;
  if (n >= min && n <= max) return n === min ? 'SIGRTMIN' : `SIGRTMIN+${n - min}`;
  return undefined;
}

/** @internal */
export function validatePid(pid: unknown, name = 'pid'): number {
  return validateInt32(pid, name);
}

/**
 * kill(2): sends `signal` to a process (`pid` > 0), to every process of the
 * caller's process group (`pid` 0), to every process it may signal (`pid` -1)
 * or to process group `-pid` (`pid` < -1). Signal 0 sends nothing: it checks
 * that the target exists and may be signalled.
 *
 * A pid can be recycled once its process is reaped; prefer a pidfd
 * ({@link pidfdOpen}, {@link pidfdSendSignal}) for a process you did not create.
 * @param signal a number or a name, default `'SIGTERM'` (see {@link signalNumber})
 * @throws {SyscallError} `ESRCH` (no such process or group), `EPERM` (not allowed to signal it), `EINVAL` (bad signal)
 * @see https://man7.org/linux/man-pages/man2/kill.2.html
 */
export function kill(pid: number, signal: number | string = 'SIGTERM'): void {
  const r = native.kill(validatePid(pid), toSignal(signal, 'signal'));
  if (r < 0) fail(r, 'kill', kill);
}

/**
 * pidfd_open(2): a file descriptor referring to process `pid`, close-on-exec
 * (the kernel sets it on every pidfd). It becomes readable when the process
 * terminates (poll it, or wait with `waitid(P_PIDFD)`), and it is what
 * {@link pidfdSendSignal} and {@link pidfdGetfd} take. Linux 5.3.
 * @param flags 0, or `constants.PIDFD_NONBLOCK` (Linux 5.10: waitid on it does not block)
 * @returns the new descriptor; close it when done
 * @throws {SyscallError} `ESRCH` (no such process, or `pid` is a thread that is not a
 *   thread-group leader), `EINVAL` (bad flags, pid <= 0), `EMFILE`, `ENOSYS` (kernel older than 5.3)
 * @see https://man7.org/linux/man-pages/man2/pidfd_open.2.html
 */
export function pidfdOpen(pid: number, flags?: number): number {
  const r = native.pidfdOpen(validatePid(pid), validateFlags(flags, 'flags', 0));
  return r < 0 ? fail(r, 'pidfd_open', pidfdOpen) : r;
}

/**
 * pidfd_send_signal(2): sends `signal` to the process `pidfd` refers to, as
 * kill(2) would, but with no risk of a recycled pid. Linux 5.1.
 * @param signal a number or a name (see {@link signalNumber}); 0 checks that the process still exists
 * @param flags 0 (Linux 6.9 adds `PIDFD_SIGNAL_*` scopes)
 * @throws {SyscallError} `ESRCH` (the process has terminated), `EPERM`, `EBADF` (not a pidfd),
 *   `EINVAL` (bad signal or flags), `ENOSYS` (kernel older than 5.1)
 * @see https://man7.org/linux/man-pages/man2/pidfd_send_signal.2.html
 */
export function pidfdSendSignal(pidfd: number, signal: number | string = 'SIGTERM', flags?: number): void {
  const r = native.pidfdSendSignal(validateFd(pidfd, 'pidfd'), toSignal(signal, 'signal'), validateFlags(flags, 'flags', 0));
  if (r < 0) fail(r, 'pidfd_send_signal', pidfdSendSignal);
}

/**
 * pidfd_getfd(2): a duplicate, in this process, of descriptor `targetfd` of
 * the process `pidfd` refers to: it shares the open file description (offset,
 * status flags) with the original. Close-on-exec (the kernel sets it).
 * Requires ptrace-attach rights over the target (`PTRACE_MODE_ATTACH_REALCREDS`:
 * same credentials and not undumpable, or CAP_SYS_PTRACE; Yama may restrict it
 * further). Linux 5.6.
 * @returns the new descriptor
 * @throws {SyscallError} `EBADF` (`pidfd` or `targetfd` is not open), `EPERM` (no ptrace
 *   rights), `ESRCH` (the process is a zombie or gone), `EMFILE`, `ENOSYS` (kernel older than 5.6)
 * @see https://man7.org/linux/man-pages/man2/pidfd_getfd.2.html
 */
export function pidfdGetfd(pidfd: number, targetfd: number): number {
  const r = native.pidfdGetfd(validateFd(pidfd, 'pidfd'), validateFd(targetfd, 'targetfd'));
  return r < 0 ? fail(r, 'pidfd_getfd', pidfdGetfd) : r;
}
