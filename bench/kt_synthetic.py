"""The student model's defaults on DKVMN data unlike ASSIST2009: thousands of skills, long histories.

    .venv/bin/python bench/kt_synthetic.py [--skills 3000] [--students 2000] [--threads N]

The issue asks the `kt train` defaults to do as well, relative to the published
results, on other DKVMN-format data as on ASSIST2009 (110 skills, histories of at
most 1,261 attempts). No second public data set lies on this machine, so students
are simulated with a known P(correct). That gives two references on the same
test attempts: the oracle (the true probabilities, the best any model can rank)
and a plain DKT (Piech et al. 2015: one LSTM layer of 128 units over one-hot
(skill, response) inputs, trained on chunks of 200 attempts as in the DKVMN code),
the baseline the published ASSIST2009 figures are measured against.

Simulated students: skills come in groups of 30 (a topic); a student has a
general ability and an aptitude per topic; practice raises knowledge of the
skill (more after a right answer) and a little of its topic, and knowledge of a
skill fades with the attempts since it was last practised; P(correct) has a
guessing floor of 0.15. Students work in ASSISTments-style skill builders: a
topic drawn by popularity, then a skill, practised until three right answers
in a row or ten attempts. History lengths are log-normal (median about 60), and
1 % of the students have 2,000 to 4,000 attempts.

Ends with one JSON line: test_auc, dkt_auc, oracle_auc (on every attempt but each
student's first, which DKT cannot predict), train_s, dkt_train_s, peak_mem_mb.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from edursft.studentmodel.artifacts import load_student_model  # noqa: E402
from edursft.studentmodel.data import StudentHistory, split_students  # noqa: E402
from edursft.studentmodel.evaluate import predict_histories, roc_auc  # noqa: E402
from edursft.studentmodel.train import KTConfig, peak_memory_mb, train  # noqa: E402

TOPIC_SIZE = 30


@dataclass
class World:
    """What every simulated student shares: the skills' difficulty and the topics' popularity."""

    difficulty: np.ndarray
    popularity: np.ndarray

    @classmethod
    def draw(cls, n_skills: int, rng: np.random.Generator) -> World:
        n_topics = math.ceil(n_skills / TOPIC_SIZE)
        topic_difficulty = np.repeat(rng.normal(0.0, 0.5, n_topics), TOPIC_SIZE)[:n_skills]
        popularity = 1.0 / np.arange(1, n_topics + 1) ** 0.8
        return cls(
            difficulty=rng.normal(0.0, 0.8, n_skills) + topic_difficulty,
            popularity=rng.permutation(popularity / popularity.sum()),
        )


def simulate(n_students: int, world: World, rng: np.random.Generator) -> list[tuple[list, list, list]]:
    """(skill ids from 1, responses, true P(correct)) per simulated student."""
    n_skills, n_topics = len(world.difficulty), len(world.popularity)
    difficulty, popularity = world.difficulty, world.popularity
    students = []
    for _ in range(n_students):
        if rng.uniform() < 0.01:
            length = int(rng.integers(2000, 4001))
        else:
            length = int(np.clip(rng.lognormal(math.log(60), 1.1), 2, 4000))
        ability = rng.normal()
        aptitude = rng.normal(0.0, 0.5, n_topics)
        knowledge = np.zeros(n_skills)
        topic_knowledge = np.zeros(n_topics)
        last_seen = np.full(n_skills, -1)
        skills, responses, truth = [], [], []
        while len(skills) < length:
            topic = int(rng.choice(n_topics, p=popularity))
            skill = min(topic * TOPIC_SIZE + int(rng.integers(TOPIC_SIZE)), n_skills - 1)
            streak = 0
            for _ in range(10):
                t = len(skills)
                if t >= length or streak == 3:
                    break
                fade = math.exp(-(t - last_seen[skill]) / 300) if last_seen[skill] >= 0 else 0.0
                logit = ability + aptitude[topic] + topic_knowledge[topic] + knowledge[skill] * fade
                p = 0.15 + 0.85 / (1 + math.exp(-(logit - difficulty[skill] - 0.5)))
                right = int(rng.uniform() < p)
                kept = knowledge[skill] * fade
                knowledge[skill] = kept + (0.3 if right else 0.15) * (2.0 - kept)
                topic_knowledge[topic] += 0.03
                last_seen[skill] = t
                streak = streak + 1 if right else 0
                skills.append(skill + 1)
                responses.append(right)
                truth.append(p)
        students.append((skills, responses, truth))
    return students


def write_dkvmn(path: Path, students: list[tuple[list, list, list]]) -> None:
    with path.open("w") as out:
        for skills, responses, _ in students:
            out.write(f"{len(skills)}\n{','.join(map(str, skills))}\n{','.join(map(str, responses))}\n")


class PlainDKT(nn.Module):
    """Piech et al.'s DKT: the one-hot (skill, response) input is a row of an embedding table."""

    def __init__(self, n_skills: int, hidden: int = 128) -> None:
        super().__init__()
        self.n_skills = n_skills
        self.inputs = nn.Embedding(2 * n_skills + 1, hidden, padding_idx=0)
        self.lstm = nn.LSTM(hidden, hidden, batch_first=True)
        self.out = nn.Linear(hidden, n_skills + 1)

    def forward(self, skills: torch.Tensor, responses: torch.Tensor) -> torch.Tensor:
        """Logits [B, T-1]: attempt t+1's skill read off the output after attempt t."""
        states, _ = self.lstm(self.inputs(torch.where(skills > 0, skills + self.n_skills * responses, 0)))
        return self.out(states[:, :-1]).gather(-1, skills[:, 1:, None]).squeeze(-1)


def _padded(sequences: list[tuple[list, list]]) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(s) for s, _ in sequences)
    skills = torch.zeros(len(sequences), width, dtype=torch.long)
    responses = torch.zeros(len(sequences), width, dtype=torch.long)
    for row, (s, r) in enumerate(sequences):
        skills[row, : len(s)] = torch.tensor(s)
        responses[row, : len(r)] = torch.tensor(r)
    return skills, responses


@torch.no_grad()
def dkt_predict(model: PlainDKT, students: list[tuple[list, list, list]]) -> list[np.ndarray]:
    """P(correct) of attempts 1.. of each whole history (no chunking at prediction)."""
    model.eval()
    out = []
    for s, r, _ in students:
        skills, responses = _padded([(s, r)])
        out.append(torch.sigmoid(model(skills, responses))[0].numpy())
    return out


def train_dkt(n_skills: int, students: list, seed: int, budget_s: float) -> tuple[PlainDKT, float]:
    """Adam at 1e-3 on chunks of 200; early stopping on 10 % of the students (patience 3)."""
    torch.manual_seed(seed)
    train_idx, valid_idx = split_students(len(students), 0.1, seed)
    chunks = [
        (students[i][0][k : k + 200], students[i][1][k : k + 200])
        for i in train_idx
        for k in range(0, len(students[i][0]), 200)
    ]
    chunks = [c for c in chunks if len(c[0]) > 1]
    valid = [students[i] for i in valid_idx]
    model = PlainDKT(n_skills)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(seed)
    started, best, best_state, since = time.perf_counter(), -1.0, None, 0
    while since < 3 and time.perf_counter() - started < budget_s:
        model.train()
        for batch in np.array_split(rng.permutation(len(chunks)), max(1, len(chunks) // 32)):
            skills, responses = _padded([chunks[i] for i in batch])
            mask = skills[:, 1:] > 0
            loss = nn.functional.binary_cross_entropy_with_logits(
                model(skills, responses)[mask], responses[:, 1:][mask].float()
            )
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
        scores = np.concatenate(dkt_predict(model, valid))
        auc = roc_auc(np.concatenate([np.array(r[1:]) for _, r, _ in valid]), scores)
        if auc > best:
            best, best_state, since = auc, {k: v.clone() for k, v in model.state_dict().items()}, 0
        else:
            since += 1
    model.load_state_dict(best_state)
    return model, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skills", type=int, default=3000, help="number of skills")
    parser.add_argument("--students", type=int, default=2000, help="train students (test: a third as many)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=KTConfig.threads, help="torch threads (0: default)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)
    world = World.draw(args.skills, rng)
    train_students = simulate(args.students, world, rng)
    test_students = simulate(args.students // 3, world, rng)
    attempts = sum(len(s) for s, _, _ in train_students + test_students)
    longest = max(len(s) for s, _, _ in train_students + test_students)
    print(f"{args.skills} skills, {len(train_students)} + {len(test_students)} students, {attempts} attempts")
    print(f"longest history {longest} attempts")

    with tempfile.TemporaryDirectory() as work:
        train_file, test_file = Path(work) / "train.csv", Path(work) / "test.csv"
        write_dkvmn(train_file, train_students)
        write_dkvmn(test_file, test_students)
        load_before = os.getloadavg()[0]
        config = KTConfig(
            train_file=str(train_file),
            test_file=str(test_file),
            out_dir=str(Path(work) / "model"),
            threads=args.threads,
        )
        metrics = train(config)
        model = load_student_model(config.out_dir)
        histories = [StudentHistory(skills=[[k] for k in s], responses=r) for s, r, _ in test_students]
        ours = np.concatenate([p[1:] for p in predict_histories(model, histories)])
    dkt, dkt_s = train_dkt(args.skills, train_students, args.seed, budget_s=config.time_budget_s)
    labels = np.concatenate([np.array(r[1:]) for _, r, _ in test_students])
    figures = {
        "test_auc": roc_auc(labels, ours),
        "dkt_auc": roc_auc(labels, np.concatenate(dkt_predict(dkt, test_students))),
        "oracle_auc": roc_auc(labels, np.concatenate([np.array(t[1:]) for _, _, t in test_students])),
        "test_auc_all_attempts": metrics["test_auc"],
        "valid_auc": metrics["valid_auc"],
        "best_epoch": metrics["best_epoch"],
        "train_s": metrics["train_s"],
        "dkt_train_s": dkt_s,
        "peak_mem_mb": peak_memory_mb(),
        "n_skills": args.skills,
        "attempts": attempts,
        "longest": longest,
    }
    share = (figures["test_auc"] - 0.5) / (figures["oracle_auc"] - 0.5)
    print(
        f"test AUC {figures['test_auc']:.4f}, plain DKT {figures['dkt_auc']:.4f}, "
        f"oracle {figures['oracle_auc']:.4f}"
    )
    print(f"share of the oracle's lift over chance: {share:.1%}")
    print(f"training {figures['train_s']:.0f} s (DKT {dkt_s:.0f} s), peak {figures['peak_mem_mb']:.0f} MB")
    print(f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after (2 cores, shared)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
