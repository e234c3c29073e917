#!/usr/bin/env bash
# Where the CPU of the CLI's full capture and restore goes: one cold process each, profiled.
#
#   bench/cli-profile.sh [--work DIR] [--small | --scale F] [--no-build] [--keep] [--no-image]
#
# Generates bench/fs-bench.sh's seeded corpus (FsCorpus, ~1 GiB at scale 1), then runs, through the
# launcher (examples/bin/snapshotkit, the newest JDK it finds, its start-up cache built first):
#   capture   the first capture of the corpus into a new home (init and track unprofiled)
#   restore   a restore of that snapshot --to a new directory
# each under async-profiler (Maven Central's tools.profiler:async-profiler, loaded as a JVM agent:
# CPU samples every 1 ms on every thread, kernel frames included). Unlike JFR's
# -XX:StartFlightRecording, which turns the launcher's AOT cache off and so profiles a different
# process, the agent leaves the cache in use. Prints each run's wall and CPU seconds and the share of
# the samples by category (zstd, SHA-256, FastCDC, kernel, C1/C2 compilers, GC, interpreter, the
# rest of Java); the collapsed stacks stay in WORK (capture.collapsed, restore.collapsed) for
# flame graphs. As root it works on a fresh journaled ext4 image, as fs-bench.sh does. See
# bench/README.md "## CLI latency".
set -euo pipefail

WORK=/tmp/snapshotkit-cli-profile
SCALE=1
BUILD=1
KEEP=0
IMAGE=1
PROFILER_VERSION=4.1

. "$(dirname "$0")/lib.sh"

while [ $# -gt 0 ]; do
  case "$1" in
    --work) WORK=$2; shift 2 ;;
    --small) SCALE=0.05; shift ;;
    --scale) SCALE=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --keep) KEEP=1; shift ;;
    --no-image) IMAGE=0; shift ;;
    -h|--help) usage ;;
    *) die "unknown option $1 (try --help)" ;;
  esac
done
[ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] || die "async-profiler's agent is used for linux-x64 only here"
for t in java mvn unzip python3; do command -v $t >/dev/null || die "$t is required"; done
[ -x /usr/bin/time ] || die "/usr/bin/time is required (Debian package time)"

bench_work
fresh_fs 10G

cli_jars

# the profiler: its jar from Maven Central carries the agent library for each platform
AGENT="$WORK/async-profiler/linux-x64/libasyncProfiler.so"
if [ ! -f "$AGENT" ]; then
  echo "fetching async-profiler $PROFILER_VERSION from Maven Central"
  copy=(dependency:copy -Dartifact="tools.profiler:async-profiler:$PROFILER_VERSION" -DoutputDirectory="$WORK/async-profiler")
  mvn -B -q -o "${copy[@]}" >/dev/null 2>&1 || mvn -B -q "${copy[@]}" >/dev/null || die "could not fetch async-profiler"
  (cd "$WORK/async-profiler" && unzip -o -q "async-profiler-$PROFILER_VERSION.jar" 'linux-x64/*') \
    || die "no linux-x64 agent in async-profiler $PROFILER_VERSION"
fi

export XDG_CACHE_HOME="$WORK/xdg" SNAPSHOTKIT_CACHE=sync
DATA="$FS/data"
HOME_DIR="$FS/home"
rm -rf "$DATA" "$HOME_DIR" "$FS/restored"
java -cp "$WORK/bench.jar" io.snapshotkit.bench.fs.FsCorpus generate "$DATA" --scale "$SCALE"
"$SK" --version | head -2
SNAPSHOTKIT_HOME="$HOME_DIR" "$SK" list --version >/dev/null # builds the start-up cache, untimed
SNAPSHOTKIT_HOME="$HOME_DIR" "$SK" init >/dev/null
SNAPSHOTKIT_HOME="$HOME_DIR" "$SK" track corpus "data=$DATA" >/dev/null

profiled() { # NAME ARGS...: one command under the agent; prints wall, user and sys seconds
  local name=$1; shift
  sync
  printf '%-8s ' "$name"
  { SNAPSHOTKIT_HOME="$HOME_DIR" \
      JAVA_OPTS="-agentpath:$AGENT=start,event=cpu,interval=1ms,threads,file=$WORK/$name.collapsed,collapsed" \
      /usr/bin/time -f "wall %e s, user %U s, sys %S s" "$SK" "$@" >/dev/null; } 2>&1 | tail -1
}
profiled capture capture corpus
profiled restore restore corpus@1 --to "$FS/restored"

for name in capture restore; do
  echo "$name: share of the CPU samples"
  python3 - "$WORK/$name.collapsed" <<'EOF'
import collections, sys

# Each line of async-profiler's collapsed output: "[thread tid=N];frame;...;leaf COUNT" (root first).
shares = collections.Counter()
total = 0
for line in open(sys.argv[1]):
    stack, count = line.rstrip().rsplit(' ', 1)
    count = int(count)
    frames = stack.split(';')
    thread, frames = frames[0], frames[1:]
    leaf = frames[-1] if frames else ''
    near = frames[-6:]
    if 'C1 CompilerThre' in thread:
        kind = 'C1 compiler'
    elif 'C2 CompilerThre' in thread:
        kind = 'C2 compiler'
    elif 'VM Thread' in thread or 'GC Thread' in thread:
        kind = 'GC and VM'
    elif any('zstd' in f.lower() for f in near):
        kind = 'zstd'
    elif any('SHA2' in f or 'sha256' in f.lower() for f in frames[-4:]):
        kind = 'SHA-256'
    elif any('FastCdc' in f for f in frames[-3:]):
        kind = 'FastCDC'
    elif leaf.endswith('_[k]'):
        kind = 'kernel'
    elif leaf == 'Interpreter':
        kind = 'interpreter'
    else:
        kind = 'rest of Java and the JVM'
    shares[kind] += count
    total += count
print(f'  {total} samples (about {total / 1000:.1f} CPU s)')
for kind, count in shares.most_common():
    print(f'  {kind:26s} {100 * count / total:5.1f}%')
EOF
done
echo "collapsed stacks: $WORK/capture.collapsed, $WORK/restore.collapsed"
