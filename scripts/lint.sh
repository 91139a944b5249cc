#!/usr/bin/env bash
# clang-tidy (the checks in .clang-tidy) over the translation units of the
# CMake targets that hold the files changed between a base revision and the
# work tree. Any finding fails it. Needs a configured build directory's
# compile_commands.json and its generated headers (scripts/test.sh runs it
# after the dev build).
#
#   scripts/lint.sh                changes since HEAD~1: on a fresh clone (CI),
#                                  the last commit's targets
#   DS_LINT_BASE=origin/main ...   changes since that revision instead
#   scripts/lint.sh --all          every translation unit
#   scripts/lint.sh --list         print the translation units, lint nothing
#   scripts/lint.sh PATH...        as if these files or folders had changed,
#                                  e.g. scripts/lint.sh runtime/kafka
#   DS_BUILD_DIR=build/x ...       compile_commands.json from there
#                                  (default build/dev)
#   DS_JOBS=N ...                  parallel clang-tidy processes (default nproc)
#
# Which translation units a changed file selects (a folder is a module and a
# target, cmake/ds_module.cmake):
#   - a .cpp the build compiles: every .cpp of its target;
#   - anything else in a source folder (a header, a CMakeLists.txt, a deleted
#     file): every .cpp under that folder and under tests/<folder>/, e.g.
#     actors/foo.hpp -> actors/*.cpp and tests/actors/*.cpp;
#   - tests/support/*: every test;
#   - .clang-tidy, the root CMakeLists.txt, CMakePresets.json, cmake/*:
#     everything, since they change every file's verdict;
#   - anything else (docs, scripts, a folder's README): nothing.
# A header's users in other folders are not linted (the compiler still sees
# them). Generated sources (build/, *.pb.cc) never are.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${DS_BUILD_DIR:-build/dev}
jobs=${DS_JOBS:-$(nproc)}

all=
list=
paths=()
for arg in "$@"; do
  case "$arg" in
    --all) all=1 ;;
    --list) list=1 ;;
    -*) echo "lint.sh: unknown option '$arg' (see the header)" >&2; exit 2 ;;
    *) paths+=("${arg%/}") ;;
  esac
done

db=$build/compile_commands.json
if [[ ! -f "$db" ]]; then
  echo "lint.sh: no $db; configure first (cmake --preset dev)" >&2
  exit 2
fi
command -v clang-tidy >/dev/null || {
  echo "lint.sh: clang-tidy not found (scripts/setup.sh installs it)" >&2
  exit 2
}

start=$(date +%s)
base=${DS_LINT_BASE:-HEAD~1}
changed=()
if [[ -n "$all" ]]; then
  scope="--all"
elif ((${#paths[@]})); then
  scope="paths ${paths[*]}"
  changed=("${paths[@]}")
elif ! git rev-parse --verify --quiet "$base^{commit}" >/dev/null; then
  if [[ -n "${DS_LINT_BASE:-}" ]]; then
    echo "lint.sh: DS_LINT_BASE=$base is not a revision" >&2
    exit 2
  fi
  # A clone with a single commit has no HEAD~1: everything is new.
  scope="--all (base $base does not resolve)"
  all=1
else
  scope="changes since $base ($(git rev-parse --short "$base"))"
  # Tracked changes up to the work tree, and new files not yet added.
  mapfile -t changed < <({
    git diff --name-only "$base" --
    git ls-files --others --exclude-standard
  } | sort -u)
fi

# The translation units to lint, one absolute path a line, from the
# compilation database (the target of each comes from its object path,
# <folder>/CMakeFiles/<target>.dir/...).
read -r -d '' select_units <<'EOF' || true
import json, os, re, sys

db_path, root, lint_all = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
changed = [line.strip() for line in sys.stdin if line.strip()]

units = {}  # relative source path -> target
for entry in json.load(open(db_path)):
    path = os.path.normpath(os.path.join(entry["directory"], entry["file"]))
    rel = os.path.relpath(path, root)
    if rel.startswith(("..", "build/")) or rel.endswith(".pb.cc"):
        continue  # generated
    cmd = entry.get("command") or " ".join(entry.get("arguments", []))
    m = re.search(r"(?:^|\s)-o\s*\S*?CMakeFiles/([^/\s]+)\.dir/", cmd)
    units[rel] = m.group(1) if m else rel

def under(folder):
    return {u for u in units if u.startswith(folder + "/")}

def everything(path):
    return (path in (".clang-tidy", "CMakeLists.txt", "CMakePresets.json")
            or path.startswith("cmake/"))

def builds(path):  # C++, the schema, or the build of a folder
    return (path.endswith((".cpp", ".hpp", ".h", ".cc", ".proto"))
            or os.path.basename(path) == "CMakeLists.txt")

selected = set(units) if lint_all else set()
for path in changed:
    if lint_all:
        break
    if everything(path):
        selected = set(units)
        break
    folder = os.path.dirname(path)
    if os.path.isdir(os.path.join(root, path)):
        folder = path  # a folder given on the command line
    elif not builds(path):
        continue
    if path in units:
        target = units[path]
        selected |= {u for u, t in units.items() if t == target}
    elif folder.startswith("tests/support") or folder == "tests":
        selected |= under("tests")
    elif folder.startswith("tests/"):
        selected |= under(folder)
    elif folder and not folder.startswith("build/"):
        selected |= under(folder) | under("tests/" + folder)
for u in sorted(selected):
    print(os.path.join(root, u))
EOF
mapfile -t units < <(printf '%s\n' "${changed[@]}" |
  python3 -c "$select_units" "$db" "$root" "$all")

echo "lint: ${#changed[@]} changed paths, ${#units[@]} translation units;" \
  "$scope; $db; $jobs jobs"
if [[ -n "$list" ]]; then
  printf '%s\n' "${units[@]}"
  exit 0
fi
if ((${#units[@]} == 0)); then
  echo "lint: nothing to lint (0 s)"
  exit 0
fi

# GCC's flags reach clang-tidy through the database: ignore the ones clang
# does not know (-Wno-error=restrict) rather than fail on them.
tidy_args=(-extra-arg=-Wno-unknown-warning-option -quiet)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
if command -v run-clang-tidy >/dev/null; then
  tool=run-clang-tidy
  # It takes regular expressions over the database's file names.
  regexes=()
  for u in "${units[@]}"; do
    regexes+=("^$(printf '%s' "$u" | sed 's/[][\.*^$+?(){}|]/\\&/g')\$")
  done
  run-clang-tidy -p "$build" -j "$jobs" "${tidy_args[@]}" "${regexes[@]}" \
    >"$log" 2>&1 || status=$?
else
  tool="clang-tidy (xargs -P $jobs)"
  printf '%s\0' "${units[@]}" |
    xargs -0 -n 1 -P "$jobs" clang-tidy -p "$build" "${tidy_args[@]}" \
      >"$log" 2>&1 || status=$?
fi

# Show the findings, not run-clang-tidy's command lines, colours or
# "N warnings generated" counts (those are system headers, suppressed).
sed -e 's/\x1b\[[0-9;]*m//g' "$log" |
  grep -v -E '^((\S*/)?clang-tidy(-[0-9]+)? |[0-9]+ warnings?( and [0-9]+ errors?)? generated\.$)' ||
  true
findings=$(sed -e 's/\x1b\[[0-9;]*m//g' "$log" |
  { grep -E '^\S+:[0-9]+:[0-9]+: (warning|error): .*\[[^]]+\]$' || true; } |
  sort -u | wc -l)

elapsed=$(($(date +%s) - start))
if ((status != 0)); then
  echo "lint: FAILED ($findings distinct findings, exit $status) in" \
    "${#units[@]} files ($scope; $tool) in ${elapsed} s"
  exit 1
fi
echo "lint: ${#units[@]} files clean ($scope; $tool) in ${elapsed} s"
