"Core pieces that are easier to test outside a notebook: interrupts, presets from the environment."
import json, os
from pathlib import Path
import pytest
from wsss_nb.core import atomic_write, save_table, save_figure, configure, env_preset, check_preset, data_path, PRESETS


def test_interrupted_write_leaves_no_partial_file(tmp_path):
    p = tmp_path/'table.md'
    with pytest.raises(KeyboardInterrupt):
        with atomic_write(p) as f:
            f.write('partial')
            raise KeyboardInterrupt
    assert not p.exists() and list(tmp_path.iterdir()) == []


def test_failed_table_keeps_previous_version(tmp_path, monkeypatch):
    save_table([dict(a=1)], 't', tmp_path)
    import wsss_nb.core as core
    def boom(*a, **k): raise OSError('disk full')
    monkeypatch.setattr(core.json, 'dump', boom)
    with pytest.raises(OSError, match='disk full'): save_table([dict(a=2)], 't', tmp_path)
    assert json.loads((tmp_path/'t.json').read_text())['rows'] == [dict(a=1)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ['t.json', 't.md']


def test_failed_figure_leaves_nothing(tmp_path):
    class BadFig:
        def savefig(self, f, **kw): f.write(b'\x89PNG half'); raise RuntimeError('render failed')
    with pytest.raises(RuntimeError): save_figure(BadFig(), 'f', tmp_path, close=False)
    assert list(tmp_path.iterdir()) == []


def test_env_preset(monkeypatch):
    monkeypatch.setenv('WSSS_NB_PRESET', 'paper'); assert env_preset() == 'paper'
    monkeypatch.delenv('WSSS_NB_PRESET'); assert env_preset() == 'default'
    monkeypatch.setenv('WSSS_NB_PRESET', 'tiny')
    with pytest.raises(ValueError, match="unknown preset 'tiny'.*'smoke', 'default', 'paper'"): env_preset()


def test_configure_every_preset():
    table = {p: dict(epochs=i) for i, p in enumerate(PRESETS)}
    assert [configure(table, p).epochs for p in PRESETS] == [0, 1, 2]
    assert configure(table, 'paper', epochs=7).epochs == 7


def test_data_path_env(tmp_path, monkeypatch):
    monkeypatch.setenv('WSSS_NB_DATA', str(tmp_path/'x'))
    assert data_path('a') == tmp_path/'x'/'a' and (tmp_path/'x'/'a').is_dir()
    monkeypatch.delenv('WSSS_NB_DATA'); monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path/'c'))
    assert data_path(create=False) == tmp_path/'c'/'wsss_nb'


def test_git_commit_dirty_ignores_figures(tmp_path):
    import subprocess
    from wsss_nb.core import git_commit
    g = lambda *a: subprocess.run(['git', *a], cwd=tmp_path, check=True, capture_output=True)
    g('init', '-q'); g('config', 'user.email', 't@t'); g('config', 'user.name', 't')
    (tmp_path/'figures').mkdir(); (tmp_path/'figures'/'t.md').write_text('1'); (tmp_path/'a.py').write_text('x = 1')
    g('add', '-A'); g('commit', '-qm', 'init')
    clean = git_commit(tmp_path)
    assert clean != 'unknown' and not clean.endswith('-dirty')
    (tmp_path/'figures'/'t.md').write_text('2')            # a reproduce run rewrote a figure: still the same code
    assert git_commit(tmp_path) == clean
    (tmp_path/'a.py').write_text('x = 2')                  # the code changed: dirty
    assert git_commit(tmp_path) == clean + '-dirty'

def test_run_manifest_marks_an_unfinished_run(tmp_path):
    "Reliability item 11: a run killed before `finish` leaves RUN.json with status 'running', which `--check` reports as stale"
    import subprocess, sys, textwrap
    from wsss_nb.core import preset_table, start_chapter
    from wsss_nb.reproduce import stale_chapters
    code = textwrap.dedent(f"""
        import os, signal
        from wsss_nb.core import preset_table, start_chapter
        ch = start_chapter('x', preset_table(dict(n=1)), 'default', out_dir={str(tmp_path/'figs'/'x')!r})
        ch.table([dict(a=1)], 't', 'a table')
        os.kill(os.getpid(), signal.SIGKILL)
        """)
    assert subprocess.run([sys.executable, '-c', code]).returncode == -9
    d = tmp_path/'figs'/'x'
    assert json.loads((d/'RUN.json').read_text())['status'] == 'running' and (d/'t.md').is_file()
    ch = start_chapter('x', preset_table(dict(n=1)), 'default', out_dir=d)
    ch.table([dict(a=2)], 't', 'a table'); ch.finish()
    m = json.loads((d/'RUN.json').read_text())
    assert m['status'] == 'complete' and set(m['files']) >= {'t.md', 't.json', 'README.md'} and len(m['files']['t.md']) == 64
    import nbformat
    nbs = tmp_path/'nbs'; nbs.mkdir(); nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('x = 1', metadata=dict(tags=['parameters']))]), nbs/'10_x.ipynb')
    (d/'RUN.json').write_text(json.dumps(dict(m, status='running')))
    assert [r['status'] for r in stale_chapters(tmp_path/'figs', nbs)] == ['stale']
