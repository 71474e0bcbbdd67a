#!/usr/bin/env python3
"""SimPy reference for the engine benchmark: the same two workloads as bench/engine/workloads.ts.

(a) P processes each looping on an exponential timeout (mean 1000), E events in total.
(b) 16 processes taking one Resource(capacity=1): hold exp mean 1000, think exp mean 16000,
    N acquisitions (SimPy has no CPU model: the 16 CPUs of the engine's run never queue).
Prints one JSON object: median events/s and acquisitions/s over the trials, timed with
process CPU time (time.process_time) like the TypeScript side, plus wall-clock medians.
Usage: simpy_ref.py EVENTS PROCS ACQUISITIONS TRIALS
"""
import json
import random
import statistics
import sys
import time

import simpy


def timeouts(events, procs):
    env = simpy.Environment()
    per = events // procs

    def proc(env, rng):
        for _ in range(per):
            yield env.timeout(round(rng.expovariate(1 / 1000)))

    for i in range(procs):
        env.process(proc(env, random.Random(i)))
    env.run()
    return per * procs


def mutex(acquisitions, procs=16):
    env = simpy.Environment()
    lock = simpy.Resource(env, capacity=1)
    per = acquisitions // procs

    def proc(env, rng):
        for _ in range(per):
            with lock.request() as req:
                yield req
                yield env.timeout(round(rng.expovariate(1 / 1000)))
            yield env.timeout(round(rng.expovariate(1 / 16000)))

    for i in range(procs):
        env.process(proc(env, random.Random(100 + i)))
    env.run()
    return per * procs


def timed(fn, *args):
    c0, w0 = time.process_time(), time.perf_counter()
    n = fn(*args)
    return n / (time.process_time() - c0), n / (time.perf_counter() - w0)


def main():
    events, procs, acq, trials = (int(a) for a in sys.argv[1:5])
    a_cpu, a_wall, b_cpu, b_wall = [], [], [], []
    for _ in range(trials):
        c, w = timed(timeouts, events, procs)
        a_cpu.append(c)
        a_wall.append(w)
        c, w = timed(mutex, acq)
        b_cpu.append(c)
        b_wall.append(w)
    print(json.dumps({
        "simpy_version": simpy.__version__,
        "python_version": sys.version.split()[0],
        "trials": trials,
        "events": events,
        "acquisitions": acq,
        "timeouts_events_per_s": statistics.median(a_cpu),
        "timeouts_events_per_s_wall": statistics.median(a_wall),
        "mutex_acquisitions_per_s": statistics.median(b_cpu),
        "mutex_acquisitions_per_s_wall": statistics.median(b_wall),
    }))


if __name__ == "__main__":
    main()
