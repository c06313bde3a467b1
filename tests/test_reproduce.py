"The papermill runner and its CLI on tiny fixture chapters (one fails on purpose), plus one real chapter."
import subprocess, sys, os, json
from pathlib import Path
import nbformat
from nbformat.v4 import new_notebook, new_code_cell
import pytest
from wsss_nb.reproduce import find_chapters, reproduce, run_chapter, stale_chapters

ROOT = Path(__file__).resolve().parent.parent
EXE = str(Path(sys.executable).parent/'wsss_nb_reproduce')
PARAMS = "preset = 'default'\nseed = 0\nout_dir = None\ndata_dir = None\ndevice = None"

def write_nb(path, body, params=PARAMS, kernelspec=True):
    cells = [new_code_cell(params, metadata={'tags': ['parameters']}), new_code_cell(body)]
    meta = {'kernelspec': {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'}} if kernelspec else {}
    nbformat.write(new_notebook(cells=cells, metadata=meta), str(path))

def cli(*args, cwd=None, timeout=300):
    return subprocess.run([EXE, *map(str, args)], capture_output=True, text=True, timeout=timeout, cwd=cwd)

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
    out, runs = tmp_path/'figs', tmp_path/'runs'
    p = cli('--nbs', fixture_nbs, '--preset', 'smoke', '--seed', '3', '--out', out, '--runs', runs, '--no_progress')
    assert p.returncode == 1, p.stdout + p.stderr
    assert (out/'good'/'table.md').read_text() == 'smoke 3'              # the good chapter ran, after...
    assert (runs/'smoke'/'02_bad.ipynb').is_file()                       # ...the bad one was executed and kept
    assert not [q for q in (runs/'smoke').iterdir() if q.name.startswith('.')]   # no temporary notebook left behind
    summary = p.stdout[p.stdout.index('| chapter'):]
    assert '| good | ok |' in summary and '| bad | FAILED |' in summary
    assert 'this chapter fails on purpose' in summary
    assert '1 chapter(s) ok, 1 failed' in p.stdout

def test_cli_parameters_and_paper_weights(fixture_nbs, tmp_path):
    "-p NAME VALUE reaches the chapter; a paper run of a chapter with weights_path refuses to start without them"
    write_nb(fixture_nbs/'05_w.ipynb', "from pathlib import Path\n(Path(out_dir)/'w.txt').write_text(f'{weights_path} {epochs!r} {from_scratch}')",
             params=PARAMS + "\nweights_path = None\nepochs = None\nfrom_scratch = False")
    out, runs = tmp_path/'figs', tmp_path/'runs'
    p = cli('w', '--nbs', fixture_nbs, '--preset', 'paper', '--out', out, '--runs', runs, '--no_progress')
    assert p.returncode == 1 and 'needs pretrained weights' in p.stdout and '--from_scratch' in p.stdout
    p = cli('w', '--nbs', fixture_nbs, '--preset', 'paper', '--out', out, '--runs', runs, '--no_progress', '-p', 'weights_path', '/w/vgg.pth', '-p', 'epochs', '3')
    assert p.returncode == 0, p.stdout + p.stderr
    assert (out/'w'/'w.txt').read_text() == '/w/vgg.pth 3 False'
    p = cli('w', '--nbs', fixture_nbs, '--preset', 'paper', '--out', out, '--runs', runs, '--no_progress', '--from_scratch')
    assert p.returncode == 0 and (out/'w'/'w.txt').read_text() == 'None None True'
    p = cli('good', '--nbs', fixture_nbs, '--preset', 'smoke', '--out', out, '--runs', runs, '-p', 'epochs', '3')
    assert p.returncode == 1 and "does not declare ['epochs']" in p.stdout

@pytest.mark.parametrize('args,msg', [
    (['--chapters', 'nosuch'], "no chapter notebook matches ['nosuch']"),
    (['--preset', 'fast'], "valid presets are 'smoke', 'default', 'paper'"),
    (['--out', '/proc/x/y'], 'out: cannot create /proc/x/y'),
    (['--out', __file__], 'exists and is not a directory'),
    (['--nbs', '/nonexistent/nbs'], 'nbs: /nonexistent/nbs is not a directory'),
    (['-p', '1x', '2'], 'not a parameter name'),
])
def test_cli_usage_errors_are_one_line(args, msg, tmp_path):
    p = cli(*args, cwd=tmp_path, timeout=60)
    assert p.returncode == 2, p.stdout + p.stderr
    assert msg in p.stderr and 'hint:' in p.stderr and 'Traceback' not in p.stderr

def test_help_lists_chapters():
    p = cli('--help', timeout=60)
    assert p.returncode == 0 and 'sec' in p.stdout and 'data' in p.stdout

def _git(cwd, *a): return subprocess.run(['git', *a], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()

def test_check_reports_stale_chapters(tmp_path):
    "--check: fresh right after a run at HEAD; stale once the chapter's notebook (or a module it imports) changes"
    (tmp_path/'settings.ini').write_text('[DEFAULT]\nlib_name = wsss_nb\n')
    nbs, lib = tmp_path/'nbs', tmp_path/'wsss_nb'; nbs.mkdir(); lib.mkdir()
    write_nb(nbs/'00_util.ipynb', 'x = 1', params="preset = 'x'")
    (lib/'util.py').write_text('# AUTOGENERATED FROM ../nbs/00_util.ipynb\n# %% ../nbs/00_util.ipynb #0\nx = 1\n')
    write_nb(nbs/'10_good.ipynb', 'from wsss_nb.util import x')
    write_nb(nbs/'11_other.ipynb', 'y = 2')
    _git(tmp_path, 'init', '-q'); _git(tmp_path, 'config', 'user.email', 't@t'); _git(tmp_path, 'config', 'user.name', 't')
    _git(tmp_path, 'add', '-A'); _git(tmp_path, 'commit', '-qm', 'one')
    head = _git(tmp_path, 'rev-parse', '--short', 'HEAD')
    for ch in ('good', 'other', 'util'):
        (tmp_path/'figures'/ch).mkdir(parents=True)
        (tmp_path/'figures'/ch/'RUN.json').write_text(json.dumps(dict(status='complete', commit=head)))
    rows = {r['chapter']: r['status'] for r in stale_chapters(nbs=nbs)}
    assert rows == dict(util='fresh', good='fresh', other='fresh')
    write_nb(nbs/'00_util.ipynb', 'x = 2', params="preset = 'x'")      # a library notebook that `good` imports changes
    _git(tmp_path, 'commit', '-qam', 'two')
    rows = {r['chapter']: r['status'] for r in stale_chapters(nbs=nbs)}
    assert rows == dict(util='stale', good='stale', other='fresh')
    (tmp_path/'figures'/'other'/'RUN.json').write_text(json.dumps(dict(status='running', commit=head)))
    assert {r['chapter']: r['status'] for r in stale_chapters(nbs=nbs)}['other'] == 'stale'
    p = cli('--check', '--nbs', nbs, cwd=tmp_path, timeout=60)
    assert p.returncode == 1 and '| good | stale |' in p.stdout

def test_real_chapter_smoke_from_elsewhere_keeps_tree_clean(tmp_path):
    "The data chapter under smoke, run by the CLI from another directory with no --out: it writes a temp dir, never figures/"
    before = _git(ROOT, 'status', '--porcelain')
    p = cli('--chapters', 'data', '--preset', 'smoke', '--no_progress', '--quiet', cwd=tmp_path, timeout=600)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    out = Path(p.stdout.split('writing figures to ')[1].split('/<chapter>')[0])
    assert ROOT not in out.parents and (out/'data'/'statistics.json').is_file()
    t = json.loads((out/'data'/'statistics.json').read_text())
    assert t['meta']['preset'] == 'smoke' and t['rows']
    assert (ROOT/'runs'/'smoke'/'01_data.ipynb').is_file()
    assert _git(ROOT, 'status', '--porcelain') == before

LAUNCH_PARAMS = PARAMS + "\nnum_processes = None\nmixed_precision = 'auto'"
CHAPTER = """import os, torch
from wsss_nb.core import start_chapter, preset_table
ch = start_chapter('{name}', preset_table(dict(n_seeds=1)), preset, seed=seed, out_dir=out_dir, device=device,
                   num_processes=num_processes, mixed_precision=mixed_precision)
ch.table([dict(rank=int(os.environ.get('RANK', 0)))], 'who', 'Who wrote this table')
{body}
ch.finish()"""

@pytest.mark.slow
def test_two_processes_run_each_chapter_once(tmp_path):
    "--num_processes 2: every chapter runs in 2 processes (one launch, one process group per chapter), rank 0 alone writes"
    nbs, out, runs = tmp_path/'nbs', tmp_path/'figs', tmp_path/'runs'; nbs.mkdir()
    for i, name in enumerate(['first', 'second']):   # the second chapter's group meets the first one's keys in the launch's store
        write_nb(nbs/f'0{i}_{name}.ipynb', CHAPTER.format(name=name, body="torch.distributed.barrier()"), params=LAUNCH_PARAMS)
    p = cli('--nbs', nbs, '--preset', 'smoke', '--num_processes', '2', '--device', 'cpu', '--out', out, '--runs', runs, '--no_progress', timeout=600)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    for name in ('first', 'second'):
        t = json.loads((out/name/'who.json').read_text())
        assert t['rows'] == [dict(rank=0)] and t['meta']['processes'] == 2
        assert json.loads((out/name/'RUN.json').read_text())['status'] == 'complete'
    assert sorted(q.name for q in (runs/'smoke').iterdir()) == ['00_first.ipynb', '01_second.ipynb']   # rank 0's notebooks only
    assert p.stdout.count('2 chapter(s) ok, 0 failed') == 1                                           # one summary, rank 0's

@pytest.mark.slow
def test_two_processes_a_crash_in_one_fails_the_run(tmp_path):
    "rank 1 fails while rank 0 waits in a collective: the run stops with a non-zero status and rank 1's error, no hang"
    nbs = tmp_path/'nbs'; nbs.mkdir()
    body = "if ch.launch.rank == 1: raise ValueError('boom in process 1')\ntorch.distributed.barrier()"
    write_nb(nbs/'00_crash.ipynb', CHAPTER.format(name='crash', body=body), params=LAUNCH_PARAMS)
    p = cli('--nbs', nbs, '--preset', 'smoke', '--num_processes', '2', '--device', 'cpu', '--out', tmp_path/'figs', '--runs', tmp_path/'runs',
            '--no_progress', timeout=300)
    assert p.returncode != 0
    assert 'boom in process 1' in p.stdout + p.stderr

def test_num_processes_usage_errors(tmp_path):
    p = cli('--num_processes', '0', cwd=tmp_path, timeout=60)
    assert p.returncode == 2 and 'num_processes: expected a positive integer' in p.stderr
