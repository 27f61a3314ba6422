# Helpers for scripts/bench-build: the host's apt mirrors, timed runs, a results file.
# Sourced, not run. Expects BENCH_DIR and RESULTS to be set by the caller.

# Prints the first URI of the host's apt sources whose suites are the security suite
# ($1 = security) or not ($1 = main). Reads deb822 .sources first, then one-line .list files.
apt_mirror() {
    local want=$1 uri=""
    local sources=(/etc/apt/sources.list.d/*.sources)
    if [ -e "${sources[0]}" ]; then
        uri=$(awk -v want="$want" '
            function flush() {
                if (uri != "" && suites != "" && enabled && out == "") {
                    if ((want == "security") == (suites ~ /-security/)) out = uri
                }
                uri = ""; suites = ""; enabled = 1
            }
            BEGIN { enabled = 1 }
            /^[[:space:]]*$/ { flush(); next }
            /^URIs:/ { uri = $2 }
            /^Suites:/ { suites = $0 }
            /^Enabled:[[:space:]]*no/ { enabled = 0 }
            END { flush(); if (out != "") print out }' "${sources[@]}")
    fi
    if [ -z "$uri" ]; then
        uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
            sed -E 's/\[[^]]*\]//' | awk -v want="$want" '
                $1 == "deb" && out == "" && ((want == "security") == ($3 ~ /-security/)) { out = $2 }
                END { if (out != "") print out }')
    fi
    [ -n "$uri" ] || { echo "bench-build: no ${want} Debian mirror in the host's apt sources (/etc/apt/sources.list.d/*.sources or sources.list); add one and rerun" >&2; return 1; }
    echo "${uri%/}"
}

# Seconds since the epoch, with nanoseconds.
now() { date +%s.%N; }

# 1-minute load average.
load1() { cut -d' ' -f1 /proc/loadavg; }

# Appends or replaces one row of the results file:
# key, wall seconds, bytes (or -), peak RSS KiB (or -), CPU seconds (or -), load before/after, UTC time.
record() {
    local key=$1; shift
    touch "$RESULTS"
    grep -v "^${key}	" "$RESULTS" >"$RESULTS.new" || true
    printf '%s' "$key" >>"$RESULTS.new"
    printf '\t%s' "$@" "$(date -u +%FT%TZ)" >>"$RESULTS.new"
    printf '\n' >>"$RESULTS.new"
    mv "$RESULTS.new" "$RESULTS"
}

# Field $2 (1 = key) of results row $1, or empty.
result() { awk -F'\t' -v k="$1" -v f="$2" '$1 == k { print $f }' "$RESULTS" 2>/dev/null || true; }

# Runs "$@" with output to log $2 under GNU time; sets WALL, RSS_KB, CPU_S, LOAD_BEFORE, LOAD_AFTER.
# On failure prints the log's tail and returns the command's status.
timed_run() {
    local label=$1 log=$2; shift 2
    local tfile="$BENCH_DIR/$label.time" start rc=0
    # Every run starts with an empty page cache (as root): on the development VM a page cache of ~10 GB made
    # creating files several times slower (extracting a 450 MB tar: 0.7 s after dropping it, 9 s before).
    if [ "$(id -u)" -eq 0 ] && [ "${BENCH_KEEP_PAGE_CACHE:-0}" != 1 ]; then
        sync
        echo 3 > /proc/sys/vm/drop_caches
    fi
    LOAD_BEFORE=$(load1)
    echo "bench-build: $label: $* (log: $log)" >&2
    start=$(now)
    /usr/bin/time -v -o "$tfile" "$@" >"$log" 2>&1 || rc=$?
    WALL=$(awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
    LOAD_AFTER=$(load1)
    RSS_KB=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$tfile")
    CPU_S=$(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.1f", s }' "$tfile")
    if [ "$rc" -ne 0 ]; then
        echo "bench-build: $label failed (exit $rc) after ${WALL} s; last lines of $log:" >&2
        tail -n 30 "$log" >&2
        return "$rc"
    fi
    echo "bench-build: $label: ${WALL} s wall, ${CPU_S} s CPU, peak RSS ${RSS_KB} KiB, load ${LOAD_BEFORE} -> ${LOAD_AFTER}" >&2
}
