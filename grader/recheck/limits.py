"""The re-check child's limits: one record, light to import (the grade command's options and `Settings` use it)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    cpu_seconds: int = 10
    memory_bytes: int = 2 * 1024**3
    file_bytes: int = 16 * 1024**2
    cell_seconds: float = 2.0
    call_seconds: float = 2.0
    wall_seconds: float = 60.0  # wall clock, for code that waits without computing; CPU limits judge the rest

    def with_frameworks(self) -> Limits:
        """Room for importing torch and keras (about 3 s of CPU and 400 MB) and for a first Keras fit."""
        return dataclasses.replace(
            self,
            cpu_seconds=self.cpu_seconds + 20,
            memory_bytes=max(self.memory_bytes, 3 * 1024**3),
            call_seconds=max(self.call_seconds, 10.0),
            wall_seconds=self.wall_seconds + 60.0,
        )
