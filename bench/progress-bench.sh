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

die() { echo "progress-bench: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -e/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 2; }

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

SRC=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
case "$WORK/" in "$SRC"/*) die "--work must be outside the source tree ($SRC)" ;; esac

FS=$WORK
LOOPDEV=
cleanup_fs() {
  if [ -n "$LOOPDEV" ]; then
    sync
    umount "$WORK/fs" 2>/dev/null || true
    losetup -d "$LOOPDEV" 2>/dev/null || true
    LOOPDEV=
    rm -f "$WORK/fs.img"
  fi
}
if [ "$IMAGE" = 1 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v mkfs.ext4 >/dev/null || ! command -v losetup >/dev/null; then
    die "a fresh filesystem needs root, mkfs.ext4 and losetup; run as root or pass --no-image"
  fi
  mkdir -p "$WORK/fs"
  umount "$WORK/fs" 2>/dev/null || true
  rm -f "$WORK/fs.img"
  truncate -s 8G "$WORK/fs.img"
  mkfs.ext4 -q -F "$WORK/fs.img"
  LOOPDEV=$(losetup -f --show --direct-io=on "$WORK/fs.img")
  trap cleanup_fs EXIT
  mount "$LOOPDEV" "$WORK/fs"
  FS="$WORK/fs"
  echo "fresh journaled ext4 on $LOOPDEV at $FS"
fi
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
timed() { # NAME command...: wall seconds appended to $TIMES/NAME
  local name=$1; shift
  sync
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>"$TIMES/.err" || { cat "$TIMES/.err" >&2; die "$name failed"; }
  end=$(date +%s.%N)
  awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f\n", e - s }' >>"$TIMES/$name"
}
median() { sort -n "$TIMES/$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

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
