"""The from-scratch NumPy engine: forward layer by layer, backward by the chain rule, written out."""
