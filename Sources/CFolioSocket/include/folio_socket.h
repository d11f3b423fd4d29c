#ifndef FOLIO_SOCKET_H
#define FOLIO_SOCKET_H
#include <stdint.h>

/// Mirror of Linux `struct ucred` (pid, uid, gid), which Glibc only exposes under _GNU_SOURCE;
/// read with SO_PEERCRED through swift-nio's socket option provider.
typedef struct folio_ucred {
    int32_t pid;
    uint32_t uid;
    uint32_t gid;
} folio_ucred;

#endif
