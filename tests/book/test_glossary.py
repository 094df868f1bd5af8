"""Every term the book defines has an English / Chinese entry in appendix B.

A chapter defines a term by setting it in bold in running text
(``**masked softmax**``), or by using one of the technical terms listed in
:data:`TERMS` below. Each must have a glossary row whose English column
contains it (or its alias) and whose Chinese column is not empty.
"""

from __future__ import annotations

import pathlib
import re

import pytest

BOOK = pathlib.Path(__file__).resolve().parents[2] / "book"
GLOSSARY = BOOK / "appendix_b_glossary.md"

#: Technical terms the chapters use (case-insensitive substring of the chapter text)
#: -> the English glossary entry that covers them.
TERMS = {
    "beam search": "beam search",
    "exposure bias": "exposure bias",
    "scheduled sampling": "scheduled sampling",
    "positional": "positional encoding",
    "multi-head": "multi-head attention",
    "causal mask": "causal mask",
    "scaled dot": "scaled dot-product attention",
    "additive": "additive attention",
    "peephole": "peephole connection",
    "constant error carousel": "constant error carousel",
    "spectral radius": "spectral radius",
    "singular value": "singular value",
    "attractor": "attractor",
    "latch": "latching",
    "masked softmax": "masked softmax",
    "bidirectional": "bidirectional RNN",
    "teacher forcing": "teacher forcing",
    "greedy decod": "greedy decoding",
    "gradient clipping": "gradient clipping",
    "orthogonal": "orthogonal initialization",
    "he initialisation": "He (Kaiming) initialization",
    "transformer": "Transformer",
    "self-attention": "self-attention",
    "agreement": "subject-verb agreement",
    "jacobian": "Jacobian matrix",
    "truncated bptt": "truncated backpropagation through time",
    "variational dropout": "variational dropout",
    "stacked": "stacked (multi-layer) RNN",
}

#: Bold words in running text that are examples, not terms, and the aliases of
#: bold terms whose glossary entry has a longer name.
BOLD_NOT_TERMS = {"was", "were", "cat", "cats"}
BOLD_ALIASES = {
    "vanishing": "vanishing gradient",
    "exploding": "exploding gradient",
    "queries": "query, key, value",
    "keys": "query, key, value",
    "values": "query, key, value",
    "score": "alignment score",
    "general": "general score",
    "bidirectional": "bidirectional RNN",
    "positional information": "positional encoding",
}


CODE = re.compile(r"^(`{3,}).*?^\1", re.S | re.M)
BOLD = re.compile(r"\*\*([^*\s][^*]{0,60}?)\*\*")


def _rows():
    rows = {}
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        if line.startswith("| ") and not line.startswith("| English"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            rows[cells[0]] = cells[1]
    return rows


def _chapter_text():
    return "\n".join(p.read_text(encoding="utf-8").lower()
                     for p in sorted(BOOK.glob("[0-9][0-9]_*.md")))


def _entry(english):
    for key, zh in _rows().items():
        if english.lower() in key.lower():
            return key, zh
    return None, None


@pytest.mark.parametrize("needle,english", sorted(TERMS.items()))
def test_used_term_has_a_chinese_entry(needle, english):
    assert needle in _chapter_text(), f"{needle!r} is no longer used; drop it from TERMS"
    key, zh = _entry(english)
    assert key is not None, f"appendix B has no row for {english!r}"
    assert re.search(r"[\u4e00-\u9fff]", zh) or zh == "Transformer", (key, zh)


def test_every_bold_term_has_a_chinese_entry():
    bold = set()
    for path in sorted(BOOK.glob("[0-9][0-9]_*.md")):
        prose = CODE.sub("", path.read_text(encoding="utf-8"))
        for term in BOLD.findall(prose):
            term = " ".join(term.split())
            # headings in bold ("**The code.**") start with a capital or end with a stop
            if term[0].isupper() or term.rstrip().endswith((".", ":", "?")):
                continue
            if term in BOLD_NOT_TERMS:
                continue
            bold.add(BOLD_ALIASES.get(term, term))
    missing = sorted(t for t in bold if _entry(t)[0] is None)
    assert not missing, f"bold terms without a glossary entry: {missing}"


def test_d2l_variants_and_untranslated_transformer():
    text = GLOSSARY.read_text(encoding="utf-8")
    for zh in ("通过时间反向传播", "记忆元", "束搜索", "暴露偏差", "计划采样", "位置编码",
               "多头注意力", "因果掩码", "缩放点积注意力", "加性注意力", "窥视孔连接",
               "恒定误差轮盘", "谱半径", "奇异值", "干扰名词"):
        assert zh in text, zh
    assert "变换器" not in text
