// Parser for what `strace -f -T [-t|-tt|-ttt] -e trace=memfd_create,ftruncate,fallocate,ioctl`
// writes, with or without -o: one call per line, optionally prefixed by a pid ("1234  " with -o,
// "[pid 1234] " without) and a timestamp; calls interrupted by another thread are split into
// "name(args <unfinished ...>" and "<... name resumed>rest) = ret <secs>"; "+++ exited +++" and
// "--- SIGCHLD ---" lines carry no call. A line that fits none of these is an error with its number.
import { readFileSync } from 'node:fs';
import { WorkloadError, type Problem } from '../workload/errors.js';

export interface StraceCall {
  /** 1-based line of the call's completion (its first line for unfinished calls is `startLine`). */
  line: number;
  startLine: number;
  pid: number;
  name: string;
  /** Top-level arguments as written (strings keep their quotes). */
  args: string[];
  /** Return value, or undefined for "?". */
  ret?: number;
  /** errno name when the call failed (ret -1), e.g. EINVAL. */
  errno?: string;
  /** Time spent in the call as -T printed it, integer ns. */
  durationNs: number;
}

const PREFIX = /^(?:\[pid\s+(\d+)\]\s+|(\d+)\s+)?(?:(?:\d{2}:\d{2}:\d{2}(?:\.\d+)?|\d+\.\d+)\s+)?/;
const COMPLETE = /^([a-z_][a-z0-9_]*)\((.*)\)\s+=\s+(.*)$/;
const UNFINISHED = /^([a-z_][a-z0-9_]*)\((.*?)\s*<unfinished \.\.\.>\s*$/;
const RESUMED = /^<\.\.\.\s+([a-z_][a-z0-9_]*)\s+resumed>(.*)\)\s+=\s+(.*)$/;
const RESULT = /^(-?\d+|0x[0-9a-f]+|\?)(?:\s+([A-Z][A-Z0-9_]+)(?:\s+\([^)]*\))?)?(?:\s+\([^)]*\))?\s*(?:<(\d+)\.(\d+)>|<unavailable>)?\s*$/;

class TraceErrors {
  problems: Problem[] = [];
  constructor(readonly source: string) {}
  add(line: number, expected: string, found: string): void {
    this.problems.push({ source: this.source, line, col: 1, path: '(trace)', expected, found });
  }
}

/** Split an argument list at top-level commas (outside quotes, (), [] and {}). */
export function splitArgs(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = false;
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (quote) {
      cur += ch;
      if (ch === '\\') cur += s[++i] ?? '';
      else if (ch === '"') quote = false;
      continue;
    }
    if (ch === '"') quote = true;
    else if ('([{'.includes(ch)) depth++;
    else if (')]}'.includes(ch)) depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else {
      cur += ch;
    }
  }
  if (cur.trim() !== '' || out.length > 0) out.push(cur.trim());
  return out;
}

function secondsToNs(whole: string, frac: string): number {
  // Exact decimal to integer ns: "0.000045" -> 45000.
  const f = (frac + '000000000').slice(0, 9);
  return Number(whole) * 1_000_000_000 + Number(f);
}

function shorten(s: string): string {
  return JSON.stringify(s.length > 80 ? s.slice(0, 77) + '...' : s);
}

/** Parse strace text; throws WorkloadError listing every malformed line (exit 2). */
export function parseStrace(text: string, source = 'trace'): StraceCall[] {
  const errs = new TraceErrors(source);
  const calls: StraceCall[] = [];
  const pending = new Map<number, { name: string; args: string; line: number }>();
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    if (raw.trim() === '') return;
    const pm = PREFIX.exec(raw)!;
    const pid = Number(pm[1] ?? pm[2] ?? 0);
    const rest = raw.slice(pm[0].length);
    if (/^(\+\+\+ .* \+\+\+|--- .* ---)\s*$/.test(rest)) {
      if (/^\+\+\+ (exited|killed)/.test(rest)) pending.delete(pid);
      return;
    }
    if (/^strace: /.test(rest)) return; // strace's own notes (Process N attached)
    let name: string;
    let argText: string;
    let resultText: string;
    let startLine = lineNo;
    const un = UNFINISHED.exec(rest);
    if (un) {
      if (pending.has(pid)) errs.add(lineNo, `a "<... ${pending.get(pid)!.name} resumed>" line for pid ${pid} first`, shorten(rest));
      pending.set(pid, { name: un[1], args: un[2], line: lineNo });
      return;
    }
    const re = RESUMED.exec(rest);
    if (re) {
      const p = pending.get(pid);
      if (!p || p.name !== re[1]) {
        errs.add(lineNo, `an earlier "${re[1]}(... <unfinished ...>" line for pid ${pid}`, shorten(rest));
        return;
      }
      pending.delete(pid);
      name = re[1];
      argText = p.args + re[2];
      resultText = re[3];
      startLine = p.line;
    } else {
      const co = COMPLETE.exec(rest);
      if (!co) {
        errs.add(lineNo, 'an strace -f -T line such as fallocate(5, FALLOC_FL_KEEP_SIZE, 0, 4096) = 0 <0.000026>', shorten(rest));
        return;
      }
      name = co[1];
      argText = co[2];
      resultText = co[3];
    }
    const r = RESULT.exec(resultText.trim());
    if (!r) {
      errs.add(lineNo, 'a result such as "= 0 <0.000026>" or "= -1 EINVAL (Invalid argument) <0.000015>"', shorten(resultText));
      return;
    }
    if (r[3] === undefined) {
      if (/<unavailable>/.test(resultText)) return; // the thread died inside the call
      errs.add(lineNo, "the call's duration <seconds> (record with strace -T)", shorten(resultText));
      return;
    }
    const ret = r[1] === '?' ? undefined : r[1].startsWith('0x') ? Number.parseInt(r[1], 16) : Number(r[1]);
    calls.push({
      line: lineNo, startLine, pid, name, args: splitArgs(argText), ret,
      errno: r[2], durationNs: secondsToNs(r[3], r[4]),
    });
  });
  for (const [pid, p] of pending) {
    errs.add(p.line, `a "<... ${p.name} resumed>" line for pid ${pid} later in the trace`, 'none');
  }
  if (errs.problems.length) throw new WorkloadError(errs.problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)));
  if (calls.length === 0) {
    throw new WorkloadError([{ source, path: '(trace)', expected: 'at least one traced call (strace -f -T -e trace=memfd_create,ftruncate,fallocate,ioctl)', found: 'none' }]);
  }
  return calls;
}

export function readStrace(path: string): StraceCall[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new WorkloadError([{ source: path, path: '(trace)', expected: 'a readable strace file', found: code === 'ENOENT' ? 'no such file' : String(code) }]);
  }
  return parseStrace(text, path);
}
