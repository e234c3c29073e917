#!/usr/bin/env bash
# Capture, restore and delete through gRPC (RemoteHostAgent -> AgentServer, loopback TLS with a
# bearer token) against the same FsHostAgent in-process, side by side in one JVM.
#
#   bench/grpc-bench.sh [--work DIR] [--reps N] [--calls M] [--small | --scale F] [--no-build] [--keep] [--no-image]
#
# Generates fs-bench.sh's seeded ~1 GiB corpus (FsCorpus), then runs io.snapshotkit.bench.grpc.GrpcBench:
# N full captures and N restores each way (alternating, ABBA), and M small captures and deletes
# each way (alternating call by call) plus M gRPC identify calls. Prints `name ratio=X.XX` (median
# gRPC / median in-process) and per-call overheads in ms. As root the corpus, repositories and
# restores live on a fresh journaled ext4 made for the run, as in fs-bench.sh (a sparse image in
# --work, loop-mounted with direct I/O); --no-image uses --work itself. The JVM runs with
# $GRPC_BENCH_JAVA_OPTS if set, else -XX:+UseSerialGC -Xshare:auto. See bench/README.md.
set -euo pipefail

WORK=/tmp/snapshotkit-grpc-bench
REPS=5
CALLS=200
SCALE=1
BUILD=1
KEEP=0
IMAGE=1
JAVA_OPTS=${GRPC_BENCH_JAVA_OPTS--XX:+UseSerialGC -Xshare:auto}

. "$(dirname "$0")/lib.sh"

while [ $# -gt 0 ]; do
  case "$1" in
    --work) WORK=$2; shift 2 ;;
    --reps) REPS=$2; shift 2 ;;
    --calls) CALLS=$2; shift 2 ;;
    --small) SCALE=0.05; shift ;;
    --scale) SCALE=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --keep) KEEP=1; shift ;;
    --no-image) IMAGE=0; shift ;;
    -h|--help) usage ;;
    *) die "unknown option $1 (try --help)" ;;
  esac
done
[[ "$REPS" =~ ^[1-9][0-9]*$ ]] || die "--reps must be a positive integer"
[[ "$CALLS" =~ ^[1-9][0-9]*$ ]] || die "--calls must be a positive integer"

bench_work
# A fresh journaled ext4 per run (bench/lib.sh).
# sparse: the corpus, 2N repositories and 2N restores (about 1 + 2N * 1.7 GiB at scale 1)
fresh_fs 40G

JAR="$WORK/bench.jar"
if [ "$BUILD" = 1 ]; then
  echo "building snapshot-bench"
  (cd "$SRC" && { mvn -B -q -o package -DskipTests -pl snapshot-bench -am \
                  || mvn -B -q package -DskipTests -pl snapshot-bench -am; }) || die "build failed"
fi
[ -f "$SRC/snapshot-bench/target/benchmarks.jar" ] || die "no snapshot-bench/target/benchmarks.jar; run without --no-build"
# a private copy: other builds may replace target/ while we measure
cp "$SRC/snapshot-bench/target/benchmarks.jar" "$JAR"

DATA="$FS/data"
RUN="$FS/run"
rm -rf "$DATA" "$RUN"
echo "corpus (scale $SCALE) in $DATA"
java -cp "$JAR" io.snapshotkit.bench.fs.FsCorpus generate "$DATA" --scale "$SCALE"
echo "corpus: $(du -sb "$DATA" | cut -f1) bytes, $(find "$DATA" | wc -l) entries"
echo "load before the run: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
# shellcheck disable=SC2086
java $JAVA_OPTS -cp "$JAR" io.snapshotkit.bench.grpc.GrpcBench "$RUN" "$DATA" --reps "$REPS" --calls "$CALLS" \
  2> >(grep -v '] INFO ' >&2) | tee "$WORK/results.txt"
echo "load after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "checking that a gRPC restore equals the corpus"
diff -r --no-dereference "$DATA" "$RUN/restore-grpc-1/data" >/dev/null || die "the gRPC restore differs from the corpus"
echo "results: $WORK/results.txt"
[ "$KEEP" = 1 ] || rm -rf "$DATA" "$RUN"
