"""TID allocator, as a state machine against what ``hemsnet.echonet.tid`` promises [AIF 2.4.3].

The module promises: (1) a TID is never issued while a transaction holding it is in flight;
(2) TIDs are drawn in sequence from a cursor, wrapping at 0xFFFF; (3) a released TID is
reissued only after the cursor has moved on by at least half the TID space, unless every
other TID is in flight; (4) ``TidExhausted`` exactly when all 65 536 TIDs are in flight.

The model is a plain scan: from the cursor, skip TIDs in flight, skip (once) TIDs cooling off
after a release, issue the first other one. Every allocation must equal the model's, and (3)
is checked on its own by counting how far the cursor moved between a release and a reissue.
"""

from __future__ import annotations

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

from hemsnet.echonet.tid import TidAllocator, TidExhausted
from tests.property.strategies import tids

_SPACE = 0x10000


class TidAllocatorMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tids = TidAllocator()
        self.held: list[int] = []  # in flight, in no particular order
        self.held_set: set[int] = set()
        self.cooling: set[int] = set()
        self.cursor = 0
        self.steps = 0  # how far the cursor has moved, in TIDs
        self.released_at: dict[int, int] = {}  # TID -> self.steps when it was released
        self.bulk_done = False  # one costly bulk rule per run keeps the suite fast

    @initialize(start=tids())
    def start_at(self, start: int) -> None:
        self.tids = TidAllocator(start)
        self.cursor = start

    # Helpers -----------------------------------------------------------------------------

    def _model_allocate(self) -> int:
        tid = self.cursor
        while tid in self.held_set or tid in self.cooling:
            self.cooling.discard(tid)
            tid = (tid + 1) % _SPACE
        self.steps += (tid - self.cursor) % _SPACE + 1
        self.cursor = (tid + 1) % _SPACE
        return tid

    def _allocate_checked(self) -> int:
        others_busy = len(self.held_set) >= _SPACE // 2
        tid = self.tids.allocate()
        assert 0 <= tid < _SPACE, f"TID {tid} is outside 0..65535"
        assert tid not in self.held_set, f"TID {tid} issued while it is in flight"
        expected = self._model_allocate()
        assert tid == expected, f"issued {tid}, the sequence gives {expected}"
        released = self.released_at.pop(tid, None)
        if released is not None and not others_busy:
            moved = self.steps - released
            assert moved >= _SPACE // 2, f"TID {tid} reissued after the cursor moved {moved}"
        self.held.append(tid)
        self.held_set.add(tid)
        return tid

    def _release_at(self, index: int) -> int:
        self.held[index], self.held[-1] = self.held[-1], self.held[index]
        tid = self.held.pop()
        self.held_set.discard(tid)
        self.tids.release(tid)
        if (tid - self.cursor) % _SPACE < _SPACE // 2:
            self.cooling.add(tid)
        self.released_at[tid] = self.steps
        return tid

    def _churn(self, count: int) -> None:
        """``count`` short transactions: allocate a TID, then release it."""
        for _ in range(count):
            if len(self.held_set) == _SPACE:
                return
            self._allocate_checked()
            self._release_at(len(self.held) - 1)

    # Rules -------------------------------------------------------------------------------

    @rule()
    def allocate(self) -> None:
        if len(self.held_set) == _SPACE:
            with pytest.raises(TidExhausted):
                self.tids.allocate()
        else:
            self._allocate_checked()

    @precondition(lambda self: self.held)
    @rule(data=st.data())
    def release(self, data: st.DataObject) -> None:
        self._release_at(data.draw(st.integers(0, len(self.held) - 1), label="release index"))

    @precondition(lambda self: self.held)
    @rule()
    def release_newest(self) -> None:
        self._release_at(len(self.held) - 1)

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
    @rule(count=st.sampled_from((_SPACE - 2, _SPACE - 1, _SPACE)))
    def churn_once_round_the_tid_space(self, count: int) -> None:
        """Enough short transactions for the cursor to wrap past every TID in flight."""
        self.bulk_done = True
        self._churn(count)

    @precondition(lambda self: not self.bulk_done)
    @rule()
    def fill_every_tid(self) -> None:
        self.bulk_done = True
        while len(self.held_set) < _SPACE:
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
# times) would take minutes, so it is left out; shrinking a failure takes ~15 s.
TidAllocatorMachine.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=30,
    deadline=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink),
)
TestTidAllocator = TidAllocatorMachine.TestCase


def test_a_tid_held_across_a_wrap_is_not_reissued_right_after_its_release() -> None:
    """A transaction outlives 65 535 others (the cursor wraps back to it), then is retired.

    The next allocation must not hand its TID straight back while 65 535 others are free: a
    late response to the retired transaction would match the new request.
    """
    tids = TidAllocator()
    held = tids.allocate()
    for _ in range(_SPACE - 1):
        tids.release(tids.allocate())
    tids.release(held)
    assert tids.outstanding == 0
    assert tids.allocate() != held


def test_two_tids_held_across_a_wrap_are_not_reissued_right_after_their_release() -> None:
    tids = TidAllocator()
    first, second = tids.allocate(), tids.allocate()
    for _ in range(_SPACE - 2):
        tids.release(tids.allocate())
    tids.release(first)
    tids.release(second)
    assert {tids.allocate() for _ in range(100)}.isdisjoint({first, second})
