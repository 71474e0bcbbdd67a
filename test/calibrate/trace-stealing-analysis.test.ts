// The trace analysis names what ended a waiter's spin from the events around its sleep on the
// file rwsem: a task woken onto its own CPU (need_resched) or its owner switched out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyseTracedPass, parseTrace, taskKind } from '../../sim/calibrate/trace-stealing-analysis.js';

const BASE_S = 100; // the first punch starts at 100.000000 s (mono)
const probe = [
  `# backend=gmem len=2097152 count=2 threads=2 gap_ns=0 wall_ns=20000000 base_mono_ns=${BASE_S * 1e9}`,
  '0 0 50000',
  '0 50000 100000',
  '1 100000 9000000',
  '1 9000000 9050000',
].join('\n');

// main thread 10, punch threads 11 (CPU 1, owner) and 12 (CPU 0, waiter)
const L = (comm: string, pid: number, cpu: number, flags: string, us: number, rest: string): string =>
  `    ${comm}-${pid}     [00${cpu}] ${flags} ${BASE_S}.${String(us).padStart(6, '0')}: ${rest}`;
const trace = [
  '# tracer: nop',
  L('two-punchers', 10, 1, 'd..2.', 0, 'sched_switch: prev_comm=two-punchers prev_pid=10 prev_prio=120 prev_state=S ==> next_comm=two-punchers next_pid=11 next_prio=100'),
  L('two-punchers', 12, 0, 'd.h1.', 100, 'local_timer_entry: vector=236'),
  L('two-punchers', 12, 0, '..s1.', 102, 'softirq_entry: vec=9 [action=RCU]'),
  L('two-punchers', 12, 0, 'd.s4.', 103, 'sched_waking: comm=rcu_preempt pid=15 prio=120 target_cpu=000'),
  L('two-punchers', 12, 0, 'dNs5.', 104, 'sched_wakeup: comm=rcu_preempt pid=15 prio=120 target_cpu=000'),
  L('two-punchers', 12, 0, '.Ns1.', 105, 'softirq_exit: vec=9 [action=RCU]'),
  L('two-punchers', 12, 0, 'dN.2.', 106, 'contention_begin: 00000000d2325a87 (flags=WRITE)'),
  L('two-punchers', 12, 0, 'd..2.', 108, 'sched_switch: prev_comm=two-punchers prev_pid=12 prev_prio=100 prev_state=D ==> next_comm=rcu_preempt next_pid=15 next_prio=120'),
  L('two-punchers', 11, 1, 'd..3.', 4000, 'sched_waking: comm=two-punchers pid=12 prio=100 target_cpu=000'),
  L('<idle>', 0, 0, 'd..2.', 4020, 'sched_switch: prev_comm=swapper/0 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=two-punchers next_pid=12 next_prio=100'),
  L('two-punchers', 12, 0, '...1.', 8106, 'contention_end: 00000000d2325a87 (ret=0)'),
].join('\n');

test('parseTrace reads mono timestamps in ns and the flags field', () => {
  const ev = parseTrace(trace);
  assert.equal(ev.length, 11);
  assert.equal(ev[6]!.ns, BASE_S * 1e9 + 106_000);
  assert.equal(ev[6]!.flags, 'dN.2.');
  assert.equal(ev[6]!.name, 'contention_begin');
});

test('taskKind folds per-CPU kernel threads into one kind', () => {
  assert.equal(taskKind('ksoftirqd/1'), 'ksoftirqd');
  assert.equal(taskKind('kworker/0:1H'), 'kworker');
  assert.equal(taskKind('<idle>'), 'idle');
  assert.equal(taskKind('rcu_preempt'), 'rcu_preempt');
});

test('a waiter that sleeps with need_resched set after rcu_preempt was woken in its RCU softirq: cause, wait and wake-up latency', () => {
  const s = analyseTracedPass(probe, trace);
  assert.equal(s.writer_sleeps, 1);
  assert.equal(s.waits_over_4ms, 1);
  const sl = s.sleeps[0]!;
  assert.equal(sl.cause, 'need_resched');
  assert.equal(sl.by, 'rcu_preempt');
  assert.equal(sl.woken_in, 'softirq RCU');
  assert.equal(sl.switched_to, 'rcu_preempt');
  assert.equal(sl.wait_ns, 8_000_000);
  assert.equal(sl.since_tick_ns, 6_000);
  assert.equal(sl.retries, 1);
  assert.deepEqual(s.wake_latencies_ns, [20_000]);
  assert.deepEqual(s.wakeups, { rcu_preempt: 1 });
  assert.equal(s.pages_freed, 4 * 512);
});

test('without the N flag, the owner switched out for another task is the cause', () => {
  const t2 = trace
    .replace('dN.2. 100.000106', 'd..2. 100.000106')
    .replace(L('two-punchers', 12, 0, 'd.h1.', 100, 'local_timer_entry: vector=236'), L('two-punchers', 11, 1, 'd..2.', 100, 'sched_switch: prev_comm=two-punchers prev_pid=11 prev_prio=100 prev_state=R+ ==> next_comm=ksoftirqd/1 next_pid=20 next_prio=120'));
  const s = analyseTracedPass(probe, t2);
  assert.equal(s.sleeps[0]!.cause, 'owner_off_cpu');
  assert.equal(s.sleeps[0]!.by, 'ksoftirqd');
});

test('a probe output from before base_mono_ns is refused with the reason', () => {
  assert.throws(() => analyseTracedPass(probe.replace(/ base_mono_ns=\d+/, ''), trace), /base_mono_ns/);
});
