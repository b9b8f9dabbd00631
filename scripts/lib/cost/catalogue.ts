/**
 * Every resource type the estimator knows: priced by one pricer, or free with the reason. A type
 * in neither list is reported as unpriced, and cost-coverage.test.ts fails for any type the kit
 * creates that is missing here.
 */
import type { Pricer } from './model.ts';
import { containerInsightsPricer, fargatePricer } from './pricers-compute.ts';
import { bucketPricer, cachePricer, databasePricer, kmsPricer, repositoryPricer, secretsPricer } from './pricers-data.ts';
import { loadBalancerPricer, natPricer, publicIpv4Pricer, vpcEndpointPricer } from './pricers-network.ts';
import { alarmPricer, dashboardPricer, firewallPricer, logPricer, mailPricer } from './pricers-observability.ts';

export const PRICERS: readonly Pricer[] = [
  natPricer,
  publicIpv4Pricer,
  loadBalancerPricer,
  vpcEndpointPricer,
  fargatePricer,
  containerInsightsPricer,
  databasePricer,
  cachePricer,
  secretsPricer,
  kmsPricer,
  firewallPricer,
  alarmPricer,
  dashboardPricer,
  logPricer,
  bucketPricer,
  repositoryPricer,
  mailPricer,
];

const NETWORK_PLUMBING = 'VPC plumbing has no charge; traffic is priced on the NAT gateway, endpoint and load balancer lines';
const IAM = 'IAM has no charge';
const DEPLOY_LAMBDA = 'runs a few times per deploy or rotation: a few hundred requests a month, inside the Lambda and Step Functions free tiers';
const IN_LCU = 'no charge of its own: its work is billed in the load balancer capacity units';
const WAF_PART = 'no charge of its own: billed as part of the web ACL (a referenced rule group counts as one of its rules)';

export const FREE_TYPES: Readonly<Record<string, string>> = {
  'AWS::CDK::Metadata': 'CDK bookkeeping, not a resource',
  'AWS::EC2::VPC': NETWORK_PLUMBING,
  'AWS::EC2::VPCCidrBlock': NETWORK_PLUMBING,
  'AWS::EC2::Subnet': NETWORK_PLUMBING,
  'AWS::EC2::RouteTable': NETWORK_PLUMBING,
  'AWS::EC2::SubnetRouteTableAssociation': NETWORK_PLUMBING,
  'AWS::EC2::Route': NETWORK_PLUMBING,
  'AWS::EC2::InternetGateway': NETWORK_PLUMBING,
  'AWS::EC2::VPCGatewayAttachment': NETWORK_PLUMBING,
  'AWS::EC2::EgressOnlyInternetGateway': NETWORK_PLUMBING,
  'AWS::EC2::NetworkAcl': NETWORK_PLUMBING,
  'AWS::EC2::NetworkAclEntry': NETWORK_PLUMBING,
  'AWS::EC2::SubnetNetworkAclAssociation': NETWORK_PLUMBING,
  'AWS::EC2::SecurityGroup': 'security groups have no charge',
  'AWS::EC2::SecurityGroupIngress': 'security group rules have no charge',
  'AWS::EC2::SecurityGroupEgress': 'security group rules have no charge',
  'AWS::EC2::FlowLog': 'no charge of its own: delivery is priced as ingestion of its log group',
  'AWS::IAM::Role': IAM,
  'AWS::IAM::Policy': IAM,
  'AWS::IAM::ManagedPolicy': IAM,
  'AWS::IAM::InstanceProfile': IAM,
  'AWS::IAM::ServiceLinkedRole': IAM,
  'AWS::S3::BucketPolicy': 'bucket policies have no charge (storage is on the S3 line)',
  'AWS::RDS::DBSubnetGroup': 'configuration of the database, no charge of its own',
  'AWS::RDS::DBParameterGroup': 'configuration of the database, no charge of its own',
  'AWS::RDS::DBClusterParameterGroup': 'configuration of the database, no charge of its own',
  'AWS::RDS::OptionGroup': 'configuration of the database, no charge of its own',
  'AWS::ElastiCache::SubnetGroup': 'configuration of the cache, no charge of its own',
  'AWS::ElastiCache::ParameterGroup': 'configuration of the cache, no charge of its own',
  'AWS::SecretsManager::SecretTargetAttachment': 'links a secret to the database; the secret is priced on the secrets line',
  'AWS::SecretsManager::RotationSchedule': 'the rotation Lambda runs once every 30 days: inside the Lambda free tier',
  'AWS::SecretsManager::ResourcePolicy': 'secret policies have no charge',
  'AWS::Serverless::Application': 'the rotation function from the Serverless Application Repository: the application has no charge and its Lambda runs once a rotation',
  'AWS::CertificateManager::Certificate': 'public ACM certificates have no charge',
  'AWS::SES::ConfigurationSet': 'no charge of its own; mail sent is on the SES line',
  'AWS::Route53::RecordSet': 'records have no charge; the hosted zone is yours (not created by the kit) and alias queries to the load balancer are free',
  'AWS::Route53::RecordSetGroup': 'records have no charge; the hosted zone is yours (not created by the kit)',
  'AWS::SNS::Topic': 'a few alarm notifications a month: inside the SNS free tier (first 1,000 email notifications)',
  'AWS::SNS::TopicPolicy': 'topic policies have no charge',
  'AWS::SNS::Subscription': 'subscriptions have no charge; delivery is inside the SNS free tier',
  'AWS::KMS::Alias': 'aliases have no charge (the key is on the KMS line)',
  'AWS::ServiceDiscovery::HttpNamespace': 'the Service Connect namespace has no charge of its own; Cloud Map charges for instances Service Connect registers were not found in the price references and are not counted',
  'AWS::ApplicationAutoScaling::ScalableTarget': 'scaling bounds, no charge (its minimum sets the Fargate task count)',
  'AWS::ApplicationAutoScaling::ScalingPolicy': 'scaling policies have no charge',
  'AWS::ElasticLoadBalancingV2::Listener': IN_LCU,
  'AWS::ElasticLoadBalancingV2::ListenerRule': IN_LCU,
  'AWS::ElasticLoadBalancingV2::TargetGroup': IN_LCU,
  'AWS::ElasticLoadBalancingV2::ListenerCertificate': IN_LCU,
  'AWS::Lambda::Function': DEPLOY_LAMBDA,
  'AWS::Lambda::Permission': 'permissions have no charge',
  'AWS::Lambda::Version': 'versions have no charge',
  'AWS::Lambda::Alias': 'aliases have no charge',
  'AWS::StepFunctions::StateMachine': DEPLOY_LAMBDA,
  'AWS::CodeDeploy::Application': 'CodeDeploy to ECS has no charge',
  'AWS::CodeDeploy::DeploymentGroup': 'CodeDeploy to ECS has no charge',
  'AWS::Events::Rule': 'rules on AWS service events have no charge',
  'AWS::Logs::MetricFilter': 'metric filters have no charge',
  'AWS::Logs::ResourcePolicy': 'log resource policies have no charge',
  'AWS::SSM::Parameter': 'standard-tier parameters have no charge',
  'AWS::CloudFormation::WaitCondition': 'CloudFormation bookkeeping, no charge',
  'AWS::CloudFormation::WaitConditionHandle': 'CloudFormation bookkeeping, no charge',
  'AWS::ECR::RepositoryPolicy': 'repository policies have no charge',
  'AWS::ECS::ClusterCapacityProviderAssociations': 'capacity provider associations have no charge',
  'AWS::WAFv2::WebACLAssociation': WAF_PART,
  'AWS::WAFv2::RuleGroup': WAF_PART,
  'AWS::WAFv2::IPSet': WAF_PART,
  'AWS::WAFv2::RegexPatternSet': WAF_PART,
  'AWS::WAFv2::LoggingConfiguration': 'no charge of its own: delivery is priced as ingestion of its log group',
};

/** Custom resources are free themselves: their handler functions are resources of their own. */
export const CUSTOM_RESOURCE_REASON = 'a custom resource: no charge itself; its handler Lambda is listed separately';

export function freeReason(type: string): string | undefined {
  if (type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource') return CUSTOM_RESOURCE_REASON;
  return FREE_TYPES[type];
}

/** The pricer that owns a type, if any. */
export function pricerOf(type: string): Pricer | undefined {
  return PRICERS.find((p) => p.types.includes(type));
}
