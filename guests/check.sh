#!/bin/sh
# Runs every case of expected/manifest.txt and compares stdout and the exit
# status with the recorded ones.
#
#   ./check.sh [-r RUNNER] [-b BINDIR] [-u]
#
# RUNNER (default qemu-riscv64) is the command that runs a guest, e.g. the
# path of the faultline binary.  BINDIR (default bin) holds the guests.
# -u rewrites expected/NAME.stdout from the runner's output instead of
# comparing (for cases listed in expected/qemu-divergences.txt it refuses,
# since their recorded output is not what qemu prints).
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

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
tab=$(printf '\t')
pass=0
fail=0
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
        if grep -v '^#' expected/qemu-divergences.txt 2>/dev/null |
            cut -f1 | grep -qx "$name"; then
            echo "skip  $name (recorded output differs from qemu on purpose)"
            continue
        fi
        mkdir -p "$(dirname "$want_out")"
        cp "$tmp" "$want_out"
        [ "$got" = "$status" ] || echo "note  $name exits $got, manifest says $status"
        continue
    fi
    if [ "$got" != "$status" ]; then
        echo "FAIL  $name $args: exit status $got, want $status"
        fail=$((fail + 1))
    elif ! cmp -s "$tmp" "$want_out"; then
        echo "FAIL  $name $args: stdout differs from $want_out"
        diff "$want_out" "$tmp" | head -20
        fail=$((fail + 1))
    else
        echo "ok    $name $args"
        pass=$((pass + 1))
    fi
done <expected/manifest.txt
[ "$update" = 1 ] && exit 0
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
