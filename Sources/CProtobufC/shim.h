#ifndef MEDEXPRESS_CPROTOBUFC_SHIM_H
#define MEDEXPRESS_CPROTOBUFC_SHIM_H
#include <protobuf-c/protobuf-c.h>
#endif
