"""The web ACL in front of the REST API (pilot and production): AWS managed rules and a per-IP rate limit.

Two rules of the Common rule set only count instead of blocking, because legitimate requests match them:
- SizeRestrictions_BODY blocks bodies over 8 KB; a FHIR Questionnaire import or a long answer is larger. The
  functions enforce their own body limit (MAX_BODY_BYTES) and validate every body.
- CrossSiteScripting_BODY blocks HTML in bodies; FHIR resources carry XHTML narratives (`text.div`). The API
  only ever answers JSON, and the web clients encode what they display.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from infra.cfn import per_deployment_name
from infra.config import EnvironmentConfig
from infra.logs import LogGroups

MANAGED_RULE_GROUPS = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet")
COUNT_ONLY = {"AWSManagedRulesCommonRuleSet": ("SizeRestrictions_BODY", "CrossSiteScripting_BODY")}
RATE_LIMIT_RULE = "RateLimitPerIp"


def _visibility(metric_name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric_name, sampled_requests_enabled=True
    )


class ApiFirewall(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: EnvironmentConfig, logs: LogGroups, stage: apigw.Stage
    ) -> None:
        super().__init__(scope, construct_id)
        if config.waf is None:
            raise ValueError(f"environment {config.name!r} configures no WAF")
        name = f"kommunal-pro-{config.name}-api"
        rules = [
            wafv2.CfnWebACL.RuleProperty(
                name=group,
                priority=priority,
                override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                        vendor_name="AWS",
                        name=group,
                        rule_action_overrides=[
                            wafv2.CfnWebACL.RuleActionOverrideProperty(
                                name=rule, action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={})
                            )
                            for rule in COUNT_ONLY.get(group, ())
                        ]
                        or None,
                    )
                ),
                visibility_config=_visibility(group),
            )
            for priority, group in enumerate(MANAGED_RULE_GROUPS)
        ]
        rules.append(
            wafv2.CfnWebACL.RuleProperty(
                name=RATE_LIMIT_RULE,
                priority=len(rules),
                action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                        limit=config.waf.rate_limit, aggregate_key_type="IP", evaluation_window_sec=300
                    )
                ),
                visibility_config=_visibility(RATE_LIMIT_RULE),
            )
        )
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            name=name,
            description=f"Kommunal PRO {config.name}: in front of the REST API",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=_visibility(name),
            rules=rules,
        )
        # WAF logs to a log group whose name starts with aws-waf-logs-, given by its ARN without the ':*' suffix.
        log_name = per_deployment_name(f"aws-waf-logs-kommunal-pro-{config.name}")
        log_group = logs.create(self, "Logs", name=log_name)
        logging = wafv2.CfnLoggingConfiguration(
            self,
            "Logging",
            resource_arn=self.web_acl.attr_arn,
            log_destination_configs=[
                Stack.of(self).format_arn(
                    service="logs",
                    resource="log-group",
                    resource_name=log_name,
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                )
            ],
            # The bearer token never reaches the logs.
            redacted_fields=[
                wafv2.CfnLoggingConfiguration.FieldToMatchProperty(single_header={"Name": "authorization"})
            ],
        )
        logging.node.add_dependency(log_group)
        association = wafv2.CfnWebACLAssociation(
            self, "Association", resource_arn=stage.stage_arn, web_acl_arn=self.web_acl.attr_arn
        )
        association.node.add_dependency(stage)
