"""The knowledge-tracing network: an LSTM over attempts, queried with the next item.

Deep Knowledge Tracing (Piech et al. 2015) reads (skill, response) pairs with an
LSTM and predicts every skill at once from the hidden state. Here the prediction
is instead asked with the target item as a query (as SAKT, Pandey & Karypis 2019,
and AKT, Ghosh et al. 2020, do), together with the item's count features and a
per-skill difficulty term (the Rasch-like bias of AKT), so that an item is
described only by its skill set and, optionally, its text embedding: an item
nobody has attempted yet can still be scored.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from edursft.studentmodel.data import N_FEATURES


@dataclass
class ModelShape:
    """Sizes that fix the weights' shapes; saved with every model."""

    n_skills: int
    embed_dim: int = 64
    hidden_dim: int = 128
    head_dim: int = 128
    text_dim: int = 384
    follow_dim: int = 16
    dropout: float = 0.2
    members: int = 1  # networks in the ensemble (1: a single KnowledgeTracer)
    dkt_members: int = 0  # DKTMember networks added to the ensemble

    def to_dict(self) -> dict:
        return asdict(self)


class Dropout(nn.Module):
    """Inverted dropout drawing its mask with ``torch.rand``.

    Same result in distribution as ``nn.Dropout``, but on CPU ``nn.Dropout``'s
    Bernoulli sampling took 12 % of a training step (two calls per step over
    [batch, window, hidden]); uniform draws cost less than half as much.
    """

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p <= 0:
            return x
        return x * (torch.rand_like(x) >= self.p) / (1.0 - self.p)


def _mean_rows(table: nn.Embedding, skills: torch.Tensor) -> torch.Tensor:
    """Mean of the rows of an item's skills (row 0, "no skill", is left out)."""
    present = (skills > 0).float().unsqueeze(-1)
    return (table(skills) * present).sum(-2) / present.sum(-2).clamp(min=1.0)


def _states_before(outputs: torch.Tensor) -> torch.Tensor:
    """LSTM outputs shifted by one: the state before attempt t has read attempts up to t-1 only."""
    return torch.cat([torch.zeros_like(outputs[:, :1]), outputs[:, :-1]], dim=1)


class KnowledgeTracer(nn.Module):
    """P(correct) for each next attempt, given the attempts before it."""

    # Tables with one row per skill (row 0: no skill); they grow when skills are added.
    SKILL_TABLES = ("skill_embedding", "skill_difficulty", "follow_from", "follow_to")

    def __init__(self, shape: ModelShape) -> None:
        super().__init__()
        self.shape = shape
        # Row 0 is "no skill" (padding, or a skill unseen in training).
        self.skill_embedding = nn.Embedding(shape.n_skills + 1, shape.embed_dim, padding_idx=0)
        self.skill_difficulty = nn.Embedding(shape.n_skills + 1, 1, padding_idx=0)
        # Text starts with no influence, so a model trained on skill ids alone is unchanged
        # until records on text-bearing items teach it otherwise.
        self.text_projection = nn.Linear(shape.text_dim, shape.embed_dim, bias=False)
        nn.init.zeros_(self.text_projection.weight)
        nn.init.zeros_(self.skill_difficulty.weight)
        self.response_embedding = nn.Embedding(2, shape.embed_dim)
        # How much the previous answer carries over to this item, by skill pair: in
        # ASSISTments an item on two skills is logged as two consecutive rows with
        # one answer, so some skill pairs repeat the previous response.
        self.follow_from = nn.Embedding(shape.n_skills + 1, shape.follow_dim, padding_idx=0)
        self.follow_to = nn.Embedding(shape.n_skills + 1, shape.follow_dim, padding_idx=0)
        for table in (self.follow_from, self.follow_to):
            nn.init.normal_(table.weight, std=0.1)
            table.weight.data[0] = 0.0
        self.lstm = nn.LSTM(3 * shape.embed_dim + N_FEATURES, shape.hidden_dim, batch_first=True)
        self.head = nn.Sequential(
            nn.Linear(shape.hidden_dim + shape.embed_dim + N_FEATURES, shape.head_dim),
            nn.GELU(),
            Dropout(shape.dropout),
            nn.Linear(shape.head_dim, 1),
        )
        self.dropout = Dropout(shape.dropout)

    @property
    def state_dim(self) -> int:
        """Width of the recurrent state (h or c) that the mastery code keeps."""
        return self.shape.hidden_dim

    @property
    def query_dim(self) -> int:
        """Width of ``item_query``'s output."""
        return self.shape.embed_dim

    def item_query(self, skills: torch.Tensor, item_vectors: torch.Tensor | None) -> torch.Tensor:
        """Item representation: the mean of its skills' embeddings plus projected text."""
        query = _mean_rows(self.skill_embedding, skills)
        if item_vectors is not None:
            query = query + self.text_projection(item_vectors)
        return query

    def follow(
        self, previous_skills: torch.Tensor, previous_responses: torch.Tensor, skills: torch.Tensor
    ) -> torch.Tensor:
        """Signed carry-over of the previous answer (+ if it was right, - if wrong)."""
        affinity = (_mean_rows(self.follow_from, previous_skills) * _mean_rows(self.follow_to, skills)).sum(
            -1
        )
        return affinity * (2.0 * previous_responses.float() - 1.0)

    def difficulty(self, skills: torch.Tensor) -> torch.Tensor:
        """Mean difficulty bias of the item's skills."""
        present = (skills > 0).float()
        total = self.skill_difficulty(skills).squeeze(-1).sum(-1)
        return total / present.sum(-1).clamp(min=1.0)

    def step_input(
        self, query: torch.Tensor, responses: torch.Tensor, features: torch.Tensor
    ) -> torch.Tensor:
        """What the LSTM reads for one attempt: the item, split by the response, and its counts.

        The item vector goes to separate inputs for a right and a wrong answer, as
        DKT's one-hot (skill, response) encoding does, so the update can depend on
        the skill and the answer jointly.
        """
        right = responses.unsqueeze(-1).float()
        return torch.cat(
            [query * right, query * (1 - right), self.response_embedding(responses), features], dim=-1
        )

    def predict_logits(
        self,
        hidden_before: torch.Tensor,
        query: torch.Tensor,
        features: torch.Tensor,
        skills: torch.Tensor,
        previous_skills: torch.Tensor,
        previous_responses: torch.Tensor,
    ) -> torch.Tensor:
        """Logit of success on an item from the state before attempting it.

        ``previous_skills`` (all 0 when there is none) and ``previous_responses``
        describe the attempt just before.
        """
        head_input = torch.cat([self.dropout(hidden_before), query, features], dim=-1)
        return (
            self.head(head_input).squeeze(-1)
            - self.difficulty(skills)
            + self.follow(previous_skills, previous_responses, skills)
        )

    def forward(
        self,
        skills: torch.Tensor,
        responses: torch.Tensor,
        features: torch.Tensor,
        item_vectors: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Logits [B, T]: position t uses only attempts 0..t-1 of the window (plus t's item)."""
        query = self.item_query(skills, item_vectors)
        outputs, _ = self.lstm(self.step_input(query, responses, features))
        hidden_before = _states_before(outputs)
        previous_skills = torch.cat([torch.zeros_like(skills[:, :1]), skills[:, :-1]], dim=1)
        previous_responses = torch.cat([torch.zeros_like(responses[:, :1]), responses[:, :-1]], dim=1)
        return self.predict_logits(
            hidden_before, query, features, skills, previous_skills, previous_responses
        )


class DKTMember(nn.Module):
    """Deep Knowledge Tracing (Piech et al. 2015) in the interface of a KnowledgeTracer.

    The LSTM reads a row per (skill, response), plus the attempt's count features, and
    the logit of the next item is its skills' row of a per-skill output table against
    the state: no item query and no count features in the read-out. Added to an
    ensemble of KnowledgeTracers it is wrong on different attempts, so their average
    ranks better than either kind alone (docs/studentmodel.md). An item of several
    skills reads the mean of its skills' rows, so items are still described by their
    skills alone; text is not used.
    """

    SKILL_TABLES = ("right_embedding", "wrong_embedding", "skill_output", "skill_bias")

    def __init__(self, shape: ModelShape) -> None:
        super().__init__()
        self.shape = shape
        hidden = shape.hidden_dim
        self.right_embedding = nn.Embedding(shape.n_skills + 1, hidden, padding_idx=0)
        self.wrong_embedding = nn.Embedding(shape.n_skills + 1, hidden, padding_idx=0)
        # The counts carry what lies before the training window (validation AUC of the
        # ensemble +0.0012, +0.0004, +0.0002 on three seeds, docs/studentmodel.md).
        self.feature_input = nn.Linear(N_FEATURES, hidden)
        self.lstm = nn.LSTM(hidden, hidden, batch_first=True)
        self.skill_output = nn.Embedding(shape.n_skills + 1, hidden, padding_idx=0)
        self.skill_bias = nn.Embedding(shape.n_skills + 1, 1, padding_idx=0)
        # The read-out starts as nn.Linear's would: an embedding's N(0, 1) rows against a
        # state in (-1, 1)^H saturate every prediction, and such a network learns far less.
        bound = hidden**-0.5
        nn.init.uniform_(self.skill_output.weight, -bound, bound)
        nn.init.zeros_(self.skill_bias.weight)
        self.skill_output.weight.data[0] = 0.0

    @property
    def state_dim(self) -> int:
        return self.shape.hidden_dim

    @property
    def query_dim(self) -> int:
        return 2 * self.shape.hidden_dim

    def item_query(self, skills: torch.Tensor, item_vectors: torch.Tensor | None) -> torch.Tensor:
        """The item's input rows for a right and for a wrong answer, side by side."""
        return torch.cat(
            [_mean_rows(self.right_embedding, skills), _mean_rows(self.wrong_embedding, skills)], dim=-1
        )

    def step_input(
        self, query: torch.Tensor, responses: torch.Tensor, features: torch.Tensor
    ) -> torch.Tensor:
        """The row of the attempt's (skill, response), DKT's one-hot input times a weight
        matrix, plus the projected count features."""
        right = responses.unsqueeze(-1).float()
        if_right, if_wrong = query.chunk(2, dim=-1)
        return if_right * right + if_wrong * (1 - right) + self.feature_input(features)

    def predict_logits(
        self,
        hidden_before: torch.Tensor,
        query: torch.Tensor,
        features: torch.Tensor,
        skills: torch.Tensor,
        previous_skills: torch.Tensor,
        previous_responses: torch.Tensor,
    ) -> torch.Tensor:
        """The item's skills' read-out of the state before the attempt."""
        read_out = (hidden_before * _mean_rows(self.skill_output, skills)).sum(-1)
        return read_out + _mean_rows(self.skill_bias, skills).squeeze(-1)

    def forward(
        self,
        skills: torch.Tensor,
        responses: torch.Tensor,
        features: torch.Tensor,
        item_vectors: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Logits [B, T]: position t uses only attempts 0..t-1 of the window."""
        outputs, _ = self.lstm(self.step_input(self.item_query(skills, None), responses, features))
        return self.predict_logits(_states_before(outputs), None, features, skills, None, None)


class _MemberLSTMs(nn.Module):
    """The members' LSTMs side by side: inputs, outputs and (h, c) concatenated on the last dim.

    Called like ``nn.LSTM(batch_first=True)``, so code that steps one network
    (mastery, lookahead) steps every member of an ensemble unchanged.
    """

    def __init__(self, members: nn.ModuleList) -> None:
        super().__init__()
        self._members = list(members)  # not registered: the members own the weights

    def forward(
        self, inputs: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        input_sizes = [m.lstm.input_size for m in self._members]
        hidden_sizes = [m.lstm.hidden_size for m in self._members]
        pieces = inputs.split(input_sizes, dim=-1)
        states = (
            [None] * len(self._members)
            if state is None
            else list(zip(state[0].split(hidden_sizes, -1), state[1].split(hidden_sizes, -1), strict=True))
        )
        outputs, hs, cs = [], [], []
        for member, piece, member_state in zip(self._members, pieces, states, strict=True):
            output, (h, c) = member.lstm(piece, member_state)
            outputs.append(output)
            hs.append(h)
            cs.append(c)
        return torch.cat(outputs, -1), (torch.cat(hs, -1), torch.cat(cs, -1))


class EnsembleTracer(nn.Module):
    """``shape.members`` KnowledgeTracers and ``shape.dkt_members`` DKTMembers side by side.

    The members differ by kind, initialisation and dropout and see the same batches;
    each is trained on its own loss (``member_logits``), so they stay independent,
    and their logits are averaged. The interface is that of one KnowledgeTracer whose
    query, LSTM input and state are the members' concatenated on the last dimension,
    so the live mastery update and the lookahead step every member.
    """

    SKILL_TABLES = KnowledgeTracer.SKILL_TABLES + DKTMember.SKILL_TABLES

    def __init__(self, shape: ModelShape) -> None:
        super().__init__()
        self.shape = shape
        member_shape = ModelShape(**{**shape.to_dict(), "members": 1, "dkt_members": 0})
        self.members = nn.ModuleList(
            [KnowledgeTracer(member_shape) for _ in range(shape.members)]
            + [DKTMember(member_shape) for _ in range(shape.dkt_members)]
        )
        self.lstm = _MemberLSTMs(self.members)

    @property
    def state_dim(self) -> int:
        return sum(m.state_dim for m in self.members)

    @property
    def text_projection(self) -> nn.Linear:
        """The first member's text projection (each KnowledgeTracer has its own)."""
        return self.members[0].text_projection

    def _split(self, tensor: torch.Tensor, size: str) -> tuple[torch.Tensor, ...]:
        return tensor.split([getattr(m, size) for m in self.members], dim=-1)

    def item_query(self, skills: torch.Tensor, item_vectors: torch.Tensor | None) -> torch.Tensor:
        return torch.cat([m.item_query(skills, item_vectors) for m in self.members], dim=-1)

    def step_input(
        self, query: torch.Tensor, responses: torch.Tensor, features: torch.Tensor
    ) -> torch.Tensor:
        return torch.cat(
            [
                m.step_input(q, responses, features)
                for m, q in zip(self.members, self._split(query, "query_dim"), strict=True)
            ],
            dim=-1,
        )

    def predict_logits(
        self,
        hidden_before: torch.Tensor,
        query: torch.Tensor,
        features: torch.Tensor,
        skills: torch.Tensor,
        previous_skills: torch.Tensor,
        previous_responses: torch.Tensor,
    ) -> torch.Tensor:
        """The members' mean logit (each member reads its own slice of state and query)."""
        logits = [
            m.predict_logits(h, q, features, skills, previous_skills, previous_responses)
            for m, h, q in zip(
                self.members,
                self._split(hidden_before, "state_dim"),
                self._split(query, "query_dim"),
                strict=True,
            )
        ]
        return torch.stack(logits).mean(0)

    def member_logits(
        self,
        skills: torch.Tensor,
        responses: torch.Tensor,
        features: torch.Tensor,
        item_vectors: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Each member's logits [K, B, T] (trained on separately)."""
        return torch.stack([m(skills, responses, features, item_vectors) for m in self.members])

    def forward(
        self,
        skills: torch.Tensor,
        responses: torch.Tensor,
        features: torch.Tensor,
        item_vectors: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Mean logits [B, T] of the members."""
        return self.member_logits(skills, responses, features, item_vectors).mean(0)


def build_network(shape: ModelShape) -> KnowledgeTracer | EnsembleTracer:
    """One KnowledgeTracer, or an ensemble of KnowledgeTracers and DKTMembers (``ModelShape``)."""
    if shape.members <= 1 and shape.dkt_members == 0:
        return KnowledgeTracer(shape)
    return EnsembleTracer(shape)
