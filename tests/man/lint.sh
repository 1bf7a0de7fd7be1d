#!/bin/sh
# Every man page renders without warnings (mandoc -T lint -W warning).
set -u
srcdir=${srcdir:-.}
status=0
n=0
for page in "$srcdir"/man/*.[0-9]; do
	[ -f "$page" ] || continue
	n=$((n + 1))
	if ! out=$(mandoc -T lint -W warning "$page" 2>&1) || [ -n "$out" ]; then
		echo "$out"
		echo "FAIL $page"
		status=1
	else
		echo "ok   $page"
	fi
done
if [ "$n" -eq 0 ]; then
	echo "no man pages found in $srcdir/man"
	exit 1
fi
exit $status
