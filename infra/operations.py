"""What the operations team watches: one alarm topic, one dashboard and the alarms, per environment.

Watching one more thing is one call: `watch_function` (errors, throttles, duration), `watch_queue` (a dead-letter
queue's depth), `watch_work_queue` (how long the oldest message has waited), `watch_table` (throttles and system
errors), `watch_metrics` (a job's own outcome metrics, e.g. reminders sent and failed), `alarm_on_metric` (an
alarm on one of those, e.g. an aborted organisation sync, or none reported). A dashboard section appears with the
first thing watched in it, so the dashboard never shows an empty placeholder.

Alarms on what request traffic does fire on a rate held over several datapoints (`SUSTAINED`: 3 of the last 5
five-minute periods), not on one failed request: a citizen who retries after one 5xx is fine, a route that fails
one request in twenty for a quarter of an hour is an incident. What happens once and matters (a job's run
failing, a message in a dead-letter queue, the SMS budget) still alarms at once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from aws_cdk import Duration, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_budgets as budgets
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_dynamodb as dynamodb
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
SUSTAINED = (3, 5)  # datapoints to alarm, of periods evaluated: 15 of the last 25 minutes
AT_ONCE = (1, 1)
API_5XX_PERCENT = 1  # of the stage's requests
FUNCTION_ERROR_PERCENT = 5  # of a function's invocations
THROTTLE_PERCENT = 1  # of a function's invocations: the account's unreserved concurrency ran out
NEAR_TIMEOUT = 0.8  # a function's p90 duration as a share of its timeout
ACCOUNT_CONCURRENCY_PERCENT = 80  # of the account's Concurrent executions quota
# Notifications are queued by the reminder job every 15 minutes; one that waits longer than that is late.
QUEUE_AGE_LIMIT = Duration.minutes(15)
BUDGET_ACTUAL_PERCENT, BUDGET_FORECAST_PERCENT = 80, 100
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
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("budgets.amazonaws.com")],
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
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="BudgetsOfThisAccount",
                principals=[iam.ServicePrincipal("budgets.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {"aws:SourceArn": f"arn:{stack.partition}:budgets::{stack.account}:*"},
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
        self._watch_account_concurrency()
        self._budget()

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
            _percent(errors_5xx, stage.metric_count(statistic="Sum", period=FIVE_MINUTES), label="5xx %"),
            threshold=API_5XX_PERCENT,
            datapoints=SUSTAINED,
            description=f"The API answered {API_5XX_PERCENT} % or more of its requests with 5xx in 3 of the last "
            "5 five-minute periods.",
        )
        latency = self._config.alarms.api_p90_latency_ms
        self._alarm(
            "api",
            "p90 latency",
            stage.metric_latency(statistic="p90", period=FIVE_MINUTES),
            threshold=latency,
            datapoints=SUSTAINED,
            description=f"The API's p90 latency was {latency} ms or more in 3 of the last 5 five-minute periods.",
        )

    def watch_function(self, function: lambda_.IFunction, *, label: str, timeout: Duration, job: bool) -> None:
        """Errors, throttles and duration of a function on the dashboard, and alarms on each. A request-driven
        function alarms on rates held over time; a `job` (one run at a time, on a schedule) on any failed or
        throttled run, and on one run close to its timeout."""
        errors = function.metric_errors(statistic="Sum", period=FIVE_MINUTES)
        throttles = function.metric_throttles(statistic="Sum", period=FIVE_MINUTES)
        invocations = function.metric_invocations(statistic="Sum", period=FIVE_MINUTES)
        duration = function.metric_duration(statistic="p90", period=FIVE_MINUTES)
        self._graph("Function errors", errors.with_(label=label))
        self._graph("Function throttles", throttles.with_(label=label))
        self._graph("Function duration p90 (ms)", duration.with_(label=label))
        near_timeout = timeout.to_milliseconds() * NEAR_TIMEOUT
        if job:
            self._alarm(label, "errors", errors, threshold=1, description=f"A run of the {label} job failed.")
            self._alarm(
                label,
                "throttles",
                throttles,
                threshold=1,
                description=f"A run of the {label} job was throttled: the previous run had not finished.",
            )
            self._alarm(
                label,
                "near timeout",
                duration.with_(statistic="Maximum"),
                threshold=near_timeout,
                description=f"A run of the {label} job took {NEAR_TIMEOUT:.0%} of its timeout or more.",
            )
            return
        self._alarm(
            label,
            "errors",
            _percent(errors, invocations, label="errors %"),  # a failed invocation is an invocation
            threshold=FUNCTION_ERROR_PERCENT,
            datapoints=SUSTAINED,
            description=f"{FUNCTION_ERROR_PERCENT} % or more of the {label} function's invocations failed in 3 of "
            "the last 5 five-minute periods.",
        )
        self._alarm(
            label,
            "throttles",
            _percent(throttles, invocations, label="throttles %", part_of_whole=False),  # a throttle is no invocation
            threshold=THROTTLE_PERCENT,
            datapoints=SUSTAINED,
            description=f"{THROTTLE_PERCENT} % or more of the {label} function's invocations were throttled: the "
            "account's unreserved concurrency ran out (docs/operations.md, Account and quotas).",
        )
        self._alarm(
            label,
            "near timeout",
            duration,
            threshold=near_timeout,
            datapoints=SUSTAINED,
            description=f"The {label} function's p90 duration was {NEAR_TIMEOUT:.0%} of its timeout or more in 3 "
            "of the last 5 five-minute periods.",
        )

    def watch_queue(self, queue: sqs.IQueue, *, label: str) -> None:
        """A dead-letter queue: anything in it is work that failed and waits for someone; alarm at one message."""
        depth = queue.metric_approximate_number_of_messages_visible(statistic="Maximum", period=FIVE_MINUTES)
        self._graph("Dead-letter queue depth", depth.with_(label=label))
        self._alarm(
            label, "dead letters", depth, threshold=1, description=f"Messages wait in the {label} dead-letter queue."
        )

    def watch_work_queue(self, queue: sqs.IQueue, *, label: str) -> None:
        """A queue that work passes through: an alarm when its oldest message has waited too long."""
        age = queue.metric_approximate_age_of_oldest_message(statistic="Maximum", period=FIVE_MINUTES)
        self._graph("Oldest queued message (s)", age.with_(label=label))
        limit = int(QUEUE_AGE_LIMIT.to_seconds())
        self._alarm(
            label,
            "queue age",
            age,
            threshold=limit,
            datapoints=(2, 3),
            description=f"A message has waited in the {label} queue for {limit // 60} minutes or more in 2 of the "
            "last 3 five-minute periods: the sender is failing or too slow.",
        )

    def watch_table(self, table: dynamodb.ITable, *, label: str) -> None:
        """A table's throttled requests (sustained) and DynamoDB's own errors (at once) on the dashboard and alarmed."""

        def metric(name: str) -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace="AWS/DynamoDB",
                metric_name=name,
                dimensions_map={"TableName": table.table_name},
                statistic="Sum",
                period=FIVE_MINUTES,
            )

        throttles = cloudwatch.MathExpression(
            # Ids unique on the dashboard's graph, which shows every table's expression.
            expression=f"{label}Reads + {label}Writes",
            using_metrics={
                f"{label}Reads": metric("ReadThrottleEvents"),
                f"{label}Writes": metric("WriteThrottleEvents"),
            },
            label=f"{label} throttled",
            period=FIVE_MINUTES,
        )
        system_errors = metric("SystemErrors")
        self._graph("DynamoDB throttles and system errors", throttles)
        self._graph("DynamoDB throttles and system errors", system_errors.with_(label=f"{label} system errors"))
        self._alarm(
            label,
            "throttles",
            throttles,
            threshold=1,
            datapoints=SUSTAINED,
            description=f"Requests to the {label} table were throttled in 3 of the last 5 five-minute periods "
            "(on demand: traffic more than doubled its previous peak).",
        )
        self._alarm(
            label,
            "system errors",
            system_errors,
            threshold=1,
            datapoints=(2, 3),
            description=f"DynamoDB answered requests to the {label} table with internal errors in 2 of the last "
            "3 five-minute periods (check the AWS Health Dashboard).",
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

    def _watch_account_concurrency(self) -> None:
        """The account's Lambda concurrency in use, as a share of its quota (SERVICE_QUOTA of the usage metric)."""
        usage = cloudwatch.Metric(
            namespace="AWS/Usage",
            metric_name="ResourceCount",
            dimensions_map={
                "Service": "Lambda",
                "Resource": "ConcurrentExecutions",
                "Type": "Resource",
                "Class": "None",
            },
            statistic="Maximum",
            period=FIVE_MINUTES,
        )
        self._alarm(
            "lambda",
            "account concurrency",
            cloudwatch.MathExpression(
                expression="100 * usage / SERVICE_QUOTA(usage)",
                using_metrics={"usage": usage},
                label="concurrency % of quota",
                period=FIVE_MINUTES,
            ),
            threshold=ACCOUNT_CONCURRENCY_PERCENT,
            datapoints=SUSTAINED,
            description=f"The account used {ACCOUNT_CONCURRENCY_PERCENT} % or more of its Lambda concurrency quota "
            "in 3 of the last 5 five-minute periods: functions are about to be throttled.",
        )

    def _budget(self) -> None:
        """The environment's monthly cost budget (by its `environment` tag), e-mailed through the alarm topic."""
        budgets.CfnBudget(
            self,
            "Budget",
            budget=budgets.CfnBudget.BudgetDataProperty(
                budget_name=f"{self._prefix}-monthly",
                budget_type="COST",
                time_unit="MONTHLY",
                budget_limit=budgets.CfnBudget.SpendProperty(amount=self._config.alarms.monthly_budget_usd, unit="USD"),
                cost_filters={"TagKeyValue": [f"user:environment${self._config.name}"]},
            ),
            notifications_with_subscribers=[
                budgets.CfnBudget.NotificationWithSubscribersProperty(
                    notification=budgets.CfnBudget.NotificationProperty(
                        notification_type=kind,
                        comparison_operator="GREATER_THAN",
                        threshold=percent,
                        threshold_type="PERCENTAGE",
                    ),
                    subscribers=[
                        budgets.CfnBudget.SubscriberProperty(subscription_type="SNS", address=self.topic.topic_arn)
                    ],
                )
                for kind, percent in (("ACTUAL", BUDGET_ACTUAL_PERCENT), ("FORECASTED", BUDGET_FORECAST_PERCENT))
            ],
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
        datapoints: tuple[int, int] = AT_ONCE,
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
            datapoints_to_alarm=datapoints[0],
            evaluation_periods=datapoints[1],
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=treat_missing_data,
        )
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)
        self.alarms.append(alarm)
        return alarm


def _percent(
    part: cloudwatch.IMetric, whole: cloudwatch.IMetric, *, label: str, part_of_whole: bool = True
) -> cloudwatch.MathExpression:
    """`part` as a percentage of `whole` (of `whole + part` where `part` is not counted in `whole`); 0 in a
    period without any (no traffic is no error rate)."""
    total = "whole" if part_of_whole else "(whole + part)"
    return cloudwatch.MathExpression(
        expression=f"IF({total} > 0, 100 * part / {total}, 0)",
        using_metrics={"part": part, "whole": whole},
        label=label,
        period=FIVE_MINUTES,
    )
