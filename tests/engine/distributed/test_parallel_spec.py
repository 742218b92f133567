"""`parallel` is checked in the engine: refusals name the field and give the numbers."""
import pytest

from flowscope.engine.distributed.parallel import Parallel, ParallelError, bubble, resolve

MODEL = dict(n_head=4, n_layer=4, batch_size=16)


def test_workers_alone_mean_data_parallel_and_dp_fills_what_tp_pp_leave():
    assert resolve(None, 4, **MODEL) == Parallel(dp=4)
    assert resolve({"tp": 2}, 4, **MODEL) == Parallel(dp=2, tp=2)
    assert resolve({"pp": 2, "micro_batches": 4, "schedule": "gpipe"}, 2, **MODEL).world == 2


@pytest.mark.parametrize("parallel, workers, field, words", [
    ({"dp": 2, "tp": 2}, 2, "dp", "2·2·1 = 4, but workers is 2"),
    ({"tp": 3}, 3, "tp", "tp 3 must divide n_head 4"),
    ({"pp": 3}, 3, "pp", "pp 3 must divide n_layer 4"),
    ({"zero": 4, "dp": 2}, 2, "zero", "0, 1, 2 or 3"),
    ({"zero": 1}, 1, "zero", "needs dp ≥ 2"),
    ({"pp": 2, "micro_batches": 3}, 2, "micro_batches", "batch_size 16"),
    ({"schedule": "zb"}, 1, "schedule", "1f1b, gpipe"),
    ({"tq": 2}, 2, "tq", "not a setting"),
    ({"dp": 2, "pp": 2, "zero": 3}, 4, "zero", "zero with pp is not run here yet"),
    ({"dp": 2, "tp": 2, "zero": 1}, 4, "zero", "zero 1 with tp is not run here yet"),
    ({"tp": 2}, 3, "dp", "workers 3 is not a multiple of tp·pp = 2·1 = 2"),
])
def test_refusals_name_the_field(parallel, workers, field, words):
    with pytest.raises(ParallelError, match="parallel." + field) as e:
        resolve(parallel, workers, **MODEL)
    assert e.value.field == field and words in str(e.value)


def test_coords_put_tp_innermost():
    p = Parallel(dp=2, tp=2)
    assert [p.coords(r) for r in range(4)] == [{"dp": 0, "pp": 0, "tp": 0}, {"dp": 0, "pp": 0, "tp": 1},
                                               {"dp": 1, "pp": 0, "tp": 0}, {"dp": 1, "pp": 0, "tp": 1}]


def test_bubble_as_gpipe_states_it():
    # Huang et al. 2019 (GPipe) §2.3: the bubble is O((K−1)/(M+K−1)) of the step, "negligible when M ≥ 4×K"
    assert bubble(4, 4) == pytest.approx(3 / 7)
    assert bubble(1, 8) == 0
    assert all(bubble(k, 4 * k) < 0.2 for k in range(2, 64))


def test_a_pipeline_without_micro_batches_gets_one_per_stage_and_1f1b_refuses_fewer():
    """`?parallel=pp:2` alone started workers that died in torch's Schedule1F1B ("Number of microbatches
    (1) must be greater than or equal to the number of stages (2)"): the page waited on "starting…"."""
    assert resolve({"pp": 2}, 2, n_head=2, n_layer=2, batch_size=8).micro_batches == 2
    with pytest.raises(ParallelError, match="micro_batches") as err:
        resolve({"pp": 2, "micro_batches": 1}, 2, n_head=2, n_layer=2, batch_size=8)
    assert "≥ pp 2" in str(err.value)
    assert resolve({"pp": 2, "micro_batches": 1, "schedule": "gpipe"}, 2, n_head=2, n_layer=2, batch_size=8).pp == 2
