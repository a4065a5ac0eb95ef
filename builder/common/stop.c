/* stop.c: the one interrupt flag. */
#include "appliance/stop.h"

static volatile sig_atomic_t stop_sig;

void
stop_request(int sig)
{
    if (!stop_sig)
        stop_sig = sig > 0 ? sig : -1;
}

bool
stop_requested(void)
{
    return stop_sig != 0;
}

int
stop_signal(void)
{
    return stop_sig > 0 ? stop_sig : 0;
}

const volatile sig_atomic_t *
stop_flag(void)
{
    return &stop_sig;
}
