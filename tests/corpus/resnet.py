"""A small ResNet in the style of the well-known CIFAR ResNet scripts: BasicBlock with a
shortcut, BatchNorm in train and eval modes, SGD with momentum, weight decay and a
MultiStepLR schedule, and a test pass with torch.no_grad()."""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

torch.manual_seed(0)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes, planes, stride=1):
        super(BasicBlock, self).__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1,
                               bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != self.expansion * planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, self.expansion * planes, kernel_size=1, stride=stride,
                          bias=False),
                nn.BatchNorm2d(self.expansion * planes),
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.shortcut(x)
        out = F.relu(out)
        return out


class ResNet(nn.Module):
    def __init__(self, block, num_blocks, num_classes=4):
        super(ResNet, self).__init__()
        self.in_planes = 8
        self.conv1 = nn.Conv2d(3, 8, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.layer1 = self._make_layer(block, 8, num_blocks[0], stride=1)
        self.layer2 = self._make_layer(block, 16, num_blocks[1], stride=2)
        self.linear = nn.Linear(16 * block.expansion, num_classes)

    def _make_layer(self, block, planes, num_blocks, stride):
        strides = [stride] + [1] * (num_blocks - 1)
        layers = []
        for stride in strides:
            layers.append(block(self.in_planes, planes, stride))
            self.in_planes = planes * block.expansion
        return nn.Sequential(*layers)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer1(out)
        out = self.layer2(out)
        out = F.adaptive_avg_pool2d(out, (1, 1))
        out = out.view(out.size(0), -1)
        out = self.linear(out)
        return out


def make_data(n, seed):
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 4, (n,), generator=g)
    images = torch.randn(n, 3, 8, 8, generator=g) * 0.5
    for i in range(n):
        c = labels[i].item()
        images[i, c % 3, (c // 3) * 4:(c // 3) * 4 + 4, :] += 1.0
    return images, labels


train_x, train_y = make_data(64, 1)
test_x, test_y = make_data(32, 2)
net = ResNet(BasicBlock, [1, 1])
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
scheduler = optim.lr_scheduler.MultiStepLR(optimizer, milestones=[2], gamma=0.1)
print("params:", sum(p.numel() for p in net.parameters() if p.requires_grad))

for epoch in range(3):
    net.train()
    train_loss, correct, total = 0, 0, 0
    perm = torch.randperm(64)
    for b in range(4):
        idx = perm[b * 16:(b + 1) * 16]
        inputs, targets = train_x[idx], train_y[idx]
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, targets)
        loss.backward()
        optimizer.step()
        train_loss += loss.item()
        _, predicted = outputs.max(1)
        total += targets.size(0)
        correct += predicted.eq(targets).sum().item()
    scheduler.step()
    print("epoch %d | Loss: %.5f | Acc: %.3f%% (%d/%d) | lr %.4f" % (
        epoch, train_loss / 4, 100.0 * correct / total, correct, total,
        scheduler.get_last_lr()[0]))
    net.eval()
    with torch.no_grad():
        outputs = net(test_x)
        loss = criterion(outputs, test_y)
        _, predicted = outputs.max(1)
        print("test | Loss: %.5f | Acc: %d/%d" % (loss.item(), predicted.eq(test_y).sum().item(),
                                                 test_y.size(0)))
print(net.bn1.running_mean[:4])
print(net.bn1.running_var[:4])
print(net.bn1.num_batches_tracked)
print(net.linear.weight[0, :4])
