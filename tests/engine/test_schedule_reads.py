"""The settings each schedule reads (engine/schedule.py READS, served as the schedule's x-facts so the
Descent page shows only those inputs) are exactly the ones lr_at depends on."""
from flowscope.engine.schedule import READS, SCHEDULES, lr_at
from flowscope.server.protocol import json_schema

BASE = {"warmup_steps": 5, "schedule_steps": 20}
CHANGED = {"warmup_steps": 9, "schedule_steps": 40}


def _curve(kind, settings):
    return [lr_at(s, 0.1, kind, settings["warmup_steps"], settings["schedule_steps"]) for s in range(60)]


def test_each_schedule_reads_exactly_its_settings():
    assert set(READS) == set(SCHEDULES)
    for kind in SCHEDULES:
        for key in BASE:
            moved = _curve(kind, {**BASE, key: CHANGED[key]}) != _curve(kind, BASE)
            assert moved == (key in READS[kind]), (kind, key)


def test_the_page_is_served_them():
    for model in ("neuron", "line", "mlp"):
        assert json_schema()["models"][model]["properties"]["schedule"]["x-facts"]["reads"] == READS
