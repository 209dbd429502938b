#!/bin/sh
# Runs the conformance kit on a runtime plugin with a busybox image built on
# the spot (mkimage.sh): runtime.sh KIT PLUGIN ['check name' that must FAIL]...
# With check names, the kit must fail (exit 1) and FAIL each of them: the
# run of a fixture that breaks the rules on purpose.
kit=$1 plugin=$2
shift 2
here=$(dirname "$0")
if [ "$(id -u)" != 0 ]; then
	echo "skip: containers need root"
	exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$here/mkimage.sh" "$work/layout" >/dev/null || exit 1
out=$("$kit" --stage --config "root=@TMP@/rt" --image "$work/layout" "$plugin")
rc=$?
printf '%s\n' "$out"
if [ $# -eq 0 ]; then
	exit $rc
fi
if [ "$rc" -ne 1 ]; then
	echo "expected exit status 1, got $rc"
	exit 1
fi
for name in "$@"; do
	if ! printf '%s\n' "$out" | grep -qF "FAIL - $name"; then
		echo "expected a failure of: $name"
		exit 1
	fi
done
exit 0
