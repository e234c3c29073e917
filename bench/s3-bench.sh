#!/usr/bin/env bash
# snapshot-fs on S3 (snapshot-s3) against restic backing up to the same S3 server, and against our
# own local-directory backend: whole process against whole process, in the same run.
#
#   bench/s3-bench.sh [--work DIR] [--reps N] [--mib M] [--jdk HOME] [--warm] [--no-build] [--no-image] [--keep]
#
# Builds a seeded corpus of about M MiB (default 200: 3,000 small text-like files, a few MiB of
# logs, random binaries, a 32 MiB file), starts S3Proxy 2.6.0 (filesystem backend, the jar the
# snapshot-s3 build copies to snapshot-s3/target/s3proxy) on a free loopback port, then for each
# repetition, alternating tools: full capture, an edit (1% of the small files rewritten, a file
# added, 1 MiB appended to the large file), incremental capture, restore of the newest snapshot into
# an empty directory. Each step is one process (ours: S3BenchDriver; restic: backup / restore), so
# JVM start-up counts on our side as restic's start-up counts on theirs. Our JVM runs as the CLI
# launcher (examples/bin/snapshotkit) runs a capture or a restore: on the newest JDK found (--jdk
# picks one), with the launcher's flags for those commands and the start-up cache it builds, trained
# before timing (JDK 25 or later: an AOT cache; 17 to 24: a class data sharing archive); setting
# S3_BENCH_JAVA_OPTS replaces those flags. Bucket and repository creation
# (ours init, restic init) are not timed. Our captures keep a cache directory per host across runs,
# as restic keeps its local cache; our restore starts with an empty one (everything from the bucket).
# Every step's requests by type are counted from S3Proxy's log into WORK/requests.txt. Prints medians and ratios
# (ours / anchor, lower is better for us) and repository bytes (the bucket's directory in S3Proxy's
# filesystem backend; our local repository without its journals). As root, everything lives on a
# fresh journaled ext4 made for the run (as bench/fs-bench.sh does); --no-image uses --work itself.
#
# --warm adds our S3 steps run in one long-lived JVM (S3BenchDriver serve, with the flags the
# launcher gives the `agent` daemon: the full JIT, no start-up cache), on a bucket of its own, after
# two untimed rounds of the same steps: what an application embedding the agent, or the agent
# daemon on each host, sees once its code is loaded and compiled. Each step still builds its S3
# store and agent and closes them; a restore still starts with an empty cache. restic stays one
# process per step. These are a separate figure, not the cold one the ratios above compare.
set -euo pipefail

WORK=/tmp/snapshotkit-s3-bench
REPS=3
MIB=200
BUILD=1
IMAGE=1
KEEP=0
JDK=
WARM=0

. "$(dirname "$0")/lib.sh"

while [ $# -gt 0 ]; do
  case "$1" in
    --work) WORK=$2; shift 2 ;;
    --reps) REPS=$2; shift 2 ;;
    --mib) MIB=$2; shift 2 ;;
    --jdk) JDK=$2; shift 2 ;;
    --warm) WARM=1; shift ;;
    --no-build) BUILD=0; shift ;;
    --no-image) IMAGE=0; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) usage ;;
    *) die "unknown option $1 (try --help)" ;;
  esac
done
[[ "$REPS" =~ ^[1-9][0-9]*$ ]] || die "--reps must be a positive integer"
[[ "$MIB" =~ ^[1-9][0-9]*$ ]] || die "--mib must be a positive integer"
command -v restic >/dev/null || die "restic is not installed"

bench_work

# ------------------------------------------------------------------------------ JVM
# the newest JDK among JAVA_HOME, the java on PATH and /usr/lib/jvm, as the launcher picks one
if [ -z "$JDK" ]; then
  best=0
  path_java=$(command -v java || true)
  for h in ${JAVA_HOME:-} ${path_java:+$(dirname "$(dirname "$(readlink -f "$path_java")")")} /usr/lib/jvm/*; do
    m=$(jdk_major "$h")
    if [ -x "$h/bin/java" ] && [ -n "$m" ] && [ "$m" -gt "$best" ]; then best=$m; JDK=$h; fi
  done
fi
[ -x "$JDK/bin/java" ] || die "no JDK at '$JDK' (--jdk HOME)"
JDK_MAJOR=$(jdk_major "$JDK")
[ -n "$JDK_MAJOR" ] && [ "$JDK_MAJOR" -ge 17 ] || die "$JDK is not a JDK 17 or later"
JAVA="$JDK/bin/java"
# the launcher's flags for capture and restore (examples/bin/snapshotkit: serial GC, C2 for SHA-256
# and FastCDC only (on JDK 25 without a second C1 compile at tier 2), no Flight Recorder up to 25, a 48 MiB young generation, huge pages on request)
if [ -n "${S3_BENCH_JAVA_OPTS+set}" ]; then
  JAVA_OPTS=$S3_BENCH_JAVA_OPTS
else
  JAVA_OPTS="-XX:+UseSerialGC"
  [ "$JDK_MAJOR" -ge 22 ] && JAVA_OPTS="$JAVA_OPTS --enable-native-access=ALL-UNNAMED"
  TRAIN_OPTS=$JAVA_OPTS
  JAVA_OPTS="$JAVA_OPTS -XX:+UnlockDiagnosticVMOptions -XX:CompilerDirectivesFile=$SRC/examples/bin/snapshotkit-c2.json -XX:-DisplayVMOutput"
  [ "$JDK_MAJOR" -eq 25 ] && JAVA_OPTS="$JAVA_OPTS -XX:+SkipTier2IfPossible"
  JAVA_OPTS="$JAVA_OPTS -Xmn48m"
  if read -r thp 2>/dev/null </sys/kernel/mm/transparent_hugepage/enabled && [[ "$thp" == *"[madvise]"* ]]; then
    JAVA_OPTS="$JAVA_OPTS -XX:+UseTransparentHugePages"
  fi
fi
TRAIN_OPTS=${TRAIN_OPTS:-$JAVA_OPTS}

# ------------------------------------------------------------------------------ build
CP_FILE="$WORK/classpath.txt"
if [ "$BUILD" = 1 ]; then
  (cd "$SRC" && mvn -B -q -o -pl snapshot-s3 -am test-compile dependency:build-classpath \
      -Dmdep.outputFile="$CP_FILE" -Dmdep.includeScope=test -DskipTests) >/dev/null
fi
[ -f "$CP_FILE" ] || die "no class path at $CP_FILE; run without --no-build"
S3PROXY_JAR="$SRC/snapshot-s3/target/s3proxy/s3proxy.jar"
[ -f "$S3PROXY_JAR" ] || die "no S3Proxy jar at $S3PROXY_JAR; build snapshot-s3's tests first"
CP="$SRC/snapshot-s3/target/test-classes:$SRC/snapshot-s3/target/classes:$(cat "$CP_FILE")"

# ------------------------------------------------------------------------------ filesystem
S3PID=
WARM_PID=
cleanup() {
  [ -n "$WARM_PID" ] && kill "$WARM_PID" 2>/dev/null || true
  [ -n "$S3PID" ] && kill "$S3PID" 2>/dev/null && wait "$S3PID" 2>/dev/null || true
  cleanup_fs
}
trap cleanup EXIT
fresh_fs 40G >/dev/null

# ------------------------------------------------------------------------------ corpus
CORPUS="$FS/corpus"
rm -rf "$CORPUS"
python3 - "$CORPUS" "$MIB" <<'PY'
import os, random, sys
root, mib = sys.argv[1], int(sys.argv[2])
r = random.Random(42)
words = [''.join(r.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(r.randint(2, 9))) for _ in range(5000)]
def text(n):
    out = []
    size = 0
    while size < n:
        w = r.choice(words); out.append(w); size += len(w) + 1
    return (' '.join(out))[:n].encode()
budget = mib << 20
small = 3000
for i in range(small):
    d = os.path.join(root, 'src', 'm%02d' % (i % 40))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, 'f%05d.txt' % i), 'wb') as f:
        f.write(text(r.randint(0, 24000)))
used = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(root) for f in fs)
os.makedirs(os.path.join(root, 'logs'), exist_ok=True)
for i in range(4):
    with open(os.path.join(root, 'logs', 'app%d.log' % i), 'wb') as f:
        f.write(text(budget // 16)); used += budget // 16
os.makedirs(os.path.join(root, 'bin'), exist_ok=True)
with open(os.path.join(root, 'bin', 'large.img'), 'wb') as f:
    f.write(r.randbytes(min(32 << 20, budget // 4))); used += min(32 << 20, budget // 4)
i = 0
while used < budget:
    n = min(r.randint(1 << 20, 8 << 20), budget - used)
    with open(os.path.join(root, 'bin', 'blob%03d.bin' % i), 'wb') as f:
        f.write(r.randbytes(n))
    used += n; i += 1
PY
edit_corpus() {
  python3 - "$CORPUS" "$1" <<'PY'
import os, random, sys
root, seed = sys.argv[1], int(sys.argv[2])
r = random.Random(seed)
files = sorted(os.path.join(dp, f) for dp, _, fs in os.walk(os.path.join(root, 'src')) for f in fs)
for p in r.sample(files, max(1, len(files) // 100)):
    with open(p, 'wb') as f:
        f.write(('edited %d ' % seed).encode() * r.randint(1, 2000))
with open(os.path.join(root, 'src', 'new-%d.txt' % seed), 'wb') as f:
    f.write(r.randbytes(200000))
with open(os.path.join(root, 'bin', 'large.img'), 'ab') as f:
    f.write(r.randbytes(1 << 20))
PY
}

# ------------------------------------------------------------------------------ S3 server
export AWS_ACCESS_KEY_ID=bench-identity AWS_SECRET_ACCESS_KEY=bench-credential RESTIC_PASSWORD=bench
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$FS/s3data"
cat > "$WORK/s3proxy.properties" <<EOF
s3proxy.endpoint=http://127.0.0.1:$PORT
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$AWS_ACCESS_KEY_ID
s3proxy.credential=$AWS_SECRET_ACCESS_KEY
jclouds.provider=filesystem
jclouds.identity=$AWS_ACCESS_KEY_ID
jclouds.credential=$AWS_SECRET_ACCESS_KEY
jclouds.filesystem.basedir=$FS/s3data
EOF
# debug level: S3Proxy logs one line per request, which count_requests reads
LOG_LEVEL=debug java -Xmx512m -jar "$S3PROXY_JAR" --properties "$WORK/s3proxy.properties" >"$WORK/s3proxy.log" 2>&1 &
S3PID=$!
for _ in $(seq 1 600); do
  (exec 3<>/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null && break
  sleep 0.1
done
ENDPOINT=http://127.0.0.1:$PORT

# ------------------------------------------------------------------------------ runs
TIMES="$WORK/times"
rm -rf "$TIMES" "$WORK/requests.txt"; mkdir -p "$TIMES"
TIMED_LOG="$WORK/run.log"
count_requests() { # name first-line: appends the requests S3Proxy logged since first-line, by type
  tail -n +"$2" "$WORK/s3proxy.log" | awk -v step="$1" '
    match($0, /request: Request\([A-Z]+ http:\/\/[^ )]*/) {
      split(substr($0, RSTART + 17, RLENGTH - 17), f, " "); m = f[1]; u = f[2]
      sub(/^http:\/\/[^\/]*\/[^\/?]*/, "", u)                 # drop endpoint and bucket
      if (u ~ /^\?list-type/ || u ~ /^\/?\?.*prefix=/) { m = "LIST"; k = u; sub(/.*prefix=/, "", k); sub(/(%2F|&).*/, "", k) }
      else if (u == "" || u == "/") k = "(bucket)"
      else { k = substr(u, 2); q = ""; if (k ~ /\?/) { q = k; sub(/^[^?]*\?/, "?", q); gsub(/=[^&]*/, "", q); sub(/\?.*/, "", k) }
             if (k ~ /\//) sub(/\/.*/, "/", k); else sub(/[-.].*/, "", k); k = k q }
      n[m " " k]++; total++ }
    END { printf "%s: %d requests:", step, total; for (x in n) printf " %s %d,", x, n[x]; print "" }' >>"$WORK/requests.txt"
}
timed() { # name command...: timed_call (bench/lib.sh), then the requests S3Proxy logged meanwhile
  local name=$1 first
  first=$(( $(wc -l <"$WORK/s3proxy.log") + 1 ))
  timed_call "$@"
  case "$name" in *-local) ;; *) count_requests "$name" "$first" ;; esac
}
ours() { S3_BENCH_LAUNCH_NS=$(date +%s%N) "$JAVA" $JAVA_OPTS -cp "$CP" io.snapshotkit.s3.S3BenchDriver "$@"; }
du_bytes() { du -sb "$1" | cut -f1; }

# Our JVM gets the start-up cache the CLI launcher builds for its users, trained before anything is
# timed: one untimed process runs every kind of step on a small tree (with the full JIT, as the
# launcher trains, so that JDK 25 keeps method profiles for C2), and every timed process of ours (S3
# and local) maps what it recorded. The JVM archives classes from jars only, so the class path's
# directories become jars.
JARS="$WORK/jars"
rm -rf "$JARS"; mkdir -p "$JARS"
JCP=
for e in ${CP//:/ }; do
  if [ -d "$e" ]; then
    j="$JARS/$(echo "$e" | cksum | cut -d' ' -f1).jar"
    jar cf "$j" -C "$e" .
    e=$j
  fi
  JCP="$JCP${JCP:+:}$e"
done
CP=$JCP
if [ "$JDK_MAJOR" -ge 25 ]; then
  CACHE_FILE="$WORK/ours.aot"; rm -f "$CACHE_FILE"
  RECORD=(-XX:AOTCacheOutput="$CACHE_FILE"); CHECK=(-XX:AOTCache="$CACHE_FILE" -XX:AOTMode=on)
  USE="-XX:AOTCache=$CACHE_FILE -Xlog:aot*=off -Xlog:cds*=off"
else
  CACHE_FILE="$WORK/ours.jsa"; rm -f "$CACHE_FILE"
  RECORD=(-XX:ArchiveClassesAtExit="$CACHE_FILE"); CHECK=(-XX:SharedArchiveFile="$CACHE_FILE" -Xshare:on)
  USE="-XX:SharedArchiveFile=$CACHE_FILE -Xshare:auto -Xlog:cds*=off"
fi
"$JAVA" $TRAIN_OPTS "${RECORD[@]}" -cp "$CP" io.snapshotkit.s3.S3BenchDriver \
    train s3 "$ENDPOINT" train "$FS/train" >>"$WORK/run.log" 2>&1 || die "the training run failed; see $WORK/run.log"
"$JAVA" $JAVA_OPTS "${CHECK[@]}" -cp "$CP" io.snapshotkit.s3.S3BenchDriver \
    init s3 "$ENDPOINT" train >>"$WORK/run.log" 2>&1 || die "the JVM cannot map $CACHE_FILE; see $WORK/run.log"
JAVA_OPTS="$JAVA_OPTS $USE"
echo "our JVM: $JAVA (JDK $JDK_MAJOR), $JAVA_OPTS" >>"$WORK/run.log"
rm -rf "$FS/train"

ORIG="$WORK/corpus.orig.tar"
tar -C "$FS" -cf "$ORIG" corpus

# --warm: the long-lived JVM, sent one step per line (S3BenchDriver serve answers "ok" when done).
# A failed step returns non-zero after saying why on stderr: `timed NAME warm ...` times it as a
# command and reports the failure with its log; an untimed call stops the script (set -e).
warm() { # warm ARGS...: runs one step in the warm JVM
  echo "$*" >&"${WARM_JVM[1]}"
  local reply
  read -r reply <&"${WARM_JVM[0]}" || { echo "$BENCH: the warm JVM ended; see $WORK/run.log" >&2; return 1; }
  [ "$reply" = ok ] || { echo "$BENCH: the warm JVM's step '$*' failed: $reply (see $WORK/run.log)" >&2; return 1; }
}
if [ "$WARM" = 1 ]; then
  coproc WARM_JVM { "$JAVA" $TRAIN_OPTS -cp "$CP" io.snapshotkit.s3.S3BenchDriver serve 2>>"$WORK/run.log"; }
  WARM_PID=$WARM_JVM_PID
  for round in 1 2; do # untimed: the classes loaded, the hot code compiled
    rm -rf "$CORPUS"; tar -C "$FS" -xf "$ORIG"
    warm init s3 "$ENDPOINT" "warmup-$round"
    warm capture s3 "$ENDPOINT" "warmup-$round" "$FS/warmup-host-$round" "$FS/warmup-cache-$round" "$CORPUS"
    edit_corpus "$round"
    warm capture s3 "$ENDPOINT" "warmup-$round" "$FS/warmup-host-$round" "$FS/warmup-cache-$round" "$CORPUS"
    warm restore s3 "$ENDPOINT" "warmup-$round" "$FS/warmup-host-$round" "$FS/warmup-restore-cache-$round" \
        "$FS/warmup-out-$round"
    rm -rf "$FS/warmup-out-$round"
  done
fi
for rep in $(seq 1 "$REPS"); do
  rm -rf "$CORPUS"; tar -C "$FS" -xf "$ORIG"
  B_OURS=ours-$rep; B_RESTIC=restic-$rep
  LOCAL_S3="$FS/host-$rep"; LOCAL_REPO="$FS/local-repo-$rep"
  restic -q -r "s3:$ENDPOINT/$B_RESTIC" init >>"$WORK/run.log" 2>&1
  ours init s3 "$ENDPOINT" "$B_OURS" >>"$WORK/run.log" 2>&1
  timed full.ours-s3 ours capture s3 "$ENDPOINT" "$B_OURS" "$LOCAL_S3" "$FS/cache-$rep" "$CORPUS"
  timed full.restic restic -q -r "s3:$ENDPOINT/$B_RESTIC" backup "$CORPUS"
  timed full.ours-local ours capture local "$LOCAL_REPO" "$CORPUS"
  if [ "$WARM" = 1 ]; then
    warm init s3 "$ENDPOINT" "warm-$rep"
    timed full.ours-warm warm capture s3 "$ENDPOINT" "warm-$rep" "$FS/warm-host-$rep" "$FS/warm-cache-$rep" "$CORPUS"
  fi
  edit_corpus "$rep"
  timed incr.ours-s3 ours capture s3 "$ENDPOINT" "$B_OURS" "$LOCAL_S3" "$FS/cache-$rep" "$CORPUS"
  timed incr.restic restic -q -r "s3:$ENDPOINT/$B_RESTIC" backup "$CORPUS"
  timed incr.ours-local ours capture local "$LOCAL_REPO" "$CORPUS"
  if [ "$WARM" = 1 ]; then
    timed incr.ours-warm warm capture s3 "$ENDPOINT" "warm-$rep" "$FS/warm-host-$rep" "$FS/warm-cache-$rep" "$CORPUS"
  fi
  timed restore.ours-s3 ours restore s3 "$ENDPOINT" "$B_OURS" "$LOCAL_S3" "$FS/restore-cache-$rep" "$FS/out-s3-$rep"
  timed restore.restic restic -q -r "s3:$ENDPOINT/$B_RESTIC" restore latest --target "$FS/out-restic-$rep"
  timed restore.ours-local ours restore local "$LOCAL_REPO" "$FS/out-local-$rep"
  diff -r "$CORPUS" "$FS/out-s3-$rep/data" >/dev/null || die "our S3 restore differs from the corpus"
  if [ "$WARM" = 1 ]; then
    timed restore.ours-warm warm restore s3 "$ENDPOINT" "warm-$rep" "$FS/warm-host-$rep" "$FS/warm-restore-cache-$rep" \
        "$FS/out-warm-$rep"
    diff -r "$CORPUS" "$FS/out-warm-$rep/data" >/dev/null || die "our warm S3 restore differs from the corpus"
    echo "$(du_bytes "$FS/s3data/warm-$rep")" >>"$TIMES/bytes.ours-warm"
    rm -rf "$FS/out-warm-$rep"
  fi
  echo "$(du_bytes "$FS/s3data/$B_OURS")" >>"$TIMES/bytes.ours-s3"
  echo "$(du_bytes "$FS/s3data/$B_RESTIC")" >>"$TIMES/bytes.restic"
  echo "$(( $(du_bytes "$LOCAL_REPO") - $(du_bytes "$LOCAL_REPO/journal") ))" >>"$TIMES/bytes.ours-local"
  rm -rf "$FS/out-s3-$rep" "$FS/out-restic-$rep" "$FS/out-local-$rep"
done

ratio() { awk -v o="$1" -v a="$2" 'BEGIN { printf "%.2f", o / a }'; }
rows() { # rows A B C: per step, the medians of A, B, A / B, C, A / C
  local step a b c
  for step in full incr restore; do
    a=$(median "$step.$1"); b=$(median "$step.$2"); c=$(median "$step.$3")
    echo "| $step | $a | $b | $(ratio "$a" "$b") | $c | $(ratio "$a" "$c") |"
  done
}
echo "corpus $(du_bytes "$CORPUS") bytes, $REPS repetitions, our JVM JDK $JDK_MAJOR, load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| step | ours on S3 (s) | restic on S3 (s) | ours S3 / restic | ours local (s) | ours S3 / ours local |"
echo "|---|---|---|---|---|---|"
rows ours-s3 restic ours-local
o=$(median bytes.ours-s3); r=$(median bytes.restic); l=$(median bytes.ours-local)
echo "| repository bytes | $o | $r | $(ratio "$o" "$r") | $l | $(ratio "$o" "$l") |"
if [ "$WARM" = 1 ]; then
  echo
  echo "ours on S3 in a warm JVM (--warm: one long-lived process, flags of the agent daemon; restic cold as above):"
  echo "| step | ours on S3, warm JVM (s) | restic on S3 (s) | warm / restic | ours on S3, cold (s) | warm / cold |"
  echo "|---|---|---|---|---|---|"
  rows ours-warm restic ours-s3
  w=$(median bytes.ours-warm); r=$(median bytes.restic)
  echo "| repository bytes | $w | $r | $(ratio "$w" "$r") | | |"
fi
echo "requests per step, repetition 1 (from S3Proxy's log):"
grep -v '^[a-z]*\.ours-warm:' "$WORK/requests.txt" | head -6
