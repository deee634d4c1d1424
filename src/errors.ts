// Errors shaped like Node's own: SyscallError for a failed call (code, negative
// errno, syscall, path/dest), and TypeError/RangeError carrying Node's ERR_*
// codes for arguments refused before any syscall is made.
import * as nodePath from 'node:path';
import * as util from 'node:util';
import { native } from './binding';

let names: Map<number, string> | undefined;

/** errno (positive) -> its E* name, from the constants compiled into the addon. */
function nameOf(errno: number): string {
  if (names === undefined) {
    names = new Map();
    // Sorted, so the first of two aliases wins as in libuv: EAGAIN over
    // EWOULDBLOCK, EDEADLK over EDEADLOCK.
    const entries = Object.entries(native.constants as unknown as Record<string, number>)
      .filter(([k]) => /^E[A-Z0-9]+$/.test(k))
      .sort(([a], [b]) => (a < b ? -1 : 1));
    for (const [k, v] of entries) if (!names.has(v)) names.set(v, k);
  }
  return names.get(errno) ?? `Unknown system error ${errno}`;
}

/** The short description Node uses for an errno: libuv's text, else strerror(3)'s. */
function describe(errno: number): [string, string] {
  const known = util.getSystemErrorMap?.().get(-errno);
  if (known) return [known[0], known[1]];
  const text = native.strerror(errno);
  return [nameOf(errno), text.charAt(0).toLowerCase() + text.slice(1)];
}

/**
 * A failed system call, shaped like the errors of `node:fs`:
 * `ENOENT: no such file or directory, open '/nope'`.
 */
export class SyscallError extends Error {
  // `declare`: no own property is defined for an absent path or dest, as in node:fs.
  /** The E* name of the error, such as `'ENOENT'`. */
  declare readonly code: string;
  /** The error number, negative as in `node:fs` (`-2` for ENOENT). */
  declare readonly errno: number;
  /** The man-page name of the call that failed, such as `'open'`. */
  declare readonly syscall: string;
  /** The path the call was given, where it had one. */
  declare readonly path?: string;
  /** The second path (rename-like calls, pivot_root). */
  declare readonly dest?: string;

  /**
   * @param errno the error number, positive or negative
   * @param syscall the man-page name of the call
   */
  constructor(errno: number, syscall: string, path?: string, dest?: string) {
    const n = Math.abs(errno);
    const [code, text] = describe(n);
    let message = `${code}: ${text}, ${syscall}`;
    if (path !== undefined) message += ` '${path}'`;
    if (dest !== undefined) message += ` -> '${dest}'`;
    super(message);
    const self = this as { -readonly [K in 'errno' | 'code' | 'syscall' | 'path' | 'dest']?: unknown };
    self.errno = -n;
    self.code = code;
    self.syscall = syscall;
    if (path !== undefined) self.path = path;
    if (dest !== undefined) self.dest = dest;
  }

  override get name(): string {
    return 'SyscallError';
  }
}

/** The path as it appears in an error message: strings as they are, buffers decoded. */
export function pathText(p: string | Uint8Array | undefined): string | undefined {
  if (p === undefined || typeof p === 'string') return p;
  return Buffer.from(p.buffer, p.byteOffset, p.byteLength).toString();
}

// Frames inside this package (dist/cjs) are dropped from the front of an
// error's stack, so it starts where the user called rawsys, for sync calls and
// for awaited promise calls alike (where V8's async stack trace has the user's
// frames behind rawsys's resumed helper).
const ownFrames = `${__dirname}${nodePath.sep}`;

function trimOwnFrames(err: Error): void {
  const stack = err.stack;
  if (typeof stack !== 'string' || !stack.includes(ownFrames)) return;
  const lines = stack.split('\n');
  let i = lines.findIndex((l) => l.startsWith('    at '));
  if (i < 0) return;
  const head = lines.slice(0, i);
  while (i < lines.length && lines[i].includes(ownFrames)) i++;
  err.stack = [...head, ...lines.slice(i)].join('\n');
}

/**
 * Throws a SyscallError for a negative result, with its stack starting at the
 * user's call of `caller` (the public function).
 * @internal
 */
export function fail(r: number, syscall: string, caller: Function, path?: string | Uint8Array, dest?: string): never {
  const err = new SyscallError(r, syscall, pathText(path), dest);
  Error.captureStackTrace(err, caller);
  if (!/\n {4}at /.test(err.stack ?? '')) Error.captureStackTrace(err); // caller was not on the stack (async)
  trimOwnFrames(err);
  throw err;
}

/** Thrown by a wait that an AbortSignal ended. Same shape as Node's AbortError. */
export class AbortError extends Error {
  readonly code = 'ABORT_ERR';
  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super(message, options);
  }
  override get name(): string {
    return 'AbortError';
  }
}

function received(value: unknown): string {
  if (value == null) return ` Received ${value}`;
  if (typeof value === 'function') return ` Received function ${value.name || '<anonymous>'}`;
  if (typeof value === 'object') {
    const ctor = (value as object).constructor?.name;
    return ctor ? ` Received an instance of ${ctor}` : ` Received ${util.inspect(value, { depth: -1 })}`;
  }
  let shown = util.inspect(value, { colors: false });
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  if (typeof value === 'number' || typeof value === 'bigint') return ` Received ${shown}`;
  return ` Received type ${typeof value} (${shown})`;
}

class NodeTypeError extends TypeError {
  constructor(readonly code: string, message: string) {
    super(message);
  }
  override get name(): string {
    return 'TypeError';
  }
}

class NodeRangeError extends RangeError {
  constructor(readonly code: string, message: string) {
    super(message);
  }
  override get name(): string {
    return 'RangeError';
  }
}

/** `ERR_INVALID_ARG_TYPE`: `The "fd" argument must be of type number. Received ...` @internal */
export function invalidArgType(name: string, expected: string, value: unknown): TypeError {
  const what = name.includes('.') ? 'property' : 'argument';
  return new NodeTypeError('ERR_INVALID_ARG_TYPE', `The "${name}" ${what} must be ${expected}.${received(value)}`);
}

/** `ERR_INVALID_ARG_VALUE`: `The argument 'path' must be ... Received ...` @internal */
export function invalidArgValue(name: string, value: unknown, reason = 'is invalid'): TypeError {
  let shown = util.inspect(value);
  if (shown.length > 128) shown = `${shown.slice(0, 128)}...`;
  const what = name.includes('.') ? 'property' : 'argument';
  return new NodeTypeError('ERR_INVALID_ARG_VALUE', `The ${what} '${name}' ${reason}. Received ${shown}`);
}

/** `ERR_OUT_OF_RANGE`: `The value of "fd" is out of range. It must be ... Received ...` @internal */
export function outOfRange(name: string, range: string, value: unknown): RangeError {
  let shown = typeof value === 'bigint' ? `${value}n` : util.inspect(value);
  if (typeof value === 'number' && Math.abs(value) > 2 ** 32) shown = addUnderscores(String(value));
  return new NodeRangeError('ERR_OUT_OF_RANGE', `The value of "${name}" is out of range. It must be ${range}. Received ${shown}`);
}

/**
 * `ERR_FEATURE_UNAVAILABLE_ON_PLATFORM` (a TypeError, as in Node): the running
 * kernel cannot do what was asked, such as a Landlock right of a newer ABI.
 * `detail` says what is missing and what to do.
 * @internal
 */
export function featureUnavailable(feature: string, detail: string): TypeError {
  return new NodeTypeError('ERR_FEATURE_UNAVAILABLE_ON_PLATFORM',
    `The feature ${feature} is unavailable on the current platform, which is being used to run Node.js: ${detail}`);
}

function addUnderscores(s: string): string {
  const [int, frac] = s.split('.');
  let out = '';
  let i = int.length;
  const start = int[0] === '-' ? 1 : 0;
  for (; i >= start + 4; i -= 3) out = `_${int.slice(i - 3, i)}${out}`;
  return `${int.slice(0, i)}${out}${frac ? `.${frac}` : ''}`;
}
