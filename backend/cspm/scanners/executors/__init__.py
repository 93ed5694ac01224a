"""Executors run scanner invocations (a local binary, a sibling container, or an in-process
check) and report how the run ended; they never parse reports."""

from cspm.scanners.executors.docker import DockerExecutor
from cspm.scanners.executors.factory import (
    NativeToolsUnavailable,
    ScannerExecutor,
    ScannerExecutorFactory,
    ToolRun,
    ToolRunner,
    local_tools,
    verify_native_tools_or_fail,
)
from cspm.scanners.executors.local import LocalExecutor
from cspm.scanners.executors.result import ExecutionResult, ExecutionState
from cspm.scanners.workspace import JobWorkspace

__all__ = [
    "DockerExecutor",
    "ExecutionResult",
    "ExecutionState",
    "JobWorkspace",
    "LocalExecutor",
    "NativeToolsUnavailable",
    "ScannerExecutor",
    "ScannerExecutorFactory",
    "ToolRun",
    "ToolRunner",
    "local_tools",
    "verify_native_tools_or_fail",
]
