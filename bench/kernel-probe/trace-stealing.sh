#!/bin/bash
# trace-stealing.sh: run two-punchers.c passes under tracefs (scheduler, interrupts, softirqs and
# lock contention events on both CPUs, trace_clock=mono so the probe's base_mono_ns lines the
# punches up with the trace), one raw trace + probe output per pass, for trace-stealing.ts.
# Every tracing setting it touches is saved first and restored on exit, even on failure.
# usage (root, under the shared bench lock):
#   flock /work/helpers/bench.lock bench/kernel-probe/trace-stealing.sh OUT_DIR [PASSES]
# passes run per repetition: gmem 2 MiB, shmem 2 MiB (300 punches per thread), gmem 4 KiB,
# shmem 4 KiB (20000 per thread), two threads each, at nice -20 as `rmsim probe` runs them.
set -euo pipefail
out=${1:?usage: trace-stealing.sh OUT_DIR [PASSES]}
passes=${2:-1}
T=/sys/kernel/tracing
[ -w $T/trace ] || { echo "trace-stealing.sh: $T not writable (needs root and tracefs)" >&2; exit 2; }
mkdir -p "$out"
here=$(cd "$(dirname "$0")" && pwd)
bin=$(mktemp -d)/two-punchers
cc -O2 -Wall -pthread -o "$bin" "$here/two-punchers.c"

events="sched:sched_switch sched:sched_waking sched:sched_wakeup sched:sched_migrate_task
irq:softirq_entry irq:softirq_exit irq:softirq_raise irq:irq_handler_entry
irq_vectors:local_timer_entry irq_vectors:reschedule_entry irq_vectors:call_function_entry
irq_vectors:call_function_single_entry lock:contention_begin lock:contention_end"

# save what we change
old_on=$(cat $T/tracing_on)
old_clock=$(sed -n 's/.*\[\(.*\)\].*/\1/p' $T/trace_clock)
old_buf=$(cat $T/buffer_size_kb)
old_events=$(cat $T/set_event)
restore() {
	echo 0 > $T/tracing_on
	echo > $T/set_event
	for e in $old_events; do echo "$e" >> $T/set_event; done
	echo > $T/trace
	echo "$old_clock" > $T/trace_clock
	echo "$old_buf" > $T/buffer_size_kb
	echo "$old_on" > $T/tracing_on
	rm -rf "$(dirname "$bin")"
}
trap restore EXIT

echo 0 > $T/tracing_on
echo mono > $T/trace_clock
echo 32768 > $T/buffer_size_kb
echo > $T/set_event
for e in $events; do
	if [ -d $T/events/${e%%:*}/${e#*:} ]; then echo "$e" >> $T/set_event; else echo "trace-stealing.sh: no event $e here, skipped" >&2; fi
done

run() { # name backend len count
	echo > $T/trace
	echo 1 > $T/tracing_on
	nice -n -20 "$bin" "$2" "$3" "$4" 2 > "$out/$1.probe.txt"
	echo 0 > $T/tracing_on
	cat $T/per_cpu/cpu*/stats | grep -i overrun | tr '\n' ' ' > "$out/$1.overrun.txt"
	cat $T/trace > "$out/$1.trace.txt"
	echo "$1: $(grep -c . "$out/$1.trace.txt") trace lines, $(cat "$out/$1.overrun.txt")" >&2
}
# guest_memfd needs /dev/kvm; without it (a host whose KVM module did not bind) only shmem runs.
gmem=1
[ -e /dev/kvm ] || { gmem=0; echo "trace-stealing.sh: no /dev/kvm, guest_memfd passes skipped" >&2; }
for k in $(seq 1 "$passes"); do
	[ $gmem = 1 ] && run gmem-2097152-pass$k gmem 2097152 300
	run shmem-2097152-pass$k shmem 2097152 300
	[ $gmem = 1 ] && run gmem-4096-pass$k gmem 4096 20000
	run shmem-4096-pass$k shmem 4096 20000
done
