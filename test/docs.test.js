'use strict';
// Every export of every entry point in package.json "exports" has a doc
// comment (TSDoc, rendered by `npm run docs`), read from the built
// declarations (dist/cjs/*.d.ts) with the TypeScript compiler API. A function
// also names its man page (`open(2)` or a man7.org link) and says what it
// throws (`@throws`, "never fails", or a link to the documented call whose
// errors it shares, as each rawsys/promises function links its sync form).
// New entry points are covered as soon as they are listed in "exports".
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const ts = require('typescript');

const root = path.join(__dirname, '..');
const pkg = require('../package.json');

/** The declaration file of an "exports" target: its `types`, or the .d.ts beside its CommonJS file. */
function typesOf(target) {
  if (typeof target === 'string') return target.endsWith('.d.ts') ? target : undefined;
  if (!target || typeof target !== 'object') return undefined;
  if (typeof target.types === 'string') return target.types;
  if (typeof target.require === 'string' && target.require.endsWith('.js')) return target.require.replace(/\.js$/, '.d.ts');
  for (const v of Object.values(target)) {
    const t = typesOf(v);
    if (t) return t;
  }
  return undefined;
}

/** [specifier, absolute .d.ts] of every entry point with types ('rawsys', 'rawsys/promises' …). */
const entries = Object.entries(pkg.exports)
  .map(([key, target]) => [key === '.' ? pkg.name : `${pkg.name}/${key.slice(2)}`, typesOf(target)])
  .filter(([, types]) => types)
  .map(([spec, types]) => [spec, path.join(root, types)]);

/** The /** … *\/ comments right before a node, as raw text. */
function jsdocOf(node) {
  const text = node.getSourceFile().getFullText();
  return (ts.getLeadingCommentRanges(text, node.getFullStart()) || [])
    .map((r) => text.slice(r.pos, r.end))
    .filter((c) => c.startsWith('/**'))
    .join('\n');
}

/** The declaration whose comment documents `decl` (a variable's comment sits on its statement). */
function documented(decl) {
  if (ts.isVariableDeclaration(decl)) return decl.parent.parent;
  return decl;
}

const MAN = /\b[a-z_][a-z_0-9]*\(\d\)|man7\.org\/linux\/man-pages\/man\d/;
const ERRORS = /@throws\b|\bnever (fails|throws)\b/i;
const LINK = /\{@link\s+(?:([\w/]+)!)?(\w+)\s*\}/g;

/**
 * Problems of the entry points [[specifier, dts], …] as sentences: exports
 * without a doc comment, functions without a man page or error list.
 */
function check(points) {
  const program = ts.createProgram(points.map(([, f]) => f), { noEmit: true, skipLibCheck: true, types: ['node'] });
  const checker = program.getTypeChecker();
  const docs = new Map(); // `${spec}:${name}` -> { kind, text }
  for (const [spec, file] of points) {
    const sf = program.getSourceFile(file);
    assert.ok(sf, `${file} exists: run npm run build`);
    const mod = checker.getSymbolAtLocation(sf);
    const exported = mod ? checker.getExportsOfModule(mod) : [];
    assert.ok(exported.length > 0, `${spec} exports something`);
    for (const sym of exported) {
      let target = sym;
      let own = '';
      if (sym.flags & ts.SymbolFlags.Alias) {
        // A comment on the export itself counts (export { promises } of a namespace import).
        own = (sym.declarations || []).map((d) => jsdocOf(ts.isExportSpecifier(d) ? d.parent.parent : d)).join('\n');
        target = checker.getAliasedSymbol(sym);
      }
      const decls = (target.declarations || []).filter((d) => !ts.isSourceFile(d));
      const text = [own, ...decls.map((d) => jsdocOf(documented(d)))].join('\n').trim();
      const kind = target.flags & ts.SymbolFlags.Function ? 'function' : 'other';
      docs.set(`${spec}:${sym.name}`, { spec, name: sym.name, kind, text });
    }
  }
  const problems = [];
  const lookup = (spec, m) => docs.get(`${m[1] || spec}:${m[2]}`) || docs.get(`${pkg.name}:${m[2]}`);
  for (const d of docs.values()) {
    const where = `${d.spec}: ${d.name}`;
    if (!/\/\*\*[\s\S]*?\w[\s\S]*?\*\//.test(d.text)) {
      problems.push(`${where} has no doc comment`);
      continue;
    }
    if (d.kind !== 'function') continue;
    // Here, or in a call it links to (lgetxattr -> getxattr; promises.open -> open), two links deep at most.
    const has = (x, re, depth) => re.test(x.text)
      || (depth > 0 && [...x.text.matchAll(LINK)].some((m) => { const l = lookup(x.spec, m); return l && has(l, re, depth - 1); }));
    if (!has(d, MAN, 2)) problems.push(`${where} names no man page`);
    if (!has(d, ERRORS, 2)) problems.push(`${where} says nothing of what it throws`);
  }
  return { problems, count: docs.size };
}

test('docs: every entry point in package.json "exports" is checked', () => {
  const specs = entries.map(([s]) => s);
  assert.ok(specs.includes('rawsys') && specs.includes('rawsys/promises') && specs.includes('rawsys/constants'), specs.join(', '));
  const listed = Object.keys(pkg.exports).filter((k) => k !== './package.json');
  assert.is(entries.length, listed.length, `an entry without types: ${listed.join(', ')}`);
});

test('docs: every export has a doc comment; every function names its man page and its errors', () => {
  const { problems, count } = check(entries);
  assert.ok(count > 100, `${count} exports seen`);
  assert.equal(problems, []);
});

test('docs: the check fails on an undocumented export, a missing man page or a missing error list', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rawsys-docs-'));
  try {
    const file = path.join(dir, 'a.d.ts');
    fs.writeFileSync(file, [
      '/** open(2): documented. @throws {SyscallError} `ENOENT` */',
      'export declare function good(): void;',
      '/** Via a link: {@link good}. */',
      'export declare function linked(): void;',
      'export declare function bare(): void;',
      '/** No man page here. Never fails. */',
      'export declare function noMan(): void;',
      '/** read(2), and nothing about errors. */',
      'export declare function noErrors(): void;',
      'export declare const value: number;',
      'export interface Shape { x: number }',
      '/** A documented constant. */',
      'export declare const documented: number;',
    ].join('\n'));
    const { problems } = check([['fake', file]]);
    assert.equal(problems.sort(), [
      'fake: Shape has no doc comment',
      'fake: bare has no doc comment',
      'fake: noErrors says nothing of what it throws',
      'fake: noMan names no man page',
      'fake: value has no doc comment',
    ]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('docs: TypeDoc renders every entry point without a warning (no broken link, no type left out)', () => {
  // scripts/docs.js treats warnings as errors; --emit none checks without writing docs/api.
  const r = require('node:child_process').spawnSync(process.execPath, [path.join(root, 'scripts', 'docs.js'), '--emit', 'none'],
    { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  assert.is(r.status, 0, `${r.stdout}${r.stderr}`);
});

test.run();
