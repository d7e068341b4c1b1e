"""Issue 25 item 3: does every explorer speak Korean in the Korean edition (BPCOURSE_LANG=ko)?

Each explorer is built from the solutions (as `bpcourse explore` builds it) in a fresh interpreter with the Korean
language set; every text a person sees is collected from the built widget itself (control labels, menu entries,
buttons, the title line, the names of the numbers line, every text of the drawn figure), never from a hand-kept
list. A text without Hangul must be technical: mathematics ($...$), a code name (x_K, W1[0,0], rnn_backward), a number
or a function's name; an English word left anywhere fails the test with the text named.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from conftest import ROOT

COLLECT = r"""
import json, logging, re, warnings
import matplotlib
matplotlib.use("Agg")
import ipywidgets as W
from matplotlib.text import Text
from grader.student.explore import EXPLORERS, show

def walk(w, out):
    for attr in ("description", "tooltip"):
        v = getattr(w, attr, None)
        if isinstance(v, str) and v.strip():
            out.append(v)
    for option in getattr(w, "_options_labels", None) or ():
        out.append(str(option))
    if isinstance(w, W.HTML) and w.value and "<img" not in w.value:
        out += re.findall(r"<h4[^>]*>(.*?)</h4>", w.value) + re.findall(r"<b>(.*?)</b>", w.value)
    for child in getattr(w, "children", ()) or ():
        walk(child, out)

class Said(logging.Handler):
    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


said = Said()
logging.getLogger("matplotlib").addHandler(said)
found, problems = {}, []
with warnings.catch_warnings(record=True) as warned:
    warnings.simplefilter("always")
    for name in EXPLORERS:
        shown, texts = show(name), []
        walk(shown, texts)
        figure = getattr(getattr(shown, "view", None), "fig", None)
        if figure is not None:
            figure.canvas.draw()  # every glyph of every text looked up now
            texts += [t.get_text() for t in figure.findobj(Text) if t.get_text().strip()]
        found[name] = sorted(set(texts))
problems = [str(w.message) for w in warned] + said.messages
print(json.dumps({"texts": found, "said": problems}))
"""

TECHNICAL = {"tanh", "sigmoid", "exp", "sin", "mse", "bce", "cse", "Dual", "XOR", "ms", "diff"}


def english_words(text: str) -> list[str]:
    """The English words of a visible text: none in mathematics, code names, numbers and function names."""
    plain = re.sub(r"\$[^$]*\$", " ", text)
    words = re.findall(r"[A-Za-z][A-Za-z0-9_.\[\],/()'-]*", plain)
    return [w for w in words if len(w) > 2 and w not in TECHNICAL and not re.search(r"[\d_\[\]/]", w)
            and not w.endswith("()") and "._" not in w]


@pytest.mark.slow  # one interpreter builds and draws the nine explorers: about 10 s
def test_every_explorer_shows_korean_in_the_korean_edition() -> None:
    """...and draws each of its glyphs with a font that has it (a missing glyph is an empty box)."""
    env = {**os.environ, "BPCOURSE_LANG": "ko", "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, "-c", COLLECT], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    found = report["texts"]
    assert len(found) >= 9 and all(found.values())
    missing = [m for m in report["said"] if "missing from font" in m or "does not have a glyph" in m]
    assert not missing, f"glyphs drawn as empty boxes in the Korean explorers: {missing[:5]}"
    left = {name: [t for t in texts if english_words(t) and not re.search("[가-힣]", t)]
            for name, texts in found.items()}
    left = {name: texts for name, texts in left.items() if texts}
    assert not left, f"English left in the Korean edition's explorers: {left}"


def test_the_english_word_rule_can_fail() -> None:
    """The rule finds an English label and lets technical texts through."""
    assert english_words("learning rate") == ["learning", "rate"]
    assert not english_words("$x_1$") and not english_words("W1[0,0]") and not english_words("your_fn")
    assert not english_words("tanh") and not english_words("1.5e-3")
