"Meta-tests over the real chapter notebooks: the parameters-cell contract and the chapter scaffold every chapter follows."
import re
import nbformat
import pytest
from wsss_nb.reproduce import find_chapters, parameters_cell, parameter_names, chapter_name

CHAPTERS = find_chapters()          # found from the installed package's checkout: works from any directory
REQUIRED = {'preset', 'seed', 'data_dir', 'device', 'out_dir'}

def _code_after_parameters(nb):
    cells = nbformat.read(str(nb), as_version=4).cells
    i = next(k for k, c in enumerate(cells) if 'parameters' in c.get('metadata', {}).get('tags', []))
    return '\n'.join(c.source for c in cells[i+1:] if c.cell_type == 'code')

def test_chapters_exist():
    names = [p.name for p in CHAPTERS]
    assert names and all(re.match(r'\d\d_', n) for n in names), names

@pytest.mark.parametrize('nb', CHAPTERS, ids=[chapter_name(p) for p in CHAPTERS])
def test_parameters_contract(nb):
    src = parameters_cell(nb)
    declared = parameter_names(nb)
    assert REQUIRED <= declared, f"{nb.name}: parameters cell lacks {sorted(REQUIRED - declared)}"
    import ast
    assigned = {t.id for n in ast.parse(src).body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
    assert declared == assigned, f"{nb.name}: papermill cannot parse the lines of {sorted(assigned - declared)} (e.g. '=' in a comment): the CLI would refuse them"
    assert 'WSSS_NB_PRESET' in src or 'env_preset' in src, f"{nb.name}: preset must default to the WSSS_NB_PRESET env var"
    later = _code_after_parameters(nb)
    unread = sorted(n for n in declared if not re.search(rf'\b{n}\b', later))
    assert not unread, f"{nb.name}: parameters {unread} are never read after the parameters cell"

@pytest.mark.parametrize('nb', CHAPTERS, ids=[chapter_name(p) for p in CHAPTERS])
def test_chapter_uses_the_scaffold(nb):
    "One opening (start_chapter), outputs through the chapter object, a results page at the end"
    code = _code_after_parameters(nb)
    assert re.search(rf"start_chapter\(\s*['\"]{chapter_name(nb)}['\"]", code), f"{nb.name}: open with start_chapter('{chapter_name(nb)}', ...)"
    assert '.finish()' in code, f"{nb.name}: end with ch.finish() (results page + RUN.json)"
    for bad, why in [(r'\bsave_table\(', 'ch.table'), (r'\bsave_figure\(', 'ch.figure'), (r"matplotlib\.use\(", 'inline figures (ch.figure)'),
                     (r'\bresolve_out_dir\(', 'start_chapter'), (r'\bconfigure\(', 'start_chapter'), (r'\brun_stamp\(', 'ch.stamp')]:
        assert not re.search(bad, code), f"{nb.name}: uses {bad.strip(chr(92)+'b(')}; use {why}"

def test_every_notebook_has_a_kernelspec():
    from wsss_nb.reproduce import default_nbs
    missing = [p.name for p in sorted(default_nbs().glob('*.ipynb')) if 'kernelspec' not in nbformat.read(str(p), as_version=4).metadata]
    assert not missing, f"notebooks without a kernelspec (Jupyter asks 'Select Kernel'): {missing}"

def test_install_is_consistent():
    import subprocess, sys
    p = subprocess.run([sys.executable, '-m', 'pip', 'check'], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr

def test_template_is_a_working_chapter(tmp_path):
    "nbs/_template.ipynb (the skeleton a new chapter starts from) runs under smoke and writes a results page"
    from wsss_nb.reproduce import default_nbs, run_chapter
    nb = default_nbs()/'_template.ipynb'
    r = run_chapter(nb, 'smoke', out=tmp_path/'figs', runs=tmp_path/'runs', progress=False)
    assert r['status'] == 'ok', r['error']
    page = (tmp_path/'figs'/'_template'/'README.md').read_text()
    assert 'Smoke run' in page and 'ours beats the baseline' in page
