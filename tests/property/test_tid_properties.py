"""TID allocator, as a state machine against what ``hemsnet.echonet.tid`` promises [AIF 2.4.3].

The module promises: (1) a TID is never issued while a transaction holding it is in flight;
(2) a released TID is not reissued before :data:`RETIRED_KEPT` other TIDs have been released
after it, unless the space runs short (only the in-flight and cooling TIDs are left);
(3) ``TidExhausted`` exactly when all 65 536 TIDs are in flight; (4) the TIDs come from the
draw it is given. Each run draws from a seeded stream that Hypothesis picks.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from hemsnet.echonet.tid import RETIRED_KEPT, TID_SPACE, TidAllocator, TidExhausted
from tests.property.strategies import tids


class TidAllocatorMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tids = TidAllocator(random.Random(0).randrange)
        self.held: list[int] = []  # in flight, in no particular order
        self.held_set: set[int] = set()
        self.releases = 0  # how many TIDs were released so far
        self.released_at: dict[int, int] = {}  # TID -> self.releases when it was released
        self.bulk_done = False  # one costly bulk rule per run keeps the suite fast

    @initialize(seed=st.integers(0, 2**32 - 1))
    def seeded(self, seed: int) -> None:
        self.tids = TidAllocator(random.Random(seed).randrange)

    # Helpers -----------------------------------------------------------------------------

    def _allocate_checked(self) -> int:
        short = len(self.held_set) + RETIRED_KEPT >= TID_SPACE - 1
        tid = self.tids.allocate()
        assert 0 <= tid < TID_SPACE, f"TID {tid} is outside 0..65535"
        assert tid not in self.held_set, f"TID {tid} issued while it is in flight"
        released = self.released_at.pop(tid, None)
        if released is not None and not short:
            since = self.releases - released
            assert since >= RETIRED_KEPT, f"TID {tid} reissued {since} releases after its own"
        self.held.append(tid)
        self.held_set.add(tid)
        return tid

    def _release_at(self, index: int) -> int:
        self.held[index], self.held[-1] = self.held[-1], self.held[index]
        tid = self.held.pop()
        self.held_set.discard(tid)
        self.tids.release(tid)
        self.released_at[tid] = self.releases
        self.releases += 1
        return tid

    def _churn(self, count: int) -> None:
        """``count`` short transactions: allocate a TID, then release it."""
        for _ in range(count):
            if len(self.held_set) == TID_SPACE:
                return
            self._allocate_checked()
            self._release_at(len(self.held) - 1)

    # Rules -------------------------------------------------------------------------------

    @rule()
    def allocate(self) -> None:
        if len(self.held_set) == TID_SPACE:
            with pytest.raises(TidExhausted):
                self.tids.allocate()
        else:
            self._allocate_checked()

    @precondition(lambda self: self.held)
    @rule(data=st.data())
    def release(self, data: st.DataObject) -> None:
        self._release_at(data.draw(st.integers(0, len(self.held) - 1), label="release index"))

    @rule(tid=tids())
    def release_an_idle_tid_is_a_no_op(self, tid: int) -> None:
        if tid in self.held_set:
            return
        before = self.tids.outstanding
        self.tids.release(tid)
        assert self.tids.outstanding == before
        assert not self.tids.in_flight(tid)

    @rule(count=st.integers(1, 8))
    def churn(self, count: int) -> None:
        self._churn(count)

    @precondition(lambda self: not self.bulk_done)
    @rule(count=st.sampled_from((RETIRED_KEPT - 1, RETIRED_KEPT, RETIRED_KEPT + 1)))
    def churn_past_the_cooling(self, count: int) -> None:
        """Enough short transactions for the first retired TIDs to become available again."""
        self.bulk_done = True
        self._churn(count)

    @precondition(lambda self: not self.bulk_done)
    @rule()
    def fill_every_tid(self) -> None:
        self.bulk_done = True
        while len(self.held_set) < TID_SPACE:
            self._allocate_checked()
        with pytest.raises(TidExhausted):
            self.tids.allocate()

    # Invariants --------------------------------------------------------------------------

    @invariant()
    def outstanding_matches_the_model(self) -> None:
        assert self.tids.outstanding == len(self.held_set)
        for tid in self.held[-8:]:
            assert self.tids.in_flight(tid)


# The bulk rules make each run cost up to ~0.1 s: Phase.explain (which replays a failure many
# times) would take minutes, so it is left out.
TidAllocatorMachine.TestCase.settings = settings(
    max_examples=50,
    stateful_step_count=30,
    deadline=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink),
)
TestTidAllocator = TidAllocatorMachine.TestCase


def test_a_tid_held_for_long_is_not_reissued_right_after_its_release() -> None:
    """A transaction outlives 65 535 others, then is retired: the next allocations must not
    hand its TID straight back, or a late response to it would match a new request."""
    tids = TidAllocator(random.Random(3).randrange)
    held = tids.allocate()
    for _ in range(TID_SPACE - 1):
        tids.release(tids.allocate())
    tids.release(held)
    assert held not in {tids.allocate() for _ in range(100)}
