/* Internal to the core: the one place a msgpack header part is unpacked. */
#pragma once

#include "facecast_core.h"

#include <msgpack.h>

/* Unpack exactly one msgpack object from data[0..len) into `unpacked` (initialised here; the
 * caller destroys it whatever the result). Rejects empty, oversized (FC_MAX_HEADER_BYTES),
 * truncated or corrupt input and trailing bytes (FC_ERR_MSGPACK), and allocation failure, which a
 * hostile element count can cause (FC_ERR_NOMEM). */
fc_error fc_unpack_one(const void *data, size_t len, msgpack_unpacked *unpacked);
