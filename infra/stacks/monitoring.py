"""Alarms and one CloudWatch dashboard: Lambda errors and throttles per function, DynamoDB
throttles per table, API 5xx, webhook failures (Powertools metrics in LscTraining), and
jobs that did not run (JobRunCompleted missing counts as breaching)."""
from __future__ import annotations

from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subs
from constructs import Construct

NAMESPACE = "LscTraining"  # chalicelib/platform/observability.py metrics namespace
SERVICE = "lsc-platform"  # Powertools adds the `service` dimension
WEBHOOK_METRICS = {"WebhookFailed": 1, "WebhookRejected": 5}  # metric → alarm threshold / 5 min
JOB_METRIC = "JobRunCompleted"
JOB_FAILED_METRIC = "JobRunFailed"  # chalicelib/jobs/service.py emits both
JOBS_SILENT_HOURS = 2  # the schedule runs every 15 minutes


class Monitoring(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, key: kms.IKey,
                 functions: dict[str, tuple[str, Any]], tables: dict[str, dynamodb.Table],
                 api_name: str, api_stage: str, alarm_email: str | None) -> None:
        """`functions`: logical id → (kind, the function's CfnResource; Ref = its name)."""
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(self, "Alarms", display_name="LSC training alarms", master_key=key)
        if alarm_email:
            self.topic.add_subscription(subs.EmailSubscription(alarm_email))
        self.alarms: list[cw.Alarm] = []
        self.dashboard = cw.Dashboard(self, "Dashboard", dashboard_name=f"{api_name}-{api_stage}-ops")

        fn_widgets = []
        for lid, (kind, fn) in sorted(functions.items()):
            name = fn.ref
            errors = self._lambda_metric("Errors", name)
            throttles = self._lambda_metric("Throttles", name)
            self._alarm(f"{lid}Errors", errors, threshold=5 if kind == "api" else 1,
                        desc=f"{lid} ({kind}) raised errors")
            self._alarm(f"{lid}Throttles", throttles, threshold=1, desc=f"{lid} ({kind}) throttled")
            fn_widgets.append(cw.GraphWidget(title=f"{lid}: errors / throttles",
                                             left=[errors, throttles], width=8))
            fn_widgets.append(cw.GraphWidget(
                title=f"{lid}: duration p95", width=8,
                left=[self._lambda_metric("Duration", name, "p95")]))

        api_5xx = cw.Metric(namespace="AWS/ApiGateway", metric_name="5XXError",
                            dimensions_map={"ApiName": api_name, "Stage": api_stage},
                            statistic="Sum", period=Duration.minutes(5))
        api_count = cw.Metric(namespace="AWS/ApiGateway", metric_name="Count",
                              dimensions_map={"ApiName": api_name, "Stage": api_stage},
                              statistic="Sum", period=Duration.minutes(5))
        self._alarm("Api5xx", api_5xx, threshold=10, desc="the API answered 5xx")

        table_metrics = []
        for i, (base, table) in enumerate(sorted(tables.items())):
            throttled = cw.MathExpression(
                expression=f"r{i} + w{i}", label=f"{base} throttled", period=Duration.minutes(5),
                using_metrics={
                    f"r{i}": cw.Metric(namespace="AWS/DynamoDB", metric_name="ReadThrottleEvents",
                                   dimensions_map={"TableName": table.table_name}, statistic="Sum"),
                    f"w{i}": cw.Metric(namespace="AWS/DynamoDB", metric_name="WriteThrottleEvents",
                                   dimensions_map={"TableName": table.table_name}, statistic="Sum")})
            self._alarm(f"Table{base.title().replace('_', '')}Throttles", throttled, threshold=1,
                        desc=f"DynamoDB table {base} throttled")
            table_metrics.append(throttled)

        webhook_metrics = []
        for metric_name, threshold in WEBHOOK_METRICS.items():
            metric = self._app_metric(metric_name, Duration.minutes(5))
            self._alarm(metric_name, metric, threshold=threshold,
                        desc=f"payment webhooks: {metric_name} (signature, amount or processing)")
            webhook_metrics.append(metric)

        jobs = self._app_metric(JOB_METRIC, Duration.hours(1))
        self._alarm("JobsDidNotRun", jobs, threshold=1, periods=JOBS_SILENT_HOURS,
                    comparison=cw.ComparisonOperator.LESS_THAN_THRESHOLD,
                    missing=cw.TreatMissingData.BREACHING,
                    desc=f"no {JOB_METRIC} for {JOBS_SILENT_HOURS} h: the scheduled jobs did not run")

        jobs_failed = self._app_metric(JOB_FAILED_METRIC, Duration.minutes(15))
        self._alarm("JobsFailed", jobs_failed, threshold=1, desc="a scheduled job run failed")

        self.dashboard.add_widgets(
            cw.GraphWidget(title="API requests / 5xx", left=[api_count], right=[api_5xx], width=12),
            cw.GraphWidget(title="Payment webhooks: failed / rejected", left=webhook_metrics, width=6),
            cw.GraphWidget(title="Jobs: completed / failed", left=[jobs], right=[jobs_failed], width=6))
        self.dashboard.add_widgets(cw.GraphWidget(title="DynamoDB throttled requests",
                                                  left=table_metrics, width=24))
        self.dashboard.add_widgets(*fn_widgets)
        self.dashboard.add_widgets(cw.AlarmStatusWidget(title="Alarms", alarms=self.alarms, width=24))

    @staticmethod
    def _lambda_metric(name: str, function_name: str, statistic: str = "Sum") -> cw.Metric:
        return cw.Metric(namespace="AWS/Lambda", metric_name=name,
                         dimensions_map={"FunctionName": function_name}, statistic=statistic,
                         period=Duration.minutes(5))

    @staticmethod
    def _app_metric(name: str, period: Duration) -> cw.Metric:
        return cw.Metric(namespace=NAMESPACE, metric_name=name, dimensions_map={"service": SERVICE},
                         statistic="Sum", period=period)

    def _alarm(self, construct_id: str, metric: cw.IMetric, *, threshold: float, desc: str,
               periods: int = 1, missing: cw.TreatMissingData = cw.TreatMissingData.NOT_BREACHING,
               comparison: cw.ComparisonOperator =
               cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD) -> cw.Alarm:
        alarm = cw.Alarm(self, construct_id, metric=metric, threshold=threshold,
                         evaluation_periods=periods, comparison_operator=comparison,
                         treat_missing_data=missing, alarm_description=desc)
        alarm.add_alarm_action(cw_actions.SnsAction(self.topic))
        self.alarms.append(alarm)
        return alarm
