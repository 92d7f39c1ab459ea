"""`pipespec:aws:GlueWorkflow`: one compiled pipeline -> one AWS Glue workflow and what it runs.

Thin by design: the compiled document (`pipespec.targets.glue.compile`) decided everything; this
component substitutes its `${...}` placeholders and maps it field by field onto pulumi-aws:

- `aws.glue.Workflow`; `aws.glue.Trigger`s (the start trigger, one conditional trigger per task
  with upstream tasks); `aws.glue.Job`s and `aws.glue.Crawler`s the spec creates;
- `aws.iam.Role` + `aws.iam.RolePolicy` for them (unless the stack names an existing role);
- `aws.cloudwatch.EventRule` + `EventTarget` per alert rule, publishing to `alert_topic_arn`.
  The topic must allow `events.amazonaws.com` to publish for `alert_rule_arns` (the AWS
  alerting component's topic policy).

Placeholders: `${GlueRoleArn}` -> the created role's ARN, `${AlertTopicArn}` -> `alert_topic_arn`,
`${Partition}` / `${Region}` / `${Account}` -> the deploying provider's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from pipespec.targets.glue.compile import PLACEHOLDER, ROLE, CompiledWorkflow

TYPE = "pipespec:aws:GlueWorkflow"
TOPIC = "${AlertTopicArn}"


class GlueDeployError(ValueError):
    """The compiled workflow cannot deploy with these arguments."""


@dataclass
class GlueWorkflowArgs:
    compiled: CompiledWorkflow
    # The pipeline's alert topic (AwsAlerting.topic_arn(deployed name)); required when the document has alert rules.
    alert_topic_arn: pulumi.Input[str] | None = None


def substitute(text: str, values: Mapping[str, str]) -> str:
    """Replace every `${Name}`; an unknown one is an error, never left in place."""

    def one(match: re.Match[str]) -> str:
        if match.group(1) not in values:
            raise GlueDeployError(f"no value for placeholder {match.group(0)}")
        return values[match.group(1)]

    return PLACEHOLDER.sub(one, text)


def _arn_parts(arn: str) -> dict[str, str]:
    parts = arn.split(":")
    if len(parts) < 6 or parts[0] != "arn" or not all(parts[1:5]):
        raise GlueDeployError(f"{arn!r} is not a Glue workflow ARN")
    return {"Partition": parts[1], "Region": parts[3], "Account": parts[4]}


class GlueWorkflow(pulumi.ComponentResource):
    workflow_name: pulumi.Output[str]
    workflow_arn: pulumi.Output[str]
    role_arn: pulumi.Output[str]
    job_names: dict[str, pulumi.Output[str]]  # created jobs, by task id
    alert_rule_arns: dict[str, pulumi.Output[str]]  # by rule name: the publishers the alert topic must allow

    def __init__(self, name: str, args: GlueWorkflowArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        doc = args.compiled.document
        if doc["AlertRules"] and args.alert_topic_arn is None:
            raise GlueDeployError(
                f"workflow {args.compiled.name!r} has {len(doc['AlertRules'])} alert rule(s) but no alert_topic_arn: "
                "pass the pipeline's topic from the AWS alerting component"
            )
        super().__init__(TYPE, name, None, opts)
        self._name = name
        child = pulumi.ResourceOptions(parent=self)
        kept = pulumi.ResourceOptions(parent=self, protect=args.compiled.env.protect)  # run history goes with them
        tags: dict[str, str] = doc["Workflow"]["Tags"]

        wf = doc["Workflow"]
        workflow = aws.glue.Workflow(
            f"{name}-workflow",
            name=wf["Name"],
            description=wf["Description"],
            max_concurrent_runs=wf["MaxConcurrentRuns"],
            default_run_properties=wf.get("DefaultRunProperties"),
            tags=tags,
            opts=kept,
        )
        role_arn, after_role = self._role(doc["Role"], doc["RoleArn"], workflow.arn, child)

        def role_of(value: str) -> pulumi.Input[str]:
            return role_arn if value == ROLE else value

        nodes: dict[str, pulumi.Output[str]] = {}  # created job / crawler names, by Glue name
        self.job_names = {}
        for j in doc["Jobs"]:
            job = self._job(j, role_of(j["Role"]), pulumi.ResourceOptions.merge(kept, after_role))
            nodes[j["Name"]] = self.job_names[j["Task"]] = job.name
        for c in doc["Crawlers"]:
            crawler = self._crawler(c, role_of(c["Role"]), pulumi.ResourceOptions.merge(kept, after_role))
            nodes[c["Name"]] = crawler.name

        def node(glue_name: str) -> pulumi.Input[str]:
            # A created job's output carries the dependency; an existing job is named as written.
            return nodes.get(glue_name, glue_name)

        triggers = [self._trigger(t, workflow.name, node, child) for t in doc["Triggers"]]
        self.alert_rule_arns = {r["Name"]: self._alert(r, args.alert_topic_arn, tags, child) for r in doc["AlertRules"]}

        self.workflow_name = workflow.name
        self.workflow_arn = workflow.arn
        self.role_arn = pulumi.Output.from_input(role_arn)
        self.register_outputs(
            {
                "workflowName": workflow.name,
                "workflowArn": workflow.arn,
                "roleArn": self.role_arn,
                "jobNames": self.job_names,
                "triggerNames": [t.name for t in triggers],
                "alertRuleArns": self.alert_rule_arns,
            }
        )

    def _role(
        self,
        spec: dict[str, Any] | None,
        arn: str | None,
        workflow_arn: pulumi.Output[str],
        child: pulumi.ResourceOptions,
    ) -> tuple[pulumi.Input[str], pulumi.ResourceOptions]:
        if spec is None:  # an existing role (its ARN is in the document), or nothing to run as
            return arn or "", pulumi.ResourceOptions()
        # The workflow's own ARN names the partition, region and account it is deployed to (no API call).
        values = workflow_arn.apply(_arn_parts)
        role = aws.iam.Role(
            f"{self._name}-role",
            name=spec["Name"],
            assume_role_policy=json.dumps(spec["AssumeRolePolicy"], sort_keys=True),
            description="Runs the Glue jobs and crawlers of one pipespec workflow",
            tags=spec["Tags"],
            opts=child,
        )
        text = json.dumps(spec["Policy"], sort_keys=True)
        policy = aws.iam.RolePolicy(
            f"{self._name}-role-policy",
            name="pipespec-glue",
            role=role.id,
            policy=values.apply(lambda v: substitute(text, v)),
            opts=child,
        )
        # Jobs and crawlers validate their role on creation: the policy must exist first.
        return role.arn, pulumi.ResourceOptions(depends_on=[policy])

    def _job(self, j: dict[str, Any], role: pulumi.Input[str], opts: pulumi.ResourceOptions) -> aws.glue.Job:
        command = j["Command"]
        notify = j.get("NotificationProperty")
        return aws.glue.Job(
            f"{self._name}-job-{j['Task']}",
            name=j["Name"],
            description=j["Description"],
            role_arn=role,
            command=aws.glue.JobCommandArgs(
                name=command["Name"], script_location=command["ScriptLocation"], python_version=command["PythonVersion"]
            ),
            glue_version=j["GlueVersion"],
            worker_type=j.get("WorkerType"),
            number_of_workers=j.get("NumberOfWorkers"),
            max_capacity=j.get("MaxCapacity"),
            max_retries=j["MaxRetries"],
            timeout=j.get("Timeout"),
            default_arguments=j["DefaultArguments"],
            execution_property=aws.glue.JobExecutionPropertyArgs(
                max_concurrent_runs=j["ExecutionProperty"]["MaxConcurrentRuns"]
            ),
            notification_property=(
                aws.glue.JobNotificationPropertyArgs(notify_delay_after=notify["NotifyDelayAfter"]) if notify else None
            ),
            security_configuration=j.get("SecurityConfiguration"),
            tags=j["Tags"],
            opts=opts,
        )

    def _crawler(self, c: dict[str, Any], role: pulumi.Input[str], opts: pulumi.ResourceOptions) -> aws.glue.Crawler:
        schema = c["SchemaChangePolicy"]
        return aws.glue.Crawler(
            f"{self._name}-crawler-{c['Task']}",
            name=c["Name"],
            description=c["Description"],
            role=role,
            database_name=c["DatabaseName"],
            s3_targets=[
                aws.glue.CrawlerS3TargetArgs(path=t["Path"], exclusions=t.get("Exclusions"))
                for t in c["Targets"]["S3Targets"]
            ],
            table_prefix=c.get("TablePrefix"),
            recrawl_policy=aws.glue.CrawlerRecrawlPolicyArgs(recrawl_behavior=c["RecrawlPolicy"]["RecrawlBehavior"]),
            schema_change_policy=aws.glue.CrawlerSchemaChangePolicyArgs(
                delete_behavior=schema["DeleteBehavior"], update_behavior=schema["UpdateBehavior"]
            ),
            security_configuration=c.get("CrawlerSecurityConfiguration"),
            tags=c["Tags"],
            opts=opts,
        )

    def _trigger(
        self,
        t: dict[str, Any],
        workflow: pulumi.Output[str],
        node: Callable[[str], pulumi.Input[str]],
        child: pulumi.ResourceOptions,
    ) -> aws.glue.Trigger:
        actions = []
        for a in t["Actions"]:
            notify = a.get("NotificationProperty")
            actions.append(
                aws.glue.TriggerActionArgs(
                    job_name=node(a["JobName"]) if "JobName" in a else None,
                    crawler_name=node(a["CrawlerName"]) if "CrawlerName" in a else None,
                    arguments=a.get("Arguments"),
                    timeout=a.get("Timeout"),
                    notification_property=(
                        aws.glue.TriggerActionNotificationPropertyArgs(notify_delay_after=notify["NotifyDelayAfter"])
                        if notify
                        else None
                    ),
                    security_configuration=a.get("SecurityConfiguration"),
                )
            )
        predicate = None
        if "Predicate" in t:
            predicate = aws.glue.TriggerPredicateArgs(
                logical=t["Predicate"]["Logical"],
                conditions=[
                    aws.glue.TriggerPredicateConditionArgs(
                        logical_operator=c["LogicalOperator"],
                        job_name=node(c["JobName"]) if "JobName" in c else None,
                        state=c.get("State"),
                        crawler_name=node(c["CrawlerName"]) if "CrawlerName" in c else None,
                        crawl_state=c.get("CrawlState"),
                    )
                    for c in t["Predicate"]["Conditions"]
                ],
            )
        logical = f"{self._name}-trigger-{t['Task']}" if "Task" in t else f"{self._name}-start"
        return aws.glue.Trigger(
            logical,
            name=t["Name"],
            description=t["Description"],
            type=t["Type"],
            workflow_name=workflow,
            actions=actions,
            predicate=predicate,
            schedule=t.get("Schedule"),
            enabled=t.get("Enabled"),
            start_on_creation=t.get("StartOnCreation"),
            tags=t["Tags"],
            opts=child,
        )

    def _alert(
        self,
        rule: dict[str, Any],
        topic: pulumi.Input[str] | None,
        tags: dict[str, str],
        child: pulumi.ResourceOptions,
    ) -> pulumi.Output[str]:
        assert topic is not None  # checked before any resource exists
        target = rule["Target"]
        if target["Arn"] != TOPIC:
            raise GlueDeployError(f"alert rule {rule['Name']!r} targets {target['Arn']!r}, not the alert topic")
        stem = f"{self._name}-alert-{rule['Task']}-{rule['Event']}"
        event_rule = aws.cloudwatch.EventRule(
            stem,
            name=rule["Name"],
            description=f"pipespec {rule['Event']} alert of task {rule['Task']}",
            event_pattern=json.dumps(rule["EventPattern"], sort_keys=True),
            tags=tags,
            opts=child,
        )
        aws.cloudwatch.EventTarget(
            stem,
            rule=event_rule.name,
            arn=topic,
            target_id="pipespec-alert-topic",
            input_transformer=aws.cloudwatch.EventTargetInputTransformerArgs(
                input_paths=target["InputPathsMap"], input_template=target["InputTemplate"]
            ),
            opts=child,
        )
        return event_rule.arn
