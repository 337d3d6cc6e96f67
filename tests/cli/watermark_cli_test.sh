#!/usr/bin/env bash
# `tatou watermark` on real files: round trip, and the exit code for each failure kind.
set -u
BIN=$1
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
fails=0
check() {  # description, expected, actual
    if [[ "$2" == "$3" ]]; then echo "ok: $1"; else echo "FAIL: $1 (expected '$2', got '$3')"; fails=$((fails + 1)); fi
}
printf '%%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%%%EOF\n' >"$DIR/in.pdf"
check "methods lists toy-eof" 1 "$("$BIN" watermark methods | grep -c '^toy-eof')"
check "methods --json count matches the list" "$("$BIN" watermark methods | wc -l)" "$("$BIN" watermark methods --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')"
for m in toy-eof bash-bridge-eof; do
    "$BIN" watermark add "$DIR/in.pdf" "$DIR/$m.pdf" --method $m --secret "who leaked" --key k >/dev/null
    check "$m add exit" 0 $?
    check "$m round trip" "who leaked" "$("$BIN" watermark read "$DIR/$m.pdf" --method $m --key k)"
    "$BIN" watermark read "$DIR/$m.pdf" --method $m --key wrong >/dev/null 2>&1
    check "$m wrong key exit" 4 $?
    "$BIN" watermark read "$DIR/in.pdf" --method $m --key k >/dev/null 2>&1
    check "$m no watermark exit" 3 $?
done
for m in tatou-content tatou-stamp tatou-annotation tatou-pieceinfo phantom-annotation-g21; do
    "$BIN" watermark add -m $m -s "who leaked" -k k -r "Dana" "$DIR/in.pdf" "$DIR/$m.pdf" >/dev/null
    check "$m add exit" 0 $?
    check "$m round trip prints only the secret" "who leaked" "$("$BIN" watermark read -m $m -k k "$DIR/$m.pdf" 2>/dev/null)"
    "$BIN" watermark read -m $m -k wrong "$DIR/$m.pdf" >/dev/null 2>&1
    check "$m wrong key exit" 4 $?
    "$BIN" watermark read -m $m -k k "$DIR/in.pdf" >/dev/null 2>&1
    check "$m no watermark exit" 3 $?
done
"$BIN" watermark add -m tatou-content -s s -k k -p sideways "$DIR/in.pdf" "$DIR/p.pdf" >/dev/null 2>&1
check "unknown position exit" 5 $?
"$BIN" watermark add -m tatou-content -s s -k k -p last "$DIR/in.pdf" "$DIR/p.pdf" >/dev/null 2>&1
check "known position exit" 0 $?
check "explore is a Document tree with the page first" "Document page:0000" "$("$BIN" watermark explore "$DIR/in.pdf" --json | python3 -c 'import json,sys; t=json.load(sys.stdin); print(t["type"], t["children"][0]["id"])')"
"$BIN" watermark explore "$DIR/missing.pdf" >/dev/null 2>&1
check "explore of a missing file exit" 2 $?
"$BIN" watermark read "$DIR/in.pdf" --method nope --key k >/dev/null 2>&1
check "unknown method exit" 2 $?
echo "not a pdf" >"$DIR/x.pdf"
"$BIN" watermark add "$DIR/x.pdf" "$DIR/y.pdf" --method toy-eof --secret s --key k >/dev/null 2>&1
check "non-PDF input exit" 2 $?
[[ $fails -eq 0 ]]
