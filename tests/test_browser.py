"""The annotator in a real browser: JupyterLab on 127.0.0.1, Debian's chromium driven by selenium (`make test-browser`).

Install: `apt-get install chromium chromium-driver` (selenium comes with `pip install -e '.[dev]'`). Skipped, with the
reason, when any of them is missing; not part of `make test` (tests/conftest.py skips `browser` tests without `--browser`).
It opens the micro-annotation chapter (smoke preset), runs all its cells, clicks one cluster's distractor toggle, saves,
and checks the JSON at the path the widget's status line reports.
Env: WSSS_NB_SCREENSHOT (where the annotator's screenshot goes, default a tmp dir), WSSS_NB_BROWSER_NB (the notebook to
open instead, e.g. nbs/11b_annotator.ipynb, the widget on synthetic galleries, in seconds)."""
import json, os, shutil, socket, subprocess, sys, time, secrets, urllib.request
from pathlib import Path
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]
ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which('chromium') or shutil.which('chromium-browser')
DRIVER = shutil.which('chromedriver')

def _need():
    if not CHROMIUM: pytest.skip("no chromium on PATH (apt-get install chromium chromium-driver)")
    if not DRIVER: pytest.skip("no chromedriver on PATH (apt-get install chromium-driver)")
    pytest.importorskip('selenium', reason="selenium is not installed (pip install selenium, or pip install -e '.[dev]')")

def _free_port():
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

@pytest.fixture
def lab(tmp_path):
    "JupyterLab serving a copy of the notebook from tmp_path (the repo's notebook is never saved over); yields (url, annotations path)"
    _need()
    nb = Path(os.environ.get('WSSS_NB_BROWSER_NB') or ROOT/'nbs'/'11_micro_annotation.ipynb')
    if not nb.is_file(): raise FileNotFoundError(f"WSSS_NB_BROWSER_NB: no notebook at {nb}")
    work = tmp_path/'lab'; work.mkdir(); shutil.copy(nb, work/nb.name)
    cfg = tmp_path/'cfg'; (cfg/'labconfig').mkdir(parents=True)
    (cfg/'labconfig'/'page_config.json').write_text(json.dumps(
        {'disabledExtensions': {'@jupyterlab/apputils-extension:announcements': True}}))   # no news pop-up over the page
    port, token, ann = _free_port(), secrets.token_hex(16), tmp_path/'annotations.json'
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT)] + [p for p in [os.environ.get('PYTHONPATH')] if p]),
               WSSS_NB_ANNOTATIONS=str(ann), WSSS_NB_PRESET='smoke', JUPYTER_CONFIG_DIR=str(cfg),
               JUPYTER_RUNTIME_DIR=str(tmp_path/'rt'), IPYTHONDIR=str(tmp_path/'ipython'), MPLBACKEND='Agg')
    log = open(tmp_path/'lab.log', 'w')
    proc = subprocess.Popen([sys.executable, '-m', 'jupyterlab', '--no-browser', '--ip=127.0.0.1', f'--port={port}',
                             f'--IdentityProvider.token={token}', f'--ServerApp.root_dir={work}', '--ServerApp.allow_root=True',
                             '--LabApp.expose_app_in_browser=True', f'--LabApp.workspaces_dir={tmp_path/"ws"}',
                             '--LabApp.news_url=', '--ServerApp.open_browser=False'],
                            cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f'http://127.0.0.1:{port}'
        for _ in range(600):
            if proc.poll() is not None: raise RuntimeError(f"JupyterLab exited ({proc.returncode}):\n{(tmp_path/'lab.log').read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f'{base}/api/status?token={token}', timeout=2): break
            except OSError: time.sleep(0.5)
        else: raise TimeoutError(f"JupyterLab did not answer on {base} within 300 s:\n{(tmp_path/'lab.log').read_text()[-3000:]}")
        yield f'{base}/lab/tree/{nb.name}?token={token}', ann
    finally:
        proc.terminate()
        try: proc.wait(30)
        except subprocess.TimeoutExpired: proc.kill(); proc.wait(10)
        log.close()

@pytest.fixture
def browser(tmp_path, monkeypatch):
    _need()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    monkeypatch.setenv('SE_OFFLINE', 'true')                      # selenium-manager must not try to download a driver
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ['--headless=new', '--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--window-size=1280,2600',
              f'--user-data-dir={tmp_path/"chrome"}', '--hide-scrollbars']: opts.add_argument(a)
    d = webdriver.Chrome(service=Service(executable_path=DRIVER, log_output=str(tmp_path/'chromedriver.log')), options=opts)
    try: yield d
    finally: d.quit()

# The notebook panel (headless chromium has no focus, so `shell.currentWidget` can be null): activate it, report its kernel
NOTEBOOK = """const a = window.jupyterapp; if (!a) return 'no window.jupyterapp';
const w = Array.from(a.shell.widgets('main')).find(x => x.sessionContext);
if (!w) return 'no notebook panel';
if (a.shell.currentWidget !== w) a.shell.activateById(w.id);
const k = w.sessionContext.session && w.sessionContext.session.kernel;
return k ? 'kernel ' + k.status : 'no kernel';"""

def test_annotator_in_jupyterlab(lab, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    url, _ = lab
    browser.get(url)
    wait = lambda secs, f, what: WebDriverWait(browser, secs, poll_frequency=0.5).until(lambda d: f(d), message=what)
    state = []
    def idle(d): state.append(d.execute_script(NOTEBOOK)); return state[-1] == 'kernel idle'
    try:
        wait(400, idle, "the notebook's kernel never became idle")
        browser.execute_script("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        root = wait(600, lambda d: d.find_elements(By.CSS_SELECTOR, '.wsss-annotator'), "no .wsss-annotator widget was rendered")[0]
        time.sleep(2)
        wait(900, idle, "the notebook did not finish running")   # clicks reach the kernel only between cells: let it finish
    except Exception:
        browser.save_screenshot(str(tmp_path/'page.png'))
        print(f"last notebook states: {state[-3:]}; page screenshot {tmp_path/'page.png'}")
        raise
    browser.execute_script("arguments[0].scrollIntoView({block: 'start'})", root)
    toggles = root.find_elements(By.CSS_SELECTOR, '.wsss-toggle')
    assert len(toggles) >= 2, f"expected cluster toggles, found {len(toggles)}"
    # the first class's last cluster (in the demo: boat, cluster 2, the water) becomes a distractor: one click
    first_cls = [c for c in toggles[0].get_attribute('class').split() if c.startswith('wsss-cluster-')][0]
    same = [t for t in toggles if first_cls.rsplit('-', 1)[0] + '-' in t.get_attribute('class')]
    target = same[-1]
    cls_slug, cid = [c for c in target.get_attribute('class').split() if c.startswith('wsss-cluster-')][0][len('wsss-cluster-'):].rsplit('-', 1)
    button = [b for b in target.find_elements(By.TAG_NAME, 'button') if b.text.strip() == 'distractor'][0]
    button.click()
    wait(30, lambda d: 'mod-active' in button.get_attribute('class'), "the distractor button did not become active")
    root.find_element(By.CSS_SELECTOR, '.wsss-save').click()
    status = wait(60, lambda d: [e.text for e in root.find_elements(By.CSS_SELECTOR, '.wsss-status') if e.text.startswith('saved ')],
                  "the status line does not say saved")[0]
    ann = Path(status[len('saved '):].rsplit(' at ', 1)[0])              # "saved PATH at HH:MM:SS: ..."
    assert ann.is_file(), f"Save reported {ann}, but there is no file"
    doc = json.loads(ann.read_text())
    cls = [c for c in doc['classes'] if ''.join(ch if ch.isalnum() else '_' for ch in c) == cls_slug][0]
    assert doc['classes'][cls]['labels'][int(cid)] == 'distractor', doc['classes'][cls]
    assert sum(len(v['distractors']) for v in doc['classes'].values()) == 1, doc
    assert {'layer', 'params', 'model_sha256', 'pool_sha256'} <= set(doc['meta']), doc['meta']
    shot = Path(os.environ.get('WSSS_NB_SCREENSHOT') or tmp_path/'annotator.png')
    shot.parent.mkdir(parents=True, exist_ok=True)
    assert root.screenshot(str(shot)) and shot.stat().st_size > 5000, f"screenshot {shot} missing or empty"
    print(f"screenshot: {shot}")
