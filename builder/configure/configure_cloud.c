/* configure_cloud.c: cloud-init configured for the clouds the image is
 * built for (plan.cloud): their datasources and NoCloud, and the modules
 * that would redo what the image already does switched off.
 *
 * ds-identify (cloud-init's systemd generator) enables cloud-init only
 * when one of the listed datasources is there: the Azure or GCE platform
 * (DMI), or a filesystem labelled 'cidata' (NoCloud). Elsewhere the image
 * boots as any other output does, without waiting for a metadata service. */
#include "appliance/configure.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/cleanup.h"
#include "appliance/fsutil.h"
#include "appliance/inroot.h"

#define CLOUD_CFG "/etc/cloud/cloud.cfg.d/95_appliance.cfg"

/* After the distribution's 90_dpkg.cfg (its datasource_list), before a
 * 99_ file of the vendor's own (files: or run:), which may override it. */
static const char cloud_cfg_fmt[] =
    "# written by appliance: cloud-init for %s.\n"
    "# NoCloud provisions the image anywhere from a disk labelled 'cidata';\n"
    "# without a datasource ds-identify leaves cloud-init off at boot.\n"
    "%s%s%s"
    "# appliance-grow grows each disk's partition, PV, volume and filesystem\n"
    "growpart:\n"
    "  mode: \"off\"\n"
    "resize_rootfs: false\n"
    "# DHCP on every Ethernet interface is the image's own (systemd-networkd\n"
    "# or NetworkManager)\n"
    "network:\n"
    "  config: disabled\n"
    "# each instance's SSH host keys: the types ssh-keygen -A makes (no DSA)\n"
    "ssh_genkeytypes: [rsa, ecdsa, ed25519]\n"
    "# the instance's host name on the image's own 127.0.1.1 line of /etc/hosts\n"
    "manage_etc_hosts: localhost\n"
    "# the apt sources, the locale and GRUB stay as the build made them (the\n"
    "# locale module regenerates nothing for the locale the system has)\n"
    "apt:\n"
    "  preserve_sources_list: true\n"
    "locale: \"%s\"\n"
    "grub_dpkg:\n"
    "  enabled: false\n";

/* Azure's accelerated networking: the Mellanox or MANA virtual function
 * carries the synthetic NIC's MAC address and is driven through it
 * (hv_netvsc); DHCP on it as well would take the NIC down. */
static const char azure_vf_networkd[] =
    "# written by appliance: Azure's accelerated networking VF is driven through\n"
    "# its hv_netvsc NIC; only that one gets DHCP\n"
    "[Match]\n"
    "Driver=mlx4_core mlx4_en mlx5_core mana\n"
    "\n"
    "[Link]\n"
    "Unmanaged=yes\n";

static const char azure_vf_nm[] =
    "# written by appliance: Azure's accelerated networking VF is driven through\n"
    "# its hv_netvsc NIC\n"
    "[keyfile]\n"
    "unmanaged-devices=driver:mlx4_core;driver:mlx5_core;driver:mana\n";

/* Azure's load balancer drops idle TCP connections after 4 minutes. */
static const char azure_sshd[] =
    "# written by appliance: keep SSH sessions through Azure's idle timeout\n"
    "ClientAliveInterval 180\n";

/* The clouds' DHCP gives the network's MTU (GCE: 1460). */
static const char dhcp_mtu[] = "# written by appliance: the cloud network's MTU, by DHCP\n"
                               "[DHCPv4]\n"
                               "UseMTU=yes\n";

char *
configure_cloud_config(const struct plan *plan)
{
    char ds[64], *text = NULL;
    const char *list = plan_cloud_datasources(plan->cloud, ds, sizeof(ds));
    const char *what = !list                               ? "every datasource of the distribution"
                       : !(plan->cloud & PLAN_CLOUD_GCE)   ? "Azure (output azure)"
                       : !(plan->cloud & PLAN_CLOUD_AZURE) ? "GCE (output gce)"
                                                           : "Azure and GCE (outputs azure, gce)";
    /* One line: ds-identify reads no other form. Without a list, the
     * distribution's (90_dpkg.cfg) stays. */
    if (asprintf(&text, cloud_cfg_fmt, what, list ? "datasource_list: [ " : "", list ? list : "",
                 list ? " ]\n" : "", plan->os.locale) < 0)
        return NULL;
    return text;
}

static int
write_azure(const char *root, struct ab_error *err)
{
    if (write_file(root, "/etc/systemd/network/70-appliance-azure-vf.network", azure_vf_networkd,
                   0644, err) < 0 ||
        write_file(root, "/etc/NetworkManager/conf.d/70-appliance-azure-vf.conf", azure_vf_nm, 0644,
                   err) < 0 ||
        write_file(root, "/etc/ssh/sshd_config.d/70-appliance-azure.conf", azure_sshd, 0644, err) <
            0)
        return -1;
    return 0;
}

int
configure_cloud(const struct plan *plan, const char *root, struct ab_error *err)
{
    if (!plan->cloud)
        return 0;
    CLEANUP_CLOSE int rootfd = inroot_open_root(root, err);
    if (rootfd < 0)
        return -1;
    if (!inroot_exists(rootfd, "/usr/bin/cloud-init", NULL))
        return ab_build_error(err, 0,
                              "cloud-init is not installed in the tree: the plan needs "
                              "it for %s",
                              plan->cloud & (PLAN_CLOUD_AZURE | PLAN_CLOUD_GCE)
                                  ? "its cloud outputs"
                                  : "'cloud: true'");
    CLEANUP_FREE char *cfg = configure_cloud_config(plan);
    if (!cfg)
        return ab_oom(err);
    if (write_file(root, CLOUD_CFG, cfg, 0644, err) < 0 ||
        write_file(root, "/etc/systemd/network/80-appliance-dhcp.network.d/70-appliance-cloud.conf",
                   dhcp_mtu, 0644, err) < 0 ||
        ((plan->cloud & PLAN_CLOUD_AZURE) && write_azure(root, err) < 0)) {
        ab_error_prefix(err, "while configuring cloud-init");
        return -1;
    }
    return 0;
}
