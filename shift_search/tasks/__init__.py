"""The executor's tasks as domain types, shared by the planner and the executor (torch-free).

`specs` holds what a task asks for, `results` what it answers; `convert` is the only place they
meet protobuf (the `shift.v1` contract between planner and executor) and names a task by the
content hash of its inputs.
"""
