#!/usr/bin/env bash
# Fails when the notebooks (the source of truth) and what is generated from them disagree:
#   1. nbdev_export must leave wsss_nb/ unchanged;
#   2. nbdev_clean must leave nbs/ unchanged (notebooks are committed clean);
#   3. README.md must equal nbs/index.ipynb rendered by .ci/make_readme.py.
set -u
BIN=${1:-.venv/bin}
status=0
digest() { find "$@" -type f \( -name '*.py' -o -name '*.ipynb' \) -not -path '*/.ipynb_checkpoints/*' -not -path '*/__pycache__/*' -print0 | sort -z | xargs -0 sha1sum; }

before=$(digest wsss_nb)
"$BIN/nbdev_export" || { echo "check-drift: nbdev_export failed"; exit 1; }
after=$(digest wsss_nb)
if [ "$before" != "$after" ]; then
  echo "check-drift: FAILED -- nbdev_export changed wsss_nb/: the notebooks and the library have drifted."
  diff <(echo "$before") <(echo "$after") | sed 's/^/    /'
  echo "  Fix: edit the notebook in nbs/, run $BIN/nbdev_export, and commit the notebook and wsss_nb/ together."
  status=1
fi

before=$(digest nbs)
"$BIN/nbdev_clean" || { echo "check-drift: nbdev_clean failed"; exit 1; }
after=$(digest nbs)
if [ "$before" != "$after" ]; then
  echo "check-drift: FAILED -- nbdev_clean changed notebooks in nbs/ (outputs or metadata were committed)."
  diff <(echo "$before") <(echo "$after") | sed 's/^/    /'
  echo "  Fix: run $BIN/nbdev_clean (or make hooks once) and commit the cleaned notebooks."
  status=1
fi

"$BIN/python" .ci/make_readme.py --check || status=1
[ $status = 0 ] && echo "check-drift: ok (library, notebooks and README in sync)"
exit $status
