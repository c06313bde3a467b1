"""Render nbs/index.ipynb as README.md (markdown cells as they are, code cells fenced).
nbdev 2's own `nbdev_readme` needs quarto, which cannot be installed from a package registry here.
`--check` exits 1 when README.md differs from the rendering instead of writing it."""
import os, sys, tempfile
from pathlib import Path
import nbformat

root = Path(__file__).resolve().parent.parent
HEADER = '<!-- generated from nbs/index.ipynb by `make readme`: edit the notebook, not this file -->\n\n'

def render(nb_path):
    nb = nbformat.read(str(nb_path), as_version=4)
    parts = []
    for c in nb.cells:
        src = c.source.strip()
        if not src or src.startswith('#| hide'): continue
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
