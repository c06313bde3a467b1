"The papermill runner on two tiny fixture chapters, one of which fails on purpose."
import subprocess, sys, os, json
from pathlib import Path
import nbformat
from nbformat.v4 import new_notebook, new_code_cell
import pytest
from wsss_nb.reproduce import find_chapters, reproduce, run_chapter

PARAMS = "preset = 'default'\nseed = 0\nout_dir = None\ndata_dir = None\ndevice = None"

def write_nb(path, body, params=PARAMS, kernelspec=True):
    cells = [new_code_cell(params, metadata={'tags': ['parameters']}), new_code_cell(body)]
    meta = {'kernelspec': {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'}} if kernelspec else {}
    nb = new_notebook(cells=cells, metadata=meta)
    nbformat.write(nb, str(path))

@pytest.fixture
def fixture_nbs(tmp_path):
    nbs = tmp_path/'nbs'; nbs.mkdir()
    write_nb(nbs/'01_good.ipynb', "from pathlib import Path\n(Path(out_dir)/'table.md').write_text(f'{preset} {seed}')",
             kernelspec=False)                                         # papermill must not need the notebook's kernelspec
    write_nb(nbs/'02_bad.ipynb', "raise ValueError('this chapter fails on purpose')")
    write_nb(nbs/'_scratch.ipynb', "raise SystemExit")                 # scratch notebooks are not chapters
    nbformat.write(new_notebook(cells=[new_code_cell('1')]), str(nbs/'03_noparams.ipynb'))  # no parameters cell
    return nbs

def test_find_chapters(fixture_nbs):
    assert [p.name for p in find_chapters(fixture_nbs)] == ['01_good.ipynb', '02_bad.ipynb']
    assert [p.name for p in find_chapters(fixture_nbs, ['bad'])] == ['02_bad.ipynb']
    with pytest.raises(ValueError, match="no chapter notebook matches \\['sec'\\]"): find_chapters(fixture_nbs, ['sec'])
    with pytest.raises(FileNotFoundError, match='nope'): find_chapters(fixture_nbs/'nope')

def test_refuses_undeclared_parameter(fixture_nbs, tmp_path):
    write_nb(fixture_nbs/'04_partial.ipynb', "pass", params="preset = 'default'\nseed = 0")
    r = run_chapter(fixture_nbs/'04_partial.ipynb', 'smoke', out=tmp_path/'figs', runs=tmp_path/'runs', progress=False)
    assert r['status'] == 'FAILED' and "does not declare ['out_dir']" in r['error']

def test_cli_keeps_going_and_fails(fixture_nbs, tmp_path):
    exe = Path(sys.executable).parent/'wsss_nb_reproduce'
    out, runs = tmp_path/'figs', tmp_path/'runs'
    p = subprocess.run([str(exe), '--nbs', str(fixture_nbs), '--preset', 'smoke', '--seed', '3', '--out', str(out),
                        '--runs', str(runs), '--no_progress'], capture_output=True, text=True, timeout=300)
    assert p.returncode != 0, p.stdout + p.stderr
    assert (out/'good'/'table.md').read_text() == 'smoke 3'              # the good chapter ran, after...
    assert (runs/'smoke'/'02_bad.ipynb').is_file()                       # ...the bad one was executed and kept
    summary = p.stdout[p.stdout.index('| chapter'):]
    assert '| good | ok |' in summary and '| bad | FAILED |' in summary
    assert 'this chapter fails on purpose' in summary
    assert '1 chapter(s) ok, 1 failed' in p.stdout

def test_cli_rejects_unknown_preset(fixture_nbs):
    exe = Path(sys.executable).parent/'wsss_nb_reproduce'
    p = subprocess.run([str(exe), '--nbs', str(fixture_nbs), '--preset', 'fast'], capture_output=True, text=True, timeout=60)
    assert p.returncode != 0 and "valid presets are 'smoke', 'default', 'paper'" in p.stderr

def test_real_chapter_through_papermill(tmp_path):
    "The data chapter, executed by the CLI with the smoke preset: parameters are injected and tables land in --out"
    exe = Path(sys.executable).parent/'wsss_nb_reproduce'
    out, runs = tmp_path/'figs', tmp_path/'runs'
    p = subprocess.run([str(exe), '--chapters', 'data', '--preset', 'smoke', '--out', str(out), '--runs', str(runs),
                        '--no_progress'], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    t = json.loads((out/'data'/'statistics.json').read_text())
    assert t['meta']['preset'] == 'smoke' and t['rows']
    assert (runs/'smoke'/'01_data.ipynb').is_file()
