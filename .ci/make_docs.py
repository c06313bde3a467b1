"""Render the executed chapter notebooks (runs/<preset>/*.ipynb, else the committed nbs/) to a static HTML site in
_docs/, offline, with nbconvert: one page per notebook, an index with each chapter's claims (from figures/<chapter>/
claims.json) and links to its results page, and a bibliography gathered from every notebook's References section.
nbdev_docs is not used: it needs quarto, which no package registry reachable here provides.
Usage: python .ci/make_docs.py [--preset default] [--out _docs]"""
import argparse, html, json, re, shutil, sys
from pathlib import Path
import nbformat
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parent.parent

def references(nb) -> list[str]:
    "Markdown list items under a '## References' heading of any markdown cell"
    out = []
    for c in nb.cells:
        if c.cell_type != 'markdown': continue
        m = re.search(r'^##+\s*References\s*$(.*)', c.source, flags=re.M | re.S)
        if m: out += [l.strip()[2:].strip() for l in m.group(1).splitlines() if l.strip().startswith(('- ', '* '))]
    return out

def claims_summary(name: str) -> str:
    p = ROOT/'figures'/name/'claims.json'
    if not p.is_file(): return 'no figures yet'
    rows = json.loads(p.read_text())['rows']
    verdict = lambda r: r.get('verdict', {'yes': 'holds', 'no': 'does not hold'}.get(r.get('holds'), 'n/a'))
    return f"{sum(verdict(r) == 'holds' for r in rows)} of {len(rows)} claims hold"

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--preset', default='default'); ap.add_argument('--out', default=str(ROOT/'_docs'))
    a = ap.parse_args()
    out = Path(a.out); shutil.rmtree(out, ignore_errors=True); out.mkdir(parents=True)
    exp = HTMLExporter(template_name='lab')
    runs = ROOT/'runs'/a.preset
    pages, refs = [], []
    for src in sorted((ROOT/'nbs').glob('[0-9]*.ipynb')) + [ROOT/'nbs'/'index.ipynb']:
        executed = runs/src.name
        nb = nbformat.read(str(executed if executed.is_file() else src), as_version=4)
        body, _ = exp.from_notebook_node(nb)
        (out/f'{src.stem}.html').write_text(body)
        name = re.sub(r'^\d+[a-z]?_', '', src.stem)
        is_chapter = any('parameters' in c.get('metadata', {}).get('tags', []) for c in nb.cells)
        pages.append((src.stem, name, is_chapter, executed.is_file()))
        refs += [r for r in references(nb) if r not in refs]
    rows = []
    for stem, name, is_chapter, ran in pages:
        res = ROOT/'figures'/name/'README.md'
        extra = (f" &middot; {claims_summary(name)} &middot; results page: <code>figures/{name}/README.md</code>" if is_chapter and res.is_file() else '')
        rows.append(f"<li><a href='{stem}.html'>{stem}</a>{' (executed, ' + a.preset + ' preset)' if ran else ' (not executed: run make reproduce first)'}{extra}</li>")
    bib = ''.join(f'<li>{html.escape(r)}</li>' for r in sorted(refs))
    (out/'index.html').write_text(f"<!doctype html><meta charset='utf-8'><title>wsss_nb</title><h1>wsss_nb</h1>"
                                  f"<p>Executed chapters and library notebooks.</p><ul>{''.join(rows)}</ul><h2>Bibliography</h2><ol>{bib}</ol>")
    print(f"wrote {len(pages)} pages and index.html ({len(refs)} references) to {out}")

if __name__ == '__main__': sys.exit(main())
