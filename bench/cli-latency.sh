#!/usr/bin/env bash
# The snapshotkit CLI (examples/bin/snapshotkit, cold processes) against restic, side by side in one run.
#
#   bench/cli-latency.sh [--work DIR] [--reps N] [--small | --scale F] [--only PHASES] [--no-build] [--keep] [--no-image]
#
# On the same seeded corpus (FsCorpus, ~1 GiB at scale 1), one snapshot taken by each tool first,
# then for each JDK (17, and the newest the launcher finds) and each cache state (off: no start-up
# cache; on: the launcher's AOT cache / CDS archive, built before timing) it runs, alternating ours
# and restic's N times each:
#   list          snapshotkit list                    vs restic snapshots
#   nochange      snapshotkit capture (nothing changed) vs restic backup (nothing changed)
#   version       snapshotkit --version               vs restic version
# then, for each JDK and cache state, N times each, alternating:
#   full          snapshotkit capture into a new home (init and track untimed) vs
#                 tar cf - | zstd -1 -T0 of the same tree
#   restore       snapshotkit restore of that snapshot --to a new directory vs
#                 zstd -dc | tar xf - into a new directory (the first restore is checked with diff -r)
# then applies bench/fs-bench.sh's ~1% change (FsCorpus change) once, and for each JDK and cache
# state runs, N times each, alternating:
#   incremental   snapshotkit capture (after the change) vs restic backup (after the change), each
#                 from an untimed fresh copy of its repository as it was before the change
#   diff          snapshotkit diff BEFORE AFTER          vs restic diff BEFORE AFTER
# and prints `name ratio=X.XX` (median wall ours / median wall anchor; lower is better for us) with
# the CPU (user+sys) medians. --only takes a comma-separated subset of short (list, nochange,
# version), full (full and restore) and incremental (incremental and diff); default all three. A Markdown table goes to WORK/results.md. As root, everything lives
# on a fresh journaled ext4 made for the run (as bench/fs-bench.sh does); --no-image uses --work.
# Page cache stays warm. See bench/README.md "## CLI latency".
set -euo pipefail

WORK=/tmp/snapshotkit-cli-latency
REPS=5
SCALE=1
BUILD=1
KEEP=0
IMAGE=1
ONLY=short,full,incremental

. "$(dirname "$0")/lib.sh"

while [ $# -gt 0 ]; do
  case "$1" in
    --work) WORK=$2; shift 2 ;;
    --reps) REPS=$2; shift 2 ;;
    --small) SCALE=0.05; shift ;;
    --scale) SCALE=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --keep) KEEP=1; shift ;;
    --no-image) IMAGE=0; shift ;;
    -h|--help) usage ;;
    *) die "unknown option $1 (try --help)" ;;
  esac
done
[[ "$REPS" =~ ^[1-9][0-9]*$ ]] || die "--reps must be a positive integer"
for phase in ${ONLY//,/ }; do
  case "$phase" in short|full|incremental) ;; *) die "--only takes short, full and incremental, not '$phase'" ;; esac
done
phase() { case ",$ONLY," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }

bench_work
fresh_fs 40G   # sparse: about 3 GiB at scale 1, plus 2 GiB per repetition of the full phase

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
for t in java awk tar; do command -v $t >/dev/null || die "$t is required"; done

# ------------------------------------------------------------------------------ build
cli_jars

# the JDKs: 17, and the newest the launcher picks by itself
JDK17=
for h in /usr/lib/jvm/* /usr/java/* /opt/java/*; do
  [ -x "$h/bin/java" ] && [ "$(jdk_major "$h")" = 17 ] && { JDK17=$h; break; }
done
NEWEST=$(SNAPSHOTKIT_CACHE=off "$SK" --version | sed -n 's/^Java .* at //p')
[ -n "$NEWEST" ] || die "the launcher found no JDK"
JDKS=("$NEWEST")
[ -n "$JDK17" ] && [ "$JDK17" != "$NEWEST" ] && JDKS=("$JDK17" "$NEWEST")

export RESTIC_PASSWORD=snapshotkit-bench
export RESTIC_CACHE_DIR="$FS/restic-cache"
export RESTIC_PROGRESS_FPS=0.016
export SNAPSHOTKIT_HOME="$FS/ours"
DATA="$FS/data"
LOG="$WORK/log"
TIMES="$WORK/times"
rm -rf "$LOG" "$TIMES" "$WORK/xdg"
mkdir -p "$LOG" "$TIMES" "$WORK/xdg"

# ------------------------------------------------------------------------------ timing
# timed, median, all: bench/lib.sh
# alternate the order each repetition so drift in machine load does not favour either side
pair() { # pair REP NAME_A CMD_A NAME_B CMD_B
  if [ $(($1 % 2)) -eq 1 ]; then timed "$2" "$3"; timed "$4" "$5"; else timed "$4" "$5"; timed "$2" "$3"; fi
}
# as pair, each PREP run (untimed) just before its command, as bench/fs-bench.sh does
pair_prep() { # pair_prep REP NAME_A CMD_A PREP_A NAME_B CMD_B PREP_B
  if [ $(($1 % 2)) -eq 1 ]; then
    bash -c "$4"; timed "$2" "$3"; bash -c "$7"; timed "$5" "$6"
  else
    bash -c "$7"; timed "$5" "$6"; bash -c "$4"; timed "$2" "$3"
  fi
}

RESULTS="$WORK/results.txt"
TABLE="$WORK/results.md"
: >"$RESULTS"
{
  echo "| JDK | cache | comparison | ours (median s) | anchor (median s) | wall ratio | ours cpu s | anchor cpu s | cpu ratio |"
  echo "|---|---|---|---:|---:|---:|---:|---:|---:|"
} >"$TABLE"
ratio() { # ratio JDK CACHE NAME OURS ANCHOR
  local o a r oc ac rc
  o=$(median "$4"); a=$(median "$5"); oc=$(median "$4.cpu"); ac=$(median "$5.cpu")
  r=$(awk -v o="$o" -v a="$a" 'BEGIN { if (a > 0) printf "%.2f", o / a; else print "n/a" }')
  rc=$(awk -v o="$oc" -v a="$ac" 'BEGIN { if (a > 0) printf "%.2f", o / a; else print "n/a" }')
  echo "$3 jdk$1 cache-$2 ratio=$r  (ours [$(all "$4")] anchor [$(all "$5")]; cpu medians $oc / $ac = $rc)" \
    | tee -a "$RESULTS"
  echo "| $1 | $2 | $3 | $o | $a | $r | $oc | $ac | $rc |" >>"$TABLE"
}

# ------------------------------------------------------------------------------ corpus, first snapshots
echo "corpus (scale $SCALE) in $DATA"
rm -rf "$DATA" "$FS/ours" "$FS/restic" "$RESTIC_CACHE_DIR"
java -cp "$WORK/bench.jar" io.snapshotkit.bench.fs.FsCorpus generate "$DATA" --scale "$SCALE" | tee -a "$RESULTS"
echo "first snapshots (untimed)"
SNAPSHOTKIT_CACHE=off "$SK" init >"$LOG/setup.out" 2>&1
SNAPSHOTKIT_CACHE=off "$SK" track corpus "data=$DATA" >>"$LOG/setup.out" 2>&1
SNAPSHOTKIT_CACHE=off "$SK" capture corpus >>"$LOG/setup.out" 2>&1
restic init -q -r "$FS/restic" >>"$LOG/setup.out" 2>&1
restic -r "$FS/restic" backup -q "$DATA" >>"$LOG/setup.out" 2>&1

# ------------------------------------------------------------------------------ the matrix
# jdk_env JDK [VAR=VALUE...]: the env prefix that runs the CLI on JDK alone (as JAVA_HOME and as the
# java on PATH, no other searched) with the run's cache directory
jdk_env() { local jdk=$1; shift; echo "env JAVA_HOME=$jdk PATH=$WORK/path-$(jdk_major "$jdk"):$PATH SNAPSHOTKIT_JAVA_SEARCH= XDG_CACHE_HOME=$WORK/xdg $*"; }
# sk_cmd ENV CACHE: the CLI command line for that env with the start-up cache off or on (built if missing)
sk_cmd() { if [ "$2" = on ]; then echo "$1 SNAPSHOTKIT_CACHE=sync $SK"; else echo "$1 SNAPSHOTKIT_CACHE=off $SK"; fi; }
for jdk in "${JDKS[@]}"; do
  major=$(jdk_major "$jdk")
  # this JDK as JAVA_HOME and as the java on PATH, and no other searched
  mkdir -p "$WORK/path-$major"
  ln -sf "$jdk/bin/java" "$WORK/path-$major/java"
  run=$(jdk_env "$jdk")
  echo "JDK $major: building the start-up cache"
  # not with a bare --version, which the launcher runs without the cache (so it would not build it)
  $run SNAPSHOTKIT_CACHE=sync "$SK" list --version | tee -a "$RESULTS"
  phase short || continue
  for cache in off on; do
    sk=$(sk_cmd "$run" "$cache")
    echo "JDK $major, cache $cache: x$REPS"
    for rep in $(seq 1 "$REPS"); do
      pair "$rep" "list-$major-$cache" "$sk list" "snapshots-$major-$cache" "restic -r $FS/restic snapshots"
      pair "$rep" "capture-$major-$cache" "$sk capture corpus" \
        "backup-$major-$cache" "restic -r $FS/restic backup -q $DATA"
      pair "$rep" "version-$major-$cache" "$sk --version" "rversion-$major-$cache" "restic version"
    done
  done
done

# ------------------------------------------------------------------------------ full capture, restore
# A first capture into a new home each time (init and track untimed), against tar | zstd of the
# same tree; then restores of it into new directories, none removed until the JDK and cache state
# is done (a restore just after 1 GiB was deleted pays for the deletion: see fs-bench.sh).
FULL_HOME="$FS/ours-full"
fresh_full="rm -rf $FULL_HOME && SNAPSHOTKIT_HOME=$FULL_HOME SNAPSHOTKIT_CACHE=off $SK init >/dev/null \
  && SNAPSHOTKIT_HOME=$FULL_HOME SNAPSHOTKIT_CACHE=off $SK track corpus data=$DATA >/dev/null"
TARZ="$FS/data.tar.zst"
if phase full; then
  for jdk in "${JDKS[@]}"; do
    major=$(jdk_major "$jdk")
    run=$(jdk_env "$jdk" SNAPSHOTKIT_HOME="$FULL_HOME")
    for cache in off on; do
      sk=$(sk_cmd "$run" "$cache")
      echo "JDK $major, cache $cache: full capture and restore x$REPS"
      for rep in $(seq 1 "$REPS"); do
        pair_prep "$rep" "full-$major-$cache" "$sk capture corpus" "$fresh_full" \
          "tarz-$major-$cache" "tar cf - -C $FS data | zstd -1 -T0 -q -f -o $TARZ" "rm -f $TARZ"
      done
      for rep in $(seq 1 "$REPS"); do
        mkdir "$FS/r-tar-$rep"
        pair "$rep" "restore-$major-$cache" "$sk restore corpus@1 --to $FS/r-ours-$rep" \
          "untar-$major-$cache" "zstd -dc -q $TARZ | tar xf - -C $FS/r-tar-$rep"
      done
      diff -r --no-dereference "$DATA" "$FS/r-ours-1/data" >"$LOG/restore-check.out" 2>&1 \
        || die "our restore differs from the corpus: $LOG/restore-check.out"
      diff -r --no-dereference "$DATA" "$FS/r-tar-1/data" >>"$LOG/restore-check.out" 2>&1 \
        || die "the tar restore differs from the corpus: $LOG/restore-check.out"
      rm -rf "$FS"/r-ours-* "$FS"/r-tar-*
    done
  done
  rm -rf "$FULL_HOME" "$TARZ"
fi

if phase incremental; then # (not indented, to keep the block as it was)
# ------------------------------------------------------------------------------ incremental, diff
# both repositories as they are before the change: each incremental run starts from a copy of them
latest_restic() { restic -r "$1" snapshots --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["id"])'; }
latest_ours() { SNAPSHOTKIT_CACHE=off "$SK" --json versions corpus | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["version"])'; }
rm -rf "$FS/ours-base" "$FS/restic-base"
cp -a "$FS/ours" "$FS/ours-base"
cp -a "$FS/restic" "$FS/restic-base"
R1=$(latest_restic "$FS/restic-base")
V1=$(latest_ours)
echo "applying the ~1% change (as bench/fs-bench.sh)"
java -cp "$WORK/bench.jar" io.snapshotkit.bench.fs.FsCorpus change "$DATA" --scale "$SCALE" | tee -a "$RESULTS"
fresh_ours="rm -rf $FS/ours && cp -a $FS/ours-base $FS/ours"
fresh_restic="rm -rf $FS/restic && cp -a $FS/restic-base $FS/restic"
for jdk in "${JDKS[@]}"; do
  major=$(jdk_major "$jdk")
  run=$(jdk_env "$jdk")
  for cache in off on; do
    sk=$(sk_cmd "$run" "$cache")
    echo "JDK $major, cache $cache: incremental capture x$REPS"
    for rep in $(seq 1 "$REPS"); do
      pair_prep "$rep" "incr-$major-$cache" "$sk capture corpus" "$fresh_ours" \
        "rincr-$major-$cache" "restic -r $FS/restic backup -q $DATA" "$fresh_restic"
    done
  done
done
# the last incremental runs left both repositories holding the state before and after the change
R2=$(latest_restic "$FS/restic")
V2=$(latest_ours)
[ "$V2" -eq $((V1 + 1)) ] || die "expected version $((V1 + 1)) after the incremental capture, found $V2"
for jdk in "${JDKS[@]}"; do
  major=$(jdk_major "$jdk")
  run=$(jdk_env "$jdk")
  for cache in off on; do
    sk=$(sk_cmd "$run" "$cache")
    echo "JDK $major, cache $cache: diff x$REPS"
    for rep in $(seq 1 "$REPS"); do
      pair "$rep" "diff-$major-$cache" "$sk diff corpus@$V1 corpus@$V2" \
        "rdiff-$major-$cache" "restic -r $FS/restic diff $R1 $R2"
    done
  done
done
echo "our last diff printed: $(tail -1 "$LOG/diff-$major-on.out")" | tee -a "$RESULTS"
echo "restic's last diff printed: $(grep -i 'added\|removed\|changed' "$LOG/rdiff-$major-on.out" | tail -3 | tr -s ' \n' ' ')" \
  | tee -a "$RESULTS"
fi

# ------------------------------------------------------------------------------ report
echo
echo "medians of wall-clock seconds; $REPS repetitions" | tee -a "$RESULTS"
for jdk in "${JDKS[@]}"; do
  major=$(jdk_major "$jdk")
  for cache in off on; do
    if phase short; then
      ratio "$major" "$cache" "list vs restic snapshots" "list-$major-$cache" "snapshots-$major-$cache"
      ratio "$major" "$cache" "no-change capture vs restic backup" "capture-$major-$cache" "backup-$major-$cache"
      ratio "$major" "$cache" "--version vs restic version" "version-$major-$cache" "rversion-$major-$cache"
    fi
    if phase full; then
      ratio "$major" "$cache" "full capture vs tar cf + zstd -1 -T0" "full-$major-$cache" "tarz-$major-$cache"
      ratio "$major" "$cache" "restore vs zstd -dc + tar xf" "restore-$major-$cache" "untar-$major-$cache"
    fi
    if phase incremental; then
      ratio "$major" "$cache" "capture after ~1% change vs restic backup" "incr-$major-$cache" "rincr-$major-$cache"
      ratio "$major" "$cache" "diff before/after vs restic diff" "diff-$major-$cache" "rdiff-$major-$cache"
    fi
  done
done
echo
cat "$TABLE"
echo "results: $RESULTS, $TABLE; logs: $LOG"

if [ "$KEEP" = 0 ]; then
  rm -rf "$DATA" "$FS/ours" "$FS/restic" "$FS/ours-base" "$FS/restic-base" "$RESTIC_CACHE_DIR" "$WORK/xdg"
fi
