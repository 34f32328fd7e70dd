#!/usr/bin/env bash
# Create (or refresh) a Tempest workspace in $TEMPEST_DIR and write
# etc/tempest.conf for a cloud whose Keystone v3 is at $OS_AUTH_URL.
# Needs no network: nothing here talks to the server (run.sh checks it).
#
# Nubis serves every API on one port, Keystone under /identity:
#   TEMPEST_DIR=.tempest OS_AUTH_URL=http://127.0.0.1:8080/identity/v3 OS_PASSWORD=.. \
#     TEMPEST_SERVICES=identity test/tempest/configure.sh
#
# env (defaults in brackets):
#   TEMPEST_DIR (required)         workspace; created if missing, reused if it is one
#   OS_AUTH_URL [http://127.0.0.1:5000/v3]   "/v3" is appended if absent
#   TEMPEST_SERVICES [identity,compute,network,volume,image,object]  the services the cloud serves;
#                                  the others are marked unavailable (tempest skips their tests, and
#                                  without network dynamic credentials create no Neutron networks)
#   OS_USERNAME [admin]  OS_PASSWORD (required)  OS_PROJECT_NAME [admin]
#   OS_USER_DOMAIN_NAME / OS_PROJECT_DOMAIN_NAME [Default]  OS_REGION_NAME [RegionOne]
#   IMAGE_REF, IMAGE_REF_ALT [=IMAGE_REF]     Glance image ids that boot on the cloud (compute only)
#   FLAVOR_REF [1], FLAVOR_REF_ALT [2]        flavor ids
#   PUBLIC_NETWORK_ID []            external network id (2 interop network tests skip without it)
#   COMPUTE_MAX_MICROVERSION [2.2]  highest Nova microversion the server accepts (2.2: keypair type)
#   VOLUME_MAX_MICROVERSION []      unset: Cinder v3 base (3.0) only
#   NETWORK_API_EXTENSIONS [see below]  keep equal to the server's GET /v2.0/extensions aliases
#   OBJECT_DISCOVERABLE_APIS [see below] keep equal to the keys of the server's GET /info
#   TEMPEST_BUILD_TIMEOUT [300]     seconds tempest waits for servers/volumes/images to settle
#   TEMPEST_EXTRA_CONF []           an ini file whose [section] key = value pairs win over ours
set -euo pipefail
PY=/usr/bin/python3
TEMPEST=/usr/bin/tempest
die() { echo "configure.sh: $*" >&2; exit 2; }
[ -x "$TEMPEST" ] || die "$TEMPEST missing: run install.sh first"
[ -n "${TEMPEST_DIR:-}" ] || die "set TEMPEST_DIR to the workspace directory"
[ -n "${OS_PASSWORD:-}" ] || die "set OS_PASSWORD (admin password of the cloud under test)"
# Debian's tools must see their own interpreter's modules only.
unset PYTHONPATH PYTHONHOME VIRTUAL_ENV TEMPEST_CONFIG TEMPEST_CONFIG_DIR
export PYTHON=$PY

mkdir -p "$TEMPEST_DIR"
TEMPEST_DIR=$(cd "$TEMPEST_DIR" && pwd -P)
export TEMPEST_DIR
if [ -f "$TEMPEST_DIR/.stestr.conf" ] && [ -d "$TEMPEST_DIR/etc" ]; then
  echo "configure.sh: reusing workspace $TEMPEST_DIR (run history kept)"
elif [ -z "$(ls -A "$TEMPEST_DIR")" ]; then
  # `tempest init` itself logs through /etc/tempest/logging.conf, whose relative
  # FileHandler drops a tempest.log into the cwd: run it from a scratch dir.
  # --workspace-path keeps the workspace registry inside the workspace, not in ~/.tempest.
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  (cd "$scratch" && "$TEMPEST" init --workspace-path "$TEMPEST_DIR/.workspace.yaml" \
     "$TEMPEST_DIR" >"$scratch/init.out" 2>&1) || { cat "$scratch/init.out" >&2; die "tempest init failed"; }
  echo "configure.sh: created workspace $TEMPEST_DIR"
else
  die "$TEMPEST_DIR is not empty and is not a tempest workspace"
fi
# Debian ships etc/logging.conf with a relative FileHandler('tempest.log'): tempest
# prefers it over log_dir/log_file and writes tempest.log into the current
# directory. Without it the [DEFAULT] log_dir/log_file below apply.
rm -f "$TEMPEST_DIR/etc/logging.conf"
mkdir -p "$TEMPEST_DIR/logs" "$TEMPEST_DIR/tempest_lock" "$TEMPEST_DIR/results"

"$PY" -I - <<'PYCONF'   # -I: no cwd on sys.path, no PYTHON* env
import configparser, os, sys

e = os.environ.get
on = lambda b: 'true' if b else 'false'  # noqa: E731
d = e('TEMPEST_DIR')
ALL = ['identity', 'compute', 'network', 'volume', 'image', 'object']
svcs = [s for s in (e('TEMPEST_SERVICES') or ','.join(ALL)).replace(' ', ',').split(',') if s]
bad = [s for s in svcs if s not in ALL]
if bad:
    print('configure.sh: TEMPEST_SERVICES: unknown service %s (one of: %s)'
          % (','.join(bad), ' '.join(ALL)), file=sys.stderr)
    sys.exit(2)
has = lambda s: s == 'identity' or s in svcs  # noqa: E731  identity: always (auth)
auth = (e('OS_AUTH_URL') or 'http://127.0.0.1:5000/v3').rstrip('/')
if not auth.endswith('/v3'):
    auth += '/v3'
image = e('IMAGE_REF', '')
pubnet = e('PUBLIC_NETWORK_ID', '')
# The aliases of Nubis's GET /v2.0/extensions (packages/openstack-api/src/neutron/extensions.ts; a test there
# keeps the two equal): Tempest runs the tests of an extension only when it is listed here.
net_ext = e('NETWORK_API_EXTENSIONS') or (
    'network,subnet,port,router,ext-gw-mode,extraroute,external-net,'
    'security-group,port-security,port-security-groups-filtering,'
    'allowed-address-pairs,binding,provider,quotas,quota_details,'
    'standard-attr-tag,standard-attr-revisions,standard-attr-description,'
    'standard-attr-timestamp,subnet_allocation,default-subnetpools,'
    'net-mtu,net-mtu-writable,project-id,pagination,sorting,filter-validation')
obj_apis = e('OBJECT_DISCOVERABLE_APIS') or (
    'account_quotas,container_quotas,slo,dlo,tempurl,versioned_writes')

conf = {
    'DEFAULT': {'debug': 'true', 'use_stderr': 'false',
                'log_dir': d + '/logs', 'log_file': 'tempest.log'},
    'oslo_concurrency': {'lock_path': d + '/tempest_lock'},
    'auth': {
        # Dynamic credentials: tempest creates a project + user per test class
        # with the admin account below and deletes them afterwards.
        'use_dynamic_credentials': 'true', 'create_isolated_networks': on(has('network')),
        'admin_username': e('OS_USERNAME') or 'admin',
        'admin_password': e('OS_PASSWORD'),
        'admin_project_name': e('OS_PROJECT_NAME') or 'admin',
        'admin_domain_name': 'Default',
        'admin_user_domain_name': e('OS_USER_DOMAIN_NAME') or 'Default',
        'admin_project_domain_name': e('OS_PROJECT_DOMAIN_NAME') or 'Default',
        'default_credentials_domain_name': 'Default'},
    'identity': {
        'uri_v3': auth, 'auth_version': 'v3', 'v3_endpoint_type': 'public',
        'region': e('OS_REGION_NAME') or 'RegionOne', 'catalog_type': 'identity',
        'admin_role': 'admin',
        'disable_ssl_certificate_validation': on(e('OS_INSECURE', '') in ('1', 'true'))},
    'identity-feature-enabled': {'api_v2': 'false', 'api_v3': 'true', 'trust': 'false',
                                 'security_compliance': 'false', 'access_rules': 'false'},
    'service_available': {'nova': on(has('compute')), 'neutron': on(has('network')),
                          'cinder': on(has('volume')), 'glance': on(has('image')),
                          'swift': on(has('object')), 'horizon': 'false'},
    'compute': {
        'image_ref': image, 'image_ref_alt': e('IMAGE_REF_ALT') or image,
        'flavor_ref': e('FLAVOR_REF') or '1', 'flavor_ref_alt': e('FLAVOR_REF_ALT') or '2',
        'max_microversion': e('COMPUTE_MAX_MICROVERSION') or '2.2',
        'min_compute_nodes': '1',
        'build_timeout': e('TEMPEST_BUILD_TIMEOUT') or '300', 'build_interval': '1'},
    'compute-feature-enabled': {
        # On: what interop 2020.06 needs. Off: what it doesn't.
        'console_output': 'true', 'snapshot': 'true', 'enable_instance_password': 'true',
        # Tempest 33 skips ServerMetadataTestJSON (6 required tests) unless this
        # deprecated flag is on; it also unlocks a few non-interop admin tests.
        'xenapi_apis': 'true',
        'resize': 'false', 'cold_migration': 'false', 'live_migration': 'false',
        'live_migrate_back_and_forth': 'false', 'can_migrate_between_any_hosts': 'false',
        'block_migration_for_live_migration': 'false', 'change_password': 'false',
        'pause': 'false', 'suspend': 'false', 'shelve': 'false', 'shelve_migrate': 'false',
        'rescue': 'false', 'stable_rescue': 'false', 'interface_attach': 'false',
        'metadata_service': 'false', 'config_drive': 'false', 'disk_config': 'false',
        'personality': 'false', 'attach_encrypted_volume': 'false',
        'swap_volume': 'false', 'volume_multiattach': 'false',
        'serial_console': 'false', 'vnc_console': 'false',
        'hostname_fqdn_sanitization': 'false'},
    'network': {'public_network_id': pubnet,
                'floating_network_name': e('FLOATING_NETWORK_NAME', ''),
                'project_network_cidr': '10.100.0.0/16', 'project_network_mask_bits': '28',
                'project_networks_reachable': 'false'},
    # IPv6 subnets, their address and RA modes, and port security are Neutron API features Nubis serves (its
    # default network driver keeps state only, so no scenario test could send packets anyway).
    'network-feature-enabled': {'ipv6': on(has('network')), 'ipv6_subnet_attributes': on(has('network')),
                                'api_extensions': net_ext, 'floating_ips': on(pubnet),
                                'port_admin_state_change': 'true', 'port_security': on(has('network'))},
    'validation': {'run_validation': 'false'},
    'volume': {'catalog_type': 'volumev3', 'volume_size': '1',
               'build_timeout': e('TEMPEST_BUILD_TIMEOUT') or '300'},
    'volume-feature-enabled': {'backup': 'false', 'snapshot': 'true', 'clone': 'true',
                               'multi_backend': 'false', 'manage_volume': 'false',
                               'manage_snapshot': 'false', 'extend_attached_volume': 'false'},
    # Tempest 33 uploads random bytes labelled with any of its disk_formats; Nubis (as Glance since the 2024
    # format-inspector fixes) refuses data that does not match its label, so Tempest is told to use raw only.
    'image': {'catalog_type': 'image', 'disk_formats': 'raw'},
    'image-feature-enabled': {'import_image': on(has('image')), 'os_glance_reserved': on(has('image'))},
    'object-storage': {'catalog_type': 'object-store', 'operator_role': 'member',
                       'reseller_admin_role': 'ResellerAdmin'},
    'object-storage-feature-enabled': {'container_sync': 'false', 'object_versioning': 'true',
                                       'discoverability': 'true',
                                       'discoverable_apis': obj_apis},
}
if e('VOLUME_MAX_MICROVERSION'):
    conf['volume']['max_microversion'] = e('VOLUME_MAX_MICROVERSION')
if not pubnet:
    del conf['network']['public_network_id']
if not e('FLOATING_NETWORK_NAME'):
    del conf['network']['floating_network_name']

cp = configparser.RawConfigParser()
cp.optionxform = str
for sec, kv in conf.items():
    if sec != 'DEFAULT':
        cp.add_section(sec)
    for k, v in kv.items():
        cp.set(sec, k, v.replace('$', '$$'))   # oslo.config expands $name
extra = e('TEMPEST_EXTRA_CONF')
if extra:
    x = configparser.RawConfigParser()
    x.optionxform = str
    if not x.read(extra):
        sys.exit('configure.sh: TEMPEST_EXTRA_CONF %s not readable' % extra)
    for k, v in x.defaults().items():
        cp.set('DEFAULT', k, v)
    for sec in x.sections():
        if not cp.has_section(sec):
            cp.add_section(sec)
        for k, v in x.items(sec, raw=True):
            if k not in x.defaults():
                cp.set(sec, k, v)
path = os.path.join(d, 'etc', 'tempest.conf')
with open(path, 'w') as f:
    f.write('# written by test/tempest/configure.sh; rerun it instead of editing\n')
    cp.write(f)
os.chmod(path, 0o600)  # holds the admin password

# Catch typos: every key must be an option Tempest registers.
from tempest import config as tc  # noqa: E402
known = {}
for grp, opts in tc._opts:
    name = 'DEFAULT' if grp is None else grp if isinstance(grp, str) else grp.name
    known.setdefault(name, set()).update(o.dest for o in opts)
known.setdefault('DEFAULT', set()).update({'debug', 'use_stderr', 'log_dir', 'log_file'})
known['oslo_concurrency'] = {'lock_path'}
bad = [(s, k) for s in ['DEFAULT'] + cp.sections()
       for k in (cp.defaults() if s == 'DEFAULT' else
                 [k for k in cp.options(s) if k not in cp.defaults()])
       if k.replace('-', '_') not in known.get(s, ())]
for s, k in bad:
    print('configure.sh: warning: [%s] %s is not a Tempest 33 option' % (s, k),
          file=sys.stderr)
print('configure.sh: wrote %s (identity %s, region %s, services %s%s)'
      % (path, auth, conf['identity']['region'], ','.join(s for s in ALL if has(s)),
         ', image_ref %s' % (image or '<unset>') if has('compute') else ''))
if has('compute') and not image:
    print('configure.sh: warning: IMAGE_REF unset: compute tests that boot servers '
          'will fail; set it to an image id the cloud can boot', file=sys.stderr)
PYCONF
