"""A sentence classifier over batches of different lengths, the way NLP tutorials write it: a
Dataset of token sequences, a DataLoader whose collate_fn pads them, an embedding with a
padding index, pack_padded_sequence (unsorted lengths) into a bidirectional two-layer GRU
with dropout, pad_packed_sequence back with total_length, attention masked to the real
tokens, and a second model on pack_sequence and an LSTM's final state. Adam, a StepLR
schedule, clip_grad_norm_, and a state_dict saved, loaded and checked."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import (
    pack_padded_sequence,
    pack_sequence,
    pad_packed_sequence,
    pad_sequence,
)
from torch.utils.data import DataLoader, Dataset

torch.manual_seed(0)

PAD, VOCAB = 0, 12


class Sentences(Dataset):
    """Sentences of 2 to 9 tokens; the label says whether token 3 occurs more often than
    token 4."""

    def __init__(self, n, seed):
        g = torch.Generator().manual_seed(seed)
        self.items = []
        for _ in range(n):
            length = int(torch.randint(2, 10, (1,), generator=g))
            tokens = torch.randint(1, VOCAB, (length,), generator=g)
            label = int((tokens == 3).sum() > (tokens == 4).sum())
            self.items.append((tokens, label))

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]


def collate(batch):
    tokens = [t for t, _ in batch]
    lengths = torch.tensor([len(t) for t in tokens])
    padded = pad_sequence(tokens, batch_first=True, padding_value=PAD)
    return padded, lengths, torch.tensor([y for _, y in batch])


class AttentionGRU(nn.Module):
    def __init__(self, emb=8, hidden=10):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, emb, padding_idx=PAD)
        self.rnn = nn.GRU(emb, hidden, num_layers=2, batch_first=True, dropout=0.2,
                          bidirectional=True)
        self.score = nn.Linear(2 * hidden, 1)
        self.out = nn.Linear(4 * hidden, 2)

    def forward(self, tokens, lengths):
        packed = pack_padded_sequence(self.embed(tokens), lengths, batch_first=True,
                                      enforce_sorted=False)
        out, h_n = self.rnn(packed)
        out, out_lengths = pad_packed_sequence(out, batch_first=True,
                                               total_length=tokens.size(1))
        mask = torch.arange(tokens.size(1))[None, :] < out_lengths[:, None]
        scores = self.score(out).squeeze(-1).masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=1)
        context = (weights.unsqueeze(-1) * out).sum(1)
        last = torch.cat([h_n[-2], h_n[-1]], dim=1)
        return self.out(torch.cat([context, last], dim=1)), weights


class LastStateLSTM(nn.Module):
    def __init__(self, emb=8, hidden=12):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, emb, padding_idx=PAD)
        self.rnn = nn.LSTM(emb, hidden)
        self.out = nn.Linear(hidden, 2)

    def forward(self, sentences):
        packed = pack_sequence([self.embed(s) for s in sentences], enforce_sorted=False)
        _, (h_n, c_n) = self.rnn(packed)
        return self.out(h_n[-1])


train_set, test_set = Sentences(96, seed=1), Sentences(40, seed=2)
train_loader = DataLoader(train_set, batch_size=16, shuffle=True, collate_fn=collate)
test_loader = DataLoader(test_set, batch_size=20, collate_fn=collate)

tokens, lengths, labels = next(iter(test_loader))
print("batch", tuple(tokens.shape), "lengths", lengths.tolist()[:8])
small = pack_padded_sequence(tokens[:3].float(), lengths[:3], batch_first=True,
                             enforce_sorted=False)
print(small)
padded, back = pad_packed_sequence(small, batch_first=True, padding_value=-1.0)
print(padded.shape, back, torch.equal(padded[padded >= 0], tokens[:3][tokens[:3] > 0].float()))

model = AttentionGRU()
print(model)
optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)


def evaluate(model):
    model.eval()
    correct, total = 0, 0
    with torch.no_grad():
        for tokens, lengths, labels in test_loader:
            logits, _ = model(tokens, lengths)
            correct += (logits.argmax(1) == labels).sum().item()
            total += len(labels)
    return correct / total


for epoch in range(4):
    model.train()
    running = 0.0
    for step, (tokens, lengths, labels) in enumerate(train_loader):
        logits, weights = model(tokens, lengths)
        loss = F.cross_entropy(logits, labels)
        optimizer.zero_grad()
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        optimizer.step()
        running += loss.item()
        if step % 3 == 0:
            print(f"epoch {epoch} step {step} loss {loss.item():.4f} grad norm {norm:.4f}")
    scheduler.step()
    print(f"epoch {epoch} mean loss {running / len(train_loader):.4f} "
          f"lr {scheduler.get_last_lr()[0]:.4f} test accuracy {evaluate(model):.3f}")

tokens, lengths, labels = next(iter(test_loader))
_, weights = model(tokens[:2], lengths[:2])
print("attention", [[f"{w:.3f}" for w in row] for row in weights.tolist()])

torch.save(model.state_dict(), "packed_gru.pt")
restored = AttentionGRU()
restored.load_state_dict(torch.load("packed_gru.pt"))
restored.eval()
model.eval()
with torch.no_grad():
    same = torch.equal(restored(tokens, lengths)[0], model(tokens, lengths)[0])
print("restored model agrees:", same, "accuracy", f"{evaluate(restored):.3f}")

lstm = LastStateLSTM()
optimizer = torch.optim.SGD(lstm.parameters(), lr=0.3, momentum=0.9)
for epoch in range(3):
    total = 0.0
    for tokens, lengths, labels in train_loader:
        sentences = [t[:n] for t, n in zip(tokens, lengths)]
        loss = F.cross_entropy(lstm(sentences), labels)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(lstm.parameters(), 2.0)
        optimizer.step()
        total += loss.item()
    print(f"lstm epoch {epoch} loss {total / len(train_loader):.4f}")
print("lstm grad of the forget gate bias", lstm.rnn.bias_hh_l0.grad[12:16])
