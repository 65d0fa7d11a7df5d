"""The plan (which checks a grade runs, under which seed) and the one root-cause pass."""

from __future__ import annotations

from autograder.checks import catalogue
from autograder.grading import load_assignments, plan_checks
from autograder.model import Outcome, Verdict
from autograder.prerequisites import annotate_root_causes, closure, root_causes

EVERY = catalogue()


def test_backprop_alone_runs_every_op_check_as_the_ops_assignment_would() -> None:
    ops, backprop = load_assignments(["ops", "backprop"], [])
    planned = plan_checks([backprop])
    by_id = {p.check.id: p for p in planned}
    op_checks = {s.id for s in ops.checks}
    assert op_checks <= set(by_id)  # graph checks read every op's verdict
    for cid in op_checks:
        assert by_id[cid].spec is None  # unscored here
        assert by_id[cid].assignment.id == "ops" and by_id[cid].seed == ops.seed
    for spec in backprop.checks:
        assert by_id[spec.id].spec is spec and by_id[spec.id].seed == backprop.seed
    assert not any(cid.startswith("nn.") for cid in by_id)


def test_a_seed_override_replaces_every_seed() -> None:
    assignments = load_assignments(["ops", "backprop"], [])
    assert {p.seed for p in plan_checks(assignments, seed=3)} == {3}
    assert {p.seed for p in plan_checks(assignments)} == {a.seed for a in assignments}


def test_the_network_plan_is_the_closure_of_needs_and_uses_in_order() -> None:
    (mlp,) = load_assignments(["mlp"], [])
    planned = [p.check.id for p in plan_checks([mlp])]
    assert set(planned) == closure([s.id for s in mlp.checks], EVERY)
    assert "engine.backward.accumulation" in planned and "engine.tanh.backward" in planned
    assert "engine.backward.deep" not in planned  # nothing needs it
    position = {cid: i for i, cid in enumerate(planned)}
    for cid in planned:
        check = EVERY[cid]
        assert all(position[n] < position[cid] for n in check.needs + check.uses), cid


def _verdicts(failed: dict[str, Outcome]) -> dict[str, Verdict]:
    ids = closure(["nn.train.moons", "engine.backward.deep"], EVERY)
    return {cid: Verdict(cid, failed.get(cid, Outcome.PASSED), f"{cid} summary") for cid in ids}


def test_root_causes_are_the_deepest_failures_among_needs() -> None:
    verdicts = _verdicts({"engine.mul.backward": Outcome.WRONG,
                          "engine.neg.backward": Outcome.WRONG,
                          "engine.sub.backward": Outcome.WRONG,
                          "nn.mlp.backward": Outcome.WRONG,
                          "nn.train.moons": Outcome.WRONG})
    # neg is built from mul: its failure is explained by mul's
    assert root_causes("engine.sub.backward", verdicts, EVERY) == ["engine.mul.backward"]
    assert root_causes("nn.train.moons", verdicts, EVERY) == ["engine.mul.backward"]
    assert root_causes("engine.mul.backward", verdicts, EVERY) == []


def test_one_pass_blocks_or_hints_once() -> None:
    verdicts = _verdicts({"engine.add.backward": Outcome.WRONG,
                          "engine.sub.backward": Outcome.WRONG})
    verdicts["engine.backward.deep"] = Verdict("engine.backward.deep", Outcome.BLOCKED,
                                               "the chain is built from `+`")
    out = annotate_root_causes(verdicts, EVERY)
    deep = out["engine.backward.deep"]
    assert deep.outcome is Outcome.BLOCKED and not deep.passed
    assert deep.summary == "blocked by engine.add.backward" and deep.notes == ()
    assert "Not tested: the chain is built from `+`." in deep.feedback
    assert "engine.add.backward" not in deep.feedback
    assert out["engine.sub.backward"].notes == (
        "Fix `engine.add.backward` first: this check relies on it, and it failed in this grade.",)
    assert out["engine.add.backward"].notes == ()
    assert out["engine.add.forward"] == verdicts["engine.add.forward"]
