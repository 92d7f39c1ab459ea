"""One pipeline on AWS Step Functions: state machine(s), role, logs, schedule, alarms, Glue jobs, connections.

Thin by design: everything it deploys was decided by the compiler
(`pipespec.targets.stepfunctions.compile`); this component substitutes the `${...}`
placeholders with values only known at deploy time and feeds the documents to pulumi-aws.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from pipespec.notify_plan import alarm_description, bounded
from pipespec.targets.stepfunctions.compile import PLACEHOLDER, CompiledPipeline, Machine

TYPE = "pipespec:aws:StepFunctionsPipeline"
CONFIG_NAMESPACE = "pipespec"


class StepFunctionsDeployError(ValueError):
    """The compiled pipeline cannot deploy as is (a stack setting is missing)."""


def substitute(text: str, values: Mapping[str, str]) -> str:
    """Replace every `${Name}` / `${Name:arg}`; an unknown one is an error, never left in place."""

    def one(match: re.Match[str]) -> str:
        key = match.group(0)[2:-1]
        if key not in values:
            raise StepFunctionsDeployError(f"no value for placeholder ${{{key}}}")
        return values[key]

    return PLACEHOLDER.sub(one, text)


def _arn_parts(arn: str) -> list[str]:
    parts = arn.split(":")
    if len(parts) < 6 or parts[0] != "arn" or not all(parts[1:5]):
        raise StepFunctionsDeployError(f"alert_topic_arn {arn!r} is not an SNS topic ARN")
    return [parts[1], parts[3], parts[4]]


class StepFunctionsPipelineArgs:
    def __init__(
        self,
        compiled: CompiledPipeline,
        alert_topic_arn: pulumi.Input[str],
        state_machine_arns: Mapping[str, pulumi.Input[str]] | None = None,
    ) -> None:
        """`state_machine_arns`: ARNs of other pipelines' machines by deployed name (default: same account)."""
        self.compiled = compiled
        self.alert_topic_arn = alert_topic_arn
        self.state_machine_arns = dict(state_machine_arns or {})


def _assume(service: str, account: pulumi.Input[str], source_arns: Sequence[pulumi.Input[str]]) -> pulumi.Output[str]:
    """Trust policy for one service, limited to this account's resources (confused-deputy guard)."""
    return pulumi.Output.all(account, *source_arns).apply(
        lambda v: json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": service},
                        "Action": "sts:AssumeRole",
                        "Condition": {
                            "StringEquals": {"aws:SourceAccount": v[0]},
                            "ArnLike": {"aws:SourceArn": sorted(v[1:])},
                        },
                    }
                ],
            },
            sort_keys=True,
        )
    )


class StepFunctionsPipeline(pulumi.ComponentResource):
    state_machine_arn: pulumi.Output[str]
    role_arn: pulumi.Output[str]
    alarm_arns: pulumi.Output[dict[str, str]]  # by alarm key: failed, timed-out, stale
    publisher_alarm_arns: list[pulumi.Output[str]]  # for AwsAlerting.allow_publishers

    def __init__(self, name: str, args: StepFunctionsPipelineArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        c = args.compiled
        if c.missing_stack and not c.stub:
            settings = ", ".join(f"{CONFIG_NAMESPACE}:stepfunctions.{s}" for s in c.missing_stack)
            raise StepFunctionsDeployError(
                f"pipeline {c.pipeline!r} needs stack settings that are not set: {settings} "
                "(pulumi config set --path <key> <value>)"
            )
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(c.tags)
        # Partition, region and account are the alert topic's: the alerting component creates it
        # with the same provider, and reading them from its ARN needs no API call at preview.
        topic_arn = pulumi.Output.from_input(args.alert_topic_arn).apply(_arn_parts)
        partition, region, account = topic_arn[0], topic_arn[1], topic_arn[2]

        def machine_arn(machine: str) -> pulumi.Output[str]:
            return pulumi.Output.concat("arn:", partition, ":states:", region, ":", account, ":stateMachine:", machine)

        own = [m.name for m in c.machines]
        arns: dict[str, pulumi.Input[str]] = {m: machine_arn(m) for m in own}
        for machine in c.pipelines.values():
            arns[machine] = args.state_machine_arns.get(machine, machine_arn(machine))

        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/vendedlogs/states/{c.name}",  # the vendedlogs prefix keeps the logs resource policy small
            retention_in_days=c.stack.log_retention_days,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, protect=c.env.protect),
        )
        role = aws.iam.Role(
            f"{name}-role",
            name=bounded(f"{c.name}-sfn", 64),
            assume_role_policy=_assume("states.amazonaws.com", account, [machine_arn(m) for m in own]),
            description=f"Runs the Step Functions state machines of pipeline {c.pipeline}",
            tags=tags,
            opts=child,
        )

        connections: dict[str, aws.cloudwatch.EventConnection] = {}
        config = pulumi.Config(CONFIG_NAMESPACE)
        for plan in c.connections:
            if plan.token_secret:
                key, value = "Authorization", pulumi.Output.concat("Bearer ", config.require_secret(plan.token_secret))
            else:  # the HTTP task always needs a connection; this one carries no credential
                key, value = "X-Pipespec-Pipeline", pulumi.Output.from_input(c.name)
            connections[plan.task] = aws.cloudwatch.EventConnection(
                f"{name}-connection-{plan.task}",
                name=plan.name,
                description=f"{c.pipeline}.{plan.task} (HTTP task)",
                authorization_type="API_KEY",
                auth_parameters=aws.cloudwatch.EventConnectionAuthParametersArgs(
                    api_key=aws.cloudwatch.EventConnectionAuthParametersApiKeyArgs(key=key, value=value)
                ),
                opts=child,
            )
        for job in c.glue_jobs:
            aws.glue.Job(
                f"{name}-glue-{job.task}",
                name=job.name,
                role_arn=c.stack.glue_role_arn or "",
                command=aws.glue.JobCommandArgs(name="glueetl", script_location=job.script, python_version="3"),
                glue_version=job.settings.glue_version,
                worker_type=job.settings.worker_type,
                number_of_workers=job.settings.number_of_workers,
                execution_property=aws.glue.JobExecutionPropertyArgs(
                    max_concurrent_runs=job.settings.max_concurrent_runs
                ),
                max_retries=0,  # Step Functions retries per the spec
                default_arguments={"--job-language": "python", **dict(sorted(job.settings.extra_arguments.items()))},
                tags=tags,
                opts=child,
            )

        # Everything the placeholders stand for, resolved together.
        keys: list[str] = ["AlertTopicArn", "Partition", "Region", "Account"]
        inputs: list[pulumi.Input[str]] = [args.alert_topic_arn, partition, region, account]
        for machine, arn in sorted(arns.items()):
            keys.append(f"StateMachineArn:{machine}")
            inputs.append(arn)
        for task, conn in sorted(connections.items()):
            keys += [f"ConnectionArn:{task}", f"ConnectionSecretArn:{task}"]
            inputs += [conn.arn, conn.secret_arn]
        values = pulumi.Output.all(*inputs).apply(lambda vs: dict(zip(keys, vs, strict=True)))

        policy = aws.iam.RolePolicy(
            f"{name}-policy",
            name="pipespec-state-machine",
            role=role.id,
            policy=values.apply(lambda v: substitute(json.dumps(c.policy, sort_keys=True), v)),
            opts=child,
        )
        machines: dict[str, aws.sfn.StateMachine] = {}
        for spec in c.machines:
            machines[spec.name] = self._machine(name, spec, values, role, log_group, policy, c, tags)

        main = machines[c.name]
        alarm_arns = self._alarms(name, c, main, args.alert_topic_arn, tags)
        if c.schedule is not None:
            schedule_arn = pulumi.Output.concat(
                "arn:", partition, ":scheduler:", region, ":", account, f":schedule/{c.schedule.group}/{c.name}"
            )
            self._schedule(name, c, main, account, schedule_arn, tags)

        self.state_machine_arn = main.arn
        self.role_arn = role.arn
        self.alarm_arns = pulumi.Output.all(**{k: a.arn for k, a in alarm_arns.items()})
        self.publisher_alarm_arns = [alarm_arns[k].arn for k in sorted(alarm_arns)]
        self.register_outputs(
            {
                "state_machine_arn": main.arn,
                "state_machine_name": main.name,
                "nested_state_machine_arns": [machines[m].arn for m in own[1:]],
                "role_arn": role.arn,
                "log_group_arn": log_group.arn,
                "alarm_arns": self.alarm_arns,
            }
        )

    def _machine(
        self,
        name: str,
        machine: Machine,
        values: pulumi.Output[dict[str, str]],
        role: aws.iam.Role,
        log_group: aws.cloudwatch.LogGroup,
        policy: aws.iam.RolePolicy,
        c: CompiledPipeline,
        tags: dict[str, str],
    ) -> aws.sfn.StateMachine:
        # The main machine keeps the component's name; nested ones are named after their tasks.
        logical = f"{name}-machine" if machine.name == c.name else f"{name}-nested-{machine.name}"
        text = machine.text
        return aws.sfn.StateMachine(
            logical,
            name=machine.name,
            type="STANDARD",
            role_arn=role.arn,
            definition=values.apply(lambda v: substitute(text, v)),
            logging_configuration=aws.sfn.StateMachineLoggingConfigurationArgs(
                log_destination=log_group.arn.apply(lambda arn: f"{arn}:*"),
                include_execution_data=c.stack.log_execution_data,
                level=c.stack.log_level,
            ),
            tracing_configuration=aws.sfn.StateMachineTracingConfigurationArgs(enabled=c.stack.tracing),
            tags=tags,
            # Creation checks the role may deliver logs: the policy must exist first.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )

    def _alarms(
        self,
        name: str,
        c: CompiledPipeline,
        main: aws.sfn.StateMachine,
        topic: pulumi.Input[str],
        tags: dict[str, str],
    ) -> dict[str, aws.cloudwatch.MetricAlarm]:
        period = c.stack.alarm_period_s
        # key -> (alert event, metric, comparison, threshold, period, evaluation periods, missing data)
        specs: dict[str, tuple[str, str, str, int, int, int, str]] = {
            "failed": ("failure", "ExecutionsFailed", "GreaterThanThreshold", 0, period, 1, "notBreaching"),
            "timed-out": ("timeout", "ExecutionsTimedOut", "GreaterThanThreshold", 0, period, 1, "notBreaching"),
        }
        if c.stale_alarm is not None:
            # No successful run in the whole window; no data at all (no run) counts as stale too.
            stale = c.stale_alarm
            specs["stale"] = (
                "sla_miss",
                "ExecutionsSucceeded",
                "LessThanThreshold",
                1,
                stale.period_s,
                stale.evaluation_periods,
                "breaching",
            )
        out: dict[str, aws.cloudwatch.MetricAlarm] = {}
        for key, (event, metric, comparison, threshold, seconds, periods, missing) in specs.items():
            message = {
                "event": event,
                "pipeline": c.name,
                "environment": c.env.name,
                "platform": "stepfunctions",
                "error": f"{metric} alarm",
            }
            out[key] = aws.cloudwatch.MetricAlarm(
                f"{name}-alarm-{key}",
                name=bounded(f"{c.name}-{key}", 255),
                alarm_description=alarm_description(message),
                namespace="AWS/States",
                metric_name=metric,
                dimensions={"StateMachineArn": main.arn},
                statistic="Sum",
                comparison_operator=comparison,
                threshold=threshold,
                period=seconds,
                evaluation_periods=periods,
                datapoints_to_alarm=periods,
                treat_missing_data=missing,
                alarm_actions=[topic],
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self),
            )
        return out

    def _schedule(
        self,
        name: str,
        c: CompiledPipeline,
        main: aws.sfn.StateMachine,
        account: pulumi.Output[str],
        schedule_arn: pulumi.Output[str],
        tags: dict[str, str],
    ) -> None:
        spec = c.schedule
        assert spec is not None
        role = aws.iam.Role(
            f"{name}-scheduler-role",
            name=bounded(f"{c.name}-scheduler", 64),
            assume_role_policy=_assume(
                "scheduler.amazonaws.com",
                account,
                [schedule_arn],
            ),
            description=f"Starts the state machine of pipeline {c.pipeline} on its schedule",
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.iam.RolePolicy(
            f"{name}-scheduler-policy",
            name="start-execution",
            role=role.id,
            policy=main.arn.apply(
                lambda arn: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {"Effect": "Allow", "Action": ["states:StartExecution"], "Resource": [arn]},
                        ],
                    },
                    sort_keys=True,
                )
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.scheduler.Schedule(
            f"{name}-schedule",
            name=c.name,
            group_name=spec.group,
            description=f"pipespec schedule of {c.pipeline}",
            schedule_expression=spec.expression,
            schedule_expression_timezone=spec.timezone,
            state="ENABLED" if spec.enabled else "DISABLED",
            flexible_time_window=aws.scheduler.ScheduleFlexibleTimeWindowArgs(mode="OFF"),
            target=aws.scheduler.ScheduleTargetArgs(arn=main.arn, role_arn=role.arn, input="{}"),
            opts=pulumi.ResourceOptions(parent=self),
        )
