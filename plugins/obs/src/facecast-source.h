/* The "facecast" source: an async video source that shows the frames a facecast
 * runtime publishes over ZeroMQ (transparent background, unbuffered). The table is
 * in facecast-source-info.c, the implementation in facecast-source.c. */
#pragma once

#include <obs-module.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FACECAST_SOURCE_ID "facecast_source"

/* settings keys */
#define S_ENDPOINT   "endpoint"
#define S_SESSION    "session"
#define S_SERVER_KEY "server_key"
#define S_TIMEOUT_MS "timeout_ms"
#define S_STATUS     "status"
#define S_REFRESH    "refresh_status"

#define FACECAST_DEFAULT_ENDPOINT   "tcp://127.0.0.1:5556"
#define FACECAST_DEFAULT_TIMEOUT_MS 1000

extern struct obs_source_info facecast_source_info;

const char *facecast_source_get_name(void *type_data);
void *facecast_source_create(obs_data_t *settings, obs_source_t *source);
void facecast_source_destroy(void *data);
obs_properties_t *facecast_source_properties(void *data);
void facecast_source_defaults(obs_data_t *settings);
void facecast_source_update(void *data, obs_data_t *settings);

#ifdef __cplusplus
}
#endif
