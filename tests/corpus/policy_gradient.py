"""REINFORCE in the style of the official reinforcement-learning example: a policy network,
actions drawn from distributions.Categorical, log_prob saved per step, discounted returns
normalised with the float32 eps, and a loss built with torch.cat(...).sum()."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.distributions import Categorical

torch.manual_seed(543)
gamma = 0.99


class Corridor:
    """A walk on 0..6 starting at 3; reaching 6 pays 1, reaching 0 ends with nothing."""

    def reset(self):
        self.pos = 3
        return self.obs()

    def obs(self):
        o = np.zeros(7, dtype=np.float32)
        o[self.pos] = 1.0
        return o

    def step(self, action):
        self.pos += 1 if action == 1 else -1
        done = self.pos in (0, 6)
        reward = 1.0 if self.pos == 6 else -0.01
        return self.obs(), reward, done


class Policy(nn.Module):
    def __init__(self):
        super(Policy, self).__init__()
        self.affine1 = nn.Linear(7, 16)
        self.dropout = nn.Dropout(p=0.2)
        self.affine2 = nn.Linear(16, 2)
        self.saved_log_probs = []
        self.rewards = []

    def forward(self, x):
        x = self.affine1(x)
        x = self.dropout(x)
        x = F.relu(x)
        action_scores = self.affine2(x)
        return F.softmax(action_scores, dim=1)


policy = Policy()
optimizer = optim.Adam(policy.parameters(), lr=1e-2)
eps = np.finfo(np.float32).eps.item()


def select_action(state):
    state = torch.from_numpy(state).float().unsqueeze(0)
    probs = policy(state)
    m = Categorical(probs)
    action = m.sample()
    policy.saved_log_probs.append(m.log_prob(action))
    return action.item()


def finish_episode():
    R = 0
    policy_loss = []
    returns = []
    for r in policy.rewards[::-1]:
        R = r + gamma * R
        returns.insert(0, R)
    returns = torch.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + eps)
    for log_prob, R in zip(policy.saved_log_probs, returns):
        policy_loss.append(-log_prob * R)
    optimizer.zero_grad()
    policy_loss = torch.cat(policy_loss).sum()
    policy_loss.backward()
    optimizer.step()
    del policy.rewards[:]
    del policy.saved_log_probs[:]
    return policy_loss.item()


env = Corridor()
running_reward = 0
for i_episode in range(1, 31):
    state, ep_reward = env.reset(), 0
    for t in range(1, 40):
        action = select_action(state)
        state, reward, done = env.step(action)
        policy.rewards.append(reward)
        ep_reward += reward
        if done:
            break
    running_reward = 0.05 * ep_reward + (1 - 0.05) * running_reward
    loss = finish_episode()
    if i_episode % 5 == 0:
        print("Episode {}\tLast reward: {:.2f}\tAverage reward: {:.4f}\tloss {:.5f}".format(
            i_episode, ep_reward, running_reward, loss))
probs = policy(torch.from_numpy(env.reset()).unsqueeze(0))
d = Categorical(probs=probs)
print(probs, d.entropy())
print(policy.affine2.bias)
