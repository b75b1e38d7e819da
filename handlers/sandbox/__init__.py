"""The sandbox: the whole service with the platforms' emulators and a web console."""

from handlers.sandbox._clock import SAMPLE_START, SandboxClock
from handlers.sandbox._samples import SampleSummary, load_samples
from handlers.sandbox._sandbox import Sandbox, StaffMember, running_sandbox, sandbox_files

__all__ = [
    "SAMPLE_START",
    "SampleSummary",
    "Sandbox",
    "SandboxClock",
    "StaffMember",
    "load_samples",
    "running_sandbox",
    "sandbox_files",
]
