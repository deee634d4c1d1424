#!/usr/bin/env node
'use strict';
// Prints a SHA-256 of everything the native binary is built from: binding.gyp,
// scripts/embed-init.js and every file under native/ (sorted by path). binding.gyp compiles it into
// the addon as RAWSYS_SOURCE_HASH, and the prebuild test recomputes it, so a
// committed prebuild that no longer matches the sources fails the tests.
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

function sourceHash(root) {
  const files = ['binding.gyp', 'scripts/embed-init.js'];
  const walk = (dir) => {
    for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(rel);
      else files.push(rel);
    }
  };
  walk('native');
  files.sort();
  const h = crypto.createHash('sha256');
  for (const f of files) {
    h.update(`${f}\0`);
    h.update(fs.readFileSync(path.join(root, f)));
    h.update('\0');
  }
  return h.digest('hex').slice(0, 32);
}

module.exports = { sourceHash };
if (require.main === module) process.stdout.write(sourceHash(path.join(__dirname, '..')));
