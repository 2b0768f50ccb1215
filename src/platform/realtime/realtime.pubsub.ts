import type { Redis } from 'ioredis';

type Channel = string | Buffer;

/**
 * Makes the pub/sub commands the Socket.io streams adapter sends on a Redis client safe while Redis
 * is unreachable. The adapter never handles the promise of its SUBSCRIBE (sent once, when a
 * namespace's adapter is created) nor of the PUBLISH of an ephemeral message (serverSideEmit,
 * fetchSockets, broadcast with ack): when the client's offline queue gave up on one, the rejection
 * was unhandled and ended the process — a node started while Redis was down died a second later.
 * Here a failed PUBLISH is just lost, as any emit while Redis is down, and the channels of a failed
 * SUBSCRIBE are subscribed again each time the client becomes ready until it succeeds (ioredis
 * itself only re-subscribes channels whose SUBSCRIBE succeeded). A caller that awaits either command
 * still sees its failure. Sharded pub/sub is not wrapped: the adapter is not configured to use it.
 */
export function settlePubSub(client: Redis): void {
  const publish = client.publish.bind(client) as (...args: unknown[]) => Promise<number>;
  const subscribe = client.subscribe.bind(client) as (...args: unknown[]) => Promise<unknown>;
  const failed = new Set<Channel>();
  const subscribing = (...args: unknown[]) => {
    const channels = args.flat().filter((arg): arg is Channel => typeof arg === 'string' || Buffer.isBuffer(arg));
    const sent = subscribe(...args);
    sent.catch(() => channels.forEach((channel) => failed.add(channel)));
    return sent;
  };
  client.on('ready', () => {
    if (failed.size === 0) return;
    const channels = [...failed];
    failed.clear();
    void subscribing(channels);
  });
  client.subscribe = subscribing as unknown as Redis['subscribe'];
  client.publish = ((...args: unknown[]) => {
    const sent = publish(...args);
    sent.catch(() => undefined);
    return sent;
  }) as unknown as Redis['publish'];
}
