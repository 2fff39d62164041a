import { createSocket } from 'node:dgram';

/**
 * Whether IPv4 multicast with loopback works on 127.0.0.1 here: joins a group, sends one
 * datagram to it and waits briefly for it to come back. Sandboxes without multicast routing
 * fail at `addMembership` or never deliver; tests then skip with a message.
 */
export async function multicastAvailable(group: string, port: number): Promise<boolean> {
  const receiver = createSocket({ type: 'udp4', reuseAddr: true });
  const sender = createSocket('udp4');
  try {
    return await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 2000);
      receiver.on('error', () => resolve(false));
      sender.on('error', () => resolve(false));
      receiver.on('message', () => {
        clearTimeout(timer);
        resolve(true);
      });
      receiver.bind(port, () => {
        try {
          receiver.addMembership(group, '127.0.0.1');
        } catch {
          resolve(false);
          return;
        }
        sender.bind(0, '127.0.0.1', () => {
          sender.setMulticastInterface('127.0.0.1');
          sender.setMulticastTTL(1);
          sender.setMulticastLoopback(true);
          sender.send('probe', port, group);
        });
      });
    });
  } finally {
    receiver.close();
    sender.close();
  }
}
