"""Feedback that says "re-read chapter N, section X" must point at a real section.

The mistake catalogues in course_pkg.grading name chapter sections by title;
a renamed heading in the book would otherwise leave students looking for a
section that no longer exists.
"""

from __future__ import annotations

import pathlib
import re

import pytest

from course_pkg.grading import attention as grading_attention
from course_pkg.grading import exercises, get_exercise
from course_pkg.grading import gates as grading_gates
from course_pkg.grading import gru as grading_gru
from course_pkg.grading import lstm as grading_lstm

ROOT = pathlib.Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"
REF = re.compile(r'chapter (\d+), "([^"]+)", section "([^"]+)"')


def _chapter_file(number: int) -> pathlib.Path:
    matches = sorted(BOOK.glob(f"{number:02d}_*.md"))
    assert len(matches) == 1, f"expected one book/{number:02d}_*.md, found {matches}"
    return matches[0]


def _headings(path: pathlib.Path) -> tuple[str, list[str]]:
    title, sections = "", []
    in_code = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(("```", "~~~")):
            in_code = not in_code
            continue
        if in_code:
            continue
        if line.startswith("# ") and not title:
            title = line[2:].strip()
        elif re.match(r"#{2,4} ", line):
            sections.append(line.lstrip("#").strip())
    return title, sections


def _all_references() -> set[tuple[int, str, str]]:
    refs = set()
    texts = []
    # String constants of the catalogue modules (e.g. CH7_BPTT) ...
    for module in (grading_attention, grading_gates, grading_gru, grading_lstm):
        texts += [v for v in vars(module).values() if isinstance(v, str)]
    # ... and every message the catalogues build.
    for ex in exercises():
        for mistake in ex.mistakes:
            texts += [mistake.reread, mistake.fix, mistake.summary]
    for text in texts:
        for number, title, section in REF.findall(text):
            refs.add((int(number), title, section))
    return refs


REFERENCES = sorted(_all_references())


def test_catalogues_reference_sections():
    assert len(REFERENCES) >= 6, "the catalogues should point students at chapter sections"


@pytest.mark.parametrize(("number", "title", "section"), REFERENCES)
def test_reference_names_a_real_section(number, title, section):
    path = _chapter_file(number)
    real_title, sections = _headings(path)
    assert real_title == title, f"{path.name} is titled {real_title!r}, feedback says {title!r}"
    assert section in sections, (
        f"feedback sends students to section {section!r} of {path.name}, which has "
        f"sections {sections}"
    )


def test_every_mistake_says_what_to_reread():
    ex = get_exercise("forget_gate")
    assert ex.mistakes, "forget_gate has an empty mistake catalogue"
    for mistake in ex.mistakes:
        assert mistake.reread.strip(), f"mistake {mistake.key} does not say what to re-read"
