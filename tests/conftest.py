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
