# bench/lib.sh: what the bench scripts share, sourced by each (`. "$(dirname "$0")/lib.sh"`), never run.
#
#   die MSG / usage           one-line error prefixed with the script's name; the script's header as help
#   bench_work                SRC (the checkout), WORK made absolute; refuses a WORK inside the checkout
#   fresh_fs SIZE [MKFS_OPT]  as root and with IMAGE=1: a fresh journaled ext4 in a sparse WORK/fs.img,
#                             loop-mounted with direct I/O at WORK/fs; sets FS (WORK itself otherwise)
#   cleanup_fs                unmounts and detaches it (the image is kept with KEEP=1); the EXIT trap
#   timed NAME 'CMD'          runs CMD in bash once, after a sync; appends its wall seconds to
#                             TIMES/NAME and its CPU seconds (user + sys of the process tree) to
#                             TIMES/NAME.cpu, its output to LOG/NAME.out
#   timed_call NAME CMD...    the same for a command line or a shell function (wall only), output
#                             appended to $TIMED_LOG (default TIMES/NAME.out)
#   median NAME / all NAME    the median of TIMES/NAME / its values on one line
#   cli_jars                  builds the CLI and snapshot-bench unless BUILD=0, copies their jars to
#                             WORK/snapshotkit.jar and WORK/bench.jar, points the launcher (SK) at
#                             the copy and clears the JVM settings a caller's environment may hold
#
# Why a fresh filesystem: the machine these were written on has an ext4 root without a journal,
# whose inode allocator checks every free inode's deletion time and skips those freed in the last
# 30 s: after a few runs that create and delete 20,000-file trees, creating files costs 3-5x more
# kernel time for every tool, by how recently and where earlier files were freed. A fresh
# journaled ext4 per run removes that.

BENCH=$(basename "$0" .sh)
die() { echo "$BENCH: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -e/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 2; }

bench_work() {
  SRC=$(cd "$(dirname "$0")/.." && pwd)
  mkdir -p "$WORK"
  WORK=$(cd "$WORK" && pwd)
  case "$WORK/" in "$SRC"/*) die "--work must be outside the source tree ($SRC); corpus and repositories are never committed" ;; esac
}

FS=
LOOPDEV=
cleanup_fs() {
  if [ -n "$LOOPDEV" ]; then
    sync
    umount "$WORK/fs" 2>/dev/null || true
    losetup -d "$LOOPDEV" 2>/dev/null || true
    LOOPDEV=
    [ "${KEEP:-0}" = 1 ] || rm -f "$WORK/fs.img"
  fi
}
trap cleanup_fs EXIT # a script with more to clean up sets its own trap, which calls cleanup_fs

fresh_fs() { # fresh_fs SIZE [mkfs.ext4 options]: the image is sparse, SIZE is its ceiling
  local size=$1; shift
  FS=$WORK
  [ "${IMAGE:-1}" = 1 ] || return 0
  if [ "$(id -u)" -ne 0 ] || ! command -v mkfs.ext4 >/dev/null || ! command -v losetup >/dev/null; then
    die "a fresh filesystem needs root, mkfs.ext4 and losetup; run as root or pass --no-image"
  fi
  mkdir -p "$WORK/fs"
  umount "$WORK/fs" 2>/dev/null || true
  rm -f "$WORK/fs.img"
  truncate -s "$size" "$WORK/fs.img"
  mkfs.ext4 -q -F "$@" "$WORK/fs.img"
  LOOPDEV=$(losetup -f --show --direct-io=on "$WORK/fs.img")
  mount "$LOOPDEV" "$WORK/fs"
  FS="$WORK/fs"
  echo "fresh journaled ext4 on $LOOPDEV at $FS"
}

timed() { # timed NAME 'shell command'
  local name=$1 cmd=$2
  [ -x /usr/bin/time ] || die "/usr/bin/time is required (Debian package 'time')"
  sync
  if ! /usr/bin/time -f '%e %U %S' -o "$TIMES/.last" bash -c "$cmd" >>"$LOG/$name.out" 2>&1; then
    tail -20 "$LOG/$name.out" >&2
    die "$name failed: $cmd (log: $LOG/$name.out)"
  fi
  tail -1 "$TIMES/.last" | awk '{ printf "%.3f\n", $1 }' >>"$TIMES/$name"
  tail -1 "$TIMES/.last" | awk '{ printf "%.3f\n", $2 + $3 }' >>"$TIMES/$name.cpu"
}

timed_call() { # timed_call NAME command...
  local name=$1 log=${TIMED_LOG:-$TIMES/$1.out} t0 t1
  shift
  sync
  t0=$(date +%s.%N)
  "$@" >>"$log" 2>&1 || { tail -20 "$log" >&2; die "$name failed (log: $log)"; }
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }' >>"$TIMES/$name"
}

cli_jars() {
  if [ "${BUILD:-1}" = 1 ]; then
    echo "building the CLI and snapshot-bench (for the corpus)"
    (cd "$SRC" && { mvn -B -q -o package -DskipTests -pl examples,snapshot-bench -am \
                    || mvn -B -q package -DskipTests -pl examples,snapshot-bench -am; }) || die "build failed"
  fi
  local j
  for j in "$SRC/examples/target/snapshotkit.jar" "$SRC/snapshot-bench/target/benchmarks.jar"; do
    [ -f "$j" ] || die "no $j; run without --no-build"
  done
  # private copies: other builds may replace target/ while we measure
  cp "$SRC/examples/target/snapshotkit.jar" "$WORK/snapshotkit.jar"
  cp "$SRC/snapshot-bench/target/benchmarks.jar" "$WORK/bench.jar"
  export SNAPSHOTKIT_JAR="$WORK/snapshotkit.jar"
  SK="$SRC/examples/bin/snapshotkit"
  unset SNAPSHOTKIT_JVM_FLAGS JAVA_OPTS
}

# jdk_major HOME: the feature version a JDK's release file names (17, 25...), or nothing
jdk_major() { sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" 2>/dev/null || true; }
median() { sort -n "$TIMES/$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
all() { tr '\n' ' ' <"$TIMES/$1" | sed 's/ $//'; }
