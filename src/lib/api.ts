// The library entry `cloudnet-operator/api` (package.json "exports"): the TS types of every kind,
// derived from the schemas in src/api, and a typed client to create, change, read, delete and
// wait for objects from code.
export type { FloatingIP, FloatingIPManifest, FloatingIPSpec, FloatingIPStatus, FloatingIPResource, FloatingIPImportFilter, FloatingIPObserved } from '../api/floatingip.ts';
export type { Network, NetworkManifest, NetworkSpec, NetworkStatus, NetworkResource, NetworkImportFilter, NetworkObserved } from '../api/network.ts';
export type { Port, PortManifest, PortSpec, PortStatus, PortResource, PortImportFilter, PortObserved } from '../api/port.ts';
export type { PrivateNetwork, PrivateNetworkManifest, PrivateNetworkSpec, PrivateNetworkStatus, PrivateNetworkResource, PrivateNetworkImportFilter, PrivateNetworkObserved } from '../api/privatenetwork.ts';
export type { ProviderConfig, ProviderConfigManifest, ProviderConfigSpec, ProviderConfigStatus } from '../api/providerconfig.ts';
export type { Router, RouterManifest, RouterSpec, RouterStatus, RouterResource, RouterImportFilter, RouterObserved } from '../api/router.ts';
export type { SecurityGroup, SecurityGroupManifest, SecurityGroupSpec, SecurityGroupStatus, SecurityGroupResource, SecurityGroupRule, SecurityGroupImportFilter, SecurityGroupObserved } from '../api/securitygroup.ts';
export type { Server, ServerManifest, ServerSpec, ServerStatus, ServerResource, ServerImportFilter, ServerObserved } from '../api/server.ts';
export type { Subnet, SubnetManifest, SubnetSpec, SubnetStatus, SubnetResource, SubnetImportFilter, SubnetObserved } from '../api/subnet.ts';
export type { Condition, LocalRef, ObjectMeta, SecretKeyRef } from '../api/meta.ts';
export { API_VERSION, GROUP, VERSION } from '../api/kind.ts';
export type { KindName, ManifestOfKind, NewObject, ObjectOfKind } from './kinds.ts';
export type { MergePatch } from './merge-patch.ts';
export { CloudnetClient, type ApplyOptions, type CloudnetClientOptions, type SpecPatch } from './client.ts';
export { DEFAULT_WAIT_TIMEOUT_MS, NotReadyError, type WaitOptions } from './wait.ts';
