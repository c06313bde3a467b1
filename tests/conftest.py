import os, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault('WSSS_NB_PRESET', 'smoke')

@pytest.fixture
def data_env(tmp_path, monkeypatch):
    "A private WSSS_NB_DATA so tests never touch the user's cache"
    monkeypatch.setenv('WSSS_NB_DATA', str(tmp_path/'data'))
    return tmp_path/'data'

def pytest_addoption(parser):
    parser.addoption('--browser', action='store_true', default=False,
                     help='also run the tests marked `browser` (JupyterLab + chromium; `make test-browser`)')

def pytest_configure(config):
    config.addinivalue_line('markers', 'slow: takes minutes (papermill runs, a real browser)')
    config.addinivalue_line('markers', 'browser: needs chromium + chromedriver + selenium; runs only with --browser (`make test-browser`)')

def pytest_collection_modifyitems(config, items):
    "`make test` never starts a browser: `browser` tests run only with --browser"
    if config.getoption('--browser'): return
    skip = pytest.mark.skip(reason='browser test: run with `make test-browser` (pytest --browser)')
    for item in items:
        if item.get_closest_marker('browser'): item.add_marker(skip)
