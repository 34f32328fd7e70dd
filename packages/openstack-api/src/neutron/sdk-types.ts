import type { Cloud } from '@nubis/sdk'

// The Network service's types as the plugin uses them, read off `cloud.network` in one place: the routes speak of
// these names, so a rename in the SDK touches this file only.

/** The Network service (`cloud.network`). */
export type NetworkService = Cloud['network']

/** The caller's context, the first argument of every service call. */
export type Ctx = Parameters<NetworkService['getNetwork']>[0]

/** A network. */
export type Network = Awaited<ReturnType<NetworkService['getNetwork']>>
/** A subnet. */
export type Subnet = Awaited<ReturnType<NetworkService['getSubnet']>>
/** A subnet pool. */
export type SubnetPool = Awaited<ReturnType<NetworkService['getSubnetPool']>>
/** A port. */
export type Port = Awaited<ReturnType<NetworkService['getPort']>>
/** A security group, with its rules. */
export type SecurityGroup = Awaited<ReturnType<NetworkService['getSecurityGroup']>>
/** A security group rule. */
export type SecurityGroupRule = Awaited<ReturnType<NetworkService['getSecurityGroupRule']>>
/** A router. */
export type Router = Awaited<ReturnType<NetworkService['getRouter']>>
/** What adding or removing a router interface reports. */
export type RouterInterfaceInfo = Awaited<ReturnType<NetworkService['addRouterInterface']>>
/** A floating IP. */
export type FloatingIp = Awaited<ReturnType<NetworkService['getFloatingIp']>>

/** A resource type that carries tags (`network`, `security_group` …). */
export type TaggableResource = Parameters<NetworkService['setTags']>[1]

/** One page of a list call. */
export interface ListPage<T> {
  items: T[]
  next?: string
}

/** Argument `I` of the service method `M`: `Arg<'createNetwork', 1>` is what `createNetwork` takes. */
export type Arg<M extends keyof NetworkService, I extends number> = Parameters<
  Extract<NetworkService[M], (...args: never[]) => unknown>
>[I]
