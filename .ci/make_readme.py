"""Render nbs/index.ipynb as README.md (markdown cells as they are, code cells fenced). The line `{{chapters}}` in
the notebook becomes the table of chapters, generated from figures/<chapter>/claims.json (claims held / total, link to
the results page), with chapters not yet built marked as planned: no number in the README is typed in.
nbdev 2's own `nbdev_readme` needs quarto, which cannot be installed from a package registry here.
`--check` exits 1 when README.md differs from the rendering instead of writing it."""
import os, sys, tempfile
from pathlib import Path
import nbformat

root = Path(__file__).resolve().parent.parent
HEADER = '<!-- generated from nbs/index.ipynb by `make readme`: edit the notebook, not this file -->\n\n'

# every chapter of the companion, in reading order: notebook stem, source, what it shows
CHAPTERS = [
    ('01_data', 'the embedded benchmark', 'each of its eight properties measured, gallery, scribbles, generative sets'),
    ('07_pretrain', 'pretraining stand-in', 'the shipped CPU body (our ImageNet stand-in) and what it buys'),
    ('10_sec', 'Kolesnikov thesis ch. 2 (ECCV 2016)', 'SEC: seed / expand (GWRP) / constrain losses, pooling study, ablation'),
    ('11_micro_annotation', 'Kolesnikov thesis ch. 3 (BMVC 2016)', 'clusters of mid-level patterns, a one-click annotator, SEC without distractors'),
    ('12_mixup_cam', 'Chang thesis ch. 2 (BMVC 2020)', 'Mixup-CAM: mixup + entropy + concentration losses, CAM and CAM+RW'),
    ('13_subcategory', 'Chang thesis ch. 3 (CVPR 2020)', 'SC-CAM: sub-category clustering as a self-supervised task'),
    ('15_trust_region', 'Marin & Boykov (ICCV 2021)', 'scribbles: PCE, Dense-GD, Grid-GD, Grid-TR with a robust KL'),
    ('16_decomposition', 'Zeng, CS 898 report (2024)', 'segmentation by reconstruction from mask-lets and image-lets'),
    ('20_pixelcnn', 'Kolesnikov thesis ch. 4 (ICML 2017)', 'PixelCNN++, grayscale and pyramid PixelCNN: bits/dim, samples, sampling speed'),
    ('21_colorization', 'Kolesnikov thesis ch. 5 (BMVC 2017)', 'PIC colorization: bits/dim, diverse samples, saturation vs feed-forward'),
]

def chapters_table():
    import json, re
    lines = ['| chapter | source | what it shows | claims held | results |', '|---|---|---|---|---|']
    for stem, src, what in CHAPTERS:
        name = re.sub(r'^\d+[a-z]?_', '', stem)
        if not (root/'nbs'/f'{stem}.ipynb').is_file():
            lines.append(f'| {name} | {src} | {what} | planned | planned |'); continue
        claims = root/'figures'/name/'claims.json'
        held = 'no figures yet'
        if claims.is_file():
            rows = json.loads(claims.read_text())['rows']
            held = f"{sum(r.get('verdict') == 'holds' for r in rows)} / {len(rows)}"
        page = f'[figures/{name}/README.md](figures/{name}/README.md)' if (root/'figures'/name/'README.md').is_file() else f'`nbs/{stem}.ipynb`'
        lines.append(f'| [{name}](nbs/{stem}.ipynb) | {src} | {what} | {held} | {page} |')
    return '\n'.join(lines)

def render(nb_path):
    nb = nbformat.read(str(nb_path), as_version=4)
    parts = []
    for c in nb.cells:
        src = c.source.strip()
        if not src or src.startswith('#| hide'): continue
        if c.cell_type == 'markdown': src = src.replace('{{chapters}}', chapters_table())
        parts.append(src if c.cell_type == 'markdown' else f'```python\n{src}\n```')
    return HEADER + '\n\n'.join(parts) + '\n'

def main(check=False):
    text, readme = render(root/'nbs'/'index.ipynb'), root/'README.md'
    if check:
        if not readme.is_file() or readme.read_text(encoding='utf-8') != text:
            print("check-drift: FAILED -- README.md differs from nbs/index.ipynb; run `make readme` and commit both.")
            return 1
        return 0
    fd, tmp = tempfile.mkstemp(dir=root, prefix='.README.', suffix='.tmp')
    with os.fdopen(fd, 'w', encoding='utf-8') as f: f.write(text)
    os.replace(tmp, readme)
    print(f"wrote {readme}")
    return 0

if __name__ == '__main__': sys.exit(main('--check' in sys.argv[1:]))
