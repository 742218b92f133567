"""Text for the character-level GPT: a tokenizer, the default corpus, a fine-tuning task, batches.

Nothing is downloaded. The default corpus is Python's own documentation as the standard library
ships it (`pydoc_data.topics`, what `help("with")` prints); people may paste their own text instead.
The fine-tuning task set is generated from a seed. The vocabulary is built over the corpus *and*
the task at creation, so switching to fine-tuning later needs no new tokens.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

# Typography the docs use, spelled in ASCII so the vocabulary stays small (about 96 characters).
_ASCII = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "--", "…": "...", "ß": "ss",
                        "°": " degrees", "\t": "    ", "\u00a0": " "})
TASKS = {"add": "add (Q: 17+25? A: 42)", "reverse": "reverse (Q: reverse abc? A: cba)"}


def normalise(text: str, ascii_only: bool = False) -> str:
    """Unix newlines, tabs as spaces, no control characters; `ascii_only` keeps printable ASCII
    and newline only (other letters are dropped), as the default corpus uses."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_ASCII)
    if ascii_only:
        return "".join(ch for ch in text if ch == "\n" or " " <= ch <= "~")
    return "".join(ch for ch in text if ch == "\n" or ch.isprintable())


_RULE = re.compile(r"\s*[-=+|*~^:]{3,}[-=+|*~^: ]*")


@functools.lru_cache(maxsize=1)
def python_docs() -> str:
    """The topics of Python's documentation (about 370 KB on CPython 3.11), each paragraph once:
    the compound-statement chapter repeats the text of `if`, `while`, `with` … word for word."""
    try:
        from pydoc_data.topics import topics
    except ImportError:  # some distributions split it out; docstrings of the stdlib are always there
        topics = _stdlib_docstrings()
    seen: set[str] = set()
    paragraphs = []
    for name in sorted(topics):
        for para in topics[name].split("\n\n"):
            # the docs' table borders and heading underlines ("+-----+", "=====") are no prose: a
            # model's first example window was '-', '-', '+'
            para = "\n".join(line for line in para.split("\n") if not _RULE.fullmatch(line))
            key = para.strip()
            if key and key not in seen:
                seen.add(key)
                paragraphs.append(para.rstrip())
    return normalise("\n\n".join(paragraphs) + "\n", ascii_only=True)


def _stdlib_docstrings() -> dict[str, str]:
    import importlib

    out = {}
    for name in ("argparse", "collections", "csv", "dataclasses", "decimal", "email", "functools", "heapq",
                 "inspect", "itertools", "json", "logging", "pathlib", "re", "string", "textwrap", "typing"):
        mod = importlib.import_module(name)
        out[name] = "\n\n".join(d for d in [mod.__doc__] + [getattr(mod, a).__doc__ for a in dir(mod)
                                                            if not a.startswith("_")] if isinstance(d, str))
    return out


# ----- the fine-tuning task set B ----------------------------------------------------------------
def make_task(name: str, n_lines: int, seed: int) -> list[str]:
    """Question/answer lines, one per example, the same for the same seed:
    add: "Q: 17+25? A: 42"     reverse: "Q: reverse kfz? A: zfk"."""
    rng = np.random.default_rng(seed)
    lines = []
    for _ in range(n_lines):
        if name == "add":
            a, b = (int(v) for v in rng.integers(0, 50, 2))
            lines.append(f"Q: {a}+{b}? A: {a + b}")
        elif name == "reverse":
            word = "".join(chr(97 + int(c)) for c in rng.integers(0, 26, int(rng.integers(3, 6))))
            lines.append(f"Q: reverse {word}? A: {word[::-1]}")
        else:
            raise ValueError(f"unknown task '{name}'; choose one of {', '.join(TASKS)}")
    return lines


def split_question(line: str) -> tuple[str, str]:
    """"Q: 1+2? A: 3" → ("Q: 1+2? A: ", "3"): the prompt a model completes and the right answer."""
    head, answer = line.rsplit(" A: ", 1)
    return head + " A: ", answer


# ----- tokens ------------------------------------------------------------------------------------
class CharTokenizer:
    """One token per character; ids follow the sorted characters, so the vocabulary is stable."""

    def __init__(self, *texts: str):
        self.vocab: list[str] = sorted(set().union(*map(set, texts)))
        self.stoi = {ch: i for i, ch in enumerate(self.vocab)}

    def __len__(self) -> int:
        return len(self.vocab)

    def encode(self, text: str) -> list[int]:
        missing = sorted({ch for ch in text if ch not in self.stoi})
        if missing:
            shown = ", ".join(repr(ch) for ch in missing[:10])
            raise ValueError(f"{len(missing)} character(s) are not in the vocabulary: {shown}. "
                             "The model knows only the characters of its training text.")
        return [self.stoi[ch] for ch in text]

    def decode(self, ids) -> str:
        return "".join(self.vocab[int(i)] for i in ids)

    def display(self) -> list[str]:
        """The vocabulary as people can read it: newline and space named."""
        return [{"\n": "\\n", " ": "␠"}.get(ch, ch) for ch in self.vocab]


# ----- the run's text: corpus A, task B, splits and batches --------------------------------------
@dataclass
class Split:
    train: torch.Tensor  # (N,) token ids, int64
    val: torch.Tensor


class TextData:
    """Corpus A (pre-training) and task set B (fine-tuning) over one vocabulary, each split 90/10.
    torch is imported here, not at the top: the tokenizer, corpus and tasks stay torch-free."""

    def __init__(self, text: str = "", task: str = "add", task_lines: int = 2000, seed: int = 0,
                 val_fraction: float = 0.1):
        self.corpus = normalise(text) if text.strip() else python_docs()
        self.source = "your text" if text.strip() else "Python's documentation (pydoc_data.topics)"
        self.task = task
        lines = make_task(task, task_lines, seed)
        n_val = max(1, int(len(lines) * val_fraction))
        self.task_train_lines, self.task_val_lines = lines[:-n_val], lines[-n_val:]
        task_train, task_val = "\n".join(self.task_train_lines) + "\n", "\n".join(self.task_val_lines) + "\n"
        self.tokenizer = CharTokenizer(self.corpus, task_train, task_val)
        ids = self._ids(self.corpus)
        cut = int(len(ids) * (1 - val_fraction))  # the last 10 % is held out: text read later, never trained on
        self.splits = {"pretrain": Split(ids[:cut], ids[cut:]),
                       "finetune": Split(self._ids(task_train), self._ids(task_val))}

    def _ids(self, text: str) -> torch.Tensor:
        import torch

        return torch.tensor(self.tokenizer.encode(text), dtype=torch.long)

    def check(self, block_size: int) -> None:
        for phase, sp in self.splits.items():
            for name, ids in (("training", sp.train), ("held-out", sp.val)):
                if len(ids) <= block_size + 1:
                    raise ValueError(f"the {name} part of the {phase} text has {len(ids)} characters; a window of "
                                     f"block_size {block_size} needs more: paste a longer text or lower block_size")

    def batch(self, phase: str, split: str, batch_size: int, block_size: int,
              gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """Random windows: x is (B, T) ids, y the same windows shifted by one (each next character)."""
        import torch

        ids = getattr(self.splits[phase], split)
        starts = torch.randint(len(ids) - block_size, (batch_size,), generator=gen)  # (B,)
        rows = ids[starts[:, None] + torch.arange(block_size + 1)]  # (B, T+1)
        if phase == "pretrain":
            rows = self._prose_first(rows)
        return rows[:, :-1], rows[:, 1:]

    def _prose_first(self, rows: torch.Tensor, example: int = 16) -> torch.Tensor:
        """The batch with its most readable window first: the stages' example follows window 1's first
        `example` characters (transformer/record.py), and a student's first one read '_(self[,...])'
        or a table's '-', '-', '+'. Windows are swapped, not changed: the batch's mean loss and its
        gradient are the same whatever their order."""
        import torch

        if not hasattr(self, "_letters"):  # letters and spaces: prose, not code or a table's border
            self._letters = torch.tensor([ch.isalpha() or ch == " " for ch in self.tokenizer.vocab])
        best = int(self._letters[rows[:, :example]].sum(1).argmax())  # the first of the most readable
        if best:
            rows = rows.clone()
            rows[[0, best]] = rows[[best, 0]]
        return rows
