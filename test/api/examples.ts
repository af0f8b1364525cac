// Valid manifests of every kind, typed with the Manifest types: they compile only if the
// TS types accept what users write, and the rule tests check that the API server accepts them.
import type { FloatingIPManifest } from '../../src/api/floatingip.ts';
import type { NetworkManifest } from '../../src/api/network.ts';
import type { PortManifest } from '../../src/api/port.ts';
import type { PrivateNetworkManifest } from '../../src/api/privatenetwork.ts';
import type { ProviderConfigManifest } from '../../src/api/providerconfig.ts';
import type { QoSPolicyManifest } from '../../src/api/qospolicy.ts';
import type { RouterManifest } from '../../src/api/router.ts';
import type { SecurityGroupManifest } from '../../src/api/securitygroup.ts';
import type { ServerManifest } from '../../src/api/server.ts';
import type { SubnetManifest } from '../../src/api/subnet.ts';

const apiVersion = 'cloudnet.io/v1alpha1';
const metadata = (name: string) => ({ name, namespace: 'team-a' });
const providerConfigRef = { name: 'openstack' };

export const providerConfigCloudsYAML: ProviderConfigManifest = {
  apiVersion,
  kind: 'ProviderConfig',
  metadata: metadata('openstack'),
  spec: {
    provider: 'openstack',
    openstack: { credentialsSecretRef: { name: 'openstack-clouds' }, cloud: 'devstack', region: 'RegionOne' },
  },
};

export const providerConfigPassword: ProviderConfigManifest = {
  apiVersion,
  kind: 'ProviderConfig',
  metadata: metadata('openstack-password'),
  spec: {
    provider: 'openstack',
    openstack: {
      auth: {
        type: 'password',
        authURL: 'https://keystone.example.com:5000/v3',
        username: 'demo',
        userDomainName: 'Default',
        projectName: 'demo',
        projectDomainName: 'Default',
        passwordSecretRef: { name: 'openstack-password', key: 'password' },
      },
      interface: 'internal',
      caBundleSecretRef: { name: 'openstack-ca' },
    },
    rateLimit: { qps: 5, burst: 10 },
  },
};

export const providerConfigToken: ProviderConfigManifest = {
  apiVersion,
  kind: 'ProviderConfig',
  metadata: metadata('public-cloud'),
  spec: {
    provider: 'openstack',
    openstack: {
      auth: { type: 'token', tokenSecretRef: { name: 'cloud-token' } },
      endpointOverrides: { network: 'https://api.example.com/networking', compute: 'https://api.example.com/compute' },
    },
  },
};

export const providerConfigExoscale: ProviderConfigManifest = {
  apiVersion,
  kind: 'ProviderConfig',
  metadata: metadata('exoscale'),
  spec: {
    provider: 'exoscale',
    exoscale: {
      zone: 'ch-gva-2',
      apiKeySecretRef: { name: 'exoscale' },
      apiSecretSecretRef: { name: 'exoscale' },
    },
  },
};

export const networkMinimal: NetworkManifest = {
  apiVersion,
  kind: 'Network',
  metadata: metadata('app-net'),
  spec: { providerConfigRef, resource: {} },
};

export const networkFull: NetworkManifest = {
  apiVersion,
  kind: 'Network',
  metadata: metadata('app-net'),
  spec: {
    providerConfigRef,
    managementPolicy: 'Managed',
    deletionPolicy: 'Orphan',
    resyncPeriod: '1h30m',
    resource: {
      name: 'app',
      description: 'application network',
      adminStateUp: true,
      mtu: 1450,
      portSecurityEnabled: true,
      external: false,
      shared: false,
      dnsDomain: 'app.example.org.',
      availabilityZoneHints: ['nova'],
      qosPolicyRef: { name: 'bulk' },
      tags: ['team-a', 'app'],
    },
  },
};

export const networkImported: NetworkManifest = {
  apiVersion,
  kind: 'Network',
  metadata: metadata('public'),
  spec: {
    providerConfigRef,
    managementPolicy: 'ObserveOnly',
    import: { filter: { name: 'public', external: true } },
  },
};

export const subnetV4: SubnetManifest = {
  apiVersion,
  kind: 'Subnet',
  metadata: metadata('app-subnet'),
  spec: {
    providerConfigRef,
    resource: {
      networkRef: { name: 'app-net' },
      ipVersion: 4,
      cidr: '10.0.0.0/24',
      gatewayIP: '10.0.0.1',
      allocationPools: [{ start: '10.0.0.10', end: '10.0.0.200' }],
      dnsNameservers: ['10.0.0.2', '2001:db8::53'],
      hostRoutes: [{ destination: '192.168.0.0/16', nextHop: '10.0.0.254' }],
      tags: ['app'],
    },
  },
};

export const subnetV6: SubnetManifest = {
  apiVersion,
  kind: 'Subnet',
  metadata: metadata('app-subnet-v6'),
  spec: {
    providerConfigRef,
    resource: {
      networkRef: { name: 'app-net' },
      ipVersion: 6,
      cidr: '2001:db8:1::/64',
      noGateway: true,
      enableDHCP: false,
      ipv6AddressMode: 'slaac',
      ipv6RAMode: 'slaac',
    },
  },
};

export const routerFull: RouterManifest = {
  apiVersion,
  kind: 'Router',
  metadata: metadata('app-router'),
  spec: {
    providerConfigRef,
    resource: {
      externalGateway: {
        networkRef: { name: 'public' },
        enableSNAT: true,
        fixedIPs: [{ subnetRef: { name: 'public-subnet' } }, { ipAddress: '203.0.113.10' }],
      },
      interfaces: [{ subnetRef: { name: 'app-subnet' } }, { subnetRef: { name: 'app-subnet-v6' } }],
      routes: [{ destination: '172.16.0.0/12', nextHop: '10.0.0.254' }],
      tags: ['app'],
    },
  },
};

export const qosPolicyMinimal: QoSPolicyManifest = {
  apiVersion,
  kind: 'QoSPolicy',
  metadata: metadata('plain'),
  spec: { providerConfigRef, resource: {} },
};

export const qosPolicyFull: QoSPolicyManifest = {
  apiVersion,
  kind: 'QoSPolicy',
  metadata: metadata('bulk'),
  spec: {
    providerConfigRef,
    resource: {
      name: 'bulk-traffic',
      description: 'capped, marked, with a floor',
      shared: false,
      isDefault: false,
      rules: {
        bandwidthLimits: [{ direction: 'egress', maxKbps: 10000, maxBurstKbps: 1000 }, { direction: 'ingress', maxKbps: 20000 }],
        dscpMarking: { dscpMark: 26 },
        minimumBandwidths: [{ direction: 'egress', minKbps: 1000 }],
      },
      tags: ['bulk'],
    },
  },
};

export const qosPolicyImported: QoSPolicyManifest = {
  apiVersion,
  kind: 'QoSPolicy',
  metadata: metadata('gold'),
  spec: { providerConfigRef, managementPolicy: 'ObserveOnly', import: { filter: { name: 'gold', shared: true } } },
};

export const securityGroupFull: SecurityGroupManifest = {
  apiVersion,
  kind: 'SecurityGroup',
  metadata: metadata('web'),
  spec: {
    providerConfigRef,
    resource: {
      description: 'web servers',
      rules: [
        { direction: 'ingress', protocol: 'tcp', portRangeMin: 443, portRangeMax: 443, remoteIPPrefix: '0.0.0.0/0' },
        { direction: 'ingress', ethertype: 'IPv6', protocol: 'tcp', portRangeMin: 80, portRangeMax: 80, remoteIPPrefix: '::/0' },
        { direction: 'ingress', protocol: 'icmp', portRangeMin: 8, portRangeMax: 0 },
        { direction: 'ingress', remoteGroupRef: { name: 'web' } },
        { direction: 'egress' },
        { direction: 'egress', ethertype: 'IPv6' },
      ],
    },
  },
};

export const portFull: PortManifest = {
  apiVersion,
  kind: 'Port',
  metadata: metadata('web-0'),
  spec: {
    providerConfigRef,
    resource: {
      networkRef: { name: 'app-net' },
      fixedIPs: [{ subnetRef: { name: 'app-subnet' }, ipAddress: '10.0.0.20' }],
      securityGroupRefs: [{ name: 'web' }],
      allowedAddressPairs: [{ ipAddress: '10.0.0.100' }, { ipAddress: '10.0.1.0/24', macAddress: 'fa:16:3e:00:00:02' }],
      macAddress: 'fa:16:3e:00:00:01',
      adminStateUp: true,
      qosPolicyRef: { name: 'bulk' },
    },
  },
};

export const floatingIPFull: FloatingIPManifest = {
  apiVersion,
  kind: 'FloatingIP',
  metadata: metadata('web-0'),
  spec: {
    providerConfigRef,
    resource: {
      floatingNetworkRef: { name: 'public' },
      address: '203.0.113.20',
      portRef: { name: 'web-0' },
      fixedIPAddress: '10.0.0.20',
      description: 'web',
    },
  },
};

export const serverMinimal: ServerManifest = {
  apiVersion,
  kind: 'Server',
  metadata: metadata('web'),
  spec: {
    providerConfigRef,
    resource: { image: { name: 'cirros' }, flavor: { name: 'm1.tiny' }, networks: [{ networkRef: { name: 'app-net' } }] },
  },
};

export const serverFull: ServerManifest = {
  apiVersion,
  kind: 'Server',
  metadata: metadata('web-1'),
  spec: {
    providerConfigRef,
    resource: {
      name: 'web-1.example.org',
      image: { id: '7688b18c-b89b-4bb1-9943-8a3be92c7f39' },
      flavor: { id: '2' },
      networks: [{ portRef: { name: 'web-0' } }, { networkRef: { name: 'app-net' }, fixedIP: '10.0.0.30' }],
      securityGroupRefs: [{ name: 'web' }],
      keyName: 'ops',
      userData: '#cloud-config\npackages: [nginx]\n',
      metadata: { role: 'web' },
      tags: ['team-a'],
      availabilityZone: 'nova',
      configDrive: true,
      powerState: 'Stopped',
      recreateOnError: true,
    },
  },
};

export const privateNetworkMinimal: PrivateNetworkManifest = {
  apiVersion,
  kind: 'PrivateNetwork',
  metadata: metadata('backend'),
  spec: { providerConfigRef: { name: 'exoscale' }, resource: {} },
};

export const privateNetworkFull: PrivateNetworkManifest = {
  apiVersion,
  kind: 'PrivateNetwork',
  metadata: metadata('backend-dhcp'),
  spec: {
    providerConfigRef: { name: 'exoscale' },
    resource: {
      name: 'backend',
      description: 'Backend network',
      labels: { team: 'a' },
      startIP: '10.0.0.20',
      endIP: '10.0.0.200',
      netmask: '255.255.255.0',
      dhcpOptions: { dnsServers: ['10.0.0.1'], ntpServers: ['10.0.0.1'], routers: ['10.0.0.1'], domainSearch: ['example.org'] },
      instances: [{ name: 'web-1', ip: '10.0.0.25' }, { id: '7688b18c-b89b-4bb1-9943-8a3be92c7f39' }],
    },
  },
};

export const validExamples = [
  providerConfigCloudsYAML,
  providerConfigPassword,
  providerConfigToken,
  providerConfigExoscale,
  networkMinimal,
  networkFull,
  networkImported,
  subnetV4,
  subnetV6,
  routerFull,
  qosPolicyMinimal,
  qosPolicyFull,
  qosPolicyImported,
  securityGroupFull,
  portFull,
  serverMinimal,
  serverFull,
  floatingIPFull,
  privateNetworkMinimal,
  privateNetworkFull,
];
