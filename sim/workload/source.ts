// Reading a workload document with positions: the `yaml` package parses YAML (and JSON, a
// subset of it) into a Document whose nodes keep source ranges; a LineCounter turns offsets
// into line:column so every problem can point at the text the user wrote.
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isMap, isSeq, isScalar, isPair, type Document, type Node } from 'yaml';
import { WorkloadError, type Problem } from './errors.js';

export type PathSegment = string | number;

export interface SourceDocument {
  /** Name used in messages (the path as the user gave it, or builtin:<name>). */
  source: string;
  text: string;
  doc: Document.Parsed;
  lines: LineCounter;
  /** The plain value (objects, arrays, scalars). */
  value: unknown;
}

/** Parse text as YAML/JSON; syntax errors become Problems with positions. */
export function parseSource(source: string, text: string): SourceDocument {
  if (/\.json$/i.test(source)) checkStrictJson(source, text);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems: Problem[] = doc.errors.map((e) => {
      const pos = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
      return {
        source,
        line: pos.line,
        col: pos.col,
        path: '',
        expected: 'valid YAML or JSON',
        found: firstLine(e.message),
      };
    });
    throw new WorkloadError(problems);
  }
  const value = doc.toJS({ maxAliasCount: 100 }) as unknown;
  return { source, text, doc, lines, value };
}

/** Read and parse a workload file; an unreadable file is a Problem too. */
export function readSource(path: string, displayName = path): SourceDocument {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'an error';
    throw new WorkloadError([
      { source: displayName, path: '', expected: 'a readable workload file', found: describeErrno(code) },
    ]);
  }
  return parseSource(displayName, text);
}

/** YAML accepts JSON with trailing commas; a .json file must be JSON, so check it as such. */
function checkStrictJson(source: string, text: string): void {
  try {
    JSON.parse(text);
  } catch (err) {
    const msg = (err as Error).message;
    const at = /position (\d+)/.exec(msg);
    const offset = at ? Number(at[1]) : 0;
    const before = text.slice(0, offset).split('\n');
    throw new WorkloadError([{
      source, line: before.length, col: before[before.length - 1].length + 1, path: '',
      expected: 'valid JSON', found: msg.replace(/ in JSON at position \d+.*$/, '').replace(/^Unexpected token/, 'unexpected token'),
    }]);
  }
}

function describeErrno(code: string): string {
  switch (code) {
    case 'ENOENT': return 'no such file';
    case 'EACCES': return 'permission denied';
    case 'EISDIR': return 'a directory';
    default: return code;
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}

/** Step into a YAML node by one path segment; for a key, also return the key node. */
function step(node: unknown, seg: PathSegment): { value?: Node; key?: Node } {
  if (isMap(node)) {
    for (const pair of node.items) {
      if (isPair(pair) && isScalar(pair.key) && String(pair.key.value) === String(seg)) {
        return { value: (pair.value ?? undefined) as Node | undefined, key: pair.key };
      }
    }
    return {};
  }
  if (isSeq(node) && typeof seg === 'number') {
    return { value: node.items[seg] as Node | undefined };
  }
  return {};
}

/**
 * Line and column of the node at `path` (of its key when `atKey`), or of the deepest
 * ancestor that exists (a missing field points at the object that lacks it).
 */
export function positionOf(src: SourceDocument, path: readonly PathSegment[], atKey = false): { line: number; col: number } {
  let node: unknown = src.doc.contents;
  let best: Node | undefined = (src.doc.contents ?? undefined) as Node | undefined;
  for (let i = 0; i < path.length; i++) {
    const { value, key } = step(node, path[i]);
    if (value === undefined && key === undefined) break;
    const last = i === path.length - 1;
    best = (last && atKey && key) ? key : (value ?? key);
    node = value;
  }
  const offset = best?.range?.[0] ?? 0;
  return src.lines.linePos(offset);
}
