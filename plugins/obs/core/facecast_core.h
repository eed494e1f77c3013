/*
 * facecast OBS plugin core: decoding of the runtime's `frame` messages and a
 * ZeroMQ receiver. No libobs here, so the core is unit-tested on its own
 * (plugins/obs/tests) and the OBS source (plugins/obs/src) stays thin.
 *
 * Wire format (docs/protocol.md): a frame is the multipart message
 *   [topic = "frame/<session>/", header = msgpack map, pixels = height*stride bytes]
 * with header keys v (=1), session, seq, pts, width, height, format, stride.
 * Unknown keys are ignored so that additive protocol changes keep working.
 */
#ifndef FACECAST_CORE_H
#define FACECAST_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FC_PROTOCOL_VERSION 1
#define FC_SESSION_MAX      128  /* bytes of a session id, including the NUL */
#define FC_MAX_DIMENSION    8192 /* refuse absurd sizes before touching memory */
#define FC_MAX_HEADER_BYTES 65536
#define FC_TOPIC_FRAME      "frame/"

/* Stable error codes: their numbers and names never change (logs and tests use them). */
typedef enum fc_error {
	FC_OK = 0,
	FC_ERR_MSGPACK = 1,       /* header is not one complete msgpack value */
	FC_ERR_NOT_MAP = 2,       /* header is valid msgpack but not a map */
	FC_ERR_VERSION = 3,       /* "v" missing or not a version this core reads */
	FC_ERR_MISSING_FIELD = 4, /* a required key is absent */
	FC_ERR_FIELD_TYPE = 5,    /* a key has the wrong msgpack type */
	FC_ERR_FORMAT = 6,        /* pixel format other than RGBA / BGRA */
	FC_ERR_SIZE = 7,          /* width or height zero or above FC_MAX_DIMENSION */
	FC_ERR_STRIDE = 8,        /* stride smaller than width*4 or absurdly large */
	FC_ERR_PIXELS = 9,        /* pixel part length is not height*stride */
	FC_ERR_TOPIC = 10,        /* topic is not "frame/<session>/" for this header */
	FC_ERR_PARTS = 11,        /* wrong number of message parts */
	FC_ERR_TIMESTAMP = 12,    /* pts not finite or negative */
	FC_ERR_TIMEOUT = 13,      /* nothing arrived within the receive timeout */
	FC_ERR_ZMQ = 14,          /* a ZeroMQ call failed (see fc_receiver_last_zmq_error) */
	FC_ERR_NOMEM = 15,
	FC_ERR_ARGUMENT = 16, /* bad argument (NULL, empty endpoint, ...) */
	FC_ERR_SESSION = 17,  /* session id empty, longer than FC_SESSION_MAX-1, or with a '/' */
	FC_ERR_KEY = 18,      /* server key is not a 40-character Z85 CurveZMQ public key */
	FC_ERR_COUNT
} fc_error;

/* "FC_ERR_PIXELS" etc.; never NULL. */
const char *fc_error_name(fc_error err);
/* A sentence for users ("pixel data size does not match height*stride"); never NULL. */
const char *fc_error_message(fc_error err);

typedef enum fc_pixel_format {
	FC_FORMAT_UNKNOWN = 0,
	FC_FORMAT_RGBA = 1,
	FC_FORMAT_BGRA = 2,
} fc_pixel_format;

const char *fc_format_name(fc_pixel_format fmt);

typedef struct fc_frame_header {
	uint32_t version;
	char session[FC_SESSION_MAX];
	uint64_t seq;
	double pts; /* seconds on the session's audio clock */
	uint32_t width;
	uint32_t height;
	uint32_t stride; /* bytes per row, >= width*4 */
	fc_pixel_format format;
} fc_frame_header;

/* A decoded frame. `pixels` points into memory owned by whoever produced it
 * (the receiver keeps it valid until its next call). Straight alpha, top row first. */
typedef struct fc_frame {
	fc_frame_header header;
	const uint8_t *pixels;
	size_t pixels_len;
} fc_frame;

/* Decode and validate one frame header (the msgpack map). The whole buffer must be
 * exactly one msgpack value. On error *out is left zeroed. */
fc_error fc_decode_frame_header(const void *data, size_t len, fc_frame_header *out);

/* Check a decoded header against its topic and pixel part: topic must be
 * "frame/<header.session>/" and pixels_len must equal height*stride. */
fc_error fc_check_frame_parts(const fc_frame_header *header, const void *topic, size_t topic_len, size_t pixels_len);

/* Decode a whole frame message from its parts (topic, header, pixels). */
fc_error fc_decode_frame_message(const void *const *parts, const size_t *part_lens, size_t n_parts, fc_frame *out);

/* Presentation time in nanoseconds, as OBS wants it. */
uint64_t fc_pts_to_ns(double pts);

/* Copy pixels row by row into a destination with its own stride (what OBS does with
 * a frame; the benchmark times it). Returns FC_ERR_ARGUMENT if dst_stride < width*4. */
fc_error fc_copy_pixels(const fc_frame *frame, uint8_t *dst, size_t dst_stride);

/* ---- status heartbeats ---------------------------------------------------------- */

#define FC_TOPIC_STATUS "status"

/* One session's entry of a status message. Strings are truncated to fit. */
typedef struct fc_session_status {
	char session[FC_SESSION_MAX];
	char state[16]; /* idle, speaking, loading, error; an unknown state reads as idle */
	bool pose_only;
	double fps;
	double queued_audio_s;
	uint64_t frames;
	uint64_t dropped;
	char error_code[32]; /* "" when the session has no error */
	char error_message[160];
} fc_session_status;

/* A decoded [b"status", header] heartbeat. */
typedef struct fc_status {
	double time;         /* server wall clock, seconds since the Unix epoch */
	uint32_t n_sessions; /* sessions listed in the message */
	bool found;          /* `session` below holds the one asked for (or the first, if none asked) */
	fc_session_status session;
} fc_status;

/* Decode a status header; `session` NULL or "" picks the first listed session. */
fc_error fc_decode_status(const void *data, size_t len, const char *session, fc_status *out);

/* ---- liveness: when to clear the picture ------------------------------------- */

/* Tracks when the last frame arrived. A receiver thread calls fc_liveness_frame on
 * each frame and fc_liveness_poll otherwise; poll returns true exactly once when the
 * stream went stale (no frame for timeout_ns), which is when the source shows nothing. */
typedef struct fc_liveness {
	uint64_t timeout_ns;
	uint64_t last_frame_ns;
	bool live;
} fc_liveness;

void fc_liveness_init(fc_liveness *l, uint64_t timeout_ns);
void fc_liveness_frame(fc_liveness *l, uint64_t now_ns);
bool fc_liveness_poll(fc_liveness *l, uint64_t now_ns);

/* ---- receiver ------------------------------------------------------------------ */

typedef struct fc_receiver_options {
	const char *endpoint;   /* e.g. "tcp://127.0.0.1:5556" */
	const char *session;    /* NULL or "" = frames of every session */
	int receive_timeout_ms; /* how long fc_receiver_next may block; default 100 */
	int high_water_mark;    /* queued messages before ZeroMQ drops; default 4 */
	int reconnect_ms;       /* first reconnect interval; default 200 (backs off to 2000) */
	bool latest_only;       /* skip queued frames and return the newest (default true) */
	bool status;            /* also subscribe to status heartbeats (default true) */
	const char *server_key; /* the runtime's CurveZMQ public key (40 Z85 characters, as in
				 * `facecast serve --make-keys`'s server.key); NULL or "" = plain TCP */
} fc_receiver_options;

void fc_receiver_options_default(fc_receiver_options *opts);

typedef enum fc_message_kind {
	FC_MESSAGE_NONE = 0,
	FC_MESSAGE_FRAME = 1,
	FC_MESSAGE_STATUS = 2,
} fc_message_kind;

typedef struct fc_message {
	fc_message_kind kind;
	fc_frame frame;   /* when kind == FC_MESSAGE_FRAME */
	fc_status status; /* when kind == FC_MESSAGE_STATUS (for the options' session) */
} fc_message;

typedef struct fc_receiver fc_receiver;

/* Creates a SUB socket connected to the endpoint and subscribed to the session's
 * frame topic (and "status"). Never blocks: ZeroMQ connects, and reconnects after a
 * runtime restart, in the background. */
fc_error fc_receiver_create(const fc_receiver_options *opts, fc_receiver **out);
void fc_receiver_destroy(fc_receiver *r);

/* Waits up to receive_timeout_ms for the next message. On FC_OK, msg->frame.pixels
 * stays valid until the next call or destroy. Malformed messages are consumed and
 * reported by their error code; FC_ERR_TIMEOUT means nothing arrived. */
fc_error fc_receiver_next(fc_receiver *r, fc_message *msg);

/* Switches the frame subscription to another session ("" = every session) without
 * reconnecting: frames already queued for the old topic are dropped as they arrive.
 * The OBS source uses it to follow the first session it sees when none is configured,
 * so several sessions on one runtime do not take turns in the picture. */
fc_error fc_receiver_set_session(fc_receiver *r, const char *session);

/* errno of the last failing ZeroMQ call, and its text. */
int fc_receiver_last_zmq_error(const fc_receiver *r);
const char *fc_receiver_last_zmq_message(const fc_receiver *r);

/* Counters since create. */
typedef struct fc_receiver_stats {
	uint64_t frames;   /* frames returned */
	uint64_t skipped;  /* valid frames passed over for a newer one (latest_only) */
	uint64_t rejected; /* malformed messages */
	uint64_t statuses;
	uint64_t seq_gaps; /* frames whose seq was not previous+1 (drops or a runtime restart) */
} fc_receiver_stats;

void fc_receiver_get_stats(const fc_receiver *r, fc_receiver_stats *out);

#ifdef __cplusplus
}
#endif

#endif /* FACECAST_CORE_H */
