import type { RequestContext } from '../core/context.js'
import type { Page } from '../core/pagination.js'
import type {
  PortCreate,
  PortFilter,
  PortUpdate,
  SecurityGroupCreate,
  SecurityGroupFilter,
  SecurityGroupRuleCreate,
  SecurityGroupRuleFilter,
  SecurityGroupUpdate,
} from './port-schemas.js'
import type {
  FloatingIp,
  Network,
  Port,
  Router,
  RouterInterfaceInfo,
  SecurityGroup,
  SecurityGroupRule,
  Subnet,
  SubnetPool,
} from './records.js'
import type {
  FloatingIpCreate,
  FloatingIpFilter,
  FloatingIpUpdate,
  RouterCreate,
  RouterFilter,
  RouterInterface,
  RouterUpdate,
} from './router-schemas.js'
import type {
  NetworkCreate,
  NetworkFilter,
  NetworkUpdate,
  SubnetCreate,
  SubnetFilter,
  SubnetPoolCreate,
  SubnetPoolFilter,
  SubnetPoolUpdate,
  SubnetUpdate,
} from './schemas.js'
import type { NetworkDriver } from './spi.js'

/** Resource types that carry tags. */
export type TaggableResource =
  | 'network'
  | 'subnet'
  | 'subnetpool'
  | 'port'
  | 'router'
  | 'floatingip'
  | 'security_group'

/**
 * The Network service: Neutron's core resources. Every call takes the caller's {@link RequestContext} first and
 * checks policy; a resource the caller may not see is `NOT_FOUND`. Bad input is `INVALID`; a conflict with what
 * exists (an address in use, a network with ports) is `CONFLICT`; an exhausted pool or range is `CONFLICT` with
 * `details.reason: 'exhausted'`; over quota is `QUOTA_EXCEEDED`. Nothing is left half-made by a failed call.
 */
export interface NetworkApi {
  /** The data-plane driver in use; `capabilities.dataPlane` is false for the embedded state-only default. */
  readonly driver: NetworkDriver

  createNetwork(ctx: RequestContext, input: NetworkCreate): Promise<Network>
  getNetwork(ctx: RequestContext, id: string): Promise<Network>
  listNetworks(ctx: RequestContext, filter?: NetworkFilter): Promise<Page<Network>>
  updateNetwork(ctx: RequestContext, id: string, patch: NetworkUpdate): Promise<Network>
  /** `CONFLICT` while ports other than the network's own (DHCP) remain. Subnets go with it. */
  deleteNetwork(ctx: RequestContext, id: string): Promise<void>

  createSubnet(ctx: RequestContext, input: SubnetCreate): Promise<Subnet>
  getSubnet(ctx: RequestContext, id: string): Promise<Subnet>
  listSubnets(ctx: RequestContext, filter?: SubnetFilter): Promise<Page<Subnet>>
  updateSubnet(ctx: RequestContext, id: string, patch: SubnetUpdate): Promise<Subnet>
  /** `CONFLICT` while ports other than the network's own hold addresses in it. */
  deleteSubnet(ctx: RequestContext, id: string): Promise<void>

  createSubnetPool(ctx: RequestContext, input: SubnetPoolCreate): Promise<SubnetPool>
  getSubnetPool(ctx: RequestContext, id: string): Promise<SubnetPool>
  listSubnetPools(ctx: RequestContext, filter?: SubnetPoolFilter): Promise<Page<SubnetPool>>
  updateSubnetPool(ctx: RequestContext, id: string, patch: SubnetPoolUpdate): Promise<SubnetPool>
  deleteSubnetPool(ctx: RequestContext, id: string): Promise<void>

  /** Allocates addresses and a MAC, and binds the port when `bindingHostId` is given. */
  createPort(ctx: RequestContext, input: PortCreate): Promise<Port>
  getPort(ctx: RequestContext, id: string): Promise<Port>
  listPorts(ctx: RequestContext, filter?: PortFilter): Promise<Page<Port>>
  updatePort(ctx: RequestContext, id: string, patch: PortUpdate): Promise<Port>
  /** Releases the port's addresses and unplugs it. Router interface ports are removed through the router. */
  deletePort(ctx: RequestContext, id: string): Promise<void>

  createSecurityGroup(ctx: RequestContext, input: SecurityGroupCreate): Promise<SecurityGroup>
  getSecurityGroup(ctx: RequestContext, id: string): Promise<SecurityGroup>
  /** Also creates the caller's project default group on first use, as Neutron does. */
  listSecurityGroups(ctx: RequestContext, filter?: SecurityGroupFilter): Promise<Page<SecurityGroup>>
  updateSecurityGroup(ctx: RequestContext, id: string, patch: SecurityGroupUpdate): Promise<SecurityGroup>
  /** `CONFLICT` while ports use it; the default group of a project cannot be deleted by its members. */
  deleteSecurityGroup(ctx: RequestContext, id: string): Promise<void>
  createSecurityGroupRule(ctx: RequestContext, input: SecurityGroupRuleCreate): Promise<SecurityGroupRule>
  getSecurityGroupRule(ctx: RequestContext, id: string): Promise<SecurityGroupRule>
  listSecurityGroupRules(
    ctx: RequestContext,
    filter?: SecurityGroupRuleFilter,
  ): Promise<Page<SecurityGroupRule>>
  deleteSecurityGroupRule(ctx: RequestContext, id: string): Promise<void>

  createRouter(ctx: RequestContext, input: RouterCreate): Promise<Router>
  getRouter(ctx: RequestContext, id: string): Promise<Router>
  listRouters(ctx: RequestContext, filter?: RouterFilter): Promise<Page<Router>>
  updateRouter(ctx: RequestContext, id: string, patch: RouterUpdate): Promise<Router>
  /** `CONFLICT` while it has interfaces or floating IPs use it. */
  deleteRouter(ctx: RequestContext, id: string): Promise<void>
  addRouterInterface(
    ctx: RequestContext,
    routerId: string,
    input: RouterInterface,
  ): Promise<RouterInterfaceInfo>
  removeRouterInterface(
    ctx: RequestContext,
    routerId: string,
    input: RouterInterface,
  ): Promise<RouterInterfaceInfo>

  createFloatingIp(ctx: RequestContext, input: FloatingIpCreate): Promise<FloatingIp>
  getFloatingIp(ctx: RequestContext, id: string): Promise<FloatingIp>
  listFloatingIps(ctx: RequestContext, filter?: FloatingIpFilter): Promise<Page<FloatingIp>>
  /** Associates (`portId`), moves (another `portId`) or disassociates (`portId: null`). */
  updateFloatingIp(ctx: RequestContext, id: string, patch: FloatingIpUpdate): Promise<FloatingIp>
  deleteFloatingIp(ctx: RequestContext, id: string): Promise<void>

  /** Replaces the tags of a resource. */
  setTags(ctx: RequestContext, type: TaggableResource, id: string, tags: string[]): Promise<string[]>
  addTag(ctx: RequestContext, type: TaggableResource, id: string, tag: string): Promise<void>
  /** `NOT_FOUND` when the resource does not have the tag. */
  removeTag(ctx: RequestContext, type: TaggableResource, id: string, tag: string): Promise<void>

  /** Applies every host's state again: repairs hosts whose devices were lost. Returns the changes made. */
  resync(ctx: RequestContext, hosts?: string[]): Promise<{ host: string; changes: number }[]>
}
