#!/usr/bin/env bash
# Repository growth of a second capture after small changes to large files, snapshot-fs against
# restic, in the same run (issue 14: content-defined chunking):
#   scattered  1 GiB of random data with 0.5% of its 4 KiB blocks rewritten at random offsets, plus
#              1 MiB inserted in the middle of a 300 MB text file      target: growth <= 0.5x restic's
#   append     512 KiB appended to a 112 MiB file of random data        target: growth <= 2 MiB
#
#   bench/fs-chunk-bench.sh [--work DIR] [--no-build | --jar JAR] [--keep] [--no-image]
#
# Data is generated from fixed seeds (python3), so every run stores the same bytes. Growth is
# `du -sb` of the repository after the second capture minus after the first; each case prints
# `name ratio=X.XX` (ours / restic). Wall and CPU seconds of each capture are printed too
# (informational: one run, not alternated). As root, everything lives on a fresh journaled ext4
# image, as in bench/fs-bench.sh (whose filesystem notes apply); --no-image uses --work itself.
# Our JVM runs with $FS_BENCH_JAVA_OPTS if set, else -XX:+UseSerialGC -Xshare:auto.
set -euo pipefail

WORK=/tmp/snapshotkit-fs-chunk-bench
BUILD=1
KEEP=0
IMAGE=1
GIVEN_JAR=
JAVA_OPTS=${FS_BENCH_JAVA_OPTS--XX:+UseSerialGC -Xshare:auto}

. "$(dirname "$0")/lib.sh"

while [ $# -gt 0 ]; do
  case "$1" in
    --work) WORK=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --jar) BUILD=0; GIVEN_JAR=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --no-image) IMAGE=0; shift ;;
    -h|--help) usage ;;
    *) die "unknown option $1 (try --help)" ;;
  esac
done

bench_work
fresh_fs 20G

command -v restic >/dev/null || die "restic is required (Debian package 'restic')"
for t in java python3 du; do command -v $t >/dev/null || die "$t is required"; done
[ -x /usr/bin/time ] || die "/usr/bin/time is required (Debian package 'time')"

JAR="$WORK/bench.jar"
if [ "$BUILD" = 1 ]; then
  echo "building snapshot-bench"
  (cd "$SRC" && { mvn -B -q -o package -DskipTests -pl snapshot-bench -am \
                  || mvn -B -q package -DskipTests -pl snapshot-bench -am; }) || die "build failed"
fi
BUILT_JAR=${GIVEN_JAR:-$SRC/snapshot-bench/target/benchmarks.jar}
[ -f "$BUILT_JAR" ] || die "no $BUILT_JAR; run without --no-build/--jar"
cp "$BUILT_JAR" "$JAR"
OURS="java $JAVA_OPTS -cp $JAR io.snapshotkit.bench.fs.FsBench"
export RESTIC_PASSWORD=snapshotkit-bench
export RESTIC_CACHE_DIR="$FS/restic-cache"
export RESTIC_PROGRESS_FPS=0.016
LOG="$WORK/log"
TIMES="$WORK/times"
rm -rf "$LOG" "$TIMES"
mkdir -p "$LOG" "$TIMES"
RESULTS="$WORK/results.txt"
: >"$RESULTS"

timed_print() { # timed_print NAME CMD: times CMD (bench/lib.sh), prints its wall and cpu seconds
  timed "$1" "$2"
  printf '  %s: %.2f s wall, %.2f s cpu\n' "$1" "$(tail -1 "$TIMES/$1")" "$(tail -1 "$TIMES/$1.cpu")" | tee -a "$RESULTS"
}
bytes() { du -sb "$1" | cut -f1; }

gen() { # gen CASE: the first version of a case's data
  python3 - "$1" "$FS/data-$1" <<'PY'
import os, random, sys
case, d = sys.argv[1], sys.argv[2]
os.makedirs(d, exist_ok=True)
def rand_file(path, size, seed):
    r = random.Random(seed)
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, 1 << 24)
            f.write(r.randbytes(n))
            left -= n
def text_file(path, size, seed):
    r = random.Random(seed)
    vocab = ["".join(r.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(r.randint(2, 11))) for _ in range(20000)]
    with open(path, "w") as f:
        written = 0
        while written < size:
            line = " ".join(r.choices(vocab, k=r.randint(5, 16))) + "\n"
            f.write(line)
            written += len(line)
if case == "scattered":
    rand_file(os.path.join(d, "disk.img"), 1 << 30, 1)
    text_file(os.path.join(d, "log.txt"), 300_000_000, 2)
else:
    rand_file(os.path.join(d, "memory.bin"), 112 << 20, 3)
PY
}

change() { # change CASE: the edit between the two captures
  python3 - "$1" "$FS/data-$1" <<'PY'
import os, random, sys
case, d = sys.argv[1], sys.argv[2]
r = random.Random(99)
if case == "scattered":
    img = os.path.join(d, "disk.img")
    blocks = os.path.getsize(img) // 4096
    with open(img, "r+b") as f:
        for _ in range(blocks // 200):  # 0.5% of the 4 KiB blocks, at random offsets
            f.seek(r.randrange(blocks) * 4096)
            f.write(r.randbytes(4096))
    txt = os.path.join(d, "log.txt")
    with open(txt, "rb") as f:
        data = f.read()
    mid = len(data) // 2
    words = b" ".join(bytes(r.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(r.randint(2, 11))) for _ in range(200000))
    with open(txt + ".new", "wb") as f:
        f.write(data[:mid]); f.write(words[:1 << 20]); f.write(data[mid:])
    os.replace(txt + ".new", txt)
else:
    with open(os.path.join(d, "memory.bin"), "ab") as f:
        f.write(r.randbytes(512 << 10))
PY
}

for c in scattered append; do
  echo "case $c" | tee -a "$RESULTS"
  rm -rf "$FS/data-$c" "$FS/ours-$c" "$FS/restic-$c" "$RESTIC_CACHE_DIR"
  gen "$c"
  echo "  data: $(bytes "$FS/data-$c") bytes" | tee -a "$RESULTS"
  restic init -q -r "$FS/restic-$c" >"$LOG/restic-init-$c.out" 2>&1
  timed_print "ours_first_$c" "$OURS capture $FS/ours-$c $FS/data-$c s1"
  timed_print "restic_first_$c" "restic -r $FS/restic-$c backup -q $FS/data-$c"
  o1=$(bytes "$FS/ours-$c"); r1=$(bytes "$FS/restic-$c")
  change "$c"
  timed_print "ours_second_$c" "$OURS capture $FS/ours-$c $FS/data-$c s2 --parent s1"
  timed_print "restic_second_$c" "restic -r $FS/restic-$c backup -q $FS/data-$c"
  o2=$(bytes "$FS/ours-$c"); r2=$(bytes "$FS/restic-$c")
  og=$((o2 - o1)); rg=$((r2 - r1))
  echo "  repository after first capture: ours $o1, restic $r1 bytes" | tee -a "$RESULTS"
  echo "  growth of the second capture: ours $og, restic $rg bytes" | tee -a "$RESULTS"
  echo "${c}_growth ratio=$(awk -v o="$og" -v r="$rg" 'BEGIN { printf "%.3f", o / r }') (ours $(awk -v o="$og" 'BEGIN { printf "%.2f", o / 1048576 }') MiB)" \
    | tee -a "$RESULTS"
done
echo "results in $RESULTS"
