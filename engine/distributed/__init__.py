"""Data-parallel training of the character GPT with torch.distributed: N worker processes, one model
copy each, gradients averaged by DistributedDataParallel's all-reduce.

- worker.py: the worker entry point (torch.multiprocessing's `fn(rank, *args)`, or `python -m
  flowscope.engine.distributed.worker` under torchrun), one ShardedRun per process;
- peek.py: the DDP communication hook that copies each bucket before the all-reduce;
- controller.py: the parent's side: starts the workers, talks to them over pipes, restarts them
  from the last checkpoint when one dies, and leaves no process behind;
- trainer.py: the controller behind the Stepper interface the server's runner drives.

torch-free at import (the server imports this package name before any worker exists).
"""
