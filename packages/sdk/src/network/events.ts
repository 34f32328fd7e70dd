// The events of the Network service: `network.<resource>.<verb>`, emitted after the transaction commits.
// Payloads carry the id and project so listeners (dashboard, audit) can filter without a lookup.

/** A Network resource event's payload. */
export interface NetworkResourceEvent {
  id: string
  projectId: string
}

/** A port event's payload: also where it is bound and its state, which the dashboard shows. */
export interface PortEvent extends NetworkResourceEvent {
  networkId: string
  deviceId: string
  status: string
  bindingHostId: string
  bindingVifType: string
}

declare module '../core/events.js' {
  interface CloudEventMap {
    'network.network.created': NetworkResourceEvent
    'network.network.updated': NetworkResourceEvent
    'network.network.deleted': NetworkResourceEvent
    'network.subnet.created': NetworkResourceEvent & { networkId: string }
    'network.subnet.updated': NetworkResourceEvent & { networkId: string }
    'network.subnet.deleted': NetworkResourceEvent & { networkId: string }
    'network.subnetpool.created': NetworkResourceEvent
    'network.subnetpool.updated': NetworkResourceEvent
    'network.subnetpool.deleted': NetworkResourceEvent
    'network.port.created': PortEvent
    'network.port.updated': PortEvent
    'network.port.deleted': PortEvent
    'network.security_group.created': NetworkResourceEvent
    'network.security_group.updated': NetworkResourceEvent
    'network.security_group.deleted': NetworkResourceEvent
    'network.security_group_rule.created': NetworkResourceEvent & { securityGroupId: string }
    'network.security_group_rule.deleted': NetworkResourceEvent & { securityGroupId: string }
    'network.router.created': NetworkResourceEvent
    'network.router.updated': NetworkResourceEvent
    'network.router.deleted': NetworkResourceEvent
    'network.floatingip.created': NetworkResourceEvent & { portId: string | null }
    'network.floatingip.updated': NetworkResourceEvent & { portId: string | null }
    'network.floatingip.deleted': NetworkResourceEvent & { portId: string | null }
  }
}
