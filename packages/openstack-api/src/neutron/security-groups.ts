import {
  type Cloud,
  SecurityGroupCreateSchema,
  SecurityGroupRuleCreateSchema,
  SecurityGroupUpdateSchema,
} from '@nubis/sdk'
import { type AttributeMap, boolean, toInteger } from './body.js'
import { type NeutronView, OWNER_ATTRIBUTES, standardAttributes } from './render-common.js'
import type { ResourceSpec } from './resource.js'
import type { Arg, SecurityGroup, SecurityGroupRule } from './sdk-types.js'

const GROUP_UPDATE: AttributeMap = { name: 'name', description: 'description' }

const GROUP_CREATE: AttributeMap = {
  ...GROUP_UPDATE,
  ...OWNER_ATTRIBUTES,
  stateful: boolean('stateful'),
  tags: 'tags',
}

/** A port bound may be `null` (any port), as Neutron's `convert_to_int_if_not_none` reads it. */
const portBound = (field: string) => ({
  field,
  convert: (value: unknown) => (value === null ? null : toInteger(value)),
})

const RULE_CREATE: AttributeMap = {
  ...OWNER_ATTRIBUTES,
  security_group_id: 'securityGroupId',
  direction: 'direction',
  ethertype: 'ethertype',
  protocol: 'protocol',
  port_range_min: portBound('portRangeMin'),
  port_range_max: portBound('portRangeMax'),
  remote_ip_prefix: 'remoteIpPrefix',
  remote_group_id: 'remoteGroupId',
  description: 'description',
}

/** The attributes of a Neutron security group, in the order it shows them. */
export const SECURITY_GROUP_ATTRIBUTES = [
  'id',
  'name',
  'description',
  'tenant_id',
  'project_id',
  'stateful',
  'security_group_rules',
  'tags',
  'created_at',
  'updated_at',
  'revision_number',
] as const

/** The attributes of a Neutron security group rule, in the order it shows them. */
export const SECURITY_GROUP_RULE_ATTRIBUTES = [
  'id',
  'tenant_id',
  'project_id',
  'security_group_id',
  'direction',
  'ethertype',
  'protocol',
  'port_range_min',
  'port_range_max',
  'remote_ip_prefix',
  'remote_group_id',
  'description',
  'created_at',
  'updated_at',
  'revision_number',
] as const

/** A rule as Neutron shows it, alone or inside its group. */
export function ruleView(rule: SecurityGroupRule): NeutronView {
  return {
    id: rule.id,
    tenant_id: rule.projectId,
    project_id: rule.projectId,
    security_group_id: rule.securityGroupId,
    direction: rule.direction,
    ethertype: rule.ethertype,
    protocol: rule.protocol,
    port_range_min: rule.portRangeMin,
    port_range_max: rule.portRangeMax,
    remote_ip_prefix: rule.remoteIpPrefix,
    remote_group_id: rule.remoteGroupId,
    description: rule.description,
    ...standardAttributes(rule),
  }
}

/** `/v2.0/security-groups`: groups with their rules. */
export function securityGroupSpec(cloud: Cloud): ResourceSpec<SecurityGroup> {
  const { network } = cloud
  return {
    member: 'security_group',
    collection: 'security_groups',
    path: 'security-groups',
    attributes: SECURITY_GROUP_ATTRIBUTES,
    filters: { name: ['name', 'strings'], stateful: ['stateful', 'boolean'] },
    create: { attributes: GROUP_CREATE, schema: SecurityGroupCreateSchema },
    update: { attributes: GROUP_UPDATE, schema: SecurityGroupUpdateSchema },
    render: (record) => ({
      id: record.id,
      name: record.name,
      description: record.description,
      tenant_id: record.projectId,
      project_id: record.projectId,
      stateful: record.stateful,
      security_group_rules: record.securityGroupRules.map(ruleView),
      ...standardAttributes(record),
    }),
    service: {
      create: (ctx, input) => network.createSecurityGroup(ctx, input as Arg<'createSecurityGroup', 1>),
      get: (ctx, id) => network.getSecurityGroup(ctx, id),
      list: (ctx, filter) => network.listSecurityGroups(ctx, filter as Arg<'listSecurityGroups', 1>),
      update: (ctx, id, patch) =>
        network.updateSecurityGroup(ctx, id, patch as Arg<'updateSecurityGroup', 2>),
      delete: (ctx, id) => network.deleteSecurityGroup(ctx, id),
    },
  }
}

/** `/v2.0/security-group-rules`: rules cannot change, only be created and deleted. */
export function securityGroupRuleSpec(cloud: Cloud): ResourceSpec<SecurityGroupRule> {
  const { network } = cloud
  return {
    member: 'security_group_rule',
    collection: 'security_group_rules',
    path: 'security-group-rules',
    attributes: SECURITY_GROUP_RULE_ATTRIBUTES,
    filters: {
      security_group_id: ['securityGroupId', 'strings'],
      direction: ['direction', 'string'],
      ethertype: ['ethertype', 'string'],
      protocol: ['protocol', 'string'],
      remote_group_id: ['remoteGroupId', 'string'],
    },
    create: { attributes: RULE_CREATE, schema: SecurityGroupRuleCreateSchema },
    render: (record) => ruleView(record),
    service: {
      create: (ctx, input) =>
        network.createSecurityGroupRule(ctx, input as Arg<'createSecurityGroupRule', 1>),
      get: (ctx, id) => network.getSecurityGroupRule(ctx, id),
      list: (ctx, filter) => network.listSecurityGroupRules(ctx, filter as Arg<'listSecurityGroupRules', 1>),
      delete: (ctx, id) => network.deleteSecurityGroupRule(ctx, id),
    },
  }
}
