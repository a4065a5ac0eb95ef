/* clock.h: the one clock for durations, timeouts and progress lines:
 * CLOCK_MONOTONIC, never the wall clock (which can jump). */
#ifndef APPLIANCE_CLOCK_H
#define APPLIANCE_CLOCK_H

#include <time.h>

/* Seconds on the monotonic clock, from an arbitrary start. */
double mono_now(void);

/* The monotonic time seconds from now, for the calls that take an
 * absolute deadline (pthread_cond_timedwait on a CLOCK_MONOTONIC
 * condition variable). */
struct timespec mono_deadline(double seconds);

#endif
