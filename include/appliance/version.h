/* version.h: the appliance program's version. */
#ifndef APPLIANCE_VERSION_H
#define APPLIANCE_VERSION_H

#define APPLIANCE_VERSION "0.1.0"

#endif
