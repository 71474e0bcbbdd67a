#!/usr/bin/env bash
# The mutants issue 18 found surviving, and five in the fault batch's folds (issue 17: the batch's
# counts and conversions must reach the engine's statistics and the VM, or batching on and off differ), applied one at a
# time to the built code in dist/
# and the whole compiled suite run without rebuilding (node --test dist/test). Each must make the
# suite fail. dist/ is restored after each run (also on Ctrl-C). Run from the repository root
# after a build: bash test/mutation/known-mutants.sh
set -u
cd "${1:-.}"
declare -a FILES=(
  dist/sim/engine/locks/mutex.js
  dist/sim/engine/histogram.js
  dist/sim/variants/strategies.js
  dist/sim/model/mmu.js
  dist/sim/actors/fault-batch.js
  dist/sim/actors/fault-batch.js
  dist/sim/actors/fault-batch.js
  dist/sim/actors/fault-batch.js
  dist/sim/actors/fault-batch.js
)
declare -a NAMES=(
  "mutex release(): ownerOffCpu when the new owner is ON its CPU"
  "histogram record() fast path: (v - 1) >>> shift"
  "fault retry: mmu_invalidate_seq !== mmuSeq replaced by false"
  "fault path: is_page_fault_stale check replaced by false"
  "fault batch: mmu_lock's queue-length points not folded into its gauge"
  "fault batch: its sums (run-queue waits among them) not folded when it gives the CPUs back"
  "fault batch: a vCPU's counts not folded before the engine takes its loop back"
  "fault batch: the gfns a vCPU converted inside not stored in its VM's attributes"
  "fault batch: the memory-fault exits it converted not counted"
)
declare -a SEDS=(
  's/if (w\.onCpu !== true)/if (w.onCpu === true)/'
  's/^\(\s*i = (shift << [^)]*) + \)(v >>> shift);/\1((v - 1) >>> shift);/'
  '/const retryHonoured/,/^};/s/return vm\.mmu_invalidate_seq !== mmuSeq;/return false;/'
  's/if (this\.faultRetry\.isStale(vm, this\.mmuSeq, this\.gfn))/if (false)/'
  's/^\(\s*\)this\.foldQueueLength(h);/\1\/\/ (mutant)/'
  '/seatsEnded === this.seats.length/,/giveCpusBack/s/^\(\s*\)this\.foldSums(area\.header());/\1\/\/ (mutant)/'
  '/unpark(s) {/,/^    }/s/^\(\s*\)this\.fold(this\.area\.header(), true);/\1\/\/ (mutant)/'
  's/^\(\s*\)this\.vms\[s\.vm\]\.memAttr\.set(from, to, true);/\1\/\/ (mutant)/'
  "s/^\\(\\s*\\)sim\\.stats\\.counter('vcpu\\.memory_fault_exits')\\.add(exits);/\\1; \\/\\/ (mutant: the if's body now empty)/"
)
backup=$(mktemp -d)
restore() { for f in "${FILES[@]}"; do [ -f "$backup/$(basename "$f")" ] && cp "$backup/$(basename "$f")" "$f"; done; }
trap 'restore; exit 130' INT TERM
status=0
for i in "${!FILES[@]}"; do
  f=${FILES[$i]}
  cp "$f" "$backup/$(basename "$f")"
  sed -i "${SEDS[$i]}" "$f"
  if cmp -s "$f" "$backup/$(basename "$f")"; then
    echo "NOT APPLIED  ${NAMES[$i]} (pattern not found in $f: the source moved; update this script)"; status=1; continue
  fi
  summary=$(node --test --test-reporter=./test/summary-reporter.mjs dist/test 2>/dev/null | tail -1)
  cp "$backup/$(basename "$f")" "$f"
  if echo "$summary" | grep -q ' 0 failed'; then echo "SURVIVED     ${NAMES[$i]}: $summary"; status=1
  else echo "KILLED       ${NAMES[$i]}: $summary"; fi
done
rm -rf "$backup"
exit $status
