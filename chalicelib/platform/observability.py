"""Powertools logger, metrics and tracer, configured once. Personal data never reaches a
log line: phone numbers, e-mails and tokens are masked by the formatter."""
from __future__ import annotations

import re
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

# Service name differs from the Chalice app name ("lsc-training") on purpose: when they are
# equal, Chalice's own handler and Powertools both print each line.
SERVICE = "lsc-platform"

_PATTERNS = [
    (re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+"), "***token***"),
    (re.compile(r"(?i)(bearer\s+)[\w.-]+"), r"\1***"),
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), "***@***"),
    (re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)"), "1**********"),
]


def mask(value: Any) -> Any:
    """Mask e-mails, mobile numbers and JWTs anywhere in a value (strings, dicts, lists)."""
    if isinstance(value, str):
        for pattern, repl in _PATTERNS:
            value = pattern.sub(repl, value)
        return value
    if isinstance(value, dict):
        return {k: mask(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask(v) for v in value]
    return value


class MaskingFormatter(LambdaPowertoolsFormatter):
    def serialize(self, log: Any) -> str:
        return super().serialize(mask(log))


logger = Logger(service=SERVICE, logger_formatter=MaskingFormatter())
metrics = Metrics(namespace="LscTraining", service=SERVICE)


def __getattr__(name: str) -> Any:
    """`tracer`, built on first use: Powertools' Tracer imports the X-Ray SDK, 1-2 s of every
    cold start (bench/cold_start.py, docs/performance.md), and no request path uses it."""
    if name == "tracer":
        from aws_lambda_powertools import Tracer
        tracer = Tracer(service=SERVICE, disabled=True)  # enabled by POWERTOOLS_TRACE_DISABLED=false on AWS
        globals()["tracer"] = tracer
        return tracer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def count(name: str, value: int = 1) -> None:
    """One CloudWatch metric point (Powertools EMF, namespace LscTraining, dimension
    service): what the alarms in infra/ watch (JobRunCompleted, WebhookRejected, ...)."""
    from aws_lambda_powertools.metrics import MetricUnit, single_metric
    with single_metric(name=name, unit=MetricUnit.Count, value=value, namespace="LscTraining",
                       default_dimensions={"service": SERVICE}):
        pass
