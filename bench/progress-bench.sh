#!/usr/bin/env bash
# What reporting progress costs a capture: the CLI capturing with a listener (--json: progress
# events on stderr, so the directory agent first counts the volumes with a stat walk for the
# totals) against the same capture without one (plain, stdout not a terminal: ProgressListener.NONE,
# nothing counted), alternately, in the same run.
#
#   bench/progress-bench.sh [--work DIR] [--reps N] [--files N] [--jar JAR] [--no-image]
#
# Corpus: --files small files (1 KiB, default 50,000, in directories of 100) and 8 files of 16 MiB.
# Two comparisons, each printing `name ratio=X.XX` (median with listener / median without; 1.00
# means free): `incremental` re-captures the unchanged tree (the stat walk is most of the work,
# the worst case for the extra counting walk), `full` re-reads every file (--full). As root the
# corpus and repository live on a fresh journaled ext4 image made for the run (as bench/fs-bench.sh
# does); --no-image uses --work itself.
set -euo pipefail

WORK=/tmp/snapshotkit-progress-bench
REPS=5
FILES=50000
IMAGE=1
GIVEN_JAR=
JAVA_OPTS=${PROGRESS_BENCH_JAVA_OPTS--XX:+UseSerialGC -Xshare:auto}

. "$(dirname "$0")/lib.sh"

while [ $# -gt 0 ]; do
  case "$1" in
    --work) WORK=$2; shift 2 ;;
    --reps) REPS=$2; shift 2 ;;
    --files) FILES=$2; shift 2 ;;
    --jar) GIVEN_JAR=$2; shift 2 ;;
    --no-image) IMAGE=0; shift ;;
    -h|--help) usage ;;
    *) die "unknown option $1 (try --help)" ;;
  esac
done
[[ "$REPS" =~ ^[1-9][0-9]*$ ]] || die "--reps must be a positive integer"
[[ "$FILES" =~ ^[1-9][0-9]*$ ]] || die "--files must be a positive integer"

bench_work
fresh_fs 8G
for t in java python3 awk; do command -v $t >/dev/null || die "$t is required"; done

BUILT_JAR=${GIVEN_JAR:-$SRC/examples/target/snapshotkit.jar}
[ -f "$BUILT_JAR" ] || die "no $BUILT_JAR; build it (mvn -o package -DskipTests -pl examples -am) or pass --jar"
JAR="$WORK/snapshotkit.jar"
cp "$BUILT_JAR" "$JAR" # a private copy: other builds may replace target/ while we measure

DATA="$FS/data"
export SNAPSHOTKIT_HOME="$FS/home"
rm -rf "$DATA" "$SNAPSHOTKIT_HOME"
python3 - "$DATA" "$FILES" <<'PY'
import os, random, sys
root, files = sys.argv[1], int(sys.argv[2])
rnd = random.Random(16)
for i in range(files):
    d = os.path.join(root, "small", "d%05d" % (i // 100))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%06d" % i), "wb") as f:
        f.write(rnd.randbytes(1024))
os.makedirs(os.path.join(root, "large"), exist_ok=True)
for i in range(8):
    with open(os.path.join(root, "large", "l%d.bin" % i), "wb") as f:
        f.write(rnd.randbytes(16 << 20))
PY
CLI="java $JAVA_OPTS -jar $JAR"
$CLI init >/dev/null
$CLI track app "$DATA" >/dev/null
$CLI capture app >/dev/null

TIMES="$WORK/times"
rm -rf "$TIMES"
mkdir -p "$TIMES"
timed() { timed_call "$@"; } # bench/lib.sh; median too

for ((r = 1; r <= REPS; r++)); do
  timed incremental.without $CLI capture app
  timed incremental.with $CLI --json capture app
  timed full.without $CLI capture --full app
  timed full.with $CLI --json capture --full app
  # keep the repository from growing: every capture above is a new version of the same tree
  $CLI retention app --keep-last 1 >/dev/null
done

echo "progress-bench: $FILES small files + 128 MiB, $REPS runs each, alternating; seconds (median)"
for c in incremental full; do
  w=$(median $c.with); wo=$(median $c.without)
  echo "$c without=${wo}s with=${w}s ratio=$(awk -v a="$w" -v b="$wo" 'BEGIN { printf "%.2f", a / b }')"
done
