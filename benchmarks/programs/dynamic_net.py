"""torch's "dynamic net": a middle layer reused a random number of times per forward."""

import random


def build(torch):
    class DynamicNet(torch.nn.Module):
        def __init__(self, d_in, hidden, d_out):
            super().__init__()
            self.input_linear = torch.nn.Linear(d_in, hidden)
            self.middle_linear = torch.nn.Linear(hidden, hidden)
            self.output_linear = torch.nn.Linear(hidden, d_out)

        def forward(self, x):
            h_relu = self.input_linear(x).clamp(min=0)
            for _ in range(random.randint(0, 3)):
                h_relu = self.middle_linear(h_relu).clamp(min=0)
            return self.output_linear(h_relu)

    N, D_in, H, D_out = 64, 1000, 100, 10
    torch.manual_seed(0)
    x = torch.randn(N, D_in)
    y = torch.randn(N, D_out)

    def run():
        torch.manual_seed(1)
        random.seed(0)
        model = DynamicNet(D_in, H, D_out)
        criterion = torch.nn.MSELoss(reduction="sum")
        optimizer = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)
        for t in range(500):
            y_pred = model(x)
            loss = criterion(y_pred, y)
            if t % 100 == 99:
                loss.item()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        return loss.item()

    return run
