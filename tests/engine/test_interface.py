"""Every trainer is the one declared interface (engine/interface.py): the server calls its methods and
never probes with hasattr; a capability a model lacks is refused in words, not by a missing attribute."""
import pytest

from flowscope.engine.distributed.trainer import DistributedTrainer
from flowscope.engine.interface import TrainerLike
from flowscope.engine.trainers import make_trainer

TINY_GPT = {"n_layer": 1, "n_head": 1, "n_embd": 16, "block_size": 16, "batch_size": 4, "eval_iters": 1,
            "text": "the quick brown fox jumps over the lazy dog. " * 20}
MEMBERS = [name for name in dir(TrainerLike) if not name.startswith("_")] + list(TrainerLike.__annotations__)


@pytest.mark.parametrize("model,config", [("neuron", {}), ("line", {}), ("mlp", {"hidden": [3]}),
                                          ("transformer", TINY_GPT)])
def test_each_model_trainer_is_a_trainerlike(model, config):
    trainer = make_trainer(model, config, 10)
    assert isinstance(trainer, TrainerLike)
    missing = [name for name in MEMBERS if not hasattr(trainer, name)]
    assert not missing, missing
    trainer.watch(lambda: None)  # nothing of its own to watch: a no-op, not an AttributeError
    trainer.close()


def test_the_data_parallel_trainer_declares_every_member_too():
    methods = [name for name in dir(TrainerLike) if not name.startswith("_")]  # data members are set per instance
    missing = [name for name in methods if not hasattr(DistributedTrainer, name)]
    assert not missing, missing


@pytest.mark.parametrize("call,words", [(lambda t: t.switch_phase("finetune"), "transformer"),
                                        (lambda t: t.kill_worker(0), "workers ≥ 2")])
def test_a_capability_a_model_lacks_is_refused_in_words(call, words):
    with pytest.raises(ValueError, match=words):
        call(make_trainer("neuron", {}, 10))
