#ifndef MEDEXPRESS_CLIBPQ_SHIM_H
#define MEDEXPRESS_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
