// The README's worked examples, run as written: every `$ ...` line of a ```console block runs in
// a shell (with `rmsim` meaning the built CLI), in one scratch folder for the whole README, in
// order, as a reader following along would. What the README prints under a command is an excerpt:
// each printed line must appear, in that order, in what the command prints (trailing spaces
// aside; `...` stands for lines left out). `echo $?` checks the exit code of the command before
// it, a `# exit N` comment that command's own. Commands with a placeholder (`<your VMM>`,
// `my.yaml`) are shown, not run. Long (about a minute): behind RMSIM_LONG.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../sim/paths.js';

interface Command {
  line: number;
  cmd: string;
  expected: string[];
}

/** The ```console blocks of a Markdown text, as commands with their printed excerpts. */
export function consoleCommands(markdown: string): Command[] {
  const out: Command[] = [];
  let inBlock = false;
  markdown.split('\n').forEach((text, i) => {
    if (/^```console\s*$/.test(text)) inBlock = true;
    else if (inBlock && /^```/.test(text)) inBlock = false;
    else if (inBlock && text.startsWith('$ ')) out.push({ line: i + 1, cmd: text.slice(2), expected: [] });
    else if (inBlock && out.length > 0) out[out.length - 1].expected.push(text.trimEnd());
  });
  return out;
}

/** Wall-clock figures differ run to run; the README's are an example of them. */
function withoutTimings(line: string): string {
  return line.trimEnd().replace(/ events in [\d.]+ s\b/, ' events in _ s');
}

/** Whether `expected` (with `...` lines dropped) is a subsequence of `actual`; the first miss. */
export function missingLine(expected: string[], actual: string[]): string | null {
  let j = 0;
  for (const e of expected) {
    if (e.trim() === '...' || e === '') continue;
    const want = withoutTimings(e);
    // `sha256:...`: a line cut short, its start is what counts.
    const matches = want.endsWith('...') && want.trim() !== '...'
      ? (a: string) => withoutTimings(a).startsWith(want.slice(0, -3))
      : (a: string) => withoutTimings(a) === want;
    while (j < actual.length && !matches(actual[j])) j++;
    if (j === actual.length) return e;
    j++;
  }
  return null;
}

const PLACEHOLDER = /<[a-z ]+>|\bmy\.yaml\b/i;

test('consoleCommands and missingLine read an excerpt the way the README means it', () => {
  const md = ['text', '```console', '$ rmsim run x', 'a', '...', 'c', '$ echo $?', '1', '```', '$ not a command'].join('\n');
  const cmds = consoleCommands(md);
  assert.deepEqual(cmds.map((c) => c.cmd), ['rmsim run x', 'echo $?']);
  assert.equal(missingLine(cmds[0].expected, ['a', 'b', 'c']), null);
  assert.equal(missingLine(cmds[0].expected, ['c', 'a']), 'c');
  assert.equal(missingLine(cmds[0].expected, ['a']), 'c');
  assert.equal(missingLine(['x | 10 events in 1.01 s'], ['x | 10 events in 0.62 s']), null, 'wall time is not compared');
  assert.equal(missingLine(['sha256:...'], ['sha256:4f0c']), null, 'a line cut short with ... matches by its start');
  assert.equal(missingLine(['sha256:...'], ['md5:4f0c']), 'sha256:...');
  assert.equal(missingLine(['x | 10 events in 1.01 s'], ['x | 11 events in 1.01 s']), 'x | 10 events in 1.01 s');
});

test('the README worked examples print what the README shows', { skip: !process.env.RMSIM_LONG && 'long (about a minute): set RMSIM_LONG=1' }, () => {
  const root = packageRoot();
  const cmds = consoleCommands(readFileSync(join(root, 'README.md'), 'utf8'));
  assert.ok(cmds.length >= 15, `the README's console blocks hold ${cmds.length} commands`);
  const dir = mkdtempSync(join(tmpdir(), 'rmsim-readme-'));
  // Examples name repository files (test fixtures) by relative path.
  symlinkSync(join(root, 'test'), join(dir, 'test'));
  const cli = join(root, 'dist', 'sim', 'cli', 'main.js');
  let lastCode = 0;
  let ran = 0;
  // Every mismatch, not just the first: a README edit usually fixes several at once.
  const wrong: string[] = [];
  try {
    for (const c of cmds) {
      const where = `README.md:${c.line} \`${c.cmd}\``;
      if (c.cmd.trim() === 'echo $?') {
        const shown = c.expected.find((l) => l.trim() !== '')?.trim();
        if (String(lastCode) !== shown) wrong.push(`${where}: the README shows exit code ${shown}, the command before it exited ${lastCode}`);
        continue;
      }
      if (PLACEHOLDER.test(c.cmd)) continue;
      const r = spawnSync('bash', ['-c', `rmsim() { node ${JSON.stringify(cli)} "$@"; }\n${c.cmd} 2>&1`], {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
        maxBuffer: 64 << 20,
      });
      lastCode = r.status ?? -1;
      ran++;
      const exit = /#\s*exit (\d+)\s*$/.exec(c.cmd);
      if (exit && lastCode !== Number(exit[1])) wrong.push(`${where}: exited ${lastCode}, the README says ${exit[1]}\n${r.stdout}`);
      const miss = missingLine(c.expected, r.stdout.split('\n'));
      if (miss !== null) wrong.push(`${where}: the README shows\n  ${miss}\nbut the command printed\n${r.stdout}`);
    }
    assert.ok(ran >= 15, `ran ${ran} commands`);
    assert.deepEqual(wrong, [], wrong.join('\n\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
