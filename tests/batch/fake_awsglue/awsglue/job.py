"""Job with init/commit: Glue uses them for job bookmarks; here they only record the calls."""

from __future__ import annotations


class Job:
    def __init__(self, glue_context):
        self.glue_context = glue_context
        self.name: str | None = None
        self.committed = False

    def init(self, name: str, args: dict[str, str]) -> None:
        self.name, self.args = name, args

    def commit(self) -> None:
        if self.name is None:
            raise RuntimeError("Job.commit() before Job.init()")
        self.committed = True
