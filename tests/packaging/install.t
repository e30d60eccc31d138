#!/usr/bin/env bash
# tests/packaging/install.t — `meson install --destdir` installs usher and usher(1), and the man
# page says what `usher --help`, README's exit-status table and the [Login NAME] keys say.
#
# The page is generated from those at build time (build/gen-man.py); this test reads the
# rendered page (man -l), so an option added to an option table and missing from the page,
# or a page that does not render cleanly, fails here.
set -u
. "$SOURCE_ROOT/tests/lib/tap.sh"

tmp=$(mktemp -d /tmp/usher-install.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
dest="$tmp/dest"
meson install -C "$BUILD_ROOT" --destdir "$dest" --no-rebuild >"$tmp/install.log" 2>&1
ok $? "meson install --destdir"
[ $? -eq 0 ] || while IFS= read -r l; do diag "  $l"; done <"$tmp/install.log"
bin=$(find "$dest" -path '*/bin/usher' -type f | head -n 1)
man1=$(find "$dest" -path '*/man1/usher.1' -type f | head -n 1)
ok "$([ -n "$bin" ]; echo $?)" "the binary is installed (${bin#$dest})"
ok "$([ -n "$man1" ]; echo $?)" "the man page is installed (${man1#$dest})"
cmp -s "$bin" "$USHER"
ok $? "the installed binary is the built one"
is "$(find "$dest" -type f | wc -l)" 2 "nothing else is installed (test programs are not)"

for tool in man groff col; do
	command -v "$tool" >/dev/null 2>&1 || { ok 1 "$tool is installed"; diag "run build/setup.sh (man-db, groff-base, bsdextrautils)"; done_testing; exit 1; }
done
warnings=$(groff -man -Tutf8 -ww -z "$man1" 2>&1)
is "$warnings" "" "usher.1 renders without groff warnings"
page=$(MANWIDTH=200 man -l "$man1" 2>/dev/null | col -b)
like "$page" "^NAME" "man -l renders it"
python3 "$SOURCE_ROOT/build/gen-man.py" "$USHER" "$SOURCE_ROOT/README.md" "$SOURCE_ROOT/docs/login-helpers.md" "$tmp/fresh.1"
cmp -s "$tmp/fresh.1" "$man1"
ok $? "the installed page is what build/gen-man.py makes from this usher and these docs"

help=$("$USHER" --help 2>&1)
missing=""
count=0
for opt in $(printf '%s\n' "$help" | grep -oE '^  (-[a-zA-Z], )? *--[a-z][a-z0-9-]*' | grep -oE -- '--[a-z][a-z0-9-]*'); do
	count=$((count + 1))
	grep -qF -- "$opt" <<<"$page" || missing+=" $opt"
done
[ "$count" -gt 20 ] && [ -z "$missing" ]
ok $? "every one of the $count long options of usher --help is in the man page${missing:+ (missing:$missing)}"
missing="" count=0
for key in $(printf '%s\n' "$help" | grep -oE '\[[A-Za-z]+=\]' | tr -d '[]'); do
	count=$((count + 1))
	grep -qF -- "$key" <<<"$page" || missing+=" $key"
done
[ "$count" -gt 20 ] && [ -z "$missing" ]
ok $? "every one of the $count config keys of usher --help is in the man page${missing:+ (missing:$missing)}"
missing="" count=0
for key in $(sed -n '/^## Keys of a `\[Login NAME\]` section/,/^## /p' "$SOURCE_ROOT/docs/login-helpers.md" | grep -oE '^\| `[A-Za-z]+=`' | grep -oE '[A-Za-z]+='); do
	count=$((count + 1))
	grep -qF -- "$key" <<<"$page" || missing+=" $key"
done
[ "$count" -gt 5 ] && [ -z "$missing" ]
ok $? "every one of the $count [Login NAME] keys is in the man page${missing:+ (missing:$missing)}"
exit_section=$(sed -n '/^EXIT STATUS/,/^[A-Z]/p' <<<"$page")
for status in 125 126 127 "128\\+N"; do
	like "$exit_section" "$status" "EXIT STATUS lists $status"
done
like "$page" "usher $("$USHER" --version 2>&1 | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -n 1)" "the page carries usher's version"

done_testing
