// Every port the local stack listens on accepts connections from this machine only: the API, the
// Lambda Invoke API, fauxqs and anything else npm start opens. DynamoDB Local is the exception (it
// has no option to choose its address). Read from /proc: the sockets in LISTEN state whose inodes
// the stack's processes (its process group: node, the JVM, esbuild) hold open.
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { stackState } from './support/stack';

interface ListeningSocket {
  /** Dotted for IPv4, eight hex groups for IPv6. */
  address: string;
  loopback: boolean;
  port: number;
  inode: string;
}

/** A /proc/net/tcp{,6} address (hex, in 32-bit words of host byte order, little-endian here) as its bytes. */
function addressBytes(hex: string): number[] {
  return (hex.match(/.{8}/g) ?? []).flatMap((word) => (word.match(/../g) ?? []).reverse().map((byte) => parseInt(byte, 16)));
}

function describeAddress(bytes: number[]): Pick<ListeningSocket, 'address' | 'loopback'> {
  if (bytes.length === 4) return { address: bytes.join('.'), loopback: bytes[0] === 127 };
  const zeros = (from: number, to: number) => bytes.slice(from, to).every((byte) => byte === 0);
  const mappedLoopback = zeros(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff && bytes[12] === 127;
  const address = Array.from({ length: 8 }, (_, index) => ((bytes[index * 2] ?? 0) * 256 + (bytes[index * 2 + 1] ?? 0)).toString(16)).join(':');
  return { address, loopback: (zeros(0, 15) && bytes[15] === 1) || mappedLoopback };
}

function listening(): ListeningSocket[] {
  return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((file) =>
    readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      // Column 4 is the state: 0A is LISTEN.
      .filter((fields) => fields[3] === '0A')
      .map((fields) => {
        const [address = '', port = '0'] = (fields[1] ?? '').split(':');
        return { ...describeAddress(addressBytes(address)), port: parseInt(port, 16), inode: fields[9] ?? '' };
      }),
  );
}

/** The process group of a pid, from /proc/<pid>/stat (its fifth field; the command name may hold spaces). */
const processGroup = (pid: string): string | undefined => {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').pop()?.split(' ')[2];
  } catch {
    return undefined;
  }
};

function socketInodesOfGroup(group: string): Set<string> {
  const inodes = new Set<string>();
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    if (processGroup(pid) !== group) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      // Gone meanwhile.
      continue;
    }
    for (const fd of fds) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
        if (inode) inodes.add(inode);
      } catch {
        // Closed meanwhile.
      }
    }
  }
  return inodes;
}

const portOf = (url: string | undefined) => Number(new URL(url ?? 'http://invalid:0').port);

const describeOnLinux = existsSync('/proc/net/tcp') ? describe : describe.skip;

describeOnLinux('the local stack’s listening sockets', () => {
  const state = stackState();
  const group = processGroup(String(state.pid));
  const sockets = () => {
    const inodes = socketInodesOfGroup(group ?? '');
    return listening().filter((socket) => inodes.has(socket.inode));
  };

  it('include the API, the Lambda Invoke API, fauxqs and DynamoDB Local', () => {
    const ports = sockets().map((socket) => socket.port);
    expect(ports).toEqual(expect.arrayContaining([portOf(state.url), portOf(state.lambdaUrl), portOf(state.emulators.messagingEndpoint), portOf(state.emulators.dynamoEndpoint)]));
  });

  it('are all on loopback, but DynamoDB Local’s', () => {
    const dynamoPort = portOf(state.emulators.dynamoEndpoint);
    const exposed = sockets().filter((socket) => !socket.loopback && socket.port !== dynamoPort);
    expect(exposed).toEqual([]);
  });
});
