#!/usr/bin/env bash
# Start-up of the CLI's short commands, two builds side by side: classes loaded and CPU seconds.
#
#   bench/cli-startup.sh [--reps N] [--work DIR] BEFORE.jar AFTER.jar
#
# Both jars are shaded snapshotkit.jar files (keep a copy of examples/target/snapshotkit.jar before
# a change). On one small home (init, track, two captures, made by AFTER), for JDK 17 and the
# newest JDK the launcher finds, with the start-up cache off and on (SNAPSHOTKIT_CACHE=sync, built
# before timing), it runs each of `list`, `versions app`, `show app@1`, `--version` and `--help`
# through examples/bin/snapshotkit N times per jar, alternating the jars, and prints per line the
# classes loaded (-Xlog:class+load, one run) and the medians of CPU seconds (user+sys) and wall
# seconds. CPU time and class counts hardly move with machine load; wall time does: say how loaded
# the machine was next to any figure. See bench/README.md "Start-up of short commands".
set -euo pipefail

REPS=7
WORK=/tmp/snapshotkit-cli-startup
usage() { sed -n '2,/^set -e/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) REPS=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    -h|--help) usage ;;
    -*) echo "cli-startup: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
[ $# -eq 2 ] || usage
[[ "$REPS" =~ ^[1-9][0-9]*$ ]] || { echo "cli-startup: --reps must be a positive integer" >&2; exit 2; }
SRC=$(cd "$(dirname "$0")/.." && pwd)
SK="$SRC/examples/bin/snapshotkit"
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
cp "$1" "$WORK/before.jar"
cp "$2" "$WORK/after.jar"
[ -x /usr/bin/time ] || { echo "cli-startup: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

jdk_major() { sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" 2>/dev/null; }
JDK17=
for h in /usr/lib/jvm/* /usr/java/* /opt/java/*; do
  [ -x "$h/bin/java" ] && [ "$(jdk_major "$h")" = 17 ] && { JDK17=$h; break; }
done
NEWEST=$(SNAPSHOTKIT_JAR="$WORK/after.jar" SNAPSHOTKIT_CACHE=off "$SK" --version | sed -n 's/^Java .* at //p')
JDKS=("$NEWEST")
[ -n "$JDK17" ] && [ "$JDK17" != "$NEWEST" ] && JDKS=("$JDK17" "$NEWEST")

unset SNAPSHOTKIT_JVM_FLAGS JAVA_OPTS
export SNAPSHOTKIT_HOME="$WORK/home" XDG_CACHE_HOME="$WORK/xdg"
rm -rf "$WORK/home" "$WORK/data" "$WORK/xdg"
mkdir -p "$WORK/data/d"
echo hello >"$WORK/data/d/a.txt"
{
  SNAPSHOTKIT_JAR="$WORK/after.jar" SNAPSHOTKIT_CACHE=off "$SK" init
  SNAPSHOTKIT_JAR="$WORK/after.jar" SNAPSHOTKIT_CACHE=off "$SK" track app "$WORK/data"
  SNAPSHOTKIT_JAR="$WORK/after.jar" SNAPSHOTKIT_CACHE=off "$SK" capture app
  echo again >>"$WORK/data/d/a.txt"
  SNAPSHOTKIT_JAR="$WORK/after.jar" SNAPSHOTKIT_CACHE=off "$SK" capture app
} >"$WORK/setup.log" 2>&1

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg); $REPS runs per jar, alternating"
printf '%-4s %-5s %-12s | %8s %8s | %7s %7s | %6s %6s\n' JDK cache command "classes" "" "cpu s" "" "wall s" ""
printf '%-4s %-5s %-12s | %8s %8s | %7s %7s | %6s %6s\n' "" "" "" before after before after before after
for jdk in "${JDKS[@]}"; do
  major=$(jdk_major "$jdk")
  mkdir -p "$WORK/path-$major"
  ln -sf "$jdk/bin/java" "$WORK/path-$major/java"
  for cache in off on; do
    mode=off; [ "$cache" = on ] && mode=sync
    for cmd in "list" "versions app" "show app@1" "--version" "--help"; do
      declare -A cpu=() wall=() classes=()
      for jar in before after; do
        # shellcheck disable=SC2086 # cmd is a command line
        env JAVA_HOME="$jdk" PATH="$WORK/path-$major:$PATH" SNAPSHOTKIT_JAVA_SEARCH= SNAPSHOTKIT_CACHE=$mode \
          SNAPSHOTKIT_JAR="$WORK/$jar.jar" JAVA_OPTS="-Xlog:class+load=info:file=$WORK/classes.log" \
          "$SK" $cmd >/dev/null 2>&1
        classes[$jar]=$(wc -l <"$WORK/classes.log")
        : >"$WORK/$jar.cpu"; : >"$WORK/$jar.wall"
      done
      for _ in $(seq 1 "$REPS"); do
        for jar in before after; do
          # shellcheck disable=SC2086
          /usr/bin/time -f '%e %U %S' -o "$WORK/t" env JAVA_HOME="$jdk" PATH="$WORK/path-$major:$PATH" \
            SNAPSHOTKIT_JAVA_SEARCH= SNAPSHOTKIT_CACHE=$mode SNAPSHOTKIT_JAR="$WORK/$jar.jar" \
            "$SK" $cmd >/dev/null 2>&1
          awk '{ print $2 + $3 }' "$WORK/t" >>"$WORK/$jar.cpu"
          awk '{ print $1 }' "$WORK/t" >>"$WORK/$jar.wall"
        done
      done
      for jar in before after; do
        cpu[$jar]=$(median <"$WORK/$jar.cpu")
        wall[$jar]=$(median <"$WORK/$jar.wall")
      done
      printf '%-4s %-5s %-12s | %8s %8s | %7s %7s | %6s %6s\n' "$major" "$cache" "$cmd" "${classes[before]}" \
        "${classes[after]}" "${cpu[before]}" "${cpu[after]}" "${wall[before]}" "${wall[after]}"
    done
  done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
