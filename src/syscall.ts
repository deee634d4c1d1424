// syscall(2): the escape hatch for calls rawsys has no wrapper for yet.
import { native } from './binding';
import { constants } from './constants';
import { fail, invalidArgType, invalidArgValue, outOfRange } from './errors';
import { validateInt32 } from './validate';

/** An argument of {@link syscall}. */
export type SyscallArg = number | bigint | string | ArrayBufferView | null | undefined;

let names: Map<number, string> | undefined;

/** The name of syscall number `nr` on this architecture (`'openat'`), for errors. @internal */
export function syscallName(nr: number): string {
  if (names === undefined) {
    names = new Map();
    for (const [k, v] of Object.entries(constants)) if (k.startsWith('SYS_') && v !== undefined) names.set(v, k.slice(4));
  }
  return names.get(nr) ?? `syscall ${nr}`;
}

// Calls that would return into JavaScript in a second process or thread, or
// end the JS thread alone: they cannot work from Node and only crash or hang it.
const REFUSED = ['fork', 'vfork', 'clone', 'clone3', 'exit', 'rt_sigreturn', 'set_tid_address'];

/** @internal */
export function syscallArgs(nr: unknown, args: unknown[]): number {
  const n = validateInt32(nr, 'number', 0);
  if (args.length > 6) throw outOfRange('args.length', '<= 6', args.length);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const t = typeof a;
    if (t === 'number') {
      if (!Number.isSafeInteger(a)) throw outOfRange(`args[${i}]`, 'a safe integer or a bigint', a);
    } else if (t === 'bigint') {
      if ((a as bigint) < -(2n ** 63n) || (a as bigint) >= 2n ** 64n) throw outOfRange(`args[${i}]`, '>= -(2^63) && < 2^64', a);
    } else if (t === 'string') {
      if ((a as string).includes('\u0000')) throw invalidArgValue(`args[${i}]`, a, 'must not contain null bytes');
    } else if (!(a === null || a === undefined || ArrayBuffer.isView(a))) {
      throw invalidArgType(`args[${i}]`, 'of type number, bigint, string, or an instance of Buffer, TypedArray or DataView', a);
    }
  }
  for (const name of REFUSED) {
    const v = (constants as unknown as Record<string, number | undefined>)[`SYS_${name}`];
    if (v !== undefined && v === n) {
      throw invalidArgValue('number', nr, `is SYS_${name}, which cannot be called from a Node.js thread (use rawsys's process calls)`);
    }
  }
  return n;
}

/**
 * syscall(2): calls system call `number` (from `constants.SYS_*`) with up to six
 * arguments. Numbers and bigints are passed as 64-bit words (bigints up to
 * 2^64-1); strings are copied and NUL-terminated; buffers are passed as
 * pointers to their bytes (pinned for the duration of the call); null and
 * undefined pass 0. Calls that cannot work from a Node thread (fork, vfork,
 * clone, clone3, exit, rt_sigreturn, set_tid_address) are refused.
 *
 * This is raw: the kernel trusts the pointers you pass, so a call that writes
 * through a pointer must be given a buffer large enough for what it writes.
 * @returns the raw return value, as a bigint
 * @throws {SyscallError} named after the call (`syscall: 'getpriority'`), with its errno
 * @see https://man7.org/linux/man-pages/man2/syscall.2.html
 */
export function syscall(number: number, ...args: SyscallArg[]): bigint {
  const n = syscallArgs(number, args);
  const r = native.syscall(n, ...args);
  return typeof r === 'number' ? fail(r, syscallName(n), syscall) : r;
}
