/* attest.c: the SBOMs, the provenance, SHA256SUMS and their signatures
 * (attest.h). */
#include "appliance/attest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/cleanup.h"
#include "appliance/delivery.h"
#include "appliance/dsse.h"
#include "appliance/fsutil.h"

/* Writes dir/name (text's len bytes) and adds it to files. */
static int
put_file(const char *dir, const char *name, const void *text, size_t len,
         struct export_files *files, struct ab_error *err)
{
    CLEANUP_FREE char *path = NULL;
    if (asprintf(&path, "%s/%s", dir, name) < 0)
        return ab_oom(err);
    if (write_atomic_data(path, 0644, text, len, err) < 0)
        return -1;
    return export_files_add(dir, name, files, err);
}

/* The container template's files among files (their entries borrowed). */
static int
container_files(const struct plan *plan, const struct export_files *files,
                struct export_files *out, struct ab_error *err)
{
    out->v = calloc(files->n + 1, sizeof(*out->v));
    out->n = 0;
    if (!out->v)
        return ab_oom(err);
    for (size_t i = 0; i < files->n; i++) {
        struct delivery_role role;
        delivery_classify(plan->stem, plan->outputs, files->v[i].path, &role);
        if (role.output && strcmp(role.output, "container") == 0)
            out->v[out->n++] = files->v[i];
    }
    return 0;
}

/* One SBOM pair: STEM + the suffixes. */
static int
write_sboms(const struct sbom_input *in, const char *dir, const char *spdx_suffix,
            const char *cdx_suffix, struct export_files *files, struct ab_error *err)
{
    const struct plan *plan = in->plan;
    CLEANUP_FREE char *spdx = NULL, *cdx = NULL;
    CLEANUP_FREE char *spdx_name = delivery_file(plan, spdx_suffix);
    CLEANUP_FREE char *cdx_name = delivery_file(plan, cdx_suffix);
    if (!spdx_name || !cdx_name)
        return ab_oom(err);
    if (sbom_spdx_text(in, &spdx, err) < 0 || sbom_cdx_text(in, &cdx, err) < 0)
        return -1;
    return put_file(dir, spdx_name, spdx, strlen(spdx), files, err) < 0 ||
                   put_file(dir, cdx_name, cdx, strlen(cdx), files, err) < 0
               ? -1
               : 0;
}

/* The container's SBOMs (with its output), then the appliance's. */
static int
sboms_of(struct attest_job *job, const struct export_files *shipped, struct export_files *files,
         struct ab_error *err)
{
    const struct plan *plan = job->prov.plan;
    struct sbom_input in = {.plan = plan,
                            .packages = job->packages,
                            .files = job->files,
                            .shipped = shipped,
                            .epoch = job->prov.epoch};
    if (job->ct_packages) {
        struct export_files ct = {NULL, 0};
        int r = container_files(plan, shipped, &ct, err);
        struct sbom_input cin = in;
        cin.container = true;
        cin.packages = job->ct_packages;
        cin.shipped = &ct;
        if (r == 0)
            r = write_sboms(&cin, job->dir, DELIVERY_CONTAINER_SPDX, DELIVERY_CONTAINER_CDX, files,
                            err);
        free(ct.v);
        if (r < 0)
            return -1;
    }
    return write_sboms(&in, job->dir, DELIVERY_SPDX, DELIVERY_CDX, files, err);
}

/* Both describe the files written so far: the list is copied first, as
 * each SBOM written joins it (the entries borrowed). */
static int
write_all_sboms(struct attest_job *job, struct export_files *files, struct ab_error *err)
{
    struct export_files shipped = {calloc(files->n + 1, sizeof(*files->v)), files->n};
    if (!shipped.v)
        return ab_oom(err);
    memcpy(shipped.v, files->v, files->n * sizeof(*files->v));
    int r = sboms_of(job, &shipped, files, err);
    free(shipped.v);
    return r;
}

static int
read_all(const char *path, char **text, size_t *len, struct ab_error *err)
{
    CLEANUP_FCLOSE FILE *f = fopen(path, "re");
    if (!f)
        return ab_build_error(err, errno, "cannot read '%s': %s", path, strerror(errno));
    *text = NULL;
    *len = 0;
    FILE *mem = open_memstream(text, len);
    char buf[65536];
    size_t n;
    while (mem && (n = fread(buf, 1, sizeof(buf), f)) > 0)
        fwrite(buf, 1, n, mem);
    if (!mem || fclose(mem) != 0 || ferror(f))
        return ab_build_error(err, errno, "cannot read '%s'", path);
    return 0;
}

int
attest_sign_sums(const char *dir, const struct sign_key *key, struct export_files *files,
                 struct ab_error *err)
{
    CLEANUP_FREE char *sums_path = NULL, *sums = NULL, *sig_path = NULL;
    CLEANUP_FREE unsigned char *sig = NULL;
    size_t len = 0, sig_len = 0;
    if (asprintf(&sums_path, "%s/%s", dir, DELIVERY_SUMS) < 0)
        return ab_oom(err);
    if (read_all(sums_path, &sums, &len, err) < 0 ||
        sign_data(key, sums, len, &sig, &sig_len, err) < 0)
        return -1;
    if (files)
        return put_file(dir, DELIVERY_SUMS_SIG, sig, sig_len, files, err);
    if (asprintf(&sig_path, "%s/%s", dir, DELIVERY_SUMS_SIG) < 0)
        return ab_oom(err);
    return write_atomic_data(sig_path, 0644, sig, sig_len, err);
}

/* SHA256SUMS.sig (unless the caller signs it), and the provenance's
 * envelope. */
static int
sign_all(struct attest_job *job, const char *prov, struct export_files *files,
         struct ab_error *err)
{
    CLEANUP_FREE char *line = NULL;
    CLEANUP_FREE char *dsse_name = delivery_file(job->prov.plan, DELIVERY_DSSE);
    if (!dsse_name)
        return ab_oom(err);
    if ((!job->sums_unsigned && attest_sign_sums(job->dir, job->key, files, err) < 0) ||
        dsse_sign(DSSE_INTOTO_TYPE, prov, strlen(prov), job->key, &line, err) < 0)
        return -1;
    return put_file(job->dir, dsse_name, line, strlen(line), files, err);
}

int
attest_write(struct attest_job *job, struct export_files *files, struct ab_error *err)
{
    CLEANUP_FREE char *prov = NULL;
    CLEANUP_FREE char *prov_name = delivery_file(job->prov.plan, DELIVERY_PROVENANCE);
    if (!prov_name)
        return ab_oom(err);
    if (write_all_sboms(job, files, err) < 0)
        return -1;
    job->prov.subjects = files;
    if (provenance_text(&job->prov, &prov, err) < 0 ||
        put_file(job->dir, prov_name, prov, strlen(prov), files, err) < 0 ||
        export_sums_write(job->dir, files, err) < 0)
        return -1;
    return job->key ? sign_all(job, prov, files, err) : 0;
}
