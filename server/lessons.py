"""Lessons: data files of steps a teacher walks a class through. The schema lives here, once; every
lesson file in frontend/lessons/ is validated against it (and each step's config against its
model's config schema) before it is served."""
from __future__ import annotations

import json
from importlib import resources
from typing import Annotated, Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator

from flowscope.engine.flow import STAGES
from flowscope.engine.scale import LADDER

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
    # the Scale lesson: the rung of the ladder (engine/scale presets) whose memory and days this step
    # shows, in the `scale` view; "transformer" is the room's own run
    scale: Optional[Literal[LADDER]] = None

    @model_validator(mode="after")
    def _config_fits_the_model(self):
        validate_config(self.model, self.config)  # raises with the key at fault
        if ("scale" in self.views) != (self.scale is not None):
            raise ValueError("scale: a step shows the scale view exactly when it names a rung (and the other way round)")
        if self.scale is not None and self.model != "transformer":
            raise ValueError("scale: the scale view is a panel of the Transformer's page")
        return self


class Lesson(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: Annotated[str, Field(pattern=r"^[a-z0-9-]{1,40}$")]
    title: Annotated[str, Field(min_length=1, max_length=80)]
    summary: Annotated[str, Field(max_length=400)]
    steps: Annotated[list[LessonStep], Field(min_length=1, max_length=30)]


# The course, in teaching order: the one list the Lessons menu, "Next lesson" and the clicker follow
# (GET /api/lessons lists the lessons in it; a lesson file carries no order of its own).
COURSE = ("neuron-flow", "find-a", "learning-rate", "xor-hidden-layer", "next-token", "pretrain-finetune", "descent",
          "scale", "many-workers", "course-end")


def in_course_order(lessons: dict[str, Lesson]) -> dict[str, Lesson]:
    """The course's lessons in its order, then any other lesson (a teacher's own file) by id."""
    rank = {lid: i for i, lid in enumerate(COURSE)}
    return {k: lessons[k] for k in sorted(lessons, key=lambda k: (rank.get(k, len(COURSE)), k))}


def load_all() -> dict[str, Lesson]:
    """Every shipped lesson, validated, in course order; a bad file is an error at startup, not in
    class, and so is a course that names a lesson no file holds."""
    out = {}
    folder = resources.files("flowscope.frontend") / "lessons"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            lesson = Lesson.model_validate(json.loads(entry.read_text(encoding="utf-8")))
            if entry.name != f"{lesson.id}.json":
                raise ValueError(f"{entry.name}: the file name must be the lesson id ({lesson.id}.json)")
            out[lesson.id] = lesson
    missing = [lid for lid in COURSE if lid not in out]
    if missing:
        raise ValueError(f"the course names lessons no file holds: {', '.join(missing)}")
    return in_course_order(out)
