// Extended attributes, xattr(7): user.*, trusted.*, security.* and system.*
// names, including POSIX ACLs (system.posix_acl_access, system.posix_acl_default,
// in the kernel's binary ACL format). Each call has a path form (follows
// symlinks), an l* form (acts on the link itself) and an f* form (a descriptor).
import { native } from './binding';
import { fail } from './errors';
import { PathLike, validateFd, validateFlags, validateName, validatePath, validateView } from './validate';

/** @internal 0 = path, 1 = l* (no follow), 2 = f* (descriptor). */
export const enum Form { Path = 0, Link = 1, Fd = 2 }

/** Target of an xattr call, decoded: [form, fd, path]. @internal */
export type Target = [Form, number, string | Uint8Array];

/** @internal */
export function target(form: Form, t: unknown): Target {
  return form === Form.Fd ? [form, validateFd(t), ''] : [form, -1, validatePath(t)];
}

/** The value to store: a Buffer/TypedArray/DataView, or a string stored as UTF-8. @internal */
export function xattrValue(value: unknown): ArrayBufferView {
  return typeof value === 'string' ? Buffer.from(value) : validateView(value, 'value');
}

/** Splits listxattr's NUL-separated names. @internal */
export function splitNames(buf: Buffer): string[] {
  const names = buf.toString('utf8').split('\u0000');
  names.pop(); // the list ends with a NUL
  return names;
}

const NAMES = ['getxattr', 'lgetxattr', 'fgetxattr'] as const;
const LIST = ['listxattr', 'llistxattr', 'flistxattr'] as const;
const SET = ['setxattr', 'lsetxattr', 'fsetxattr'] as const;
const REMOVE = ['removexattr', 'lremovexattr', 'fremovexattr'] as const;

/** The man-page name of an xattr call of a form. @internal */
export const xattrSyscall = { get: NAMES, list: LIST, set: SET, remove: REMOVE };

function pathOf(t: Target): string | Uint8Array | undefined {
  return t[0] === Form.Fd ? undefined : t[2];
}

function get(form: Form, tgt: unknown, name: unknown, caller: Function): Buffer {
  const t = target(form, tgt);
  const r = native.getxattr(t[0], t[1], t[2], validateName(name, 'name'));
  return typeof r === 'number' ? fail(r, NAMES[form], caller, pathOf(t)) : r;
}

function list(form: Form, tgt: unknown, caller: Function): string[] {
  const t = target(form, tgt);
  const r = native.listxattr(t[0], t[1], t[2]);
  return typeof r === 'number' ? fail(r, LIST[form], caller, pathOf(t)) : splitNames(r);
}

function set(form: Form, tgt: unknown, name: unknown, value: unknown, flags: unknown, caller: Function): void {
  const t = target(form, tgt);
  const r = native.setxattr(t[0], t[1], t[2], validateName(name, 'name'), xattrValue(value), validateFlags(flags, 'flags', 0));
  if (r < 0) fail(r, SET[form], caller, pathOf(t));
}

function remove(form: Form, tgt: unknown, name: unknown, caller: Function): void {
  const t = target(form, tgt);
  const r = native.removexattr(t[0], t[1], t[2], validateName(name, 'name'));
  if (r < 0) fail(r, REMOVE[form], caller, pathOf(t));
}

/**
 * getxattr(2): the value of extended attribute `name` of `path` (symlinks followed).
 * @throws {SyscallError} `ENODATA` (no such attribute), `ENOTSUP`, `ENOENT`, `EACCES`
 * @see https://man7.org/linux/man-pages/man2/getxattr.2.html
 */
export function getxattr(path: PathLike, name: string): Buffer {
  return get(Form.Path, path, name, getxattr);
}
/** lgetxattr(2): {@link getxattr} of a symlink itself. @see https://man7.org/linux/man-pages/man2/lgetxattr.2.html */
export function lgetxattr(path: PathLike, name: string): Buffer {
  return get(Form.Link, path, name, lgetxattr);
}
/** fgetxattr(2): {@link getxattr} of an open file. @see https://man7.org/linux/man-pages/man2/fgetxattr.2.html */
export function fgetxattr(fd: number, name: string): Buffer {
  return get(Form.Fd, fd, name, fgetxattr);
}

/**
 * listxattr(2): the names of the extended attributes of `path`.
 * @throws {SyscallError} `ENOTSUP`, `ENOENT`, `EACCES`
 * @see https://man7.org/linux/man-pages/man2/listxattr.2.html
 */
export function listxattr(path: PathLike): string[] {
  return list(Form.Path, path, listxattr);
}
/** llistxattr(2): {@link listxattr} of a symlink itself. @see https://man7.org/linux/man-pages/man2/llistxattr.2.html */
export function llistxattr(path: PathLike): string[] {
  return list(Form.Link, path, llistxattr);
}
/** flistxattr(2): {@link listxattr} of an open file. @see https://man7.org/linux/man-pages/man2/flistxattr.2.html */
export function flistxattr(fd: number): string[] {
  return list(Form.Fd, fd, flistxattr);
}

/**
 * setxattr(2): sets extended attribute `name` of `path` to `value` (a buffer, or a string stored as UTF-8).
 * @param flags `constants.XATTR_CREATE` (fail if it exists) or `XATTR_REPLACE` (fail if it does not); default 0
 * @throws {SyscallError} `EEXIST`, `ENODATA`, `ENOTSUP`, `ENOSPC`, `EDQUOT`, `E2BIG`, `EPERM`, `ERANGE`
 * @see https://man7.org/linux/man-pages/man2/setxattr.2.html
 */
export function setxattr(path: PathLike, name: string, value: ArrayBufferView | string, flags?: number): void {
  set(Form.Path, path, name, value, flags, setxattr);
}
/** lsetxattr(2): {@link setxattr} on a symlink itself. @see https://man7.org/linux/man-pages/man2/lsetxattr.2.html */
export function lsetxattr(path: PathLike, name: string, value: ArrayBufferView | string, flags?: number): void {
  set(Form.Link, path, name, value, flags, lsetxattr);
}
/** fsetxattr(2): {@link setxattr} on an open file. @see https://man7.org/linux/man-pages/man2/fsetxattr.2.html */
export function fsetxattr(fd: number, name: string, value: ArrayBufferView | string, flags?: number): void {
  set(Form.Fd, fd, name, value, flags, fsetxattr);
}

/**
 * removexattr(2): removes extended attribute `name` of `path`.
 * @throws {SyscallError} `ENODATA`, `ENOTSUP`, `EPERM`
 * @see https://man7.org/linux/man-pages/man2/removexattr.2.html
 */
export function removexattr(path: PathLike, name: string): void {
  remove(Form.Path, path, name, removexattr);
}
/** lremovexattr(2): {@link removexattr} on a symlink itself. @see https://man7.org/linux/man-pages/man2/lremovexattr.2.html */
export function lremovexattr(path: PathLike, name: string): void {
  remove(Form.Link, path, name, lremovexattr);
}
/** fremovexattr(2): {@link removexattr} on an open file. @see https://man7.org/linux/man-pages/man2/fremovexattr.2.html */
export function fremovexattr(fd: number, name: string): void {
  remove(Form.Fd, fd, name, fremovexattr);
}
