"""A 2-layer LSTM word language model, as PyTorch's word_language_model example trains it.

Embedding 64, hidden 64, vocabulary 1,000, dropout 0.2 on embeddings and LSTM outputs, a
linear decoder, cross_entropy, truncated backpropagation through time (bptt 20, the hidden
state detached between batches), clip_grad_norm_ and plain SGD written by hand.
"""


def build(torch):
    """Set up the model and a batchified token stream; return a few dozen training batches."""
    nn = torch.nn
    ntoken, ninp, nhid, nlayers, bptt, batch, lr, clip = 1000, 64, 64, 2, 20, 16, 20.0, 0.25
    nbatches = 40

    class RNNModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.drop = nn.Dropout(0.2)
            self.encoder = nn.Embedding(ntoken, ninp)
            self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=0.2)
            self.decoder = nn.Linear(nhid, ntoken)
            initrange = 0.1
            nn.init.uniform_(self.encoder.weight, -initrange, initrange)
            nn.init.zeros_(self.decoder.bias)
            nn.init.uniform_(self.decoder.weight, -initrange, initrange)

        def forward(self, input, hidden):
            emb = self.drop(self.encoder(input))
            output, hidden = self.rnn(emb, hidden)
            output = self.drop(output)
            decoded = self.decoder(output).view(-1, ntoken)
            return nn.functional.log_softmax(decoded, dim=1), hidden

        def init_hidden(self, bsz):
            weight = next(self.parameters())
            return (weight.new_zeros(nlayers, bsz, nhid), weight.new_zeros(nlayers, bsz, nhid))

    def repackage_hidden(h):
        if isinstance(h, torch.Tensor):
            return h.detach()
        return tuple(repackage_hidden(v) for v in h)

    torch.manual_seed(0)
    stream = torch.randint(0, ntoken, (bptt * batch * nbatches + 1,))
    data = stream[:bptt * nbatches * batch].view(batch, -1).t().contiguous()
    stream_t = stream[1:bptt * nbatches * batch + 1].view(batch, -1).t().contiguous()

    def run():
        torch.manual_seed(1)
        model = RNNModel()
        criterion = nn.NLLLoss()
        model.train()
        hidden = model.init_hidden(batch)
        for i in range(0, data.size(0), bptt):
            x, y = data[i:i + bptt], stream_t[i:i + bptt].reshape(-1)
            model.zero_grad()
            hidden = repackage_hidden(hidden)
            output, hidden = model(x, hidden)
            loss = criterion(output, y)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            for p in model.parameters():
                p.data.add_(p.grad, alpha=-lr)
        return loss.item()

    return run
