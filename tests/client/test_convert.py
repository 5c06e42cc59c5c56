"""Plan steps convert generically: a server whose PlanStep grows nested steps or new fields
(as a newer plan shape may) still gives a PlanStep tree, with unknown fields kept in `extra`."""

from __future__ import annotations

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from shift_search.client.convert import step_from_proto
from shift_search.client.plans import Plan

F = descriptor_pb2.FieldDescriptorProto


def newer_step_type() -> type:
    """A PlanStep message type with two fields today's has not: `children` and `operator`."""
    file = descriptor_pb2.FileDescriptorProto(name="newer_plan.proto", package="newer")
    step = file.message_type.add(name="PlanStep")
    fields = [
        ("name", F.TYPE_STRING, F.LABEL_OPTIONAL, None),
        ("detail", F.TYPE_STRING, F.LABEL_OPTIONAL, None),
        ("estimated_seconds", F.TYPE_DOUBLE, F.LABEL_OPTIONAL, None),
        ("measured_seconds", F.TYPE_DOUBLE, F.LABEL_OPTIONAL, None),
        ("tasks", F.TYPE_INT32, F.LABEL_OPTIONAL, None),
        ("children", F.TYPE_MESSAGE, F.LABEL_REPEATED, ".newer.PlanStep"),
        ("operator", F.TYPE_STRING, F.LABEL_OPTIONAL, None),
    ]
    for number, (name, kind, label, type_name) in enumerate(fields, start=1):
        step.field.add(name=name, number=number, type=kind, label=label, type_name=type_name)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("newer.PlanStep"))


def test_nested_steps_and_unknown_fields_survive() -> None:
    Step = newer_step_type()
    message = Step(name="search", estimated_seconds=3.0, operator="halving")
    message.children.add(name="round 0", detail="4 models on 30 samples", tasks=4)
    message.children.add(name="round 1", measured_seconds=0.5).children.add(name="probe")

    step = step_from_proto(message)
    assert (step.name, step.extra, step.measured_seconds) == (
        "search",
        {"operator": "halving"},
        None,
    )
    assert [c.name for c in step.children] == ["round 0", "round 1"]
    assert step.children[0].tasks == 4 and step.children[1].measured_seconds == 0.5
    plan = Plan("task_aware", (step,))
    assert [(depth, s.name) for depth, s in plan.walk()] == [
        (0, "search"), (1, "round 0"), (1, "round 1"), (2, "probe")
    ]  # fmt: skip
    assert plan.to_dict()["steps"][0]["children"][1]["children"][0]["name"] == "probe"
