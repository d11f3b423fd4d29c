#define _GNU_SOURCE
#include "folio_socket.h"
#include <sys/socket.h>
#include <stddef.h>

_Static_assert(sizeof(folio_ucred) == sizeof(struct ucred), "folio_ucred must mirror struct ucred");
_Static_assert(offsetof(folio_ucred, uid) == offsetof(struct ucred, uid), "uid offset");
_Static_assert(offsetof(folio_ucred, gid) == offsetof(struct ucred, gid), "gid offset");
