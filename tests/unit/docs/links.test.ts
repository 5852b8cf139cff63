// Every relative link of README.md and docs/*.md leads somewhere: to a file or folder that exists,
// and, with a #fragment, to a heading of that page (as GitHub names headings' anchors).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..', '..');
const PAGES = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).map((name) => join('docs', name))];
/**
 * The local runtime's own page arrives with its workspace package (packages/local-sam, issue 16).
 * Until that folder exists, links into it are not checked; once it exists, they are, like any other.
 */
const PENDING_PACKAGE = 'packages/local-sam';

/** The page without its code: fenced blocks and inline code hold no links and no headings. */
const prose = (markdown: string) => markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, (code) => (code.includes('](') ? '' : code));

/** The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const [, heading] of prose(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = (heading ?? '')
      .toLowerCase()
      .replace(/<[^>]+>/g, '')
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Every link and image target of a page that is not a URL with a scheme (http:, mailto:). */
function relativeLinks(markdown: string): string[] {
  const targets = [...prose(markdown).matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map(([, target]) => target ?? '');
  return targets.filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

/** What is wrong with one link of a page, or undefined when it leads somewhere. */
function brokenLink(page: string, target: string): string | undefined {
  const [path = '', fragment] = target.split('#', 2);
  const file = path === '' ? join(ROOT, page) : resolve(dirname(join(ROOT, page)), decodeURIComponent(path));
  const fromRoot = relative(ROOT, file);
  if (fromRoot.startsWith(`${PENDING_PACKAGE}/`) && !existsSync(join(ROOT, PENDING_PACKAGE))) return undefined;
  if (fromRoot.startsWith('..') || !existsSync(file)) return `${target}: no file ${fromRoot}`;
  if (fragment === undefined) return undefined;
  if (!file.endsWith('.md')) return `${target}: a #fragment of a file that is not markdown`;
  return headingAnchors(readFileSync(file, 'utf8')).has(fragment) ? undefined : `${target}: no heading #${fragment} in ${fromRoot}`;
}

describe('the links of the README and the docs', () => {
  it('reads GitHub anchors and relative links as GitHub does', () => {
    const page = '# The sweeper\n## Pass 2: open orders\n## `sam local invoke`, against it\n## Pass 2: open orders\n```sh\n# not a heading [x](nowhere.md)\n```\n';
    expect([...headingAnchors(page)]).toEqual(['the-sweeper', 'pass-2-open-orders', 'sam-local-invoke-against-it', 'pass-2-open-orders-1']);
    expect(relativeLinks('[a](docs/api.md#errors) ![b](console.png) [c](https://aws.amazon.com) `[d](code.md)`\n```\n[e](fenced.md)\n```')).toEqual(['docs/api.md#errors', 'console.png']);
  });

  it('finds pages with links to check', () => {
    expect(PAGES).toEqual(expect.arrayContaining(['README.md', join('docs', 'guarantees.md'), join('docs', 'glossary.md')]));
    expect(PAGES.flatMap((page) => relativeLinks(readFileSync(join(ROOT, page), 'utf8'))).length).toBeGreaterThan(20);
  });

  it.each(PAGES)('%s: every relative link leads to a file, and every #fragment to a heading', (page) => {
    const links = relativeLinks(readFileSync(join(ROOT, page), 'utf8'));
    expect(links.flatMap((target) => brokenLink(page, target) ?? [])).toEqual([]);
  });
});
