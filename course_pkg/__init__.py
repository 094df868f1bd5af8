"""course_pkg: the numpy reference for "LSTMs and attention, by analogy".

One concept per module; every forward returns ``(out, cache)`` (the LSTM
sequence forward returns ``(hs, cs, cache)``) and every backward takes the
upstream gradient and that cache. Nothing is imported eagerly beyond numpy,
so ``import course_pkg`` is cheap and has no side effects.

Modules
-------
activations     sigmoid, tanh, softmax, masked softmax and derivatives
lstm_gates      each LSTM gate as its own small function (chapters 3-6)
lstm            LSTM cell and sequence, forward and backward (chapter 7)
rnn             vanilla RNN cell and sequence (chapters 1-2)
gru_gates       each GRU gate as its own small function (chapter 8)
gru             GRU cell and sequence, Cho-2014 and reset-after variants (chapter 8)
cells           one registry of the RNN, LSTM and GRU: shapes, init, step and sequence
attention       dot, scaled-dot and additive attention (chapter 10)
seq2seq         encoder-decoder with and without attention (chapters 9-10)
losses          softmax cross-entropy with masks
optim           SGD, Adam, gradient clipping
init            Xavier/Glorot, He, orthogonal and identity initialisers
train           a training loop with a progress bar and a history
tasks           toy tasks: agreement, adding, copy, reverse
dates           the date-translation task, its vocabularies and encoders
gradcheck       central-difference gradient checks
torch_interop   parameter conversion to and from torch.nn.RNN/LSTM/GRU
"""

__version__ = "0.1.0"
