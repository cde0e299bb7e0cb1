"""The one place that builds SpiffWorkflow engines (SE-1).

SpiffWorkflow's default ``PythonScriptEngine`` runs conditions with ``eval`` and scripts with
``exec`` and full builtins. Here every workflow is a :class:`SafeBpmnWorkflow`, whose script engine
is always :data:`SCRIPT_ENGINE`: conditions (and timer / multi-instance expressions, and anything
Spiff evaluates through ``environment.evaluate``) go through :mod:`service.engine.evaluator`;
scripts run only when they are exactly a call of a function in :data:`REGISTERED_FUNCTIONS`.

This module also owns serialization, because the serializer is what rebuilds workflows from
saved state: it is configured so that restoring creates a :class:`SafeBpmnWorkflow`, and so that a
saved workflow carries its state only, never its spec (DESIGN decision 4).
"""

from __future__ import annotations

import ast
import json
from collections import ChainMap
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnWorkflowConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SPIFF_SERIALIZER_VERSION
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from .evaluator import ExpressionError, check_expression, evaluate

__all__ = [
    "REGISTERED_FUNCTIONS",
    "SCRIPT_ENGINE",
    "SERIALIZER_VERSION",
    "SPEC_FORMAT",
    "SafeBpmnWorkflow",
    "SafeScriptEngine",
    "check_script",
    "dump_spec",
    "load_spec",
    "new_serializer",
    "new_workflow",
]

RegisteredFunction = Callable[..., Mapping[str, Any] | None]

# Reviewed Python functions a diagram's script may call by name (SE-3). A function receives a
# read-only view of the task data followed by the call's arguments (each evaluated by the safe
# evaluator); a mapping it returns is merged into the task data. Empty by default: registering a
# function is a code change that goes through review.
REGISTERED_FUNCTIONS: dict[str, RegisteredFunction] = {}

# Saved state is only ever read in exactly this version (SE-6). Bump the first part whenever the
# shape of what dump_state writes changes; the second follows the installed SpiffWorkflow.
SERIALIZER_VERSION = f"tdkt-1/spiff-{SPIFF_SERIALIZER_VERSION}"
SPEC_FORMAT = "tdkt-spec-1"

_MSG_SCRIPT = "Kịch bản chỉ được gọi một hàm đã đăng ký, ví dụ: ten_ham()."
_MSG_SERVICE = "Sơ đồ không được gọi dịch vụ bên ngoài."


# -- scripts: registered calls only -------------------------------------------------------------


def _parse_call(script: str) -> tuple[str, list[str]]:
    """Return (function name, argument sources) of a script that is a single registered call."""
    if not isinstance(script, str) or not script.strip():
        raise ExpressionError(_MSG_SCRIPT)
    text = script.strip()
    try:
        tree = ast.parse(text, mode="eval")
    except Exception:  # SyntaxError, ValueError, warnings raised as errors
        raise ExpressionError(_MSG_SCRIPT) from None
    call = tree.body
    if not (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Name)
        and not call.keywords
        and not any(isinstance(arg, ast.Starred) for arg in call.args)
    ):
        raise ExpressionError(_MSG_SCRIPT)
    name = call.func.id
    if name not in REGISTERED_FUNCTIONS:
        raise ExpressionError(f"Hàm '{name}' chưa được đăng ký để dùng trong sơ đồ.")
    sources = []
    for arg in call.args:
        source = ast.get_source_segment(text, arg)
        if source is None:
            raise ExpressionError(_MSG_SCRIPT)
        check_expression(source)
        sources.append(source)
    return name, sources


def check_script(script: str) -> None:
    """Static check used at publish time: the script must be a call of a registered function."""
    _parse_call(script)


def _run_registered(script: str, data: dict[str, Any], names: Mapping[str, Any]) -> None:
    name, sources = _parse_call(script)
    args = [evaluate(source, names) for source in sources]
    result = REGISTERED_FUNCTIONS[name](MappingProxyType(dict(data)), *args)
    if result is not None:
        data.update(result)


# -- the script engine --------------------------------------------------------------------------


class SafeEnvironment(BasePythonScriptEngineEnvironment):
    """Spiff calls ``environment.evaluate`` directly in a few places; cover those too."""

    def __init__(self) -> None:
        super().__init__({})

    def evaluate(
        self,
        expression: str,
        context: Mapping[str, Any],
        external_context: Mapping[str, Any] | None = None,
    ) -> Any:
        names = ChainMap(context, external_context) if external_context else context
        return evaluate(expression, names)

    def execute(
        self,
        script: str,
        context: dict[str, Any],
        external_context: Mapping[str, Any] | None = None,
    ) -> bool:
        names = ChainMap(context, external_context) if external_context else context
        _run_registered(script, context, names)
        return True

    def call_service(self, context: Mapping[str, Any], **kwargs: Any) -> Any:
        raise ExpressionError(_MSG_SERVICE)


class SafeScriptEngine(PythonScriptEngine):
    """A script engine without ``eval``/``exec``; errors surface as :class:`ExpressionError`."""

    def __init__(self) -> None:
        super().__init__(environment=SafeEnvironment())

    def validate(self, expression: str) -> None:
        check_expression(expression)

    def evaluate(self, task: Any, expression: str, external_context: Any = None) -> Any:
        return self.environment.evaluate(expression, task.data, external_context)

    def execute(self, task: Any, script: str, external_context: Any = None) -> bool:
        return self.environment.execute(script, task.data, external_context)

    def call_service(self, task: Any, **kwargs: Any) -> Any:
        raise ExpressionError(_MSG_SERVICE)


# Stateless, so one instance serves every workflow in the process.
SCRIPT_ENGINE = SafeScriptEngine()


class SafeBpmnWorkflow(BpmnWorkflow):
    """A BpmnWorkflow whose script engine is always the safe one, however it was created."""

    def __init__(
        self,
        spec: BpmnProcessSpec,
        subprocess_specs: Mapping[str, BpmnProcessSpec] | None = None,
        script_engine: Any = None,
        **kwargs: Any,
    ) -> None:
        if script_engine is not None and not isinstance(script_engine, SafeScriptEngine):
            raise TypeError("SafeBpmnWorkflow only runs with the safe script engine")
        super().__init__(spec, dict(subprocess_specs or {}), script_engine=SCRIPT_ENGINE, **kwargs)

    @property
    def script_engine(self) -> SafeScriptEngine:
        return SCRIPT_ENGINE

    @script_engine.setter
    def script_engine(self, engine: Any) -> None:
        if not isinstance(engine, SafeScriptEngine):
            raise TypeError("SafeBpmnWorkflow only runs with the safe script engine")


def new_workflow(
    spec: BpmnProcessSpec, subprocess_specs: Mapping[str, BpmnProcessSpec] | None = None
) -> SafeBpmnWorkflow:
    """A fresh workflow instance for ``spec`` with the safe script engine."""
    return SafeBpmnWorkflow(spec, subprocess_specs)


# -- serialization ------------------------------------------------------------------------------


class StateOnlyConverter(BpmnWorkflowConverter):
    """Converts a workflow *without* its spec; restoring needs the spec objects passed in.

    The stock converter embeds the whole spec in every saved instance and rebuilds it on every
    load; we keep one spec per published version and cache its deserialized objects instead.
    """

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(
        self,
        dct: dict[str, Any],
        spec: BpmnProcessSpec | None = None,
        subprocess_specs: Mapping[str, BpmnProcessSpec] | None = None,
    ) -> BpmnWorkflow:
        if spec is None:
            raise ValueError("restoring a workflow needs its spec")
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _config() -> dict[type, type]:
    config = dict(SPIFF_CONFIG)
    # The stock BpmnWorkflow has no converter at all: nothing can restore one by accident.
    config.pop(BpmnWorkflow)
    config[SafeBpmnWorkflow] = StateOnlyConverter
    return config


def new_serializer() -> BpmnWorkflowSerializer:
    """A serializer for our workflows and specs.

    Not shared between threads: SpiffWorkflow's registry flips an ``_encoder_mode`` flag while
    it serializes.
    """
    registry = BpmnWorkflowSerializer.configure(_config())
    return BpmnWorkflowSerializer(registry, version=SERIALIZER_VERSION)


def dump_spec(
    spec: BpmnProcessSpec,
    subprocess_specs: Mapping[str, BpmnProcessSpec],
    *,
    serializer: BpmnWorkflowSerializer | None = None,
) -> str:
    """JSON of a process spec and its subprocess specs, stored once per published version."""
    serializer = serializer or new_serializer()
    document = {
        "format": SPEC_FORMAT,
        "serializer_version": SERIALIZER_VERSION,
        "spec": serializer.to_dict(spec),
        "subprocess_specs": {
            name: serializer.to_dict(sub) for name, sub in subprocess_specs.items()
        },
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True)


def load_spec(
    spec_json: str, *, serializer: BpmnWorkflowSerializer | None = None
) -> tuple[BpmnProcessSpec, dict[str, BpmnProcessSpec]]:
    """Rebuild spec objects from :func:`dump_spec` output.

    The dicts come from a fresh ``json.loads`` every time: SpiffWorkflow's deserializer mutates
    the dict it is given, so a parsed dict must never be reused.
    """
    document = json.loads(spec_json)
    if not isinstance(document, dict) or document.get("format") != SPEC_FORMAT:
        raise ValueError("not a TĐKT process spec")
    if document.get("serializer_version") != SERIALIZER_VERSION:
        raise ValueError("process spec written by another serializer version")
    serializer = serializer or new_serializer()
    spec = serializer.from_dict(document["spec"])
    subprocess_specs = {
        name: serializer.from_dict(sub) for name, sub in document["subprocess_specs"].items()
    }
    return spec, subprocess_specs
