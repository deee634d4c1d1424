#!/usr/bin/env node
'use strict';
// `npm run docs`: the API reference in docs/api/, rendered by TypeDoc from
// the TSDoc of the package's entry points. The entry points are read from
// package.json "exports" (dist/cjs/<name>.d.ts -> src/<name>.ts), so a new
// entry point appears without touching this script. Warnings (a broken
// {@link}, a referenced type left out) fail the build.
const cp = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const pkg = require('../package.json');

function sourceOf(target) {
  const types = typeof target === 'object' && target ? target.types || target.require : undefined;
  if (typeof types !== 'string') return undefined;
  const m = /^\.\/dist\/cjs\/(.+?)(\.d\.ts|\.js)$/.exec(types);
  return m ? `src/${m[1]}.ts` : undefined;
}

const entryPoints = Object.values(pkg.exports).map(sourceOf).filter(Boolean);
for (const e of entryPoints) {
  if (!fs.existsSync(path.join(ROOT, e))) throw new Error(`${e} (from package.json exports) does not exist`);
}
const args = [
  ...entryPoints.flatMap((e) => ['--entryPoints', e]),
  '--tsconfig', 'tsconfig.json',
  '--out', 'docs/api',
  '--name', `${pkg.name} ${pkg.version}`,
  '--readme', 'none',
  '--excludeInternal',
  '--excludePrivate',
  '--sort', 'source-order',
  '--githubPages', 'false',
  // No links to a hosted copy of the sources: a clone's remote (or none) must not change the output.
  '--disableSources',
  '--treatWarningsAsErrors',
  ...process.argv.slice(2),
];
const bin = path.join(path.dirname(require.resolve('typedoc/package.json')), 'bin', 'typedoc');
const r = cp.spawnSync(process.execPath, [bin, ...args], { cwd: ROOT, stdio: 'inherit' });
process.exitCode = r.status === null ? 1 : r.status;
