#!/usr/bin/env bash
# Re-fetches the vendored playground assets from the npm registry at the exact
# versions pinned in assets/VERSIONS.md and verifies every hash listed there.
#
#   ./update-assets.sh           fetch, verify, then copy into assets/
#   ./update-assets.sh --check   fetch, verify, and compare with assets/ (no writes)
#   ./update-assets.sh --print   fetch the pinned versions and print fresh table
#                                rows (no verification, no writes); use it after
#                                bumping a version in VERSIONS.md, paste the
#                                rows back, then run without arguments.
#
# Needs: bash, npm, node, tar, sha256sum.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
assets="$here/assets"
versions="$assets/VERSIONS.md"

mode="update"
case "${1:-}" in
"") ;;
--check) mode="check" ;;
--print) mode="print" ;;
*)
	echo "usage: $0 [--check|--print]" >&2
	exit 2
	;;
esac

for tool in npm node tar sha256sum; do
	command -v "$tool" >/dev/null || {
		echo "missing required tool: $tool" >&2
		exit 1
	}
done

# Table rows look like: | `a` | `b` | ... |  -> print cells without backticks, tab separated.
table_rows() { # $1 = section heading
	awk -v section="## $1" '
		/^## / { in_section = ($0 == section); next }
		in_section && /^\| `/ {
			n = split($0, cells, "|")
			row = ""
			for (i = 2; i < n; i++) {
				c = cells[i]
				gsub(/^[ \t]+|[ \t]+$/, "", c)
				gsub(/`/, "", c)
				row = row (i > 2 ? "\t" : "") c
			}
			print row
		}' "$versions"
}

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

sri_sha512() {
	node -e 'const c=require("crypto"),f=require("fs");process.stdout.write("sha512-"+c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"))' "$1"
}

failed=0

while IFS=$'\t' read -r pkg version integrity; do
	[ -n "$pkg" ] || continue
	dest="$work/$pkg"
	mkdir -p "$dest"
	echo "fetching $pkg@$version" >&2
	(cd "$dest" && npm pack --silent "$pkg@$version" >/dev/null)
	tgz="$(ls "$dest"/*.tgz)"
	got="$(sri_sha512 "$tgz")"
	if [ "$mode" = "print" ]; then
		printf '| `%s` | `%s` | `%s` |\n' "$pkg" "$version" "$got"
	elif [ "$got" != "$integrity" ]; then
		echo "INTEGRITY MISMATCH $pkg@$version: want $integrity, got $got" >&2
		failed=1
	fi
	tar -xzf "$tgz" -C "$dest"
	printf '%s' "$version" >"$dest/.pinned-version"
done < <(table_rows "Packages")

[ "$mode" = "print" ] && echo

while IFS=$'\t' read -r file pkg version path bytes sum; do
	[ -n "$file" ] || continue
	if [ "$(cat "$work/$pkg/.pinned-version" 2>/dev/null)" != "$version" ]; then
		echo "$file: package $pkg@$version is not listed under Packages" >&2
		failed=1
		continue
	fi
	src="$work/$pkg/package/$path"
	if [ ! -f "$src" ]; then
		echo "$file: $path not found in $pkg@$version" >&2
		failed=1
		continue
	fi
	got="$(sha256sum "$src" | cut -d' ' -f1)"
	size="$(wc -c <"$src" | tr -d ' ')"
	if [ "$mode" = "print" ]; then
		printf '| `%s` | `%s` | `%s` | `%s` | %s | `%s` |\n' "$file" "$pkg" "$version" "$path" "$size" "$got"
		continue
	fi
	if [ "$got" != "$sum" ] || [ "$size" != "$bytes" ]; then
		echo "HASH MISMATCH $file ($pkg@$version/$path): want $sum ($bytes bytes), got $got ($size bytes)" >&2
		failed=1
		continue
	fi
	if [ "$mode" = "check" ]; then
		if cmp -s "$src" "$assets/$file"; then
			echo "ok       $file" >&2
		else
			echo "DIFFERS  $file: assets/$file does not match $pkg@$version/$path" >&2
			failed=1
		fi
	else
		cp "$src" "$work/$file.verified"
	fi
done < <(table_rows "Files")

[ "$mode" = "print" ] && exit 0

if [ "$failed" -ne 0 ]; then
	echo "verification failed; assets/ left untouched" >&2
	exit 1
fi

if [ "$mode" = "update" ]; then
	for f in "$work"/*.verified; do
		name="$(basename "$f" .verified)"
		cp "$f" "$assets/$name"
		echo "updated  assets/$name" >&2
	done
fi
echo "all assets verified" >&2
