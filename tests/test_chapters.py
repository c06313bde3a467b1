"Meta-tests over the real chapter notebooks: the parameters cell contract every chapter follows."
import re
import nbformat
import pytest
from wsss_nb.reproduce import find_chapters, parameters_cell, parameter_names, chapter_name

CHAPTERS = find_chapters()
REQUIRED = {'preset', 'seed', 'data_dir', 'device', 'out_dir'}

def test_chapters_exist():
    names = [p.name for p in find_chapters()]
    assert all(re.match(r'\d\d_', n) for n in names), names

@pytest.mark.parametrize('nb', CHAPTERS, ids=[chapter_name(p) for p in CHAPTERS])
def test_parameters_contract(nb):
    src = parameters_cell(nb)
    declared = parameter_names(src)
    assert REQUIRED <= declared, f"{nb.name}: parameters cell lacks {sorted(REQUIRED - declared)}"
    assert 'WSSS_NB_PRESET' in src or 'env_preset' in src, f"{nb.name}: preset must default to the WSSS_NB_PRESET env var"
    cells = nbformat.read(str(nb), as_version=4).cells
    i = next(k for k, c in enumerate(cells) if 'parameters' in c.get('metadata', {}).get('tags', []))
    later = '\n'.join(c.source for c in cells[i+1:] if c.cell_type == 'code')
    unread = sorted(n for n in declared if not re.search(rf'\b{n}\b', later))
    assert not unread, f"{nb.name}: parameters {unread} are never read after the parameters cell"

def test_install_is_consistent():
    import subprocess, sys
    p = subprocess.run([sys.executable, '-m', 'pip', 'check'], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
