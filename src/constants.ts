/**
 * rawsys/constants: every constant rawsys uses, read from the system headers
 * at build time (see native/constants.txt). Values differ between
 * architectures (x64 and arm64 have different syscall numbers): use the names.
 * @packageDocumentation
 * @module rawsys/constants
 */
import { native } from './binding';
import type { Constants } from './constants.gen';

export type { Constants, ConstantName } from './constants.gen';

/**
 * The constants compiled into the addon from the system headers: open flags
 * (`O_*`, `AT_*`), `SEEK_*`, `LOCK_*`, `F_*`, mode bits (`S_*`), `XATTR_*`,
 * signals (`SIG*`), errnos (`E*`) and syscall numbers (`SYS_*`) of the
 * architecture the addon was built for. Frozen.
 */
export const constants: Readonly<Constants> = Object.freeze(native.constants);
