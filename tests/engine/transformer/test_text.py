"""The text side: default corpus from the standard library, tokenizer, task set, seeded batches."""
import pytest
import torch

from flowscope.engine.data.text import CharTokenizer, TextData, make_task, normalise, python_docs, split_question


def test_default_corpus_ships_with_python_and_is_clean_ascii():
    text = python_docs()
    assert 200_000 <= len(text) <= 500_000
    assert set(text) <= {"\n"} | {chr(c) for c in range(32, 127)}
    assert "with" in text and "def " in text
    assert python_docs() is text  # built once


def test_tokenizer_round_trip_and_sorted_vocab():
    tok = CharTokenizer("hello world\n", "Q: 1+2? A: 3")
    assert tok.vocab == sorted(tok.vocab) and len(tok) == len(set("hello world\nQ:1+2?A3"))
    ids = tok.encode("hello Q")
    assert tok.decode(ids) == "hello Q"
    assert tok.display()[tok.stoi["\n"]] == "\\n"
    with pytest.raises(ValueError, match="not in the vocabulary"):
        tok.encode("xyz")


def test_normalise_makes_typography_ascii_and_drops_control_characters():
    assert normalise("“a” – b…\r\nc\x07") == '"a" - b...\nc'
    assert normalise("Straße", ascii_only=True) == "Strasse"
    assert normalise("café") == "café" and normalise("café", ascii_only=True) == "caf"


@pytest.mark.parametrize("task", ["add", "reverse"])
def test_task_set_is_deterministic_and_answers_are_right(task):
    a, b = make_task(task, 50, seed=3), make_task(task, 50, seed=3)
    assert a == b and a != make_task(task, 50, seed=4)
    for line in a:
        q, ans = split_question(line)
        if task == "add":
            x, y = q[3:q.index("?")].split("+")
            assert int(ans) == int(x) + int(y)
        else:
            assert ans == q[len("Q: reverse "):q.index("?")][::-1]


def test_vocabulary_covers_corpus_and_task_so_finetuning_needs_no_new_tokens():
    data = TextData("only lower case letters here " * 20, task="add")
    for ch in "Q: 17+25? A: 42\n":
        assert ch in data.tokenizer.stoi
    ft = data.splits["finetune"]
    assert 8 < len(ft.train) / len(ft.val) < 10  # the task set is split 90/10 too


def test_split_is_90_10_and_batches_are_seeded_shifted_windows(small_text):
    data = TextData(small_text)
    sp = data.splits["pretrain"]
    assert abs(len(sp.val) / (len(sp.train) + len(sp.val)) - 0.1) < 0.001
    x1, y1 = data.batch("pretrain", "train", 4, 16, torch.Generator().manual_seed(5))
    x2, y2 = data.batch("pretrain", "train", 4, 16, torch.Generator().manual_seed(5))
    assert x1.shape == y1.shape == (4, 16) and torch.equal(x1, x2) and torch.equal(y1, y2)
    assert torch.equal(x1[:, 1:], y1[:, :-1])  # the target is the next character


def test_too_short_text_is_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="block_size"):
        TextData("tiny text").check(64)
