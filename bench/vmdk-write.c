/* vmdk-write: the streamOptimized VMDK writer on its own, for benchmarks
 * and tests; not installed and not part of the appliance CLI.
 *
 *   vmdk-write [-t THREADS] [-l LEVEL] [-a ADAPTER] [-c CID] [-p] RAW VMDK
 *
 * -p prints progress to stderr. Exit 0 ok, 1 failed, 2 usage. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "appliance/error.h"
#include "export/vmdk.h"

static void
print_progress(uint64_t done, uint64_t total, void *opaque)
{
    (void)opaque;
    fprintf(stderr, "\rvmdk-write: %3u%%", total ? (unsigned)(done * 100 / total) : 100);
    if (done == total)
        fputc('\n', stderr);
}

static int
usage(void)
{
    fputs("usage: vmdk-write [-t THREADS] [-l LEVEL] [-a ADAPTER] [-c CID] [-p] RAW VMDK\n",
          stderr);
    return 2;
}

int
main(int argc, char **argv)
{
    struct vmdk_opts o = VMDK_OPTS_INIT;
    struct ab_error err = AB_ERROR_INIT;
    int c;

    while ((c = getopt(argc, argv, "t:l:a:c:p")) != -1) {
        switch (c) {
        case 't':
            o.threads = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'l':
            o.level = atoi(optarg);
            break;
        case 'a':
            if (vmdk_adapter_from_string(optarg, &o.adapter) < 0)
                return usage();
            break;
        case 'c':
            o.cid = (uint32_t)strtoul(optarg, NULL, 16);
            break;
        case 'p':
            o.progress = print_progress;
            break;
        default:
            return usage();
        }
    }
    if (argc - optind != 2)
        return usage();
    if (vmdk_stream_write(argv[optind], argv[optind + 1], &o, &err) < 0) {
        ab_error_write(&err, stderr);
        int status = ab_error_exit_status(&err);
        ab_error_release(&err);
        return status;
    }
    return 0;
}
