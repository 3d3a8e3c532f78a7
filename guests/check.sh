#!/bin/sh
# Runs every case of expected/manifest.txt and compares stdout and the exit
# status with the recorded ones.
#
#   ./check.sh [-r RUNNER] [-b BINDIR] [-u]
#
# RUNNER (default qemu-riscv64) is the command that runs a guest, e.g. the
# path of the faultline binary (absolute or on PATH: the script runs from
# its own directory).  BINDIR (default bin, relative to that directory)
# holds the guests.
# -u rewrites expected/NAME.stdout from the runner's output instead of
# comparing (except for the cases listed in expected/qemu-divergences.txt,
# whose recorded output is not what qemu prints; under qemu those count as
# expected failures when they differ).
set -u
cd "$(dirname "$0")"
runner=qemu-riscv64
bindir=bin
update=0
while getopts r:b:u opt; do
    case $opt in
    r) runner=$OPTARG ;;
    b) bindir=$OPTARG ;;
    u) update=1 ;;
    *) echo "usage: $0 [-r RUNNER] [-b BINDIR] [-u]" >&2; exit 2 ;;
    esac
done

# Cases listed in expected/qemu-divergences.txt: their recorded output is
# what Linux gives, which qemu-user does not reproduce.
is_divergent() {
    grep -v '^#' expected/qemu-divergences.txt 2>/dev/null |
        cut -f1 | grep -qx "$1"
}
case $(basename "${runner%% *}") in
qemu-riscv64*) qemu=1 ;;
*) qemu=0 ;;
esac

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
tab=$(printf '\t')
pass=0
fail=0
xfail=0
while IFS= read -r line; do
    case $line in '' | '#'*) continue ;; esac
    # Split by hand: read would merge the two tabs around an empty ARGS.
    name=${line%%"$tab"*}
    rest=${line#*"$tab"}
    args=${rest%%"$tab"*}
    status=${rest#*"$tab"}
    # ARGS is split on spaces; no argument contains one.
    # shellcheck disable=SC2086
    $runner "$bindir/$name" $args >"$tmp" 2>/dev/null </dev/null
    got=$?
    want_out=expected/$name.stdout
    if [ "$update" = 1 ]; then
        if is_divergent "$name"; then
            echo "skip  $name (recorded output differs from qemu on purpose)"
            continue
        fi
        mkdir -p "$(dirname "$want_out")"
        cp "$tmp" "$want_out"
        [ "$got" = "$status" ] || echo "note  $name exits $got, manifest says $status"
        continue
    fi
    if [ "$got" = "$status" ] && cmp -s "$tmp" "$want_out"; then
        echo "ok    $name $args"
        pass=$((pass + 1))
    elif [ "$qemu" = 1 ] && is_divergent "$name"; then
        echo "xfail $name $args (known qemu divergence, see expected/qemu-divergences.txt)"
        xfail=$((xfail + 1))
    elif [ "$got" != "$status" ]; then
        echo "FAIL  $name $args: exit status $got, want $status"
        diff "$want_out" "$tmp" | head -20
        fail=$((fail + 1))
    else
        echo "FAIL  $name $args: stdout differs from $want_out"
        diff "$want_out" "$tmp" | head -20
        fail=$((fail + 1))
    fi
done <expected/manifest.txt
[ "$update" = 1 ] && exit 0
echo "$pass passed, $fail failed, $xfail known qemu divergences"
[ "$fail" = 0 ]
