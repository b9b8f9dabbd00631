import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onlyResource, synthApp, type SynthesizedApp } from './support.ts';

let prod: SynthesizedApp;
let variant: SynthesizedApp;
beforeAll(() => {
  prod = synthApp();
  variant = synthApp({
    DEPLOY_PROFILE: 'trial',
    CPU_ARCHITECTURE: 'X86_64',
    IMAGE_TAG: 'v1.0.0',
    CERTIFICATE_ARN: 'arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012',
  });
});
afterAll(() => {
  prod?.cleanup();
  variant?.cleanup();
});

const service = () => prod.templates.service;
const taskDefinitionOf = (container: string) =>
  onlyResource(service(), 'AWS::ECS::TaskDefinition', { ContainerDefinitions: [Match.objectLike({ Name: container })] });
const containerOf = (container: string) => taskDefinitionOf(container).resource.Properties.ContainerDefinitions[0];
const envOf = (container: string) =>
  Object.fromEntries(containerOf(container).Environment.map((e: { Name: string; Value: unknown }) => [e.Name, e.Value]));
const secretNamesOf = (container: string) => containerOf(container).Secrets.map((s: { Name: string }) => s.Name).sort();
const serviceIdOf = (container: string) =>
  onlyResource(service(), 'AWS::ECS::Service', { LoadBalancers: [Match.objectLike({ ContainerName: container })] });

describe('load balancer', () => {
  it('is internet-facing and dual stack in the public subnets', () => {
    service().hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internet-facing',
      IpAddressType: 'dualstack',
      Subnets: Match.arrayWith([{ 'Fn::GetStackOutput': Match.objectLike({ OutputName: Match.stringLikeRegexp('publicSubnet1') }) }]),
    });
  });

  it('answers HTTP with a 301 to HTTPS', () => {
    service().hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } }],
    });
  });

  it('serves HTTPS:443 with the TLS 1.3/1.2 policy', () => {
    service().hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
    });
  });

  it('tags the HTTPS listener with the certificate domain, so a rename updates the listener', () => {
    service().hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Tags: Match.arrayWith([{ Key: 'slipway:certificate-domain', Value: 'tracker.example.com' }]),
    });
  });

  it('uses the certificate from the edge stack', () => {
    service().hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Certificates: [{ CertificateArn: { 'Fn::GetStackOutput': { StackName: 'slipway-edge', OutputName: 'CertificateArn' } } }],
    });
  });

  it('routes /api/* to the api target group', () => {
    service().hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      Priority: 10,
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/api', '/api/*'] } }],
      Actions: [{ Type: 'forward', TargetGroupArn: { Ref: Match.stringLikeRegexp('^ApiTargetGroup') } }],
    });
  });

  it('sends everything else to web', () => {
    service().hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      DefaultActions: [{ Type: 'forward', TargetGroupArn: { Ref: Match.stringLikeRegexp('^WebTargetGroup') } }],
    });
  });

  it('closes idle connections after 60 s: longer than the event-stream heartbeat, shorter than the app\'s keep-alive', () => {
    service().hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'idle_timeout.timeout_seconds', Value: '60' }]),
    });
  });

  it('drops invalid headers and writes access logs to the logs bucket', () => {
    service().hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' },
        { Key: 'access_logs.s3.enabled', Value: 'true' },
        { Key: 'access_logs.s3.bucket', Value: { 'Fn::GetStackOutput': Match.objectLike({ OutputName: Match.stringLikeRegexp('AccessLogsBucket') }) } },
      ]),
    });
  });

  it('has A and AAAA alias records for the domain', () => {
    for (const type of ['A', 'AAAA']) {
      service().hasResourceProperties('AWS::Route53::RecordSet', {
        Name: 'tracker.example.com.',
        Type: type,
        HostedZoneId: 'Z0123456789EXAMPLE',
        AliasTarget: Match.objectLike({ DNSName: Match.anyValue() }),
      });
    }
  });
});

describe('target groups', () => {
  it('check the api on its liveness path, so a database or Redis failover does not get every api task replaced', () => {
    service().resourcePropertiesCountIs('AWS::ElasticLoadBalancingV2::TargetGroup', { Port: 7016, HealthCheckPath: '/api/readyz' }, 0);
    service().resourcePropertiesCountIs('AWS::ElasticLoadBalancingV2::TargetGroup', { Port: 7016, HealthCheckPath: '/api/health' }, 2);
  });

  it('check the api often: short interval, 2 healthy checks', () => {
    service().hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 7016,
      HealthCheckIntervalSeconds: 10,
      HealthyThresholdCount: 2,
      TargetType: 'ip',
    });
  });

  it('check web on /health', () => {
    service().hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 7015,
      HealthCheckPath: '/health',
      HealthyThresholdCount: 2,
    });
  });

  it('keep a stopping task\'s requests and event streams for DEREGISTRATION_DELAY_SECONDS (30 s), before ECS sends SIGTERM', () => {
    service().hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 7016,
      TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: '30' }]),
    });
  });
});

describe('cluster', () => {
  it('has Container Insights', () => {
    service().hasResourceProperties('AWS::ECS::Cluster', {
      ClusterName: 'slipway',
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    });
  });

  it('logs ECS Exec sessions', () => {
    service().hasResourceProperties('AWS::ECS::Cluster', {
      Configuration: { ExecuteCommandConfiguration: Match.objectLike({ Logging: 'OVERRIDE' }) },
    });
  });
});

describe('services', () => {
  it.each(['api', 'web'])('%s runs in private subnets without public IPs', (name) => {
    const { resource } = serviceIdOf(name);
    expect(resource.Properties.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp).toBe('DISABLED');
    expect(JSON.stringify(resource.Properties.NetworkConfiguration.AwsvpcConfiguration.Subnets)).toContain('privateSubnet');
  });

  it.each(['api', 'web'])('%s rolls back with the circuit breaker and its 5xx deployment alarm', (name) => {
    expect(serviceIdOf(name).resource.Properties.DeploymentConfiguration).toMatchObject({
      Alarms: { AlarmNames: [`slipway-${name}-deployment-5xx`], Enable: true, Rollback: true },
      DeploymentCircuitBreaker: { Enable: true, Rollback: true },
      MaximumPercent: 200,
      MinimumHealthyPercent: 100,
    });
  });

  it.each(['api', 'web'])('the %s deployment alarm watches target 5xx', (name) => {
    service().hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `slipway-${name}-deployment-5xx`,
      Metrics: Match.arrayWith([
        Match.objectLike({ MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'HTTPCode_Target_5XX_Count' }), Stat: 'Sum', Period: 60 }) }),
      ]),
    });
  });

  it.each(['api', 'web'])('%s has ECS Exec enabled', (name) => {
    expect(serviceIdOf(name).resource.Properties.EnableExecuteCommand).toBe(true);
  });

  it.each(['api', 'web'])('%s leaves the task count to autoscaling', (name) => {
    expect(serviceIdOf(name).resource.Properties.DesiredCount).toBeUndefined();
  });

  it('scales between the configured bounds', () => {
    service().hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 2,
      MaxCapacity: 6,
      ResourceId: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([{ 'Fn::GetAtt': [Match.stringLikeRegexp('^ApiService'), 'Name'] }])]) }),
    });
    variant.templates.service.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 1, MaxCapacity: 2 });
  });

  it('scales on CPU', () => {
    service().resourcePropertiesCountIs('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({ PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' } }),
    }, 2);
  });

  it('has no requests-per-target policy per target group (the idle group publishes nothing and would block scale-in)', () => {
    service().resourcePropertiesCountIs('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({ PredefinedMetricSpecification: Match.objectLike({ PredefinedMetricType: 'ALBRequestCountPerTarget' }) }),
    }, 0);
  });

  it.each([
    ['api', 'Api'],
    ['web', 'Web'],
  ])('scales %s on the requests of both its target groups per running task, in one policy', (name, prefix) => {
    const { resource } = onlyResource(service(), 'AWS::ApplicationAutoScaling::ScalingPolicy', {
      ScalingTargetId: { Ref: Match.stringLikeRegexp(`^${prefix}ServiceTaskCountTarget`) },
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({ CustomizedMetricSpecification: Match.anyValue() }),
    });
    const config = resource.Properties.TargetTrackingScalingPolicyConfiguration;
    expect(config.TargetValue).toBe(1000);
    const metrics = config.CustomizedMetricSpecification.Metrics;
    expect(metrics.filter((m: any) => m.ReturnData !== false)).toEqual([expect.objectContaining({ Expression: '(FILL(tg1, 0) + FILL(tg2, 0)) / tasks' })]);
    const requestGroups = metrics
      .filter((m: any) => m.MetricStat?.Metric.MetricName === 'RequestCount' && m.MetricStat.Stat === 'Sum')
      .map((m: any) => m.MetricStat.Metric.Dimensions.find((d: any) => d.Name === 'TargetGroup').Value['Fn::GetAtt'][0]);
    expect(requestGroups).toEqual([expect.stringMatching(`^${prefix}TargetGroup`), expect.stringMatching(`^${prefix}BlueGreenAlternateTargetGroup`)]);
    expect(metrics.find((m: any) => m.Id === 'tasks').MetricStat.Metric).toMatchObject({
      Namespace: 'ECS/ContainerInsights',
      MetricName: 'RunningTaskCount',
      Dimensions: expect.arrayContaining([{ Name: 'ServiceName', Value: { 'Fn::GetAtt': [serviceIdOf(name).id, 'Name'] } }]),
    });
  });

  it('publishes the api through Service Connect and points web at it', () => {
    expect(serviceIdOf('api').resource.Properties.ServiceConnectConfiguration).toMatchObject({
      Enabled: true,
      Services: [{ PortName: 'api', ClientAliases: [{ DnsName: 'api', Port: 7016 }] }],
    });
    expect(serviceIdOf('web').resource.Properties.ServiceConnectConfiguration).toMatchObject({ Enabled: true });
    expect(envOf('web').WEB_API_UPSTREAM_URL).toBe('http://api:7016');
  });

  it('starts web after the api so Service Connect can resolve it', () => {
    expect(serviceIdOf('web').resource.DependsOn).toContain(serviceIdOf('api').id);
  });
});

describe('task definitions', () => {
  it.each([
    ['api', ['api']],
    ['web', ['web']],
    ['migrate', ['migrate', 'up']],
  ])('%s runs the one image with command %j', (name, command) => {
    expect(containerOf(name).Command).toEqual(command);
    expect(containerOf(name).Image).toEqual(containerOf('api').Image);
    expect(JSON.stringify(containerOf(name).Image)).toMatch(/RegistryRepository.*,":",\{"Ref":"ImageTag"\}\]\]\}$/);
  });

  it('are ARM64 by default', () => {
    service().resourcePropertiesCountIs('AWS::ECS::TaskDefinition', { RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' } }, 3);
  });

  it('follow CPU_ARCHITECTURE', () => {
    variant.templates.service.resourcePropertiesCountIs('AWS::ECS::TaskDefinition', { RuntimePlatform: Match.objectLike({ CpuArchitecture: 'X86_64' }) }, 3);
  });

  it('size tasks from the config', () => {
    expect(taskDefinitionOf('api').resource.Properties).toMatchObject({ Cpu: '512', Memory: '1024' });
    expect(taskDefinitionOf('web').resource.Properties).toMatchObject({ Cpu: '256', Memory: '512' });
  });

  it('stop containers later than the shutdown hold plus drain', () => {
    const { shutdown } = prod.config;
    expect(containerOf('api').StopTimeout).toBe(shutdown.stopTimeoutSeconds);
    expect(containerOf('api').StopTimeout).toBeGreaterThan(shutdown.holdSeconds + shutdown.drainSeconds);
  });

  it('give the api its production settings', () => {
    expect(envOf('api')).toMatchObject({
      SLIPWAY_ENV: 'production',
      SLIPWAY_RELEASE: { Ref: 'ImageTag' },
      APP_URL: 'https://tracker.example.com',
      DB_SSL: 'verify-full',
      DB_SSL_CA_FILE: '/app/certs/rds-ca-bundle.pem',
      REDIS_TLS: 'true',
      REDIS_PORT: '6379',
      AWS_REGION: 'eu-west-1',
      SENDER_EMAIL: 'no-reply@tracker.example.com',
      SLIPWAY_SHUTDOWN_HOLD_SECONDS: '5',
      SLIPWAY_SHUTDOWN_DRAIN_SECONDS: '10',
    });
    expect(envOf('api').TRUSTED_PROXY_CIDRS).toEqual({ 'Fn::GetStackOutput': expect.objectContaining({ OutputName: expect.stringMatching(/CidrBlock/) }) });
    expect(envOf('api').REDIS_HOST).toEqual({ 'Fn::GetStackOutput': expect.objectContaining({ OutputName: expect.stringMatching(/PrimaryEndPointAddress/) }) });
    expect(envOf('api').S3_BUCKET).toEqual({ 'Fn::GetStackOutput': expect.objectContaining({ OutputName: expect.stringMatching(/AttachmentsBucket/) }) });
  });

  it('inject every api secret by reference, never as environment', () => {
    expect(secretNamesOf('api')).toEqual(
      ['CREDENTIALS_ENCRYPTION_KEY', 'DB_HOST', 'DB_NAME', 'DB_PASSWORD', 'DB_PORT', 'DB_USER', 'METRICS_TOKEN', 'REDIS_AUTH_TOKEN', 'SESSION_SECRET'].sort(),
    );
    const env = envOf('api');
    for (const name of ['DB_PASSWORD', 'REDIS_AUTH_TOKEN', 'SESSION_SECRET', 'METRICS_TOKEN', 'CREDENTIALS_ENCRYPTION_KEY']) {
      expect(env[name]).toBeUndefined();
    }
  });

  it('read DB fields from the RDS secret JSON keys', () => {
    const valueFrom = Object.fromEntries(containerOf('api').Secrets.map((s: { Name: string; ValueFrom: unknown }) => [s.Name, JSON.stringify(s.ValueFrom)]));
    expect(valueFrom.DB_HOST).toContain(':host::');
    expect(valueFrom.DB_PORT).toContain(':port::');
    expect(valueFrom.DB_USER).toContain(':username::');
    expect(valueFrom.DB_PASSWORD).toContain(':password::');
    expect(valueFrom.DB_NAME).toContain(':dbname::');
  });

  it('give migrate only the database secrets (the owner\'s login, and the name of the api login) and its timeout', () => {
    expect(secretNamesOf('migrate')).toEqual(['DB_APP_USER', 'DB_HOST', 'DB_NAME', 'DB_PASSWORD', 'DB_PORT', 'DB_USER']);
    expect(envOf('migrate')).toMatchObject({ DB_SSL: 'verify-full', DB_SSL_CA_FILE: '/app/certs/rds-ca-bundle.pem', MIGRATE_CONNECT_TIMEOUT_SECONDS: '60' });
    expect(taskDefinitionOf('migrate').resource.Properties.Family).toBe('slipway-migrate');
  });

  it('give web no secrets', () => {
    expect(containerOf('web').Secrets).toBeUndefined();
  });

  it('log to groups with the configured retention', () => {
    expect(containerOf('api').LogConfiguration).toMatchObject({ LogDriver: 'awslogs', Options: { 'awslogs-stream-prefix': 'api' } });
    service().hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });
});

describe('release parameter', () => {
  it('carries the image tag as the ImageTag CloudFormation parameter', () => {
    service().hasParameter('ImageTag', { Type: 'String', AllowedPattern: Match.anyValue() });
  });

  it('has no default unless IMAGE_TAG is set, so a first deploy must name a release', () => {
    expect(service().toJSON().Parameters.ImageTag.Default).toBeUndefined();
    variant.templates.service.hasParameter('ImageTag', { Default: 'v1.0.0' });
  });

  it('has a RolloutId parameter that reaches api and web, to roll tasks without a new image', () => {
    service().hasParameter('RolloutId', { Type: 'String', Default: '0' });
    expect(envOf('api').SLIPWAY_ROLLOUT_ID).toEqual({ Ref: 'RolloutId' });
    expect(envOf('web').SLIPWAY_ROLLOUT_ID).toEqual({ Ref: 'RolloutId' });
    expect(envOf('migrate').SLIPWAY_ROLLOUT_ID).toBeUndefined();
  });

  it('reports the running release as an output', () => {
    service().hasOutput('RunningImageTag', { Value: { Ref: 'ImageTag' } });
  });
});

describe('migrate before roll', () => {
  const migration = () => onlyResource(service(), 'Custom::SlipwayMigrateBeforeRoll');

  it('runs the migrate task definition of the new release', () => {
    expect(migration().resource.Properties).toMatchObject({
      ImageTag: { Ref: 'ImageTag' },
      TaskDefinition: { Ref: taskDefinitionOf('migrate').id },
      ContainerName: 'migrate',
    });
  });

  it('runs again when the PostgreSQL major version changes, the release unchanged', () => {
    expect(migration().resource.Properties.DatabaseEngineVersion).toBe(prod.config.database.engineVersion);
    const on16 = synthApp({ DB_ENGINE_VERSION: '16' });
    try {
      const properties = onlyResource(on16.templates.service, 'Custom::SlipwayMigrateBeforeRoll').resource.Properties;
      expect(properties).toMatchObject({ DatabaseEngineVersion: '16', ImageTag: { Ref: 'ImageTag' } });
    } finally {
      on16.cleanup();
    }
  });

  it('starts only after one-off tasks may reach the database', () => {
    expect(migration().resource.DependsOn).toContain('TasksToDatabase');
  });

  it('gates both services', () => {
    expect(serviceIdOf('api').resource.DependsOn).toContain(migration().id);
    expect(serviceIdOf('web').resource.DependsOn).toContain(migration().id);
  });

  it('waits with isComplete up to the configured timeout', () => {
    service().hasResourceProperties('AWS::StepFunctions::StateMachine', {
      DefinitionString: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([Match.stringLikeRegexp('"MaxAttempts":90')])]) }),
    });
  });

  it('uses inline handler code (no bundling during synth)', () => {
    service().resourcePropertiesCountIs('AWS::Lambda::Function', { Code: { ZipFile: Match.stringLikeRegexp('@aws-sdk/client-ecs') } }, 2);
  });

  it('may run only the migrate family in this cluster', () => {
    service().hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: 'ecs:RunTask',
            Effect: 'Allow',
            Condition: { ArnEquals: { 'ecs:cluster': { 'Fn::GetAtt': [Match.stringLikeRegexp('^Cluster'), 'Arn'] } } },
            Resource: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/slipway-migrate:*',
          },
        ]),
      },
    });
  });

  it('may pass only the migrate roles, only to ECS tasks', () => {
    service().hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: 'iam:PassRole',
            Effect: 'Allow',
            Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
            Resource: [
              { 'Fn::GetAtt': [Match.stringLikeRegexp('^MigrateTaskDefinitionExecutionRole'), 'Arn'] },
              { 'Fn::GetAtt': [Match.stringLikeRegexp('^MigrateTaskDefinitionTaskRole'), 'Arn'] },
            ],
          },
        ]),
      },
    });
  });

  it('may describe and stop only tasks of this cluster', () => {
    service().hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['ecs:DescribeTasks', 'ecs:StopTask'],
            Resource: { 'Fn::Join': ['', Match.arrayWith([{ Ref: Match.stringLikeRegexp('^Cluster') }, '/*'])] },
          }),
        ]),
      },
    });
  });

  it('uses no managed policies for its handlers', () => {
    const roles = service().findResources('AWS::IAM::Role', { Properties: { AssumeRolePolicyDocument: Match.objectLike({ Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })] }) } });
    expect(Object.keys(roles).length).toBeGreaterThan(0);
    for (const role of Object.values(roles)) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });
});

describe('least privilege', () => {
  const apiTaskPolicy = () =>
    onlyResource(service(), 'AWS::IAM::Policy', { Roles: [{ Ref: Match.stringLikeRegexp('^ApiTaskDefinitionTaskRole') }] }).resource.Properties.PolicyDocument.Statement;

  it('lets the api task role read and write only attachments-bucket objects', () => {
    const s3 = apiTaskPolicy().filter((s: { Action: string | string[] }) => JSON.stringify(s.Action).includes('s3:'));
    expect(s3).toEqual([
      expect.objectContaining({
        Action: ['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:PutObject'],
        Resource: 'arn:aws:s3:::slipway-attachments-123456789012-eu-west-1/*',
      }),
      expect.objectContaining({
        Action: 's3:ListBucket',
        Resource: 'arn:aws:s3:::slipway-attachments-123456789012-eu-west-1',
      }),
    ]);
  });

  it('lets the api send only from the sender address, via the SES identity and (sandbox) verified recipient identities', () => {
    const ses = apiTaskPolicy().filter((s: { Action: string | string[] }) => JSON.stringify(s.Action).includes('ses:'));
    expect(ses).toEqual([
      expect.objectContaining({
        Action: ['ses:SendEmail', 'ses:SendRawEmail'],
        Condition: { StringEquals: { 'ses:FromAddress': 'no-reply@tracker.example.com' } },
        Resource: [
          'arn:aws:ses:eu-west-1:123456789012:identity/*@*',
          'arn:aws:ses:eu-west-1:123456789012:identity/tracker.example.com',
        ],
      }),
    ]);
  });

  it('gives the web task role no S3 or SES access', () => {
    const { resource } = onlyResource(service(), 'AWS::IAM::Policy', { Roles: [{ Ref: Match.stringLikeRegexp('^WebTaskDefinitionTaskRole') }] });
    expect(JSON.stringify(resource.Properties.PolicyDocument)).not.toMatch(/s3:|ses:/);
  });

  it('lets the api read only its own secrets', () => {
    const { resource } = onlyResource(service(), 'AWS::IAM::Policy', { Roles: [{ Ref: Match.stringLikeRegexp('^ApiTaskDefinitionExecutionRole') }] });
    const secretResources = resource.Properties.PolicyDocument.Statement.filter((s: { Action: string[] }) => JSON.stringify(s.Action).includes('secretsmanager:'))
      .flatMap((s: { Resource: unknown }) => [s.Resource].flat().map((r) => JSON.stringify(r)));
    expect(secretResources).toHaveLength(5);
    expect(secretResources.every((r: string) => r.includes('"StackName":"slipway-data"') && !r.includes('*'))).toBe(true);
  });
  // Which secret each task signs in with, and reads: database-logins.test.ts.
});

describe('security groups', () => {
  it('let only the load balancer reach the api and web ports', () => {
    for (const [sg, port] of [['ApiSecurityGroup', 7016], ['WebSecurityGroup', 7015]] as const) {
      service().hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
        GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp(`^${sg}`), 'GroupId'] },
        SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EdgeSecurityGroup'), 'GroupId'] },
        FromPort: port,
      });
    }
    expect(JSON.stringify(service().findResources('AWS::EC2::SecurityGroupIngress'))).not.toContain('0.0.0.0/0');
  });

  it('let the load balancer send only to the api and web task ports (no allow-all egress)', () => {
    const edge = onlyResource(service(), 'AWS::EC2::SecurityGroup', { GroupDescription: Match.stringLikeRegexp('^Public load balancer') });
    expect(edge.resource.Properties.SecurityGroupEgress).toEqual([
      { CidrIp: '255.255.255.255/32', Description: 'Disallow all traffic', IpProtocol: 'icmp', FromPort: 252, ToPort: 86 },
    ]);
    const egress = Object.values(service().findResources('AWS::EC2::SecurityGroupEgress', { Properties: { GroupId: { 'Fn::GetAtt': [edge.id, 'GroupId'] } } }));
    expect(egress.map((r) => [r.Properties.DestinationSecurityGroupId['Fn::GetAtt'][0].replace(/[0-9A-F]{8}$/, ''), r.Properties.IpProtocol, r.Properties.FromPort, r.Properties.ToPort]).sort()).toEqual([
      ['ApiSecurityGroup', 'tcp', 7016, 7016],
      ['WebSecurityGroup', 'tcp', 7015, 7015],
    ]);
  });

  it('let only the api and one-off tasks reach PostgreSQL', () => {
    const rules = Object.values(service().findResources('AWS::EC2::SecurityGroupIngress', {
      Properties: { GroupId: { 'Fn::GetStackOutput': Match.objectLike({ OutputName: Match.stringLikeRegexp('DatabaseSecurityGroup') }) } },
    }));
    expect(rules.map((r) => r.Properties.SourceSecurityGroupId['Fn::GetAtt'][0]).sort()).toEqual([
      expect.stringMatching(/^ApiSecurityGroup/),
      expect.stringMatching(/^MigrateSecurityGroup/),
    ]);
    expect(rules.every((r) => r.Properties.FromPort === 5432)).toBe(true);
  });

  it('let only the api reach Redis', () => {
    const rules = Object.values(service().findResources('AWS::EC2::SecurityGroupIngress', {
      Properties: { GroupId: { 'Fn::GetStackOutput': Match.objectLike({ OutputName: Match.stringLikeRegexp('RedisSecurityGroup') }) } },
    }));
    expect(rules).toHaveLength(1);
    expect(rules[0].Properties).toMatchObject({ FromPort: 6379, SourceSecurityGroupId: { 'Fn::GetAtt': [expect.stringMatching(/^ApiSecurityGroup/), 'GroupId'] } });
  });

  it('let web reach the api for Service Connect', () => {
    service().hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ApiSecurityGroup'), 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WebSecurityGroup'), 'GroupId'] },
      FromPort: 7016,
    });
  });
});

describe('imported certificate', () => {
  it('is used as given, and no certificate is created', () => {
    variant.templates.edge.resourceCountIs('AWS::CertificateManager::Certificate', 0);
    variant.templates.edge.hasOutput('CertificateArn', { Value: 'arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012' });
    variant.templates.service.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Certificates: [{ CertificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012' }],
    });
  });
});
