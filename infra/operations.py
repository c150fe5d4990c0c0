"""What the operations team watches: one alarm topic, one dashboard and the alarms, per environment.

Watching one more thing is one call: `watch_function` (errors, throttles, duration), `watch_queue` (a dead-letter
queue's depth), `watch_metrics` (a job's own outcome metrics, e.g. reminders sent and failed), `alarm_on_metric`
(an alarm on one of those, e.g. an aborted organisation sync, or none reported). A dashboard
section appears with the first thing watched in it, so the dashboard never shows an empty placeholder.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from aws_cdk import Duration, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import EnvironmentConfig
from infra.nag import acknowledge
from kommunal_pro.observability import NAMESPACE

FIVE_MINUTES = Duration.minutes(5)
# API Gateway answers with 5xx when a function fails or times out: a few in five minutes is an incident.
API_5XX_THRESHOLD = 5
# Alarm before the account's SMS spend limit stops reminders by text message.
SMS_SPEND_ALARM_FRACTION = 0.8
_WIDE, _HALF = 24, 12


class Operations(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self._prefix = f"kommunal-pro-{config.name}"
        stack = Stack.of(self)
        # Alarms need a customer-managed key: CloudWatch may not use the AWS-managed SNS key.
        self.key = kms.Key(
            self,
            "Key",
            description=f"Kommunal PRO {config.name}: alarm topic encryption",
            enable_key_rotation=True,
            removal_policy=config.removal_policy,
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            )
        )
        self.topic = sns.Topic(
            self,
            "AlarmTopic",
            display_name=f"Kommunal PRO {config.name} alarms",
            master_key=self.key,
            enforce_ssl=True,
        )
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsOfThisAccount",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {
                        "aws:SourceArn": f"arn:{stack.partition}:cloudwatch:{stack.region}:{stack.account}:alarm:*"
                    },
                },
            )
        )
        for number, address in enumerate(config.alarms.emails, start=1):
            subscription = sns.Subscription(
                self, f"Email{number}", topic=self.topic, protocol=sns.SubscriptionProtocol.EMAIL, endpoint=address
            )
            acknowledge(
                subscription,
                "An e-mail subscription of the alarm topic: SNS retries e-mail delivery itself, and an alarm that is "
                "not delivered stays visible in the ALARM state on the dashboard, so a queue of undelivered alarm "
                "e-mails would hold nothing anyone reads.",
                "Serverless-SNSRedrivePolicy",
            )
        self._action = actions.SnsAction(self.topic)
        self.dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=f"KommunalPro-{config.name}",
            default_interval=Duration.hours(6),
        )
        self._graphs: dict[str, cloudwatch.GraphWidget] = {}
        self.alarms: list[cloudwatch.Alarm] = []
        self._watch_sms_spend()

    # --- what can be watched -------------------------------------------------------------------------------

    def watch_api(self, stage: apigw.Stage) -> None:
        """Requests, 4xx/5xx and latency of the REST API's stage; an alarm on 5xx responses."""
        errors_5xx = stage.metric_server_error(statistic="Sum", period=FIVE_MINUTES)
        self._add_row(
            cloudwatch.GraphWidget(
                title="API requests and errors",
                left=[stage.metric_count(statistic="Sum", period=FIVE_MINUTES, label="requests")],
                right=[
                    stage.metric_client_error(statistic="Sum", period=FIVE_MINUTES, label="4xx"),
                    errors_5xx.with_(label="5xx"),
                ],
                width=_HALF,
            ),
            cloudwatch.GraphWidget(
                title="API latency (ms)",
                left=[
                    stage.metric_latency(statistic=statistic, period=FIVE_MINUTES, label=statistic)
                    for statistic in ("p50", "p90", "p99")
                ],
                width=_HALF,
            ),
        )
        self._alarm(
            "api",
            "5xx",
            errors_5xx,
            threshold=API_5XX_THRESHOLD,
            description=f"The API answered {API_5XX_THRESHOLD} or more requests with 5xx within five minutes.",
        )

    def watch_function(self, function: lambda_.IFunction, *, label: str) -> None:
        """Errors, throttles and duration of a function on the dashboard; an alarm on any error or throttle."""
        errors = function.metric_errors(statistic="Sum", period=FIVE_MINUTES)
        throttles = function.metric_throttles(statistic="Sum", period=FIVE_MINUTES)
        self._graph("Function errors", errors.with_(label=label))
        self._graph("Function throttles", throttles.with_(label=label))
        self._graph(
            "Function duration p99 (ms)", function.metric_duration(statistic="p99", period=FIVE_MINUTES, label=label)
        )
        self._alarm(label, "errors", errors, threshold=1, description=f"The {label} function failed.")
        self._alarm(
            label,
            "throttles",
            throttles,
            threshold=1,
            description=f"The {label} function was throttled: its reserved concurrency is exhausted.",
        )

    def watch_queue(self, queue: sqs.IQueue, *, label: str) -> None:
        """A dead-letter queue: anything in it is work that failed and waits for someone; alarm at one message."""
        depth = queue.metric_approximate_number_of_messages_visible(statistic="Maximum", period=FIVE_MINUTES)
        self._graph("Dead-letter queue depth", depth.with_(label=label))
        self._alarm(
            label, "dead letters", depth, threshold=1, description=f"Messages wait in the {label} dead-letter queue."
        )

    def watch_metrics(self, title: str, metric_names: Sequence[str], *, service: str) -> None:
        """A job's own outcome metrics (Powertools, namespace KommunalPro, dimension service), summed per 5 min,
        e.g. `watch_metrics("Reminders", ["RemindersSent", "RemindersFailed"], service="notifications")`."""
        for name in metric_names:
            self._graph(
                title,
                cloudwatch.Metric(
                    namespace=NAMESPACE,
                    metric_name=name,
                    dimensions_map={"service": service},
                    statistic="Sum",
                    period=FIVE_MINUTES,
                    label=name,
                ),
            )

    def alarm_on_metric(
        self,
        metric_name: str,
        *,
        service: str,
        subject: str,
        kind: str,
        period: Duration,
        description: str,
        threshold: float = 1,
        missing_data_breaches: bool = False,
    ) -> cloudwatch.Alarm:
        """An alarm when a job's own metric reaches `threshold` (its maximum over `period`), e.g. a sync that
        aborted. With `missing_data_breaches` it also fires when the job reported nothing for a whole `period`:
        for a metric a job emits on every run, silence means the job stopped running."""
        metric = cloudwatch.Metric(
            namespace=NAMESPACE,
            metric_name=metric_name,
            dimensions_map={"service": service},
            statistic="Maximum",
            period=period,
        )
        return self._alarm(
            subject,
            kind,
            metric,
            threshold=threshold,
            description=description,
            treat_missing_data=(
                cloudwatch.TreatMissingData.BREACHING
                if missing_data_breaches
                else cloudwatch.TreatMissingData.NOT_BREACHING
            ),
        )

    # --- plumbing ------------------------------------------------------------------------------------------

    def _watch_sms_spend(self) -> None:
        limit = self._config.sms.monthly_spend_limit_usd
        spend = cloudwatch.Metric(
            namespace="AWS/SNS",
            metric_name="SMSMonthToDateSpentUSD",
            statistic="Maximum",
            period=Duration.hours(1),
        )
        self._alarm(
            "sms",
            "spend",
            spend,
            threshold=limit * SMS_SPEND_ALARM_FRACTION,
            description=f"SMS spend this month is at {SMS_SPEND_ALARM_FRACTION:.0%} of the {limit} USD limit; "
            "at the limit SNS stops sending text messages.",
        )

    def _add_row(self, *widgets: cloudwatch.IWidget) -> None:
        # One call of add_widgets is one row, left to right (it wraps several widgets in a cloudwatch.Row).
        self.dashboard.add_widgets(*widgets)

    def _graph(self, title: str, metric: cloudwatch.IMetric) -> None:
        """Add `metric` as a line to the graph titled `title`, creating the graph (a dashboard row) on first use."""
        if title not in self._graphs:
            self._graphs[title] = cloudwatch.GraphWidget(title=title, width=_WIDE, left=[])
            self._add_row(self._graphs[title])
        self._graphs[title].add_left_metric(metric)

    def _alarm(
        self,
        subject: str,
        kind: str,
        metric: cloudwatch.IMetric,
        *,
        threshold: float,
        description: str,
        treat_missing_data: cloudwatch.TreatMissingData = cloudwatch.TreatMissingData.NOT_BREACHING,
    ) -> cloudwatch.Alarm:
        """An alarm named "kommunal-pro-<env> <subject> <kind>", notifying the topic when it fires and recovers."""
        construct_id = "".join(part.title() for part in re.split(r"[^A-Za-z0-9]+", f"{subject} {kind}") if part)
        alarm = cloudwatch.Alarm(
            self,
            f"{construct_id}Alarm",
            alarm_name=f"{self._prefix} {subject} {kind}",
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=treat_missing_data,
        )
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)
        self.alarms.append(alarm)
        return alarm
