#!/usr/bin/env bash
# snapshot-fs's directory trees against restic 0.14, in the same run (issue 14):
#
#   bench/fs-tree-bench.sh [--work DIR] [--reps N] [--tiny N] [--diff-files N] [--no-build] [--no-image]
#
# 1. Tiny files: N (default 300,000) files of 0-200 bytes in 100 directories. Full capture,
#    then three no-change captures, ours vs restic backup; repository growth of each no-change
#    capture (target: ours <= 64 KiB; times <= 0.7x restic's).
# 2. Diff: a tree of --diff-files (default 1,000,000) files of 0-200 bytes in 100 x 100 directories,
#    captured by both, 10 files rewritten, captured again; then `diff` of the two snapshots, ours vs
#    `restic diff`, alternating, --reps times (target <= 0.2x).
# Whole process against whole process (our JVM start-up counts), page cache warm. As root, all of
# it lives on a fresh journaled ext4 image (the method of bench/fs-bench.sh); --no-image uses --work.
# See snapshot-fs/README.md "## Benchmarks".
set -euo pipefail

WORK=/tmp/snapshotkit-fs-tree-bench
REPS=3
TINY=300000
DIFF_FILES=1000000
BUILD=1
IMAGE=1
JAVA_OPTS=${FS_BENCH_JAVA_OPTS--XX:+UseSerialGC -Xshare:auto}

. "$(dirname "$0")/lib.sh"
while [ $# -gt 0 ]; do
  case "$1" in
    --work) WORK=$2; shift 2 ;;
    --reps) REPS=$2; shift 2 ;;
    --tiny) TINY=$2; shift 2 ;;
    --diff-files) DIFF_FILES=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --no-image) IMAGE=0; shift ;;
    -h|--help) usage ;;
    *) die "unknown option $1 (try --help)" ;;
  esac
done
for n in "$REPS" "$TINY" "$DIFF_FILES"; do [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "counts must be positive integers"; done

bench_work
# one inode per 4 KiB: the diff tree alone has a million files
fresh_fs 40G -i 4096
for t in java restic python3 awk; do command -v $t >/dev/null || die "$t is required (restic: apt-get install restic)"; done
[ -x /usr/bin/time ] || die "/usr/bin/time is required (Debian package 'time')"

JAR="$WORK/bench.jar"
if [ "$BUILD" = 1 ]; then
  (cd "$SRC" && { mvn -B -q -o package -DskipTests -pl snapshot-bench -am \
                  || mvn -B -q package -DskipTests -pl snapshot-bench -am; }) || die "build failed"
fi
cp "$SRC/snapshot-bench/target/benchmarks.jar" "$JAR"
OURS="java $JAVA_OPTS -cp $JAR io.snapshotkit.bench.fs.FsBench"
export RESTIC_PASSWORD=snapshotkit-bench
export RESTIC_CACHE_DIR="$FS/restic-cache"
export RESTIC_PROGRESS_FPS=0.016
LOG="$WORK/log"; TIMES="$WORK/times"; RESULTS="$WORK/results.txt"
rm -rf "$LOG" "$TIMES"; mkdir -p "$LOG" "$TIMES"; : >"$RESULTS"

# timed, median, all: bench/lib.sh
ratio() { # ratio LABEL OURS ANCHOR
  local o a
  o=$(median "$2"); a=$(median "$3")
  echo "$1 ratio=$(awk -v o="$o" -v a="$a" 'BEGIN { printf "%.2f", o / a }') ours [$(all "$2")] s, restic [$(all "$3")] s" | tee -a "$RESULTS"
}
bytes() { du -sb "$1" | cut -f1; }

# tree DIR FILES DIRS_PER_LEVEL SEED: FILES files of 0-200 random bytes under DIRS_PER_LEVEL^2 directories
tree() {
  python3 - "$@" <<'EOF'
import os, random, sys
root, files, per, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rnd = random.Random(seed)
dirs = [os.path.join(root, "d%03d" % i, "e%03d" % j) for i in range(per) for j in range(per)]
for d in dirs:
    os.makedirs(d, exist_ok=True)
for n in range(files):
    with open(os.path.join(dirs[n % len(dirs)], "f%07d" % n), "wb") as f:
        f.write(rnd.randbytes(rnd.randrange(201)))
EOF
}

# ------------------------------------------------------------------------------ 1. tiny files
T="$FS/tiny"
echo "tiny: $TINY files"
tree "$T" "$TINY" 10 1   # 100 directories of 3,000 files (for 300,000)
sleep 3                  # past our racy window (2 s), so the first capture trusts every stat
restic init -q -r "$FS/restic-tiny" >"$LOG/restic_init.out" 2>&1
timed ours_tiny_full "$OURS capture $FS/ours-tiny $T t0"
timed restic_tiny_full "restic -r $FS/restic-tiny backup -q $T"
OURS_GROWTH=; RESTIC_GROWTH=
for i in 1 2 3; do
  before=$(bytes "$FS/ours-tiny")
  timed ours_tiny_nochange "$OURS capture $FS/ours-tiny $T t$i --parent t$((i - 1))"
  OURS_GROWTH+="$(( $(bytes "$FS/ours-tiny") - before )) "
  before=$(bytes "$FS/restic-tiny")
  timed restic_tiny_nochange "restic -r $FS/restic-tiny backup -q $T"
  RESTIC_GROWTH+="$(( $(bytes "$FS/restic-tiny") - before )) "
done
ratio tiny_full_capture ours_tiny_full restic_tiny_full
ratio tiny_nochange_capture ours_tiny_nochange restic_tiny_nochange
echo "tiny no-change growth (bytes per capture): ours $OURS_GROWTH; restic $RESTIC_GROWTH" | tee -a "$RESULTS"
echo "tiny repositories after 4 captures: ours $(bytes "$FS/ours-tiny") B, restic $(bytes "$FS/restic-tiny") B" | tee -a "$RESULTS"
rm -rf "$T" "$FS/ours-tiny" "$FS/restic-tiny"

# ------------------------------------------------------------------------------ 2. diff
D="$FS/big"
echo "diff: $DIFF_FILES files"
tree "$D" "$DIFF_FILES" 100 2   # 10,000 directories of 100 files (for 1,000,000)
sleep 3
restic init -q -r "$FS/restic-big" >>"$LOG/restic_init.out" 2>&1
timed ours_big_capture "$OURS capture $FS/ours-big $D m1"
timed restic_big_backup "restic -r $FS/restic-big backup -q $D"
python3 - "$D" "$DIFF_FILES" <<'EOF'
import os, sys
root, files = sys.argv[1], int(sys.argv[2])
dirs = sorted(os.path.join(root, a, b) for a in os.listdir(root) for b in os.listdir(os.path.join(root, a)))
for k in range(10):
    n = (k * 99991) % files
    with open(os.path.join(dirs[n % len(dirs)], "f%07d" % n), "ab") as f:
        f.write(b"changed")
EOF
sleep 3
timed ours_big_capture2 "$OURS capture $FS/ours-big $D m2 --parent m1"
timed restic_big_backup2 "restic -r $FS/restic-big backup -q $D"
R=$(restic -r "$FS/restic-big" snapshots --json | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s[0]["id"], s[1]["id"])')
for rep in $(seq 1 "$REPS"); do
  if [ $((rep % 2)) -eq 1 ]; then
    timed ours_diff "$OURS diff $FS/ours-big m1 m2"; timed restic_diff "restic -r $FS/restic-big diff $R"
  else
    timed restic_diff "restic -r $FS/restic-big diff $R"; timed ours_diff "$OURS diff $FS/ours-big m1 m2"
  fi
done
ratio million_file_diff ours_diff restic_diff
echo "our diff printed: $(tail -1 "$LOG/ours_diff.out")" | tee -a "$RESULTS"
echo "informational: first capture ours $(all ours_big_capture) s vs restic $(all restic_big_backup) s;" \
  "second (10 files changed) ours $(all ours_big_capture2) s vs restic $(all restic_big_backup2) s" | tee -a "$RESULTS"
echo "repositories: ours $(bytes "$FS/ours-big") B, restic $(bytes "$FS/restic-big") B" | tee -a "$RESULTS"
rm -rf "$D" "$FS/ours-big" "$FS/restic-big" "$RESTIC_CACHE_DIR"
echo "results: $RESULTS; logs: $LOG"
