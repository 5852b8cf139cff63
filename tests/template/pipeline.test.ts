// The deploy pipeline read as a specification: pipeline/github-oidc-role.yaml (who may assume its
// roles, and that every permission names the stage's stack or says why it cannot) and
// .github/workflows/pipeline.yaml (the order of its jobs, and which of them get AWS credentials).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { yamlParse } from 'yaml-cfn';
import { asList, ROOT, type Json, type Statement } from './stack';

interface Role {
  Type: string;
  Properties: { AssumeRolePolicyDocument: { Statement: Statement[] }; Policies: { PolicyName: string; PolicyDocument: { Statement: (Statement & { Sid?: string })[] } }[] };
}

const roles = yamlParse(readFileSync(join(ROOT, 'pipeline', 'github-oidc-role.yaml'), 'utf8')) as { Resources: Record<string, Role> };
const roleIds = Object.keys(roles.Resources).filter((id) => roles.Resources[id]?.Type === 'AWS::IAM::Role');
const statementsOf = (roleId: string) => (roles.Resources[roleId]?.Properties.Policies ?? []).flatMap((policy) => policy.PolicyDocument.Statement);
/** A Resource as written: '*', a plain string, or the text of its Fn::Sub / the logical id of its Fn::GetAtt. */
const resourceTexts = (statement: Statement): string[] =>
  asList(statement.Resource as unknown).map((value) => (typeof value === 'string' ? value : ((value as Json)['Fn::Sub'] as string | undefined) ?? `GetAtt:${String(((value as Json)['Fn::GetAtt'] as string[] | undefined)?.[0])}`));

describe('pipeline/github-oidc-role.yaml', () => {
  it('has the two roles of the SAM pipeline convention', () => {
    expect(roleIds.sort()).toEqual(['CloudFormationExecutionRole', 'PipelineExecutionRole']);
  });

  it('lets only a job of the given repository in the given GitHub environment assume the pipeline role, through GitHub’s OIDC token', () => {
    const trust = roles.Resources.PipelineExecutionRole?.Properties.AssumeRolePolicyDocument.Statement ?? [];
    expect(trust).toHaveLength(1);
    expect(trust[0]).toMatchObject({ Effect: 'Allow', Action: 'sts:AssumeRoleWithWebIdentity' });
    expect(trust[0]?.Condition).toEqual({
      StringEquals: {
        'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
        'token.actions.githubusercontent.com:sub': { 'Fn::Sub': 'repo:${GitHubRepository}:environment:${GitHubEnvironment}' },
      },
    });
  });

  it('lets only CloudFormation of this account assume the execution role', () => {
    const trust = roles.Resources.CloudFormationExecutionRole?.Properties.AssumeRolePolicyDocument.Statement ?? [];
    expect(trust).toEqual([expect.objectContaining({ Effect: 'Allow', Principal: { Service: 'cloudformation.amazonaws.com' }, Action: 'sts:AssumeRole' })]);
  });

  it('lets the pipeline role pass no role but the execution role, and only to CloudFormation', () => {
    const passing = statementsOf('PipelineExecutionRole').filter((statement) => asList(statement.Action).includes('iam:PassRole'));
    expect(passing).toHaveLength(1);
    expect(resourceTexts(passing[0] as Statement)).toEqual(['GetAtt:CloudFormationExecutionRole']);
    expect(passing[0]?.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } });
  });

  it.each(roleIds)('gives %s only Allow statements, each action named (no service:* or *)', (roleId) => {
    const statements = statementsOf(roleId);
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      expect(statement.Effect).toBe('Allow');
      for (const action of asList(statement.Action)) expect(action).toMatch(/^[a-z0-9-]+:[A-Za-z]+$/);
    }
  });

  it.each(roleIds)('gives %s a "*" resource only for actions that have none, or under a condition naming the stack', (roleId) => {
    const unscoped = statementsOf(roleId).filter((statement) => resourceTexts(statement).includes('*'));
    expect(unscoped.length).toBeGreaterThan(0);
    for (const statement of unscoped) {
      const actions = asList(statement.Action);
      const withoutResource = ['cloudformation:GetTemplateSummary', 'cloudformation:ValidateTemplate', 'kms:CreateKey', 'kms:ListAliases'];
      if (actions.every((action) => withoutResource.includes(action))) continue;
      expect(JSON.stringify(statement.Condition)).toContain('function:${AppStackName}-*');
    }
  });

  it('names the stage’s stack in every resource of the services whose names CloudFormation derives from it', () => {
    const named = /^(iam|lambda|dynamodb|sqs|sns|logs|cloudwatch|codedeploy):/;
    const statements = statementsOf('CloudFormationExecutionRole').filter((statement) => asList(statement.Action).some((action) => named.test(action)));
    expect(statements.length).toBeGreaterThan(5);
    for (const statement of statements) {
      for (const text of resourceTexts(statement)) {
        if (text === '*' || text.endsWith(':deploymentconfig:*')) continue;
        expect(text).toContain('${AppStackName}');
      }
    }
  });
});

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, string | number | boolean>;
}
interface Job {
  needs?: string | string[];
  environment?: string;
  permissions?: Record<string, string>;
  steps: Step[];
}
const workflow = load(readFileSync(join(ROOT, '.github', 'workflows', 'pipeline.yaml'), 'utf8')) as {
  on: { push: { branches: string[] } };
  env: Record<string, string>;
  permissions: Record<string, string>;
  jobs: Record<string, Job>;
};
const jobs = Object.entries(workflow.jobs);
const samconfigStackName = (env: string) => new RegExp(`^\\[${env}\\.deploy\\.parameters\\][^[]*?^stack_name = "([^"]+)"`, 'm').exec(readFileSync(join(ROOT, 'samconfig.toml'), 'utf8'))?.[1];

describe('.github/workflows/pipeline.yaml', () => {
  it('runs on a push to main: checks, build, dev, the deployed checks, then prod, each after the one before', () => {
    expect(workflow.on.push.branches).toEqual(['main']);
    const needs = Object.fromEntries(jobs.map(([id, job]) => [id, asList(job.needs)]));
    expect(needs).toEqual({ checks: [], build: ['checks'], 'deploy-dev': ['build'], 'deployed-checks': ['deploy-dev'], 'deploy-prod': ['deployed-checks'] });
  });

  it('runs the project’s CI, and the deployed checks on the dev stack samconfig.toml names', () => {
    expect(workflow.jobs.checks?.steps.map((step) => step.run)).toContain('bash .ci/run');
    expect(workflow.env.DEV_STACK_NAME).toBe(samconfigStackName('default'));
    expect(workflow.env.PROD_STACK_NAME).toBe(samconfigStackName('prod'));
    expect(workflow.jobs['deployed-checks']?.steps.map((step) => step.run)).toContain('npm run test:deployed -- --stack "$DEV_STACK_NAME" --region "$DEV_REGION"');
  });

  it('asks for an OIDC token only in the jobs of a GitHub environment, each assuming that stage’s role; no job gets AWS keys', () => {
    expect(workflow.permissions).toEqual({ contents: 'read' });
    const credentialed = jobs.filter(([, job]) => job.permissions?.['id-token'] === 'write');
    expect(credentialed.map(([id, job]) => [id, job.environment])).toEqual([
      ['deploy-dev', 'dev'],
      ['deployed-checks', 'dev'],
      ['deploy-prod', 'prod'],
    ]);
    for (const [, job] of credentialed) {
      const assume = job.steps.filter((step) => step.uses?.startsWith('aws-actions/configure-aws-credentials@'));
      expect(assume).toHaveLength(1);
      expect(assume[0]?.with?.['role-to-assume']).toBe(`\${{ env.${String(job.environment).toUpperCase()}_PIPELINE_EXECUTION_ROLE }}`);
      expect(Object.keys(assume[0]?.with ?? {}).filter((input) => /access-key|secret|session-token/.test(input))).toEqual([]);
    }
  });

  it('pins every action to a version', () => {
    const uses = jobs.flatMap(([, job]) => job.steps.flatMap((step) => (step.uses ? [step.uses] : [])));
    expect(uses.length).toBeGreaterThan(10);
    for (const action of uses) expect(action).toMatch(/^[\w-]+\/[\w-]+@(v\d+(\.\d+)*|[0-9a-f]{40})$/);
  });
});
