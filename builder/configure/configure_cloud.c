/* configure_cloud.c: cloud-init configured for the clouds the image is
 * built for (plan.cloud): their datasources and NoCloud, and the modules
 * that would redo what the image already does switched off.
 *
 * ds-identify (cloud-init's systemd generator) enables cloud-init only
 * when one of the listed datasources is there: the Azure or GCE platform
 * (DMI), or a filesystem labelled 'cidata' (NoCloud). Elsewhere the image
 * boots as any other output does, without waiting for a metadata service:
 * its policy (templates/ds-identify.cfg) says so on every architecture,
 * as its default does only where it finds DMI (not on aarch64). */
#include "appliance/configure.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/cleanup.h"
#include "appliance/fsutil.h"
#include "appliance/inroot.h"
#include "appliance/templates.h"

#define CLOUD_CFG "/etc/cloud/cloud.cfg.d/95_appliance.cfg"

/* The config (templates/cloud-init.cfg) goes after the distribution's
 * 90_dpkg.cfg (its datasource_list), before a 99_ file of the vendor's own
 * (files: or run:), which may override it. For Azure, its accelerated
 * networking: the Mellanox or MANA virtual function carries the synthetic
 * NIC's MAC address and is driven through it (hv_netvsc); DHCP on it as
 * well would take the NIC down (azure-vf.network, for systemd-networkd,
 * azure-vf-networkmanager.conf); and its load balancer drops idle TCP
 * connections after 4 minutes (azure-sshd.conf). The clouds' DHCP gives the
 * network's MTU (GCE: 1460; cloud-dhcp-mtu.conf). */

char *
configure_cloud_config(const struct plan *plan)
{
    char ds[64];
    const char *list = plan_cloud_datasources(plan->cloud, ds, sizeof(ds));
    const char *what = !list                               ? "every datasource of the distribution"
                       : !(plan->cloud & PLAN_CLOUD_GCE)   ? "Azure (output azure)"
                       : !(plan->cloud & PLAN_CLOUD_AZURE) ? "GCE (output gce)"
                                                           : "Azure and GCE (outputs azure, gce)";
    /* One line: ds-identify reads no other form. Without a list, the
     * distribution's (90_dpkg.cfg) stays. */
    CLEANUP_FREE char *line = NULL;
    if (list && asprintf(&line, "datasource_list: [ %s ]\n", list) < 0)
        return NULL;
    const struct template_value values[] = {{"CLOUDS", what},
                                            {"DATASOURCE_LIST", line ? line : ""},
                                            {"LOCALE", plan->os.locale},
                                            {NULL, NULL}};
    struct ab_error ignored = AB_ERROR_INIT;
    char *text = templates_render("cloud-init.cfg", values, &ignored);
    ab_error_release(&ignored);
    return text;
}

static int
write_azure(const char *root, struct ab_error *err)
{
    if (templates_write(root, "/etc/systemd/network/70-appliance-azure-vf.network", 0644,
                        "azure-vf.network", NULL, err) < 0 ||
        templates_write(root, "/etc/NetworkManager/conf.d/70-appliance-azure-vf.conf", 0644,
                        "azure-vf-networkmanager.conf", NULL, err) < 0 ||
        templates_write(root, "/etc/ssh/sshd_config.d/70-appliance-azure.conf", 0644,
                        "azure-sshd.conf", NULL, err) < 0)
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
        templates_write(root, "/etc/cloud/ds-identify.cfg", 0644, "ds-identify.cfg", NULL, err) <
            0 ||
        templates_write(root,
                        "/etc/systemd/network/80-appliance-dhcp.network.d/70-appliance-cloud.conf",
                        0644, "cloud-dhcp-mtu.conf", NULL, err) < 0 ||
        ((plan->cloud & PLAN_CLOUD_AZURE) && write_azure(root, err) < 0)) {
        ab_error_prefix(err, "while configuring cloud-init");
        return -1;
    }
    return 0;
}
