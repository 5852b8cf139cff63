// What the runtime refuses, and what it warns about, before anything starts (no emulators needed).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkTemplate } from '../../src/compatibility';
import { loadTemplate } from '../../src/template';

const folder = mkdtempSync(join(tmpdir(), 'shapes-'));
const check = (yaml: string) => {
  const path = join(folder, 'template.yaml');
  writeFileSync(path, yaml);
  return checkTemplate(loadTemplate(path));
};

const fn = (extra = '') => `
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.handler
      Runtime: nodejs22.x${extra}
`;

describe('an unusable template', () => {
  it('is refused when it has no function', () => {
    expect(() => check('Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n')).toThrow(/has no AWS::Serverless::Function: there is nothing to run locally/);
  });

  it('is refused when none of its functions can run locally, each named with why', () => {
    expect(() => check(`Resources:${fn().replace('nodejs22.x', 'python3.13')}`)).toThrow('None of the template\'s functions runs locally (Fn: Runtime python3.13: only Node.js functions run locally)');
  });

  it('is refused, naming the resource and the reference, when a reference leads nowhere', () => {
    expect(() => check(`Resources:${fn('\n      Environment:\n        Variables:\n          TABLE: !Ref OrdersTabel')}`)).toThrow('Fn refers to OrdersTabel, which is neither a parameter nor a resource of the template');
    expect(() => check(`Resources:${fn()}Outputs:\n  Url:\n    Value: !GetAtt Missing.Arn\n`)).toThrow('Output Url refers to Missing, which is neither a parameter nor a resource of the template');
  });
});

describe('what does not run locally', () => {
  it('is each named with what it means, grouped, never dropped', () => {
    const warnings = check(`Resources:${fn(`
      Layers: [arn:aws:lambda:us-east-1:123456789012:layer:shared:1]
      Events:
        Stream:
          Type: DynamoDB
          Properties:
            Stream: arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/x
            StartingPosition: LATEST
        Jobs:
          Type: SQS
          Properties:
            Queue: !GetAtt Jobs.Arn
            FilterCriteria:
              Filters: [{ Pattern: '{"body": {"kind": ["a"]}}' }]`)}
  Jobs:
    Type: AWS::SQS::Queue
  Other:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: java21
  Machine:
    Type: AWS::StepFunctions::StateMachine
  Raw:
    Type: AWS::Lambda::Function
`);
    expect(warnings).toEqual(
      expect.arrayContaining([
        'Other is not run locally (Runtime java21: only Node.js functions run locally): its events and routes do nothing',
        expect.stringMatching(/^Fn\.Stream \(event type DynamoDB\) is not emulated locally/),
        'Fn.Jobs: FilterCriteria not applied: every message reaches the function',
        'Layers: layers are not mounted: /opt is empty, so code must not need them (Fn)',
        'AWS::StepFunctions::StateMachine has no local emulator: it is not created, and Ref/GetAtt give placeholder names (Machine)',
        'AWS::Lambda::Function is not run locally (only AWS::Serverless::Function is): nothing invokes it (Raw)',
      ]),
    );
  });
});
