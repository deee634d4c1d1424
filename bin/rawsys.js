#!/usr/bin/env node
'use strict';
// The `rawsys` command: `rawsys run [OPTIONS] -- COMMAND [ARG...]` (see --help).
require('../dist/cjs/cli.js').main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e) => {
    process.stderr.write(`rawsys: ${e && e.stack ? e.stack : e}\n`);
    process.exitCode = 125;
  },
);
