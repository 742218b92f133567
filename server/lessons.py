"""Lessons: data files of steps a teacher walks a class through. The schema lives here, once; every
lesson file in frontend/lessons/ is validated against it (and each step's config against its
model's config schema) before it is served."""
from __future__ import annotations

import json
from importlib import resources
from typing import Annotated, Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator

from flowscope.engine.flow import STAGES

from .configs import validate_config
from .protocol import LESSON_CONTROLS as CONTROLS, LESSON_VIEWS as VIEWS, ModelName


class Goal(BaseModel):
    """What finishing the step means, so the page can tick it off."""

    model_config = ConfigDict(extra="forbid")
    stage: Optional[Literal[STAGES]] = None  # reach this stage
    steps: Optional[Annotated[int, Field(ge=1)]] = None  # take at least this many steps
    loss_below: Optional[Annotated[float, Field(gt=0)]] = None  # bring the training loss under this


class LessonStep(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Annotated[str, Field(min_length=1, max_length=80)]
    text: Annotated[str, Field(min_length=1, max_length=2000)]
    model: ModelName
    config: dict[str, Any] = {}
    views: list[Literal[VIEWS]] = []  # empty: the model's usual views
    controls: list[Literal[CONTROLS]] = []  # empty: all of them
    task: Optional[Annotated[str, Field(max_length=200)]] = None  # e.g. "Step to Gradients (→)"
    goal: Optional[Goal] = None

    @model_validator(mode="after")
    def _config_fits_the_model(self):
        validate_config(self.model, self.config)  # raises with the key at fault
        return self


class Lesson(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: Annotated[str, Field(pattern=r"^[a-z0-9-]{1,40}$")]
    title: Annotated[str, Field(min_length=1, max_length=80)]
    summary: Annotated[str, Field(max_length=400)]
    steps: Annotated[list[LessonStep], Field(min_length=1, max_length=30)]


def load_all() -> dict[str, Lesson]:
    """Every shipped lesson, validated; a bad file is an error at startup, not in class."""
    out = {}
    folder = resources.files("flowscope.frontend") / "lessons"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            lesson = Lesson.model_validate(json.loads(entry.read_text(encoding="utf-8")))
            if entry.name != f"{lesson.id}.json":
                raise ValueError(f"{entry.name}: the file name must be the lesson id ({lesson.id}.json)")
            out[lesson.id] = lesson
    return out
