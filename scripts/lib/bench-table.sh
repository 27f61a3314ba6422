# Prints scripts/bench-build's results file as a markdown table. Sourced, not run.

# diskimage-builder's full build (`-p redis-server debian-minimal vm`, partitioning patched to use partx),
# measured on this machine earlier: see docs/benchmarks-build.md.
DIB_FULL_COLD=131.6
DIB_FULL_CACHED=103.7
DIB_FULL_BYTES=352321536 # 336 MiB

# dibkit's phases that build the root tree, the part diskimage-builder's `-t tar` also does.
ROOTFS_PHASES="base-root root.d extra-data.d pre-install.d install.d post-install.d block-device.d finalise.d cleanup.d"

# Human size of $1 bytes ("-" stays "-").
human_size() {
    [ "$1" = - ] || [ -z "$1" ] && { echo "-"; return; }
    awk -v b="$1" 'BEGIN { printf (b >= 1073741824 ? "%.2f GiB" : "%.0f MiB"), (b >= 1073741824 ? b / 1073741824 : b / 1048576) }'
}

# $1 ÷ $2 to two places, or "-" when either is missing.
ratio() {
    case "$1$2" in *-*|"") echo "-"; return ;; esac
    [ -n "$1" ] && [ -n "$2" ] || { echo "-"; return; }
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
}

# One table row: label, key, wall and size to compare against (or "-"), marker for the reference.
table_row() {
    local label=$1 key=$2 ref_wall=$3 ref_bytes=$4 mark=$5
    local wall bytes
    wall=$(result "$key" 2)
    [ -n "$wall" ] || { echo "| $label | not run | | | | | | | |"; return; }
    bytes=$(result "$key" 3)
    local rss=$(result "$key" 4)
    [ "$rss" = - ] || rss="$(awk -v k="$rss" 'BEGIN { printf "%.0f MiB", k / 1024 }')"
    echo "| $label | $wall | $(ratio "$wall" "$ref_wall")$mark | $(human_size "$bytes") | $(ratio "$bytes" "$ref_bytes")$mark |" \
        "$(result "$key" 5) | $rss | $(result "$key" 6) → $(result "$key" 7) | $(result "$key" 8) |"
}

print_table() {
    local dib_cold dib_warm
    dib_cold=$(result dib-cold 2)
    dib_warm=$(result dib-warm 2)
    echo
    echo "| Run | wall s | wall ÷ DIB | size | size ÷ DIB | CPU s | peak RSS | load (1 min) before → after | measured (UTC) |"
    echo "|---|---:|---:|---:|---:|---:|---:|---|---|"
    table_row "DIB \`-t tar\`, cold" dib-cold "$dib_cold" "$(result dib-cold 3)" ""
    table_row "DIB \`-t tar\`, warm" dib-warm "$dib_warm" "$(result dib-warm 3)" ""
    table_row "DIB hooks root.d … cleanup.d, cold" dib-hooks-cold "$dib_cold" - ""
    table_row "DIB hooks root.d … cleanup.d, warm" dib-hooks-warm "$dib_warm" - ""
    table_row "dibkit rootfs phases, cold" dibkit-rootfs-cold "$dib_cold" - ""
    table_row "dibkit rootfs phases, warm" dibkit-rootfs-warm "$dib_warm" - ""
    table_row "dibkit full build, cold, ÷ DIB \`-t tar\` cold" dibkit-cold "$dib_cold" - " ‡"
    table_row "dibkit full build, warm, ÷ DIB \`-t tar\` warm" dibkit-warm "$dib_warm" - " ‡"
    table_row "dibkit incremental (first-boot hook changed), ÷ DIB \`-t tar\` warm" dibkit-incremental "$dib_warm" - " ‡"
    table_row "dibkit full build, cold" dibkit-cold "$DIB_FULL_COLD" "$DIB_FULL_BYTES" " †"
    table_row "dibkit full build, warm" dibkit-warm "$DIB_FULL_CACHED" "$DIB_FULL_BYTES" " †"
    table_row "dibkit incremental (first-boot hook changed)" dibkit-incremental "$DIB_FULL_CACHED" "$DIB_FULL_BYTES" " †"
    echo
    echo "Ratios are ÷ DIB \`-t tar\` wall time at the same temperature (below 1 = faster or smaller). DIB sizes"
    echo "are its uncompressed tar. The hook rows sum DIB's own per-script profile (its wall time less startup,"
    echo "block-device bookkeeping, mounts and writing the tar); dibkit's rootfs rows sum its manifest's phase times for"
    echo "${ROOTFS_PHASES// /, } and write no separate artifact."
    echo "‡ dibkit's whole build (bootable qcow2) against DIB's root tree as a tar in this run: DIB's full build does"
    echo "that and more (partitioning, GRUB, qemu-img convert), so this ratio bounds dibkit ÷ DIB's full build from above."
    echo "† against diskimage-builder's full build from an earlier run on this machine (partitioning patched to use"
    echo "partx, since this kernel has no device-mapper): ${DIB_FULL_COLD} s cold, ${DIB_FULL_CACHED} s with its debootstrap cache,"
    echo "336 MB qcow2. CPU s and peak RSS come from GNU time over the whole process tree (peak RSS is the largest"
    echo "single process). Rows measured far apart in time, or under a load above $(nproc), are not comparable."
    local venv
    venv=$(result dib-venv 2)
    [ -z "$venv" ] || echo "diskimage-builder's venv install (\`pip install diskimage-builder\`) took ${venv} s."
    print_phases
}

# Per-phase seconds, DIB's hook profile beside dibkit's manifest: cold, warm and (dibkit) incremental.
print_phases() {
    local p
    echo
    echo "| Phase | DIB cold | DIB warm | dibkit cold | dibkit warm | dibkit incremental |"
    echo "|---|---:|---:|---:|---:|---:|"
    for p in resolve mirror-state installed-tree $ROOTFS_PHASES installed-tree-save packages sysprep disk bootloader image manifest; do
        local row="" any="" t v
        for t in dib-cold dib-warm dibkit-cold dibkit-warm dibkit-incremental; do
            v=$(result "$t-phase:$p" 2)
            [ -z "$v" ] || any=1
            row="$row | ${v:--}"
        done
        [ -z "$any" ] || echo "| $p$row |"
    done
}
