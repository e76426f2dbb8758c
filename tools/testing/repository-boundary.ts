// The repository stands on its own: no file under apps/, libs/ or tools/ may name the project's shared folder beside
// the clone or any path above the repository root. A fresh clone has nothing beside it, so a test, script or tool
// that reaches out there passes on a developer's machine and fails for every user (issue 11).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import * as ts from 'typescript';

export interface BoundaryEscape {
  /** The file, relative to the repository root. */
  file: string;
  line: number;
  /** What the file names, as written. */
  text: string;
  reason: string;
}

export const CHECKED_TREES = ['apps', 'libs', 'tools'] as const;

const SKIPPED_FOLDERS = new Set(['node_modules', 'dist', 'coverage', '.nx', 'tmp']);
const SCRIPT_EXTENSIONS = new Set(['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs', '.tsx', '.jsx']);
const TEXT_EXTENSIONS = new Set([...SCRIPT_EXTENSIONS, '.json', '.sh', '.bash', '.yaml', '.yml', '.md', '.sql', '.txt', '.env', '.conf', '.cfg', '.toml', '.html', '.css']);

// Built from parts so this file does not name the folder it forbids.
const SHARED_FOLDER = `..${'/'}shared`;
// A line that says why it names such a path (an attack string sent to the API, say) is allowed: `repository-boundary: <why>`.
const ALLOWED = /repository-boundary: \S/;
const SHARED_MENTION = new RegExp(String.raw`\.\.[\\/]+shared(?![\w-])|['"]\.\.['"]\s*,\s*['"]shared['"]`);

/** Every text file of the checked trees, relative to the root. */
export function checkedFiles(root: string): string[] {
  const files: string[] = [];
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!SKIPPED_FOLDERS.has(entry.name)) walk(join(folder, entry.name));
      } else if (entry.isFile() && TEXT_EXTENSIONS.has(extname(entry.name))) {
        files.push(relative(root, join(folder, entry.name)));
      }
    }
  };
  for (const tree of CHECKED_TREES) walk(resolve(root, tree));
  return files.sort();
}

function outside(root: string, target: string): boolean {
  const path = relative(root, target);
  return path === '..' || path.startsWith(`..${sep}`) || isAbsolute(path);
}

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i += 1) if (text.charCodeAt(i) === 10) line += 1;
  return line;
}

/** `resolve(__dirname, '..', 'x')`, `path.join(__dirname, '../x')`: the literal arguments after the directory. */
function directoryCallSegments(node: ts.CallExpression): string[] | undefined {
  const callee = node.expression;
  const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : undefined;
  if (name !== 'resolve' && name !== 'join') return undefined;
  const [first, ...rest] = node.arguments;
  if (first === undefined) return undefined;
  const isDirname =
    (ts.isIdentifier(first) && first.text === '__dirname') ||
    (ts.isPropertyAccessExpression(first) && first.name.text === 'dirname' && ts.isMetaProperty(first.expression));
  if (!isDirname) return undefined;
  const segments: string[] = [];
  for (const argument of rest) {
    if (!ts.isStringLiteralLike(argument)) break; // a computed part: only the literal prefix is known
    segments.push(argument.text);
  }
  return segments;
}

function scriptEscapes(root: string, file: string, text: string): BoundaryEscape[] {
  const folder = dirname(resolve(root, file));
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, file.endsWith('x') ? ts.ScriptKind.TSX : undefined);
  const found: BoundaryEscape[] = [];
  const report = (node: ts.Node, reason: string): void => {
    const start = node.getStart(source);
    found.push({ file, line: source.getLineAndCharacterOfPosition(start).line + 1, text: node.getText(source), reason });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node)) {
      const segments = directoryCallSegments(node);
      if (segments !== undefined && outside(root, resolve(folder, ...segments))) {
        report(node, 'resolves above the repository root');
        return;
      }
    }
    if (ts.isStringLiteralLike(node) && /^\.\.?\//.test(node.text) && outside(root, resolve(folder, node.text))) {
      report(node, 'a relative path that leaves the repository');
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Shell and other text: `$(dirname ...)/../..` and plain `../..` runs, taken from the file's own folder. */
function textEscapes(root: string, file: string, text: string): BoundaryEscape[] {
  const folder = dirname(resolve(root, file));
  const found: BoundaryEscape[] = [];
  const relativeRun = /(?:^|[\s"'=(:`]|\)"?\/)((?:\.\.\/)*\.\.)(?=[/\s"'`)]|$)/gm;
  for (const match of text.matchAll(relativeRun)) {
    const run = match[1];
    if (outside(root, resolve(folder, run))) {
      found.push({ file, line: lineOf(text, match.index + match[0].indexOf(run)), text: run, reason: 'a relative path that leaves the repository' });
    }
  }
  return found;
}

/** What one file names outside the repository (root: the repository's root folder). */
export function findEscapes(root: string, file: string, text: string): BoundaryEscape[] {
  const found: BoundaryEscape[] = [];
  const folder = dirname(resolve(root, file));
  const shared = SHARED_MENTION.exec(text);
  // A folder of the repository's own that is called shared (apps/clustering/src/query/shared) is no escape.
  const sibling = resolve(folder, SHARED_FOLDER);
  if (shared && !(existsSync(sibling) && !outside(root, sibling))) {
    found.push({ file, line: lineOf(text, shared.index), text: shared[0], reason: `names ${SHARED_FOLDER}, which a fresh clone does not have` });
  }
  const escapes = SCRIPT_EXTENSIONS.has(extname(file)) ? scriptEscapes(root, file, text) : extname(file) === '.md' ? [] : textEscapes(root, file, text);
  const lines = text.split('\n');
  return [...found, ...escapes].filter((escape) => !ALLOWED.test(lines[escape.line - 1] ?? ''));
}

/** Every escape in the checked trees of the repository at root. */
export function scanRepository(root: string): BoundaryEscape[] {
  return checkedFiles(root).flatMap((file) => findEscapes(root, file, readFileSync(resolve(root, file), 'utf8')));
}
