# Prints scripts/bench-build's results file as a markdown table. Sourced, not run.

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
    local dib_cold dib_warm full_cold full_warm
    dib_cold=$(result dib-cold 2)
    dib_warm=$(result dib-warm 2)
    full_cold=$(result dib-full-cold 2)
    full_warm=$(result dib-full-warm 2)
    echo
    echo "| Run | wall s | wall ÷ DIB | size | size ÷ DIB | CPU s | peak RSS | load (1 min) before → after | measured (UTC) |"
    echo "|---|---:|---:|---:|---:|---:|---:|---|---|"
    table_row "DIB full build (\`vm\`, qcow2), cold" dib-full-cold "$full_cold" "$(result dib-full-cold 3)" ""
    table_row "DIB full build (\`vm\`, qcow2), warm" dib-full-warm "$full_warm" "$(result dib-full-warm 3)" ""
    table_row "**dibkit full build, cold**" dibkit-cold "$full_cold" "$(result dib-full-cold 3)" ""
    table_row "**dibkit full build, warm**" dibkit-warm "$full_warm" "$(result dib-full-warm 3)" ""
    table_row "**dibkit incremental** (first-boot hook changed)" dibkit-incremental "$full_warm" "$(result dib-full-warm 3)" ""
    table_row "DIB \`-t tar\`, cold" dib-cold "$dib_cold" "$(result dib-cold 3)" " ‡"
    table_row "DIB \`-t tar\`, warm" dib-warm "$dib_warm" "$(result dib-warm 3)" " ‡"
    table_row "DIB hooks root.d … cleanup.d, cold" dib-hooks-cold "$dib_cold" - " ‡"
    table_row "DIB hooks root.d … cleanup.d, warm" dib-hooks-warm "$dib_warm" - " ‡"
    table_row "dibkit rootfs phases, cold" dibkit-rootfs-cold "$dib_cold" - " ‡"
    table_row "dibkit rootfs phases, warm" dibkit-rootfs-warm "$dib_warm" - " ‡"
    table_row "dibkit full build, cold, ÷ DIB \`-t tar\` cold" dibkit-cold "$dib_cold" - " ‡"
    table_row "dibkit full build, warm, ÷ DIB \`-t tar\` warm" dibkit-warm "$dib_warm" - " ‡"
    echo
    echo "Ratios are ÷ diskimage-builder's wall time (or size) at the same temperature, in this run (below 1 = faster"
    echo "or smaller). DIB's full build is \`disk-image-create -p redis-server debian-minimal vm\`, a bootable qcow2"
    echo "as dibkit makes, with one change so that it runs on this kernel (no device-mapper): its partitioning maps"
    echo "the partitions with partx instead of kpartx (\`dib_patch_partx\` in scripts/bench-build)."
    echo "‡ ÷ DIB's \`-t tar\` build, its root tree only (unpatched): DIB's hook rows sum its own per-script profile (its"
    echo "wall time less startup, mounts and writing the tar); dibkit's rootfs rows sum its manifest's phase times for"
    echo "${ROOTFS_PHASES// /, }. DIB's tar size is uncompressed, hence no size ratio."
    echo "CPU s and peak RSS come from GNU time over the whole process tree (peak RSS is the largest single process)."
    echo "Rows measured far apart in time, or under a load above $(nproc), are not comparable."
    local venv
    venv=$(result dib-venv 2)
    [ -z "$venv" ] || echo "diskimage-builder's venv install (\`pip install diskimage-builder\`) took ${venv} s."
    print_phases
}

# Per-phase seconds, DIB's hook profile beside dibkit's manifest: cold, warm and (dibkit) incremental.
print_phases() {
    local p
    echo
    echo "| Phase | DIB \`-t tar\` cold | DIB \`-t tar\` warm | dibkit cold | dibkit warm | dibkit incremental |"
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
