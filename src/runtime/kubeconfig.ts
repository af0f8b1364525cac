// One connection pool to the API server. @kubernetes/client-node (2.0) builds a new undici Agent for
// every request when the kubeconfig carries TLS settings (a CA, a client certificate): a TCP
// connection and a TLS handshake per call, thousands a minute for an operator. This keeps one
// dispatcher per distinct TLS setting (a rotated certificate gets a new one; the old one is closed).
import { createHash } from 'node:crypto';
import type { Cluster, KubeConfig } from '@kubernetes/client-node';
import type { AgentOptions } from 'node:https';

type Dispatcher = { close?: () => Promise<void> };
type CreateDispatcher = (cluster: Cluster | null, agentOptions: AgentOptions) => Dispatcher | undefined;

/** `kc`, its per-request dispatchers replaced by one reused while the TLS settings stay the same. */
export function reuseConnections(kc: KubeConfig): KubeConfig {
  // createDispatcher is private in client-node's types, and the only place the dispatcher is made.
  const target = kc as unknown as { createDispatcher: CreateDispatcher };
  const create = target.createDispatcher.bind(kc);
  let current: { key: string; dispatcher: Dispatcher | undefined } | undefined;
  target.createDispatcher = (cluster, agentOptions) => {
    const key = createHash('sha256').update(JSON.stringify(kc.createDispatcherOptions(cluster, agentOptions))).digest('hex');
    if (current?.key !== key) {
      void current?.dispatcher?.close?.();
      current = { key, dispatcher: create(cluster, agentOptions) };
    }
    return current.dispatcher;
  };
  return kc;
}

