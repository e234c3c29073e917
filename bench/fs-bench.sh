#!/usr/bin/env bash
# snapshot-fs against tar|zstd and restic: whole process against whole process, in the same run.
#
#   bench/fs-bench.sh [--work DIR] [--reps N] [--small | --scale F] [--no-build | --jar JAR] [--keep] [--no-image]
#
# Builds a deterministic ~1 GiB corpus (FsCorpus, seeded), then, for each comparison, runs ours and
# the anchor alternately N times and prints `name ratio=X.XX` (median ours / median anchor; lower
# is better for us). JVM start-up counts on our side as restic's start-up counts on theirs. Page
# cache stays warm (nothing here can drop it). As root, corpus, repositories and restores live on a
# fresh journaled ext4 made for the run (a sparse image in --work, loop-mounted with direct I/O), so
# the host filesystem's history does not time the runs; --no-image uses --work itself. Our JVM
# runs with $FS_BENCH_JAVA_OPTS if set, else -XX:+UseSerialGC -Xshare:auto. See
# snapshot-fs/README.md "## Benchmarks".
set -euo pipefail

WORK=/tmp/snapshotkit-fs-bench
REPS=5
SCALE=1
BUILD=1
KEEP=0
IMAGE=1
GIVEN_JAR=
# The CLI launcher's defaults (examples/bin/snapshotkit) without -XX:TieredStopAtLevel=1, which
# examples/README.md says to drop for large trees: C1 alone has no SHA-256 intrinsic.
JAVA_OPTS=${FS_BENCH_JAVA_OPTS--XX:+UseSerialGC -Xshare:auto}

. "$(dirname "$0")/lib.sh"

while [ $# -gt 0 ]; do
  case "$1" in
    --work) WORK=$2; shift 2 ;;
    --reps) REPS=$2; shift 2 ;;
    --small) SCALE=0.05; shift ;;
    --scale) SCALE=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --jar) BUILD=0; GIVEN_JAR=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --no-image) IMAGE=0; shift ;;
    -h|--help) usage ;;
    *) die "unknown option $1 (try --help)" ;;
  esac
done
[[ "$REPS" =~ ^[1-9][0-9]*$ ]] || die "--reps must be a positive integer"

bench_work

# ------------------------------------------------------------------------------ filesystem
# sparse: only what the run writes takes space (about 6 GiB, plus 1 GiB per restore: 3 per repetition)
fresh_fs 40G

# ------------------------------------------------------------------------------ tools
need_pkgs=()
command -v restic >/dev/null || need_pkgs+=(restic)
command -v zstd >/dev/null || need_pkgs+=(zstd)
[ -x /usr/bin/time ] || need_pkgs+=(time)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  echo "installing ${need_pkgs[*]} from Debian packages"
  $SUDO apt-get install -y "${need_pkgs[@]}" >/dev/null 2>&1 \
    || { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y "${need_pkgs[@]}" >/dev/null; } \
    || die "could not install ${need_pkgs[*]}"
fi
for t in java tar awk python3; do command -v $t >/dev/null || die "$t is required"; done
[ -x /usr/bin/time ] || die "/usr/bin/time is required (Debian package 'time')"

# ------------------------------------------------------------------------------ build
JAR="$WORK/bench.jar"
if [ "$BUILD" = 1 ]; then
  echo "building snapshot-bench"
  (cd "$SRC" && { mvn -B -q -o package -DskipTests -pl snapshot-bench -am \
                  || mvn -B -q package -DskipTests -pl snapshot-bench -am; }) || die "build failed"
fi
BUILT_JAR=${GIVEN_JAR:-$SRC/snapshot-bench/target/benchmarks.jar}
[ -f "$BUILT_JAR" ] || die "no $BUILT_JAR; run without --no-build/--jar"
# a private copy: other builds may replace target/ while we measure
cp "$BUILT_JAR" "$JAR"
OURS="java $JAVA_OPTS -cp $JAR io.snapshotkit.bench.fs.FsBench"

export RESTIC_PASSWORD=snapshotkit-bench
export RESTIC_CACHE_DIR="$FS/restic-cache"
export RESTIC_PROGRESS_FPS=0.016

DATA="$FS/data"
LOG="$WORK/log"
TIMES="$WORK/times"
rm -rf "$LOG" "$TIMES"
mkdir -p "$LOG" "$TIMES"

# ------------------------------------------------------------------------------ timing
# timed, median, all: bench/lib.sh

CPU_ROWS=
RESULTS="$WORK/results.txt"
TABLE="$WORK/results.md"
: >"$RESULTS"
{
  echo "| comparison | ours (median s) | anchor | anchor (median s) | ratio | target |"
  echo "|---|---:|---|---:|---:|---:|"
} >"$TABLE"
# ratio NAME OURS_TIMES ANCHOR_TIMES ANCHOR_LABEL TARGET
ratio() {
  local name=$1 o a r
  o=$(median "$2"); a=$(median "$3")
  r=$(awk -v o="$o" -v a="$a" 'BEGIN { printf "%.2f", o / a }')
  echo "$name ratio=$r" | tee -a "$RESULTS"
  echo "  ours [$(all "$2")]  anchor $4 [$(all "$3")]" | tee -a "$RESULTS"
  local oc ac
  oc=$(median "$2.cpu"); ac=$(median "$3.cpu")
  echo "  cpu (user+sys) medians: ours $oc s, anchor $ac s, cpu ratio $(awk -v o="$oc" -v a="$ac" 'BEGIN { printf "%.2f", o / a }')" \
    | tee -a "$RESULTS"
  CPU_ROWS+="| $name | $oc | \`${4//|/\\|}\` | $ac | $(awk -v o="$oc" -v a="$ac" 'BEGIN { printf "%.2f", o / a }') |"$'\n'
  echo "| $name | $o | \`${4//|/\\|}\` | $a | $r | ≤ $5 |" >>"$TABLE"
}
# alternate A/B order each repetition so drift in machine load does not favour either side
pair() { # pair REP NAME_A CMD_A PREP_A NAME_B CMD_B PREP_B (each PREP runs, untimed, just before its command)
  local rep=$1
  if [ $((rep % 2)) -eq 1 ]; then
    bash -c "$4"; timed "$2" "$3"; bash -c "$7"; timed "$5" "$6"
  else
    bash -c "$7"; timed "$5" "$6"; bash -c "$4"; timed "$2" "$3"
  fi
}

# ------------------------------------------------------------------------------ corpus
echo "corpus (scale $SCALE) in $DATA"
rm -rf "$DATA" "$FS"/r-*  # restores a previous run left (see 3.: long before the restores start)
java -cp "$JAR" io.snapshotkit.bench.fs.FsCorpus generate "$DATA" --scale "$SCALE" | tee -a "$RESULTS"
CORPUS_BYTES=$(du -sb "$DATA" | cut -f1)
CORPUS_ENTRIES=$(find "$DATA" | wc -l)

# ------------------------------------------------------------------------------ 1. full capture
echo "full capture x$REPS: ours vs tar cf - | zstd -1 -T0"
for rep in $(seq 1 "$REPS"); do
  pair "$rep" \
    ours_full "$OURS capture $FS/ours $DATA s1" "rm -rf $FS/ours" \
    tar_zstd "tar cf - -C $FS data | zstd -1 -T0 -q -f -o $FS/v1.tar.zst" "rm -f $FS/v1.tar.zst"
done
rm -rf "$FS/ours-full" && mv "$FS/ours" "$FS/ours-full"

echo "restic full backup (once, to seed the incremental; informational)"
rm -rf "$FS/restic-full" "$RESTIC_CACHE_DIR"
restic init -q -r "$FS/restic-full" >"$LOG/restic_init.out" 2>&1
timed restic_full "restic -r $FS/restic-full backup -q $DATA"
R1=$(restic -r "$FS/restic-full" snapshots --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["id"])')

# ------------------------------------------------------------------------------ 2. incremental
echo "applying the ~1% change"
java -cp "$JAR" io.snapshotkit.bench.fs.FsCorpus change "$DATA" --scale "$SCALE" | tee -a "$RESULTS"
echo "incremental capture x$REPS: ours vs restic backup (each from a fresh copy of the full repository)"
for rep in $(seq 1 "$REPS"); do
  pair "$rep" \
    ours_incr "$OURS capture $FS/ours $DATA s2 --parent s1" "rm -rf $FS/ours && cp -a $FS/ours-full $FS/ours" \
    restic_incr "restic -r $FS/restic backup -q $DATA" "rm -rf $FS/restic && cp -a $FS/restic-full $FS/restic"
done
R2=$(restic -r "$FS/restic" snapshots --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["id"])')

# ------------------------------------------------------------------------------ 3. restore of s1
# Every repetition restores into new directories, none removed until the phase is over, so no
# restore runs just after 20,000 files were deleted (which costs the next file creations kernel
# time on any ext4, and far more without a journal: see "filesystem" above).
echo "full restore x$REPS into an empty directory: ours vs restic restore vs zstd -dc | tar xf -"
for rep in $(seq 1 "$REPS"); do
  pair "$rep" \
    ours_restore "$OURS restore $FS/ours s1 $FS/r-ours-$rep" true \
    restic_restore "restic -r $FS/restic restore -q $R1 --target $FS/r-restic-$rep" true
  mkdir "$FS/r-tar-$rep"
  timed tar_restore "zstd -dc -q $FS/v1.tar.zst | tar xf - -C $FS/r-tar-$rep"
done
echo "checking that our restore equals the tar restore of the same state"
diff -r --no-dereference "$FS/r-ours-1/data" "$FS/r-tar-1/data" >"$LOG/restore_check.out" 2>&1 \
  || die "our restore differs from the original tree: $LOG/restore_check.out"
meta() { (cd "$1" && find . -mindepth 1 -printf '%P %y %m %T@ %s %l\n' | sort); }
if cmp -s <(meta "$FS/r-ours-1/data") <(meta "$FS/r-tar-1/data"); then
  RESTORE_CHECK="identical (content, types, modes, mtimes, link targets)"
else
  diff <(meta "$FS/r-ours-1/data") <(meta "$FS/r-tar-1/data") >"$LOG/restore_meta.out" || true
  RESTORE_CHECK="content identical; metadata differs in $(grep -c '^<' "$LOG/restore_meta.out") entries (see $LOG/restore_meta.out)"
fi
rm -rf "$FS"/r-ours-* "$FS"/r-restic-* "$FS"/r-tar-*

# ------------------------------------------------------------------------------ 4. diff
echo "diff s1 s2 x$REPS: ours vs restic diff"
for rep in $(seq 1 "$REPS"); do
  pair "$rep" \
    ours_diff "$OURS diff $FS/ours s1 s2" true \
    restic_diff "restic -r $FS/restic diff $R1 $R2" true
done
DIFF_SUMMARY=$(tail -1 "$LOG/ours_diff.out")

# ------------------------------------------------------------------------------ 5. repository size
OURS_BYTES=$(du -sb "$FS/ours" | cut -f1)
RESTIC_BYTES=$(du -sb "$FS/restic" | cut -f1)
TARZ_BYTES=$(stat -c %s "$FS/v1.tar.zst")

# ------------------------------------------------------------------------------ report
echo
echo "corpus: $CORPUS_BYTES bytes, $CORPUS_ENTRIES entries; $REPS repetitions; medians of wall-clock seconds"
ratio full_capture ours_full tar_zstd "tar cf - | zstd -1 -T0" 1.0
ratio incremental_capture ours_incr restic_incr "restic backup (incremental)" 0.7
ratio restore_vs_restic ours_restore restic_restore "restic restore" 1.0
ratio restore_vs_tar_zstd ours_restore tar_restore "zstd -dc | tar xf -" 0.8
ratio diff ours_diff restic_diff "restic diff" 0.5
r=$(awk -v o="$OURS_BYTES" -v a="$RESTIC_BYTES" 'BEGIN { printf "%.2f", o / a }')
echo "repo_bytes ratio=$r" | tee -a "$RESULTS"
echo "  ours $OURS_BYTES bytes, restic $RESTIC_BYTES bytes (tar.zst of s1 alone: $TARZ_BYTES)" | tee -a "$RESULTS"
echo "| repo_bytes (after both captures) | $OURS_BYTES B | restic repository | $RESTIC_BYTES B | $r | ≤ 1.05 |" >>"$TABLE"
{
  echo
  echo "| comparison (CPU seconds, user+sys) | ours | anchor | anchor | cpu ratio |"
  echo "|---|---:|---|---:|---:|"
  printf '%s' "$CPU_ROWS"
} >>"$TABLE"
{
  echo
  echo "restic full backup (informational): $(all restic_full) s wall, $(all restic_full.cpu) s cpu"
  echo "our diff printed: $DIFF_SUMMARY"
  echo "our restore of s1 vs tar's: $RESTORE_CHECK"
} | tee -a "$RESULTS"
echo
cat "$TABLE"
echo "results: $RESULTS, $TABLE; logs: $LOG"

if [ "$KEEP" = 0 ]; then
  rm -rf "$DATA" "$FS/ours" "$FS/ours-full" "$FS/restic" "$FS/restic-full" "$RESTIC_CACHE_DIR" \
         "$FS/v1.tar.zst"
fi
