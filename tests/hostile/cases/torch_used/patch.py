# Imports torch in plain sight and patches tanh to use it at import time: which method the patched
# function becomes is not something a static reading can be sure of, so every check pays.
import torch as _torch


def _torch_tanh(self):
    out = Value(float(_torch.tanh(_torch.tensor(self.data))), (self,), "tanh")
    return out


Value.tanh = _torch_tanh
