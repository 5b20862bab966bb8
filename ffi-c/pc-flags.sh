# Sourced by the C test and bench scripts: pc_flags prints pkg-config's answer for the
# corsmatch.pc at "$pc" (set by the caller), or the same flags read from the file when the
# machine has no pkg-config.
pc_flags() {
    if command -v pkg-config >/dev/null 2>&1; then
        PKG_CONFIG_PATH="$(dirname "$pc")" pkg-config "$@" corsmatch
    else
        python3 - "$pc" "$@" <<'PY'
import re, sys
path, wanted = sys.argv[1], sys.argv[2:]
variables, fields = {}, {}
for line in open(path):
    line = line.strip()
    m = re.match(r"^(\w+)=(.*)$", line)
    if m:
        variables[m.group(1)] = m.group(2)
        continue
    m = re.match(r"^([\w.]+):\s*(.*)$", line)
    if m:
        fields[m.group(1)] = m.group(2)
expand = lambda s: re.sub(r"\$\{(\w+)\}", lambda m: expand(variables[m.group(1)]), s)
parts = []
if "--cflags" in wanted:
    parts.append(expand(fields.get("Cflags", "")))
if "--libs" in wanted:
    parts.append(expand(fields.get("Libs", "")))
print(" ".join(p for p in parts if p))
PY
    fi
}
