// Argument validation in TypeScript, before any syscall: wrong types throw
// TypeError (ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE), wrong ranges
// RangeError (ERR_OUT_OF_RANGE), as node:fs does. The native layer re-checks
// cheaply as a backstop, so nothing that slips through can crash the process.
import { fileURLToPath } from 'node:url';
import { invalidArgType, invalidArgValue, outOfRange } from './errors';

/** A path: a string, a Buffer/Uint8Array, or a `file:` URL. */
export type PathLike = string | Uint8Array | URL;

const INT32_MAX = 2 ** 31 - 1;
const INT64_MAX = 2n ** 63n - 1n;
const UINT32_MAX = 2 ** 32 - 1;

/** @internal */
export function validateInt32(value: unknown, name: string, min = -(2 ** 31), max = INT32_MAX): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value);
  if (value < min || value > max) throw outOfRange(name, `>= ${min} && <= ${max}`, value);
  return value;
}

/** A file descriptor: an integer from 0 to 2^31-1. @internal */
export function validateFd(fd: unknown, name = 'fd'): number {
  if (typeof fd === 'number' && (fd | 0) === fd && fd >= 0) return fd;
  return validateInt32(fd, name, 0);
}

/** A uid or gid: 0 to 2^32-2 (2^32-1, i.e. -1, means "leave unchanged" and is accepted too). @internal */
export function validateId(value: unknown, name: string): number {
  if (value === -1) return -1;
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value) || value < 0 || value > UINT32_MAX) throw outOfRange(name, `>= -1 && <= ${UINT32_MAX}`, value);
  return value;
}

/** A 64-bit signed value: a safe-integer number or a bigint in int64 range. @internal */
export function validateInt64(value: unknown, name: string, min: bigint = -(2n ** 63n)): number | bigint {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw outOfRange(name, 'a safe integer or a bigint', value);
    if (value < Number(min)) throw outOfRange(name, `>= ${min}`, value);
    return value;
  }
  if (typeof value === 'bigint') {
    if (value < min || value > INT64_MAX) throw outOfRange(name, `>= ${min} && <= ${INT64_MAX}`, value);
    return value;
  }
  throw invalidArgType(name, 'of type number or bigint', value);
}

/** A file position or size: >= 0, number or bigint, never truncated. @internal */
export function validatePosition(value: unknown, name = 'position'): number | bigint {
  if (typeof value === 'number' && value >= 0 && Number.isSafeInteger(value)) return value;
  return validateInt64(value, name, 0n);
}

/** @internal */
export function validateView(value: unknown, name: string): ArrayBufferView {
  if (!ArrayBuffer.isView(value)) throw invalidArgType(name, 'an instance of Buffer, TypedArray, or DataView', value);
  return value;
}

/** Checks that [offset, offset+length) lies inside `buffer`; returns length. @internal */
export function validateRange(buffer: ArrayBufferView, offset: unknown, length: unknown): [number, number] {
  const size = buffer.byteLength;
  let off = 0;
  if (offset !== undefined && offset !== null) {
    if (typeof offset !== 'number') throw invalidArgType('offset', 'of type number', offset);
    if (!Number.isInteger(offset) || offset < 0 || offset > size) throw outOfRange('offset', `>= 0 && <= ${size}`, offset);
    off = offset;
  }
  let len = size - off;
  if (length !== undefined && length !== null) {
    if (typeof length !== 'number') throw invalidArgType('length', 'of type number', length);
    if (!Number.isInteger(length) || length < 0 || length > size - off) {
      throw outOfRange('length', `>= 0 && <= ${size - off}`, length);
    }
    len = length;
  }
  return [off, len];
}

/** A path for the native layer: a string or a Uint8Array, with no NUL bytes. @internal */
export function validatePath(value: unknown, name = 'path'): string | Uint8Array {
  let p: string | Uint8Array;
  if (typeof value === 'string') p = value;
  else if (value instanceof Uint8Array) p = value;
  else if (value instanceof URL) {
    if (value.protocol !== 'file:') throw invalidArgType(name, 'of type string or an instance of Buffer or URL', value);
    p = fileURLToPath(value);
  } else throw invalidArgType(name, 'of type string or an instance of Buffer or URL', value);
  const hasNul = typeof p === 'string' ? p.includes('\u0000') : p.includes(0);
  if (hasNul) throw invalidArgValue(name, value, 'must be a string, Uint8Array, or URL without null bytes');
  return p;
}

/** An xattr name or similar short string: string or Uint8Array, no NUL bytes. @internal */
export function validateName(value: unknown, name: string): string | Uint8Array {
  if (typeof value !== 'string' && !(value instanceof Uint8Array)) {
    throw invalidArgType(name, 'of type string or an instance of Buffer or Uint8Array', value);
  }
  const hasNul = typeof value === 'string' ? value.includes('\u0000') : value.includes(0);
  if (hasNul) throw invalidArgValue(name, value, 'must not contain null bytes');
  return value;
}

/** Integer flags or a mode: a non-negative int32. @internal */
export function validateFlags(value: unknown, name: string, dflt: number): number {
  if (value === undefined) return dflt;
  return validateInt32(value, name, 0);
}

/**
 * A mode: permission bits as a number or an octal string. With no default the
 * mode is required (chmod), as in node:fs.
 * @internal
 */
export function validateMode(value: unknown, name = 'mode', dflt?: number): number {
  if (value === undefined && dflt !== undefined) return dflt;
  if (typeof value === 'string') {
    if (!/^[0-7]+$/.test(value)) throw invalidArgValue(name, value, 'must be a 32-bit unsigned integer or an octal string');
    value = parseInt(value, 8);
  }
  return validateInt32(value, name, 0, 0o7777);
}

/** @internal */
export function validateAbortSignal(value: unknown, name = 'options.signal'): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || !('aborted' in value) || !('addEventListener' in value)) {
    throw invalidArgType(name, 'an instance of AbortSignal', value);
  }
  return value as AbortSignal;
}

/** @internal */
export function validateObject<T extends object>(value: unknown, name: string): T | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object') throw invalidArgType(name, 'of type object', value);
  return value as T;
}
