#!/usr/bin/env node
// A `solc` executable for forge, backed by the pinned solcjs from npm (native solc cannot be
// downloaded here). forge only needs `--version` and `--standard-json` (JSON on stdin -> stdout).
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require(path.join(__dirname, 'tools', 'node_modules', 'solc'));

const args = process.argv.slice(2);
if (args.includes('--version')) {
  const v = solc.version().replace(/\.Emscripten\.clang$/, '.Linux.g++');
  fs.writeFileSync(1, `solc, the solidity compiler commandline interface\nVersion: ${v}\n`);
  process.exit(0);
}
if (!args.includes('--standard-json')) {
  fs.writeFileSync(2, 'solc-wrapper: only --version and --standard-json are supported\n');
  process.exit(1);
}
const input = fs.readFileSync(0, 'utf8');
const readCallback = (p) => {
  try {
    return { contents: fs.readFileSync(p, 'utf8') };
  } catch (e) {
    return { error: `File not found: ${p}` };
  }
};
const out = solc.compile(input, { import: readCallback });
// process.stdout.write + exit truncates large outputs; a synchronous write to fd 1 does not.
fs.writeFileSync(1, out);
