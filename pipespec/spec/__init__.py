"""Pydantic models of the pipeline spec (what users write)."""

from .pipeline import API_VERSION, PipelineSpec
from .tasks import TASK_KINDS, Task

__all__ = ["API_VERSION", "TASK_KINDS", "PipelineSpec", "Task"]
