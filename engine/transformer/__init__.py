"""The torch engine: a character-level GPT that trains live, step by step or stage by stage.

Import the submodules you need (`run.TransformerRun`, `config.TransformerConfig`); this package's
own import stays torch-free so the server can read the config without paying for torch.
"""
