#!/bin/sh
# Runs the conformance kit on a plugin that must fail it, and checks that it
# fails for the expected reasons (exit 1, and each named check FAILs), not
# because it crashed or could not load the plugin.
# usage: expect_fail.sh KIT PLUGIN CONFIG 'check name'...
kit=$1 plugin=$2 config=$3
shift 3
out=$("$kit" --stage --config "$config" "$plugin")
rc=$?
printf '%s\n' "$out"
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
