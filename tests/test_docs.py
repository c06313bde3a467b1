"The documentation paths that need no run: the static site, the hosted-CI workflow, the license the package ships."
import subprocess, sys
from pathlib import Path
import yaml

ROOT = Path(__file__).resolve().parent.parent

def test_docs_site_builds_offline(tmp_path):
    p = subprocess.run([sys.executable, str(ROOT/'.ci'/'make_docs.py'), '--out', str(tmp_path/'site')], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    index = (tmp_path/'site'/'index.html').read_text()
    assert "href='10_sec.html'" in index and 'Bibliography' in index
    assert (tmp_path/'site'/'10_sec.html').stat().st_size > 10_000

def test_workflow_is_valid():
    wf = yaml.safe_load((ROOT/'.github'/'workflows'/'ci.yml').read_text())
    jobs = wf['jobs']
    assert 'bash .ci/run' in str(jobs['test']['steps']) and 'make reproduce' in str(jobs['reproduce']['steps'])
    assert 'upload-artifact' in str(jobs['reproduce']['steps'])

def test_license_is_shipped():
    assert 'Apache License' in (ROOT/'LICENSE').read_text()
    assert 'include LICENSE' in (ROOT/'MANIFEST.in').read_text()
