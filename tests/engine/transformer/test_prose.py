"""The default text is prose and code, not the docs' table borders (issue 22 §4): the Transformer's
first example window read '-', '-', '+'."""
import re

from flowscope.engine.data.text import python_docs
from flowscope.engine.transformer.trainer import GPTTrainer

RULE = re.compile(r"^\s*[-=+|*~^:]{3,}[-=+|*~^: ]*$", re.M)


def test_the_default_corpus_has_no_table_borders_or_underlines():
    text = python_docs()
    assert not RULE.search(text), RULE.search(text)
    assert text.startswith('The "assert" statement\n\n')  # a heading, then its prose
    assert "+-----+" not in text and "=====" not in text


def test_the_first_window_a_student_sees_is_no_border():
    first = GPTTrainer({}).next_stage()
    assert first.stage == "input"
    window = "".join(first.values.text)
    assert not re.search(r"[-=+]{3}", window), window
