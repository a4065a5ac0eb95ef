/* stop.h: the one interrupt flag of the program.
 *
 * A command's signal handler calls stop_request(); long loops anywhere
 * below ask stop_requested() between steps and give up with EINTR
 * ("interrupted"). Modules that stand alone (the VMDK writer, digests,
 * the OVA reader) take a pointer to a flag to watch instead of calling
 * in here: the program hands them stop_flag(). */
#ifndef APPLIANCE_STOP_H
#define APPLIANCE_STOP_H

#include <signal.h>
#include <stdbool.h>

/* Asks everything to stop; sig is the signal that asked (recorded once:
 * the first request wins). Async-signal-safe. */
void stop_request(int sig);

/* True once stop_request was called. */
bool stop_requested(void);

/* The signal given to the first stop_request, 0 when none came. */
int stop_signal(void);

/* The flag itself (non-zero once a stop is requested), for the APIs that
 * watch a flag: digest_file_stoppable, vmdk_opts.stop, ova_read_opts.stop. */
const volatile sig_atomic_t *stop_flag(void);

#endif
