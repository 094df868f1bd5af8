"""Fast checks of the book's sources (no build, no execution).

* ``_toc.yml`` names files that exist, in the parts the course map fixes, and
  every Markdown file in ``book/`` is in it (``only_build_toc_files`` would
  otherwise drop it silently).
* Every chapter carries the analogy the course map (``docs/course_map.md``)
  assigns to it, a "where the analogy breaks" note, an exercise, a code cell
  that draws a figure, and a per-chapter bibliography.
* Every citation key used anywhere in the book is in ``book/references.bib``,
  and the bibliography holds every key the course promises.
* ``_config.yml`` keeps the book offline and warning-free: local MathJax, no
  thebe, no launch buttons, no analytics, copyright 2026.

The chapter tests fail until the chapters are written; that is intended.
"""

from __future__ import annotations

import pathlib
import re

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"
COURSE_MAP = ROOT / "docs" / "course_map.md"

CHAPTERS = {
    1: "01_why_memory",
    2: "02_fading_memory",
    3: "03_forget_gate",
    4: "04_input_gate",
    5: "05_cell_state",
    6: "06_output_gate",
    7: "07_lstm_through_time",
    8: "08_gru",
    9: "09_encoder_decoder",
    10: "10_attention",
    11: "11_transformers",
    12: "12_training_in_practice",
}
APPENDICES = ["appendix_a_notation", "appendix_b_glossary", "appendix_c_guides"]
#: Project chapters (unnumbered in the course map's table): one assignment each.
PROJECTS = ["char_language_model"]

# The analogy of each chapter, as phrases that must appear in its text
# (compared case-insensitively, with hyphens read as spaces and curly quotes
# as straight ones). They follow the "analogy" column of course_map.md.
ANALOGY_KEYWORDS: dict[int, tuple[str, ...]] = {
    1: ("roller coaster", "clouds", "France"),
    2: ("cat", "cats", "was", "were"),
    3: ("linear algebra", "forgiv"),
    4: ("calculus",),
    5: ("highway", "conveyor belt"),
    6: ("exam",),
    7: ("four steps", "exam season"),
    8: ("two gates",),
    9: ("note card",),
    10: ("What's your name",),
    11: ("transformer",),
    12: ("novel", "sittings", "bookmark"),
}

PARTS = {
    "Recurrent networks": [CHAPTERS[1], CHAPTERS[2]],
    "The LSTM, gate by gate": [CHAPTERS[i] for i in range(3, 8)],
    "Beyond the LSTM": [CHAPTERS[i] for i in range(8, 12)],
    "Practice": [CHAPTERS[12], *PROJECTS],
    "Appendices": APPENDICES,
}

BIB_KEYS = {
    "hochreiter1997", "bengio1994", "pascanu2013", "cho2014", "bahdanau2015",
    "luong2015", "vaswani2017", "olah2015", "gers2000", "jozefowicz2015",
    "glorot2010", "he2015", "saxe2014", "le2015", "sutskever2014", "graves2013",
    "goodfellow2016", "werbos1990", "elman1990", "chung2014", "linzen2016",
}
ASSIGNMENT_IDS = {
    "01_forget_gate", "02_input_gate", "03_cell_state", "04_output_gate",
    "05_lstm_forward", "06_lstm_backward", "07_gru", "08_attention",
    "09_char_lm",
}

CITE_RE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]+)`")
CODE_CELL_RE = re.compile(r"^(`{3,}|~{3,})\{code-cell\}[^\n]*\n(.*?)^\1", re.M | re.S)
FIGURE_RE = re.compile(
    r"plt\.|matplotlib|\bplot_\w+\(|\bdraw_\w+\(|\.plot\(|\.imshow\(|\.bar\(|subplots\("
    r"|savefig|\.figure\("
)


def normalise(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u2010", "-")
    text = re.sub(r"[-\u2013\u2014]", " ", text)
    return re.sub(r"\s+", " ", text).lower()


def toc() -> dict:
    return yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf8"))


def toc_files() -> list[str]:
    data = toc()
    files = [data["root"]]
    for part in data.get("parts", []):
        for chapter in part.get("chapters", []):
            files.append(chapter["file"])
            files += [s["file"] for s in chapter.get("sections", []) if "file" in s]
    return files


def source(name: str) -> pathlib.Path:
    return BOOK / f"{name}.md"


def read_chapter(name: str) -> str:
    path = source(name)
    if not path.is_file():
        pytest.fail(f"chapter {path.relative_to(ROOT)} does not exist yet")
    return path.read_text(encoding="utf8")


def strip_code(text: str) -> str:
    """The prose only: fenced code, code cells and inline code removed."""
    text = re.sub(r"^(`{3,}|~{3,})[^\n]*\n.*?^\1[ \t]*$", "", text, flags=re.M | re.S)
    return re.sub(r"`[^`\n]*`", "", text)


# --------------------------------------------------------------------- TOC


def test_toc_files_exist():
    missing = []
    for name in toc_files():
        path = ROOT / name
        candidates = [path] if path.suffix else [path.with_suffix(s) for s in (".md", ".ipynb")]
        if not any(p.is_file() for p in candidates):
            missing.append(name)
    assert not missing, f"_toc.yml names files that do not exist: {missing}"


def test_toc_parts_and_order():
    data = toc()
    assert data["format"] == "jb-book"
    assert data["root"] == "book/intro"
    parts = {p["caption"]: [pathlib.PurePosixPath(c["file"]).name for c in p["chapters"]]
             for p in data["parts"]}
    assert list(parts) == list(PARTS), f"parts: {list(parts)}"
    assert parts == PARTS


def test_every_book_page_is_in_the_toc():
    listed = {pathlib.PurePosixPath(f).with_suffix("").as_posix() for f in toc_files()}
    stray = [
        p.relative_to(ROOT).as_posix()
        for p in sorted(BOOK.glob("*.md")) + sorted(BOOK.glob("*.ipynb"))
        if p.relative_to(ROOT).with_suffix("").as_posix() not in listed
    ]
    assert not stray, f"book files missing from _toc.yml (they would not be built): {stray}"


# ------------------------------------------------------------- course map


def course_map_rows() -> dict[int, str]:
    """Chapter number -> the whole table row, from course_map.md's chapter table."""
    rows: dict[int, str] = {}
    for line in COURSE_MAP.read_text(encoding="utf8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 5 and cells[0].isdigit():
            rows[int(cells[0])] = line
    return rows


def test_keywords_follow_the_course_map():
    rows = course_map_rows()
    assert set(rows) == set(ANALOGY_KEYWORDS), (
        f"course_map.md lists chapters {sorted(rows)}, the test knows {sorted(ANALOGY_KEYWORDS)}"
    )
    for number, keywords in ANALOGY_KEYWORDS.items():
        row = normalise(rows[number])
        assert any(normalise(k) in row for k in keywords), (
            f"chapter {number}: none of {keywords} occurs in course_map.md's row {rows[number]!r}; "
            "update ANALOGY_KEYWORDS"
        )


@pytest.mark.parametrize("number", sorted(CHAPTERS))
def test_chapter_carries_its_analogy(number):
    text = normalise(strip_code(read_chapter(CHAPTERS[number])))
    missing = [k for k in ANALOGY_KEYWORDS[number] if normalise(k) not in text]
    assert not missing, f"{CHAPTERS[number]}.md never mentions {missing} (its analogy)"


# ------------------------------------------------------------- skeleton


@pytest.mark.parametrize("name", [*CHAPTERS.values(), *PROJECTS])
def test_chapter_skeleton(name):
    text = read_chapter(name)
    problems = []
    if not text.startswith("---") or "jupytext" not in text.split("---")[1]:
        problems.append("no jupytext front matter")
    elif "python3" not in text.split("---")[1]:
        problems.append("front matter names no python3 kernel")
    if "where the analogy breaks" not in normalise(text):
        problems.append('no "Where the analogy breaks" section or note')
    if not re.search(r"\{exercise(-start)?\}", text):
        problems.append("no {exercise} directive")
    cells = [m.group(2) for m in CODE_CELL_RE.finditer(text)]
    if not cells:
        problems.append("no {code-cell}")
    elif not any(FIGURE_RE.search(cell) for cell in cells):
        problems.append("no code cell draws a figure (matplotlib, plot_*, draw_*)")
    if not re.search(r"^#{2,}\s+References\s*$", text, re.M):
        problems.append('no "References" heading')
    if not re.search(r"\{bibliography\}[^\n]*\n(?::[^\n]*\n)*:filter: docname in docnames",
                     text):
        problems.append("no ```{bibliography} with :filter: docname in docnames")
    if not CITE_RE.search(text):
        problems.append("cites nothing ({cite:p}`key`)")
    assert not problems, f"{name}.md: " + "; ".join(problems)


@pytest.mark.parametrize("name", list(CHAPTERS.values()))
def test_chapter_has_a_title_and_label(name):
    text = read_chapter(name)
    body = text.split("---", 2)[2] if text.startswith("---") else text
    assert re.search(r"^# \S", body, re.M), f"{name}.md has no '# Title'"


# ------------------------------------------------------------ citations


def bib_entries() -> dict[str, str]:
    text = (BOOK / "references.bib").read_text(encoding="utf8")
    entries = {}
    for match in re.finditer(r"@(\w+)\{([^,\s]+),(.*?)\n\}", text, re.S):
        entries[match.group(2)] = match.group(1).lower() + "\n" + match.group(3)
    return entries


def test_bibliography_has_every_course_key_once():
    text = (BOOK / "references.bib").read_text(encoding="utf8")
    keys = re.findall(r"@\w+\{([^,\s]+),", text)
    duplicates = {k for k in keys if keys.count(k) > 1}
    assert not duplicates, f"duplicate bib keys: {duplicates}"
    assert BIB_KEYS <= set(keys), f"missing bib keys: {sorted(BIB_KEYS - set(keys))}"


def test_bib_entries_are_complete():
    required = {
        "article": ("author", "title", "journal", "year", "volume", "pages"),
        "inproceedings": ("author", "title", "booktitle", "year"),
        "book": ("author", "title", "publisher", "year"),
        "misc": ("author", "title", "year"),
    }
    problems = []
    for key, body in bib_entries().items():
        kind, fields = body.split("\n", 1)
        names = set(re.findall(r"^\s*(\w+)\s*=", fields, re.M))
        missing = [f for f in required.get(kind, ()) if f not in names]
        if missing:
            problems.append(f"{key}: missing {missing}")
        if kind == "misc" and not ({"url", "eprint"} & names):
            problems.append(f"{key}: a misc entry needs a url or an eprint")
    assert not problems, "; ".join(problems)


def test_every_citation_is_in_the_bibliography():
    keys = set(bib_entries())
    unknown = []
    for path in [*sorted(BOOK.glob("*.md")), ROOT / "docs" / "notation.md"]:
        if not path.is_file():
            continue
        for match in CITE_RE.finditer(path.read_text(encoding="utf8")):
            for key in match.group(1).split(","):
                if key.strip() not in keys:
                    unknown.append(f"{path.name}: {key.strip()}")
    assert not unknown, f"citations missing from references.bib: {unknown}"


def test_student_download_links_name_real_assignments():
    bad = []
    for path in sorted(BOOK.glob("*.md")):
        for target in re.findall(r"\{download\}`[^`]*<([^>]+)>`", path.read_text("utf8")):
            stem = pathlib.PurePosixPath(target)
            if stem.parent.as_posix() == "_student" and stem.stem not in ASSIGNMENT_IDS:
                bad.append(f"{path.name}: {target}")
    assert not bad, f"download links to unknown assignments: {bad}"


# ----------------------------------------------------------- front matter


def test_intro_maps_every_chapter():
    text = (BOOK / "intro.md").read_text(encoding="utf8")
    missing = [name for name in list(CHAPTERS.values()) + APPENDICES
               if f"{{doc}}`{name}`" not in text and f"<{name}>`" not in text]
    assert not missing, f"intro.md's chapter map does not link {missing}"
    for phrase in ("make book", "make test", "Jupyter Book 1", "Jupyter Book 2"):
        assert phrase in text, f"intro.md should mention {phrase!r}"


def test_appendix_a_includes_the_notation_note():
    text = (BOOK / "appendix_a_notation.md").read_text(encoding="utf8")
    assert "{include} ../docs/notation.md" in text
    note = (ROOT / "docs" / "notation.md").read_text(encoding="utf8")
    assert "<!-- start-include -->" in note
    for needle in ("(H + D, H)", "weight_ih_l0", "weight_hh_l0", "i, f, g, o", "r, z, n",
                   "n_a + n_x", r"\tilde C_t", "(1 - z_t)"):
        assert needle in note, f"docs/notation.md should state {needle!r}"


def test_glossary_has_enough_terms():
    text = (BOOK / "appendix_b_glossary.md").read_text(encoding="utf8")
    rows = [line for line in text.splitlines()
            if line.startswith("| ") and not line.startswith("| English")]
    assert len(rows) >= 30, f"only {len(rows)} glossary rows"
    for zh in ("遗忘门", "输入门", "输出门", "细胞状态", "隐藏状态", "梯度消失", "梯度爆炸",
               "注意力机制", "更新门", "重置门", "上下文向量", "随时间反向传播", "梯度裁剪",
               "教师强制", "掩码", "门控循环单元", "长短期记忆", "循环神经网络", "序列到序列",
               "激活函数", "雅可比矩阵", "权重初始化", "编码器", "解码器"):
        assert zh in text, f"glossary lacks {zh}"


def test_guides_cover_students_and_instructors():
    text = (BOOK / "appendix_c_guides.md").read_text(encoding="utf8")
    assert "## For students" in text and "## For instructors" in text
    for command in ("course check", "course init", "course release", "course collect",
                    "course autograde", "course feedback", "course export"):
        assert command in text, f"appendix C does not explain `{command}`"


# ---------------------------------------------------------------- config


def config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf8"))


def test_config_keeps_the_book_offline_and_strict():
    cfg = config()
    assert cfg["title"] == "LSTMs and attention, by analogy"
    assert str(cfg["copyright"]) == "2026"
    assert cfg["only_build_toc_files"] is True
    assert cfg["execute"]["execute_notebooks"] == "cache"
    assert cfg["execute"]["timeout"] >= 300
    assert cfg["bibtex_bibfiles"] == ["book/references.bib"]
    assert cfg["launch_buttons"]["thebe"] is False
    for key in ("binderhub_url", "jupyterhub_url", "colab_url", "deepnote_url"):
        assert not cfg["launch_buttons"].get(key)
    assert not cfg["html"]["analytics"].get("google_analytics_id")
    sphinx = cfg["sphinx"]["config"]
    assert "sphinx_thebe" not in sphinx["extensions"]
    assert {"sphinx_exercise", "sphinxcontrib.bibtex"} <= set(sphinx["extensions"])
    assert not sphinx["mathjax_path"].startswith(("http:", "https:", "//"))
    assert sphinx["html_context"]["default_mode"] in {"light", "dark", "auto"}
    exts = set(cfg["parse"]["myst_enable_extensions"])
    assert {"dollarmath", "amsmath", "colon_fence", "deflist", "substitution"} <= exts
    excluded = set(cfg["exclude_patterns"])
    assert {"README.md", "docs", "assignments", "_build", ".venv", "tests"} <= excluded


def test_no_root_static_folder():
    # Jupyter Book 1 adds every .js/.css under a root _static/ to every page,
    # which would load the whole vendored MathJax tree.
    assert not (ROOT / "_static").exists()


# --- Each chapter's "Assignment" section describes the assignment that exists.

ASSIGNMENT_OF_CHAPTER = {
    "03_forget_gate": ["01_forget_gate"],
    "04_input_gate": ["02_input_gate"],
    "05_cell_state": ["03_cell_state"],
    "06_output_gate": ["04_output_gate"],
    "07_lstm_through_time": ["05_lstm_forward", "06_lstm_backward"],
    "08_gru": ["07_gru"],
    "10_attention": ["08_attention"],
    "char_language_model": ["09_char_lm"],
}


def _student_functions(assignment: str) -> set[str]:
    import json

    path = ROOT / "course_pkg" / "instructor" / "data" / "assignments" / assignment / (
        f"{assignment}.ipynb")
    nb = json.loads(path.read_text(encoding="utf-8"))
    names = set()
    for cell in nb["cells"]:
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
            names.update(re.findall(r"^def (\w+)\(", source, flags=re.M))
    return names


@pytest.mark.parametrize("chapter", sorted(ASSIGNMENT_OF_CHAPTER))
def test_assignment_section_names_the_functions_students_write(chapter):
    text = (ROOT / "book" / f"{chapter}.md").read_text(encoding="utf-8")
    match = re.search(r"^## Assignments?\n(.*?)(?=^## )", text, flags=re.M | re.S)
    assert match, f"{chapter}.md has no '## Assignment' section"
    section = match.group(1)
    mentioned = {
        name for name in re.findall(r"(?<![}`])`([a-z_][a-z0-9_]*)`", section) if "_" in name or
        name in {"attention", "candidate", "sample"}
    }
    expected = set()
    for assignment in ASSIGNMENT_OF_CHAPTER[chapter]:
        expected |= _student_functions(assignment)
        assert f"_student/{assignment}.ipynb" in section, (
            f"{chapter}.md does not link the student notebook of {assignment}")
    assert expected, f"no solution functions found for {ASSIGNMENT_OF_CHAPTER[chapter]}"
    assert mentioned == expected, (
        f"{chapter}.md's Assignment section names {sorted(mentioned)}, but the students "
        f"write {sorted(expected)}"
    )


# ------------------------------------------------------------ quick self-checks

SELF_CHECK_RE = re.compile(r"^## Quick self-check\s*\n(.*?)(?=^## )", re.M | re.S)
FOLDED_ANSWER_RE = re.compile(r"^```\{admonition\} Answer\n:class: dropdown\n\n(.+?)^```",
                              re.M | re.S)


def _self_check(text: str) -> str | None:
    match = SELF_CHECK_RE.search(text)
    return match.group(1) if match else None


@pytest.mark.parametrize("name", [*CHAPTERS.values(), *PROJECTS])
def test_chapter_has_a_quick_self_check_with_folded_answers(name):
    text = read_chapter(name)
    section = _self_check(text)
    assert section is not None, f"{name}.md has no '## Quick self-check' section"
    answers = FOLDED_ANSWER_RE.findall(section)
    questions = re.findall(r"^\*\*\d+\.\*\* \S", section, re.M)
    assert len(answers) >= 3, f"{name}.md: {len(answers)} folded answers, expected >= 3"
    assert len(questions) == len(answers), f"{name}.md: {len(questions)} questions, " \
        f"{len(answers)} answers"
    assert all(a.strip() for a in answers), f"{name}.md has an empty answer"
    # separate from the exercises: no exercise inside, and it comes before them
    assert "{exercise" not in section and "{solution" not in section
    assert text.index("## Quick self-check") < text.index("## Exercises")


def test_self_check_pattern_can_fail():
    assert _self_check("## Exercises\n\ntext\n## Summary\n") is None
    folded = "```{admonition} Answer\n:class: dropdown\n\nYes.\n```\n"
    assert FOLDED_ANSWER_RE.findall(folded) == ["Yes.\n"]
    assert FOLDED_ANSWER_RE.findall(folded.replace(":class: dropdown\n", "")) == []


def test_folded_answers_need_the_togglebutton_extension():
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert "sphinx_togglebutton" in config["sphinx"]["config"]["extensions"]
