"""The modeler's Vietnamese labels cover every label bpmn-js asks its translate service for.

bpmn-js has no Vietnamese translation; ours (service/web/static/bpmn-i18n.js) must follow the
version installed from npm: an upgrade that adds a label fails here, naming it.
"""

from __future__ import annotations

import re

from tests.e2e.browser import PROJECT_ROOT

BUNDLE = PROJECT_ROOT / "node_modules" / "bpmn-js" / "dist" / "bpmn-modeler.development.js"
DICTIONARY = PROJECT_ROOT / "service" / "web" / "static" / "bpmn-i18n.js"
LITERAL = re.compile(r"""translate\(\s*(['"])((?:\\.|(?!\1).)*)\1""")
# Replace-menu entries are translated by their label: translate(label).
REPLACE_LABEL = re.compile(r"label:\s*'([^']+)'")
ALIGNMENTS = ("left", "center", "right", "top", "middle", "bottom")  # 'Align elements ' + a
NOT_LABELS = {" + shift + ", "HELLO {you}", "Align elements "}  # SVG code, a doc example
ERRORS = {"flow elements must be children of pools/participants",
          "Data object must be placed within a pool/participant."}


def labels_of_bpmn_js() -> set[str]:
    source = BUNDLE.read_text("utf-8")
    found = {m.group(2) for m in LITERAL.finditer(source)} | set(REPLACE_LABEL.findall(source))
    found |= {f"Align elements {a}" for a in ALIGNMENTS} | ERRORS
    return found - NOT_LABELS


def vietnamese_dictionary() -> dict[str, str]:
    source = DICTIONARY.read_text("utf-8")
    body = source[source.index("const VI = {"):source.index("};", source.index("const VI = {"))]
    return dict(re.findall(r'^\s+"([^"]+)":\s*\n?\s*"([^"]+)"', body, re.M))


def test_every_bpmn_js_label_has_a_vietnamese_translation():
    labels, vietnamese = labels_of_bpmn_js(), vietnamese_dictionary()
    assert len(labels) > 100
    assert sorted(labels - vietnamese.keys()) == []


def test_translations_are_vietnamese_text():
    for english, vietnamese in vietnamese_dictionary().items():
        assert vietnamese != english
        assert set(re.findall(r"{\w+}", vietnamese)) == set(re.findall(r"{\w+}", english))
