// Written by scripts/write_schema.py from the server's GET /api/schema (the engine's settings,
// choices and names): the page's copy for when that request fails. Don't edit: rerun the script.
export const SCHEMA = {
 "protocol": 1,
 "models": {
  "neuron": {
   "additionalProperties": false,
   "properties": {
    "lr": {
     "default": 0.5,
     "description": "learning rate η",
     "maximum": 1000.0,
     "minimum": 1e-06,
     "title": "Lr",
     "type": "number",
     "x-live": true
    },
    "batch_size": {
     "default": 1,
     "description": "samples per step (1 = one sample at a time)",
     "maximum": 1000,
     "minimum": 1,
     "title": "Batch Size",
     "type": "integer"
    },
    "seed": {
     "default": 0,
     "description": "seeds the data, the initial weights and the batch order",
     "maximum": 2147483647,
     "minimum": 0,
     "title": "Seed",
     "type": "integer"
    },
    "noise": {
     "default": 0.1,
     "description": "how noisy the generated data is",
     "maximum": 1.0,
     "minimum": 0.0,
     "title": "Noise",
     "type": "number"
    },
    "n_samples": {
     "default": 40,
     "description": "training set size",
     "maximum": 1000,
     "minimum": 4,
     "title": "N Samples",
     "type": "integer"
    },
    "speed": {
     "default": 30.0,
     "description": "steps per second while playing",
     "maximum": 100000.0,
     "minimum": 1.0,
     "title": "Speed",
     "type": "number",
     "x-live": true
    },
    "optimizer": {
     "default": "sgd",
     "description": "the update rule (plain SGD unless you choose another)",
     "enum": [
      "sgd",
      "momentum",
      "nesterov",
      "rmsprop",
      "adam",
      "adamw"
     ],
     "title": "Optimizer",
     "type": "string",
     "x-titles": {
      "adam": "Adam",
      "adamw": "AdamW",
      "momentum": "Momentum",
      "nesterov": "Nesterov",
      "rmsprop": "RMSprop",
      "sgd": "SGD"
     }
    },
    "momentum": {
     "default": 0.9,
     "description": "μ for momentum and Nesterov",
     "maximum": 0.999,
     "minimum": 0.0,
     "title": "Momentum",
     "type": "number"
    },
    "weight_decay": {
     "default": 0.0,
     "description": "λ: L2 through the gradient, or decoupled for AdamW",
     "maximum": 1.0,
     "minimum": 0.0,
     "title": "Weight Decay",
     "type": "number"
    },
    "clip": {
     "default": 0.0,
     "description": "clip the gradient's global norm to this (0: off)",
     "maximum": 1000.0,
     "minimum": 0.0,
     "title": "Clip",
     "type": "number",
     "x-live": true
    },
    "schedule": {
     "default": "constant",
     "description": "how the learning rate changes with the step",
     "enum": [
      "constant",
      "step",
      "warmup",
      "cosine"
     ],
     "title": "Schedule",
     "type": "string",
     "x-live": true,
     "x-titles": {
      "constant": "constant",
      "cosine": "warmup, then cosine decay",
      "step": "step decay (halve every schedule_steps)",
      "warmup": "linear warmup"
     }
    },
    "warmup_steps": {
     "default": 0,
     "description": "steps of linear warmup (warmup, cosine)",
     "maximum": 100000,
     "minimum": 0,
     "title": "Warmup Steps",
     "type": "integer",
     "x-live": true
    },
    "schedule_steps": {
     "default": 1000,
     "description": "cosine: steps to decay over; step: steps between halvings",
     "maximum": 1000000,
     "minimum": 1,
     "title": "Schedule Steps",
     "type": "integer",
     "x-live": true
    },
    "features": {
     "default": 1,
     "description": "input features (1: a sigmoid curve, 2: a decision line)",
     "enum": [
      1,
      2
     ],
     "title": "Features",
     "type": "integer"
    },
    "dataset": {
     "default": "pass_fail",
     "description": "pass_fail has 1 feature; and, or, blobs have 2",
     "enum": [
      "pass_fail",
      "and",
      "or",
      "blobs"
     ],
     "title": "Dataset",
     "type": "string",
     "x-facts": {
      "features": {
       "and": 2,
       "blobs": 2,
       "or": 2,
       "pass_fail": 1
      }
     },
     "x-titles": {
      "and": "AND (2 features)",
      "blobs": "two blobs (2 features)",
      "or": "OR (2 features)",
      "pass_fail": "pass / fail (1 feature)"
     }
    }
   },
   "title": "NeuronConfig",
   "type": "object"
  },
  "line": {
   "additionalProperties": false,
   "properties": {
    "lr": {
     "default": 0.02,
     "description": "learning rate η",
     "maximum": 1000.0,
     "minimum": 1e-06,
     "title": "Lr",
     "type": "number",
     "x-live": true
    },
    "batch_size": {
     "default": 4,
     "description": "samples per step (1 = one sample at a time)",
     "maximum": 1000,
     "minimum": 1,
     "title": "Batch Size",
     "type": "integer"
    },
    "seed": {
     "default": 0,
     "description": "seeds the data, the initial weights and the batch order",
     "maximum": 2147483647,
     "minimum": 0,
     "title": "Seed",
     "type": "integer"
    },
    "noise": {
     "default": 0.2,
     "description": "how noisy the generated data is",
     "maximum": 1.0,
     "minimum": 0.0,
     "title": "Noise",
     "type": "number"
    },
    "n_samples": {
     "default": 20,
     "description": "training set size",
     "maximum": 1000,
     "minimum": 4,
     "title": "N Samples",
     "type": "integer"
    },
    "speed": {
     "default": 30.0,
     "description": "steps per second while playing",
     "maximum": 100000.0,
     "minimum": 1.0,
     "title": "Speed",
     "type": "number",
     "x-live": true
    },
    "optimizer": {
     "default": "sgd",
     "description": "the update rule (plain SGD unless you choose another)",
     "enum": [
      "sgd",
      "momentum",
      "nesterov",
      "rmsprop",
      "adam",
      "adamw"
     ],
     "title": "Optimizer",
     "type": "string",
     "x-titles": {
      "adam": "Adam",
      "adamw": "AdamW",
      "momentum": "Momentum",
      "nesterov": "Nesterov",
      "rmsprop": "RMSprop",
      "sgd": "SGD"
     }
    },
    "momentum": {
     "default": 0.9,
     "description": "μ for momentum and Nesterov",
     "maximum": 0.999,
     "minimum": 0.0,
     "title": "Momentum",
     "type": "number"
    },
    "weight_decay": {
     "default": 0.0,
     "description": "λ: L2 through the gradient, or decoupled for AdamW",
     "maximum": 1.0,
     "minimum": 0.0,
     "title": "Weight Decay",
     "type": "number"
    },
    "clip": {
     "default": 0.0,
     "description": "clip the gradient's global norm to this (0: off)",
     "maximum": 1000.0,
     "minimum": 0.0,
     "title": "Clip",
     "type": "number",
     "x-live": true
    },
    "schedule": {
     "default": "constant",
     "description": "how the learning rate changes with the step",
     "enum": [
      "constant",
      "step",
      "warmup",
      "cosine"
     ],
     "title": "Schedule",
     "type": "string",
     "x-live": true,
     "x-titles": {
      "constant": "constant",
      "cosine": "warmup, then cosine decay",
      "step": "step decay (halve every schedule_steps)",
      "warmup": "linear warmup"
     }
    },
    "warmup_steps": {
     "default": 0,
     "description": "steps of linear warmup (warmup, cosine)",
     "maximum": 100000,
     "minimum": 0,
     "title": "Warmup Steps",
     "type": "integer",
     "x-live": true
    },
    "schedule_steps": {
     "default": 1000,
     "description": "cosine: steps to decay over; step: steps between halvings",
     "maximum": 1000000,
     "minimum": 1,
     "title": "Schedule Steps",
     "type": "integer",
     "x-live": true
    },
    "bias": {
     "default": false,
     "description": "learn an intercept b too (y = a·x + b)",
     "title": "Bias",
     "type": "boolean"
    },
    "dataset": {
     "default": "linear",
     "description": "linear: y ≈ 2x; offset: y ≈ 2x + 3",
     "enum": [
      "linear",
      "offset"
     ],
     "title": "Dataset",
     "type": "string",
     "x-titles": {
      "linear": "y = a·x",
      "offset": "y = a·x + b"
     }
    }
   },
   "title": "LineConfig",
   "type": "object"
  },
  "mlp": {
   "additionalProperties": false,
   "properties": {
    "lr": {
     "default": 0.03,
     "description": "learning rate η",
     "maximum": 1000.0,
     "minimum": 1e-06,
     "title": "Lr",
     "type": "number",
     "x-live": true
    },
    "batch_size": {
     "default": 10,
     "description": "samples per step (1 = one sample at a time)",
     "maximum": 1000,
     "minimum": 1,
     "title": "Batch Size",
     "type": "integer"
    },
    "seed": {
     "default": 0,
     "description": "seeds the data, the initial weights and the batch order",
     "maximum": 2147483647,
     "minimum": 0,
     "title": "Seed",
     "type": "integer"
    },
    "noise": {
     "default": 0.1,
     "description": "how noisy the generated data is",
     "maximum": 1.0,
     "minimum": 0.0,
     "title": "Noise",
     "type": "number"
    },
    "n_samples": {
     "default": 300,
     "description": "points generated (train + test)",
     "maximum": 2000,
     "minimum": 10,
     "title": "N Samples",
     "type": "integer"
    },
    "speed": {
     "default": 300.0,
     "description": "steps per second while playing",
     "maximum": 100000.0,
     "minimum": 1.0,
     "title": "Speed",
     "type": "number",
     "x-live": true
    },
    "optimizer": {
     "default": "sgd",
     "description": "the update rule (plain SGD unless you choose another)",
     "enum": [
      "sgd",
      "momentum",
      "nesterov",
      "rmsprop",
      "adam",
      "adamw"
     ],
     "title": "Optimizer",
     "type": "string",
     "x-titles": {
      "adam": "Adam",
      "adamw": "AdamW",
      "momentum": "Momentum",
      "nesterov": "Nesterov",
      "rmsprop": "RMSprop",
      "sgd": "SGD"
     }
    },
    "momentum": {
     "default": 0.9,
     "description": "μ for momentum and Nesterov",
     "maximum": 0.999,
     "minimum": 0.0,
     "title": "Momentum",
     "type": "number"
    },
    "weight_decay": {
     "default": 0.0,
     "description": "λ: L2 through the gradient, or decoupled for AdamW",
     "maximum": 1.0,
     "minimum": 0.0,
     "title": "Weight Decay",
     "type": "number"
    },
    "clip": {
     "default": 0.0,
     "description": "clip the gradient's global norm to this (0: off)",
     "maximum": 1000.0,
     "minimum": 0.0,
     "title": "Clip",
     "type": "number",
     "x-live": true
    },
    "schedule": {
     "default": "constant",
     "description": "how the learning rate changes with the step",
     "enum": [
      "constant",
      "step",
      "warmup",
      "cosine"
     ],
     "title": "Schedule",
     "type": "string",
     "x-live": true,
     "x-titles": {
      "constant": "constant",
      "cosine": "warmup, then cosine decay",
      "step": "step decay (halve every schedule_steps)",
      "warmup": "linear warmup"
     }
    },
    "warmup_steps": {
     "default": 0,
     "description": "steps of linear warmup (warmup, cosine)",
     "maximum": 100000,
     "minimum": 0,
     "title": "Warmup Steps",
     "type": "integer",
     "x-live": true
    },
    "schedule_steps": {
     "default": 1000,
     "description": "cosine: steps to decay over; step: steps between halvings",
     "maximum": 1000000,
     "minimum": 1,
     "title": "Schedule Steps",
     "type": "integer",
     "x-live": true
    },
    "dataset": {
     "default": "circle",
     "description": "plane and bumps are regression; three has 3 classes; custom is your own points",
     "enum": [
      "circle",
      "xor",
      "gauss",
      "spiral",
      "moons",
      "three",
      "plane",
      "bumps",
      "custom"
     ],
     "title": "Dataset",
     "type": "string",
     "x-titles": {
      "bumps": "bumps (regression)",
      "circle": "circle",
      "custom": "your own points",
      "gauss": "two gaussians",
      "moons": "two moons",
      "plane": "plane (regression)",
      "spiral": "spiral",
      "three": "three blobs (3 classes)",
      "xor": "XOR"
     }
    },
    "test_fraction": {
     "default": 0.5,
     "description": "share of the points held out for the test loss",
     "maximum": 0.9,
     "minimum": 0.1,
     "title": "Test Fraction",
     "type": "number"
    },
    "hidden": {
     "default": [
      4,
      2
     ],
     "description": "units per hidden layer (0 to 6 layers, 1 to 8 units)",
     "items": {
      "maximum": 8,
      "minimum": 1,
      "type": "integer"
     },
     "maxItems": 6,
     "minItems": 0,
     "title": "Hidden",
     "type": "array"
    },
    "activation": {
     "anyOf": [
      {
       "enum": [
        "relu",
        "tanh",
        "sigmoid",
        "linear",
        "gelu"
       ],
       "type": "string"
      },
      {
       "items": {
        "enum": [
         "relu",
         "tanh",
         "sigmoid",
         "linear",
         "gelu"
        ],
        "type": "string"
       },
       "type": "array"
      }
     ],
     "default": "tanh",
     "description": "one activation for every hidden layer, or a list with one per layer",
     "title": "Activation",
     "x-titles": {
      "gelu": "GELU",
      "linear": "linear",
      "relu": "ReLU",
      "sigmoid": "sigmoid",
      "tanh": "tanh"
     }
    },
    "features": {
     "default": [
      "x1",
      "x2"
     ],
     "description": "input features fed to the network",
     "items": {
      "enum": [
       "x1",
       "x2",
       "x1sq",
       "x2sq",
       "x1x2",
       "sin_x1",
       "sin_x2"
      ],
      "type": "string"
     },
     "maxItems": 7,
     "minItems": 1,
     "title": "Features",
     "type": "array",
     "x-item-titles": {
      "sin_x1": "sin x₁",
      "sin_x2": "sin x₂",
      "x1": "x₁",
      "x1sq": "x₁²",
      "x1x2": "x₁·x₂",
      "x2": "x₂",
      "x2sq": "x₂²"
     }
    },
    "init": {
     "default": "uniform",
     "description": "how the weights start (uniform ±0.5 is TF Playground's; large is σ = 2, too large)",
     "enum": [
      "zeros",
      "uniform",
      "xavier",
      "he",
      "large"
     ],
     "title": "Init",
     "type": "string",
     "x-titles": {
      "he": "He",
      "large": "too large (σ = 2)",
      "uniform": "uniform ±0.5",
      "xavier": "Xavier",
      "zeros": "zeros"
     }
    },
    "l1": {
     "default": 0.0,
     "description": "L1 regularization rate λ₁",
     "maximum": 1.0,
     "minimum": 0.0,
     "title": "L1",
     "type": "number",
     "x-live": true
    },
    "l2": {
     "default": 0.0,
     "description": "L2 regularization rate λ₂",
     "maximum": 1.0,
     "minimum": 0.0,
     "title": "L2",
     "type": "number",
     "x-live": true
    }
   },
   "title": "MlpConfig",
   "type": "object"
  },
  "transformer": {
   "additionalProperties": false,
   "properties": {
    "text": {
     "default": "",
     "description": "your own training text (up to 500,000 characters); empty: Python's documentation (from the standard library)",
     "maxLength": 500000,
     "title": "Text",
     "type": "string"
    },
    "task": {
     "default": "add",
     "description": "the fine-tuning task: add (Q: 17+25? A: 42) or reverse (Q: reverse abc? A: cba)",
     "enum": [
      "add",
      "reverse"
     ],
     "title": "Task",
     "type": "string",
     "x-titles": {
      "add": "add (Q: 17+25? A: 42)",
      "reverse": "reverse (Q: reverse abc? A: cba)"
     }
    },
    "seed": {
     "default": 0,
     "description": "seeds the initial weights, the batches and the task set",
     "maximum": 2147483647,
     "minimum": 0,
     "title": "Seed",
     "type": "integer"
    },
    "block_size": {
     "default": 64,
     "description": "context length in characters",
     "maximum": 256,
     "minimum": 8,
     "title": "Block Size",
     "type": "integer"
    },
    "n_layer": {
     "default": 4,
     "description": "transformer blocks",
     "maximum": 8,
     "minimum": 1,
     "title": "N Layer",
     "type": "integer"
    },
    "n_head": {
     "default": 4,
     "description": "attention heads per block",
     "maximum": 8,
     "minimum": 1,
     "title": "N Head",
     "type": "integer"
    },
    "n_embd": {
     "default": 128,
     "description": "width of the residual stream",
     "maximum": 512,
     "minimum": 16,
     "title": "N Embd",
     "type": "integer"
    },
    "dropout": {
     "default": 0.0,
     "description": "dropout probability (0: off, right for short runs)",
     "maximum": 0.5,
     "minimum": 0.0,
     "title": "Dropout",
     "type": "number"
    },
    "bias": {
     "default": true,
     "description": "biases in the Linear layers and LayerNorms",
     "title": "Bias",
     "type": "boolean"
    },
    "init": {
     "default": "scaled_residual",
     "description": "N(0, 0.02); N(0, 1/√fan_in); or GPT-2's N(0, 0.02) with output projections ÷ √(2·n_layer)",
     "enum": [
      "0.02",
      "fan_in",
      "scaled_residual"
     ],
     "title": "Init",
     "type": "string",
     "x-titles": {
      "0.02": "N(0, 0.02)",
      "fan_in": "N(0, 1/√fan_in)",
      "scaled_residual": "GPT-2's: N(0, 0.02), output projections ÷ √(2·n_layer)"
     }
    },
    "optimizer": {
     "default": "adamw",
     "description": "AdamW (decoupled weight decay), Adam, or plain SGD",
     "enum": [
      "adamw",
      "adam",
      "sgd"
     ],
     "title": "Optimizer",
     "type": "string",
     "x-titles": {
      "adam": "Adam",
      "adamw": "AdamW",
      "sgd": "SGD"
     }
    },
    "lr": {
     "default": 0.002,
     "description": "peak learning rate η of the schedule",
     "maximum": 10.0,
     "minimum": 1e-06,
     "title": "Lr",
     "type": "number",
     "x-live": true
    },
    "min_lr_ratio": {
     "default": 0.1,
     "description": "the floor the cosine decays to, as a share of lr",
     "maximum": 1.0,
     "minimum": 0.0,
     "title": "Min Lr Ratio",
     "type": "number"
    },
    "warmup": {
     "default": 50,
     "description": "steps of linear warmup",
     "maximum": 10000,
     "minimum": 0,
     "title": "Warmup",
     "type": "integer"
    },
    "decay_steps": {
     "default": 2000,
     "description": "steps until the cosine reaches its floor",
     "maximum": 1000000,
     "minimum": 1,
     "title": "Decay Steps",
     "type": "integer"
    },
    "beta1": {
     "default": 0.9,
     "description": "Adam β₁: how long the gradient's running mean remembers",
     "maximum": 0.9999,
     "minimum": 0.0,
     "title": "Beta1",
     "type": "number"
    },
    "beta2": {
     "default": 0.99,
     "description": "Adam β₂: the same for the squared gradient",
     "maximum": 0.99999,
     "minimum": 0.0,
     "title": "Beta2",
     "type": "number"
    },
    "weight_decay": {
     "default": 0.1,
     "description": "AdamW decay on 2-D weights (not biases, norms)",
     "maximum": 1.0,
     "minimum": 0.0,
     "title": "Weight Decay",
     "type": "number",
     "x-live": true
    },
    "grad_clip": {
     "default": 1.0,
     "description": "clip the gradient norm to this (0: off)",
     "maximum": 100.0,
     "minimum": 0.0,
     "title": "Grad Clip",
     "type": "number",
     "x-live": true
    },
    "batch_size": {
     "default": 12,
     "description": "windows per step",
     "maximum": 512,
     "minimum": 1,
     "title": "Batch Size",
     "type": "integer"
    },
    "finetune_lr": {
     "default": 0.0003,
     "description": "peak learning rate after switching to the task (lower than lr: learn the task, forget less)",
     "maximum": 10.0,
     "minimum": 1e-06,
     "title": "Finetune Lr",
     "type": "number"
    },
    "finetune_warmup": {
     "default": 20,
     "description": "warmup steps of the fine-tuning phase",
     "maximum": 10000,
     "minimum": 0,
     "title": "Finetune Warmup",
     "type": "integer"
    },
    "finetune_steps": {
     "default": 400,
     "description": "fine-tuning steps until the cosine reaches its floor",
     "maximum": 1000000,
     "minimum": 1,
     "title": "Finetune Steps",
     "type": "integer"
    },
    "device": {
     "default": "auto",
     "description": "auto: the GPU when there is one, else the CPU",
     "enum": [
      "auto",
      "cpu",
      "cuda"
     ],
     "title": "Device",
     "type": "string",
     "x-titles": {
      "auto": "auto (the GPU when there is one)",
      "cpu": "CPU",
      "cuda": "CUDA GPU"
     }
    },
    "recompute": {
     "default": false,
     "description": "gradient checkpointing: keep only each block's input and recompute the rest in backward (less activation memory, about a third more compute)",
     "title": "Recompute",
     "type": "boolean"
    },
    "bf16": {
     "default": false,
     "description": "bfloat16 autocast for matmuls (CUDA only; ignored on the CPU)",
     "title": "Bf16",
     "type": "boolean"
    },
    "threads": {
     "default": 0,
     "description": "CPU threads for torch (process-wide); 0: auto, one less than the cores (at most 4), so a core is left for the page and the server",
     "maximum": 64,
     "minimum": 0,
     "title": "Threads",
     "type": "integer"
    },
    "workers": {
     "default": 1,
     "description": "data-parallel worker processes (torch.distributed, one model copy each); 1: trains in the server's process; the server bounds it (--max-workers)",
     "maximum": 16,
     "minimum": 1,
     "title": "Workers",
     "type": "integer"
    },
    "checkpoint_every": {
     "default": 20,
     "description": "with workers > 1: steps between checkpoints, where a run that lost a worker resumes",
     "maximum": 100000,
     "minimum": 1,
     "title": "Checkpoint Every",
     "type": "integer"
    },
    "accum_steps": {
     "default": 1,
     "description": "with workers > 1: micro-batches per worker per step, gradients summed locally (DDP's no_sync) and all-reduced once — the same step as the whole batch at once",
     "maximum": 64,
     "minimum": 1,
     "title": "Accum Steps",
     "type": "integer"
    },
    "parallel": {
     "anyOf": [
      {
       "additionalProperties": true,
       "type": "object"
      },
      {
       "type": "null"
      }
     ],
     "default": null,
     "description": "with workers > 1: how the workers split the model — {dp, tp, pp, zero (0–3), micro_batches, schedule (1f1b or gpipe)}, dp·tp·pp = workers; none: dp = workers (engine/distributed/parallel.py checks it)",
     "title": "Parallel"
    },
    "compare": {
     "default": false,
     "description": "with workers > 1: also train the same run in one process (same seed, same global batches) and overlay its loss — the curves coincide; costs a step per step",
     "title": "Compare",
     "type": "boolean"
    },
    "eval_iters": {
     "default": 4,
     "description": "batches per split for the train/val loss estimates",
     "maximum": 200,
     "minimum": 1,
     "title": "Eval Iters",
     "type": "integer"
    },
    "speed": {
     "default": 1000.0,
     "description": "steps per second while playing (at most)",
     "maximum": 100000.0,
     "minimum": 1.0,
     "title": "Speed",
     "type": "number",
     "x-live": true
    }
   },
   "title": "TransformerConfig",
   "type": "object"
  }
 },
 "live": {
  "neuron": [
   "clip",
   "lr",
   "schedule",
   "schedule_steps",
   "speed",
   "warmup_steps"
  ],
  "line": [
   "clip",
   "lr",
   "schedule",
   "schedule_steps",
   "speed",
   "warmup_steps"
  ],
  "mlp": [
   "clip",
   "l1",
   "l2",
   "lr",
   "schedule",
   "schedule_steps",
   "speed",
   "warmup_steps"
  ],
  "transformer": [
   "grad_clip",
   "lr",
   "speed",
   "weight_decay"
  ]
 },
 "titles": {
  "neuron": "Neuron",
  "line": "Line",
  "mlp": "Network",
  "transformer": "Transformer"
 },
 "scale": {
  "precision": {
   "fp32": "fp32",
   "bf16_mixed": "bf16 mixed (fp32 master)"
  },
  "optimizer": {
   "adam": "Adam",
   "adamw": "AdamW",
   "adam8bit": "8-bit Adam",
   "sgd": "SGD",
   "momentum": "SGD + momentum"
  },
  "recompute": {
   "none": "none",
   "selective": "selective",
   "full": "full"
  },
  "zero": {
   "0": "0: none",
   "1": "1: optimizer",
   "2": "2: + gradients",
   "3": "3: + weights (FSDP)"
  },
  "gpu": {
   "a100-40gb": "NVIDIA A100 SXM 40 GB",
   "a100-80gb": "NVIDIA A100 SXM 80 GB",
   "h100": "NVIDIA H100 SXM 80 GB",
   "h200": "NVIDIA H200 SXM 141 GB",
   "rtx-4090": "NVIDIA GeForce RTX 4090 24 GB",
   "v100-32gb": "NVIDIA V100 SXM 32 GB"
  },
  "mlp": {
   "gelu": "GELU",
   "swiglu": "SwiGLU"
  },
  "norm": {
   "layernorm": "LayerNorm",
   "rmsnorm": "RMSNorm"
  }
 }
};
